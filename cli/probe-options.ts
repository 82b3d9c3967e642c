// The physical parameters phase-imaging commands (dpc, ptycho) take: from the options, else from the file's
// calibration, else (pattern centre, detector pixel size) fitted from the bright-field disk.
import type { Command } from "commander";
import { estimateCenter } from "../bindings/analyses/center.js";
import type { Dataset } from "../bindings/dataset.js";
import {
  probeParameters, readProbeCalibration, type NamedCalibration, type ProbeCalibration, type ProbeParameterName, type ProbeParameters,
} from "../bindings/electron-optics.js";
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

/** The options; `live` (stream receive) leaves out --center, which the receiver declares already, and the rotation
 * found from the data (live SSB needs it before the frames are there). */
export function probeOptions(cmd: Command, o: { live?: boolean } = {}): Command {
  cmd
    .option("--kv <kV>", "accelerating voltage (default: from the file)")
    .option("--alpha <mrad>", "probe convergence semi-angle (default: from the file)")
    .option("--step <A>", "scan step in angstrom, or <row,col> (default: from the file)")
    .option("--mrad-per-pixel <mrad>",
      "detector pixel size (default: from the file, else the fitted disk radius = alpha)");
  if (!o.live) {
    cmd.option("--center <cy,cx>", "bright-field disk centre in detector pixels (default: from the file, else fitted)");
  }
  return cmd
    .option("--rotation <deg>", "scan rotation relative to the detector (default: from the file"
      + (o.live ? ")" : ", else minimum curl of the COM)"))
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

/** The parameters the options and the calibration state (no data read): `missing` lists the optional ones neither
 * gave, `center` is undefined when neither gave it. Throws the one-line UsageError naming missing parameters. */
export function statedProbe(ds: NamedCalibration, o: ProbeOptions, what: string,
  needAlpha: boolean): Omit<ResolvedProbe, "center"> & { center?: Center; missing: ProbeParameterName[] } {
  const step = o.step === undefined ? undefined : parseNumberList(o.step, "--step");
  if (step && step.length > 2) throw new UsageError(`--step: expected one number or row,col; got '${o.step}'`);
  const given: ProbeCalibration = {
    kv: number(o.kv, "--kv"), alphaMrad: number(o.alpha, "--alpha"),
    mradPerPixel: number(o.mradPerPixel, "--mrad-per-pixel"),
    stepA: step ? [step[0]!, step[1] ?? step[0]!] : undefined, rotationDeg: number(o.rotation, "--rotation"),
    flip: o.flip ? true : undefined, defocusA: number(o.defocus, "--defocus"), c3mm: number(o.c3, "--c3"),
  };
  const cal = readProbeCalibration(ds.calibration);
  const optional: ProbeParameterName[] = needAlpha ? ["mradPerPixel"] : ["mradPerPixel", "alphaMrad"];
  let p;
  try {
    p = probeParameters(ds, given, what, optional);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const centerGiven = o.center === undefined ? undefined : parseNumberList(o.center, "--center", 2);
  const center: Center | undefined = centerGiven ? { cy: centerGiven[0]!, cx: centerGiven[1]! } : cal.center;
  const mradFrom: ResolvedProbe["mradFrom"] = given.mradPerPixel !== undefined ? "option" : "file";
  const frameKnown = given.rotationDeg !== undefined || given.flip !== undefined || cal.rotationDeg !== undefined;
  const { missing, ...params } = p;
  return { params, center, mradFrom, frameKnown, missing };
}

/** Resolves the parameters; `needAlpha` when the method needs the convergence angle itself (SSB). */
export async function resolveProbe(ds: Dataset, o: ProbeOptions, what: string,
  needAlpha: boolean): Promise<ResolvedProbe> {
  const { missing, center: stated, ...r } = statedProbe(ds, o, what, needAlpha);
  let center = stated;
  if (center === undefined || missing.includes("mradPerPixel")) {
    const disk = await estimateCenter(ds);
    center ??= { cy: disk.cy, cx: disk.cx };
    if (missing.includes("mradPerPixel")) {
      if (missing.includes("alphaMrad")) {
        throw new UsageError(`${ds.source.name} does not say the detector pixel size: give --mrad-per-pixel (mrad per `
          + "detector pixel), or --alpha (the convergence semi-angle in mrad) to fit it from the bright-field disk");
      }
      r.params.mradPerPixel = r.params.alphaMrad / disk.radius;
      r.mradFrom = "fitted disk";
    }
  }
  return { ...r, center };
}
