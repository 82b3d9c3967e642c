// The physical parameters phase-imaging commands (dpc, ptycho) take: from the options, else from the file's
// calibration, else (pattern centre, detector pixel size) fitted from the bright-field disk.
import type { Command } from "commander";
import { estimateCenter, type Dataset } from "../bindings/node.js";
import { probeParameters, readProbeCalibration, type ProbeCalibration, type ProbeParameters } from "../bindings/electron-optics.js";
import type { Center } from "../bindings/analyses/masks.js";
import { UsageError, parseNumberList } from "./common.js";

export interface ProbeOptions {
  kv?: string;
  alpha?: string;
  step?: string;
  mradPerPixel?: string;
  center?: string;
  rotation?: string;
  flip?: boolean;
  defocus?: string;
  c3?: string;
}

export function probeOptions(cmd: Command): Command {
  return cmd
    .option("--kv <kV>", "accelerating voltage (default: from the file)")
    .option("--alpha <mrad>", "probe convergence semi-angle (default: from the file)")
    .option("--step <A>", "scan step in angstrom, or <row,col> (default: from the file)")
    .option("--mrad-per-pixel <mrad>", "detector pixel size (default: from the file, else the fitted disk radius = alpha)")
    .option("--center <cy,cx>", "bright-field disk centre in detector pixels (default: from the file, else fitted)")
    .option("--rotation <deg>", "scan rotation relative to the detector (default: from the file, else minimum curl of the COM)")
    .option("--flip", "the scan axes are transposed relative to the detector")
    .option("--defocus <A>", "defocus, chi(k) = pi lambda df k^2 + pi/2 C3 lambda^3 k^4 (default: from the file, else 0)")
    .option("--c3 <mm>", "spherical aberration C3 (default: from the file, else 0)");
}

function number(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${what}: '${v}' is not a number`);
  return n;
}

export interface ResolvedProbe {
  params: ProbeParameters;
  center: Center;
  /** Where the detector pixel size came from. */
  mradFrom: "option" | "file" | "fitted disk";
  /** Whether the scan frame was given (option or file) rather than left to be found. */
  frameKnown: boolean;
}

/** Resolves the parameters; `needAlpha` when the method needs the convergence angle itself (SSB). */
export async function resolveProbe(ds: Dataset, o: ProbeOptions, what: string, needAlpha: boolean): Promise<ResolvedProbe> {
  const step = o.step === undefined ? undefined : parseNumberList(o.step, "--step");
  if (step && step.length > 2) throw new UsageError(`--step: expected one number or row,col; got '${o.step}'`);
  const given: ProbeCalibration = {
    kv: number(o.kv, "--kv"), alphaMrad: number(o.alpha, "--alpha"), mradPerPixel: number(o.mradPerPixel, "--mrad-per-pixel"),
    stepA: step ? [step[0]!, step[1] ?? step[0]!] : undefined, rotationDeg: number(o.rotation, "--rotation"),
    flip: o.flip ? true : undefined, defocusA: number(o.defocus, "--defocus"), c3mm: number(o.c3, "--c3"),
  };
  const cal = readProbeCalibration(ds.calibration) as ProbeCalibration & { center?: Center };
  const optional = needAlpha ? ["mradPerPixel"] : ["mradPerPixel", "alphaMrad"];
  let p;
  try { p = probeParameters(ds, given, what, optional as never[]); } catch (e) { throw new UsageError((e as Error).message); }
  let center: Center | undefined = o.center ? (() => { const [cy, cx] = parseNumberList(o.center!, "--center", 2); return { cy: cy!, cx: cx! }; })() : cal.center;
  let mradFrom: ResolvedProbe["mradFrom"] = given.mradPerPixel !== undefined ? "option" : "file";
  if (center === undefined || p.missing.includes("mradPerPixel")) {
    const disk = await estimateCenter(ds);
    center ??= { cy: disk.cy, cx: disk.cx };
    if (p.missing.includes("mradPerPixel")) {
      if (p.missing.includes("alphaMrad")) {
        throw new UsageError(`${what}: ${ds.source.name} does not say the detector pixel size: give --mrad-per-pixel (mrad per detector pixel), or --alpha (the convergence semi-angle in mrad) to fit it from the bright-field disk`);
      }
      p.mradPerPixel = p.alphaMrad / disk.radius;
      mradFrom = "fitted disk";
    }
  }
  const frameKnown = given.rotationDeg !== undefined || given.flip !== undefined || cal.rotationDeg !== undefined;
  const { missing: _, ...params } = p;
  return { params, center, mradFrom, frameKnown };
}
