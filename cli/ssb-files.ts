// The files an SSB reconstruction is written as, by `ptycho` and by `stream receive --ptycho` (the same names, so
// the live result and the offline one compare file by file), and the option both take beside the probe's.
import { renameSync } from "node:fs";
import { join } from "node:path";
import type { SsbWithBrightField } from "../bindings/analyses/ssb.js";
import type { SsbParameters } from "../bindings/analyses/ssb-plan.js";
import { PTYCHO_METHODS, type PtychoMethod } from "../bindings/analyses/wdd.js";
import { UsageError, writeNpy, writePng } from "./common.js";

/** phase, amplitude, bright_field (.npy f32 + .png) and object.npy (complex64) in `dir`. */
export async function writeSsbFiles(dir: string, r: SsbWithBrightField, p: Pick<SsbParameters, "stepA">,
  method = "SSB"): Promise<void> {
  await writeNpy(join(dir, "object.npy"), r.object, "c64", r.navShape);
  const maps = [
    ["phase", r.phase, `${method} object phase`, "rad"],
    ["amplitude", r.amplitude, `${method} object amplitude`, "relative"],
    ["bright_field", r.brightField, "Bright field (the same data)", "counts"],
  ] as const;
  for (const [name, img, title, units] of maps) await writePhaseMap(dir, name, img, r.navShape, p, title, units);
}

/** One scan map as NAME.npy and NAME.png; `atomic` writes each to a temporary name first, so that a reader never
 * sees half a file (the running object is rewritten while the series arrives). */
export async function writePhaseMap(dir: string, name: string, img: Float32Array, navShape: [number, number],
  p: Pick<SsbParameters, "stepA">, title: string, units: string, atomic = false): Promise<void> {
  const pixel = { step: p.stepA[1], unit: "Å" }; // the scale bar runs along the columns
  const [rows, cols] = navShape;
  for (const ext of ["npy", "png"] as const) {
    const path = join(dir, `${name}.${ext}`), to = atomic ? join(dir, `.${name}.partial.${ext}`) : path;
    if (ext === "npy") await writeNpy(to, img, "f32", navShape);
    else await writePng(to, { values: img, rows, cols, title, units, space: "scan", pixel });
    if (atomic) renameSync(to, path);
  }
}

/** --wiener (or `flag`): a non-negative fraction (default 0, plain SSB). */
export function parseWiener(text: string | undefined, flag = "--wiener"): number {
  const wiener = text === undefined ? 0 : Number(text);
  if (!(wiener >= 0) || text?.trim() === "") {
    throw new UsageError(`${flag}: expected a non-negative number, got '${text}'`);
  }
  return wiener;
}

/** --method: ssb or wdd. */
export function parseMethod(text: string): PtychoMethod {
  if (!(PTYCHO_METHODS as readonly string[]).includes(text)) {
    throw new UsageError(`--method: expected ${PTYCHO_METHODS.join(" or ")}, got '${text}'`);
  }
  return text as PtychoMethod;
}
