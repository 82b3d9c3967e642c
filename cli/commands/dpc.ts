import type { Command } from "commander";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { decodeNpyArray } from "../../bindings/npy.js";
import { differentialPhaseContrast } from "../../bindings/analyses/dpc.js";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import { UsageError, action, inputOptions, openInput, progress, report, withCore, writeNpy, writePng, type CommonOptions } from "../common.js";
import { declare } from "./index.js";
import { probeOptions, resolveProbe, type ProbeOptions } from "../probe-options.js";

interface Options extends CommonOptions, ProbeOptions {
  output: string;
  highpass?: string;
  truth?: string;
}

/** A scan-shaped image from a .npy file (a true phase, say), checked against the scan. */
export function readScanImage(path: string, ny: number, nx: number): Float32Array {
  const { data, shape } = decodeNpyArray(readFileSync(path), path);
  if (data.length !== ny * nx) throw new UsageError(`${path}: shape [${shape.join(", ")}] is not the scan's ${ny} x ${nx}`);
  return Float32Array.from(data);
}

export function register(program: Command): void {
  probeOptions(inputOptions(declare(program, "dpc")
    .requiredOption("-o, --output <dir>", "output directory")
    .option("--highpass <1/A>", "high-pass frequency of the Fourier integration (default 0: none)")
    .option("--truth <phase.npy>", "a true phase on the scan grid (as simulate --model probe writes): report the iCoM's correlation")))
    .addHelpText("after", `
Writes to DIR: com_y.npy, com_x.npy (mrad, scan axes), curl.npy, divergence.npy, icom.npy (radians), and a PNG of
each. The scan rotation and flip are found by minimum curl unless --rotation/--flip or the file give them.`)
    .action(action("dpc", async (file: string, o: Options) => {
      const ds = await openInput(file, o);
      try {
        const probe = await resolveProbe(ds, o, file, false);
        const highpass = o.highpass === undefined ? 0 : Number(o.highpass);
        if (!(highpass >= 0)) throw new UsageError(`--highpass: expected a non-negative frequency in 1/A, got '${o.highpass}'`);
        const { params, center } = probe;
        const r = await withCore(o, (core) => differentialPhaseContrast(core, ds, {
          kv: params.kv, stepA: params.stepA, mradPerPixel: params.mradPerPixel, center, highpass,
          frame: probe.frameKnown ? { rotationDeg: params.rotationDeg, flip: params.flip } : undefined,
        }, { onProgress: progress("dpc", o) }));
        const [ny, nx] = r.navShape;
        const outputs: string[] = [];
        const scan = { step: params.stepA[1], unit: "Å" }; // the scale bar runs along the columns
        const maps = [
          ["com_y", r.comY, "Centre of mass, scan rows", "mrad", "signed"], ["com_x", r.comX, "Centre of mass, scan columns", "mrad", "signed"],
          ["curl", r.curl, "Curl of the centre of mass", "mrad / Å", "signed"],
          ["divergence", r.divergence, "Divergence of the centre of mass", "mrad / Å", "signed"],
          ["icom", r.phase, "Integrated centre of mass (iCoM) phase", "rad", "intensity"],
        ] as const;
        for (const [name, img, title, units, kind] of maps) {
          await writeNpy(join(o.output, `${name}.npy`), img, "f32", r.navShape);
          await writePng(join(o.output, `${name}.png`), { values: img, rows: ny, cols: nx, title, units, kind, space: "scan", pixel: scan });
          outputs.push(`${name}.npy`);
        }
        const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
        const truth = o.truth === undefined ? undefined : readScanImage(o.truth, ny, nx);
        report(o, {
          output: o.output, outputs, shape: r.navShape, center, mradPerPixel: params.mradPerPixel, mradFrom: probe.mradFrom,
          rotationDeg: +r.frame.rotationDeg.toFixed(3), flip: r.frame.flip, frameFound: r.frameFound,
          curlRms: rms(r.curl), divergenceRms: rms(r.divergence),
          ...(truth ? { icomPearsonWithTruth: +pearson(r.phase, truth).toFixed(4) } : {}),
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
