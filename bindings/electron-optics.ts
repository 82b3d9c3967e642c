// Electron optics shared by the probe simulator and the phase-imaging analyses (iCoM, single-side-band
// ptychography): the relativistic wavelength, the interaction constant, the aberration phase of the probe-forming
// lens, the scan-to-detector frame, and the physical parameters a dataset's calibration carries.
import type { Calibration, Dataset, FrameSource } from "./dataset.js";

/** What parameter look-ups need of a dataset: its calibration and a name for messages (a live series has no frames
 * yet). */
export type NamedCalibration = Pick<Dataset, "calibration"> & { source: Pick<FrameSource, "name"> };

/** Relativistic electron wavelength in angstrom at an accelerating voltage in kV. */
export function wavelengthA(kv: number): number {
  const volts = kv * 1e3;
  return 12.264259 / Math.sqrt(volts * (1 + 0.978476e-6 * volts));
}

/** The interaction constant sigma in rad / (V A): the phase a projected potential of 1 V A gives the beam. */
export function interactionConstant(kv: number): number {
  const volts = kv * 1e3, rest = 510998.95; // electron rest energy, eV
  return ((2 * Math.PI) / (wavelengthA(kv) * volts)) * ((rest + volts) / (2 * rest + volts));
}

export interface Aberrations {
  /** Defocus in angstrom, as in chi(k) = pi lambda df |k|^2 + (pi / 2) C3 lambda^3 |k|^4. */
  defocusA?: number;
  /** Third-order spherical aberration C3 in millimetres. */
  c3mm?: number;
}

/** The aberration phase chi(k) in radians at spatial frequency k (1/A) for wavelength lambda (A). */
export function aberrationPhase(k2: number, lambda: number, ab: Aberrations): number {
  const c3 = (ab.c3mm ?? 0) * 1e7;
  return Math.PI * lambda * (ab.defocusA ?? 0) * k2 + (Math.PI / 2) * c3 * lambda ** 3 * k2 * k2;
}

/** How the scan axes sit on the detector: the scan's (row, col) vector, transposed first when `flip`, is rotated
 * by `rotationDeg` (counter-clockwise in (col right, row down) pixel axes seen as (x, y)). */
export interface ScanFrame {
  rotationDeg: number;
  flip: boolean;
}

/** A vector (row, col) in scan axes expressed in detector axes. */
export function scanToDetector(vy: number, vx: number, f: ScanFrame): [number, number] {
  const [y, x] = f.flip ? [vx, vy] : [vy, vx];
  const t = (f.rotationDeg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  return [s * x + c * y, c * x - s * y];
}

/** A vector (row, col) in detector axes expressed in scan axes (the inverse of scanToDetector). */
export function detectorToScan(dy: number, dx: number, f: ScanFrame): [number, number] {
  const t = (f.rotationDeg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  const y = c * dy - s * dx, x = s * dy + c * dx;
  return f.flip ? [x, y] : [y, x];
}

/** What the microscope did, as phase-imaging analyses need it. */
export interface ProbeParameters extends Aberrations, ScanFrame {
  /** Accelerating voltage (kV). */
  kv: number;
  /** Convergence semi-angle of the probe (mrad). */
  alphaMrad: number;
  /** Scan step along rows and columns (A). */
  stepA: [number, number];
  /** Detector pixel size (mrad per pixel). */
  mradPerPixel: number;
}

/** The `probe` record stem4d keeps in a dataset's calibration (the simulator writes it; any file may carry it). */
export interface ProbeCalibration extends Partial<Omit<ProbeParameters, "stepA">> {
  stepA?: number | [number, number];
  /** The bright-field disk's centre on the detector (pixels). */
  center?: { cy: number; cx: number };
}

/** The parameters a dataset may not say, and what they mean (error messages name them so). */
export type ProbeParameterName = "kv" | "alphaMrad" | "stepA" | "mradPerPixel";

const meaning: Record<ProbeParameterName, string> = {
  kv: "--kv, the accelerating voltage in kV",
  alphaMrad: "--alpha, the probe's convergence semi-angle in mrad",
  stepA: "--step, the scan step in angstrom",
  mradPerPixel: "--mrad-per-pixel, the detector pixel size in mrad",
};

/** The probe parameters from the dataset's calibration with `given` taking precedence; throws one line naming every
 * missing parameter and what it means. `optional` lists parameters the caller can find another way. */
export function probeParameters(ds: NamedCalibration, given: ProbeCalibration, what: string,
  optional: ProbeParameterName[] = []): ProbeParameters & { missing: ProbeParameterName[] } {
  const cal = readProbeCalibration(ds.calibration);
  const stated = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const merged: ProbeCalibration = { ...cal, ...stated };
  const missing = (Object.keys(meaning) as ProbeParameterName[]).filter((k) => merged[k] === undefined);
  const fatal = missing.filter((k) => !optional.includes(k));
  if (fatal.length) {
    const named = fatal.map((k) => meaning[k]).join("; ");
    throw new RangeError(`${ds.source.name} does not say ${named} (give them as options)`);
  }
  const step = merged.stepA ?? NaN;
  const stepA: [number, number] = Array.isArray(step) ? [step[0], step[1]] : [step, step];
  const out = {
    kv: merged.kv ?? NaN, alphaMrad: merged.alphaMrad ?? NaN, stepA, mradPerPixel: merged.mradPerPixel ?? NaN,
    defocusA: merged.defocusA ?? 0, c3mm: merged.c3mm ?? 0,
    rotationDeg: merged.rotationDeg ?? 0, flip: merged.flip ?? false,
    missing,
  };
  const values = [["kv", out.kv], ["alphaMrad", out.alphaMrad], ["stepA", stepA[0]], ["stepA", stepA[1]],
    ["mradPerPixel", out.mradPerPixel]] as const;
  for (const [k, v] of values) {
    if (!missing.includes(k) && !(v > 0 && Number.isFinite(v))) {
      throw new RangeError(`${what}: ${meaning[k]} must be a positive number, got ${v}`);
    }
  }
  return out;
}

/** The probe record of a calibration, with scan step and detector pixel size taken from its axes when they are
 * in angstrom and mrad. */
export function readProbeCalibration(cal: Calibration | undefined): ProbeCalibration {
  const probe = (cal?.probe ?? {}) as ProbeCalibration;
  const axes = cal?.axes ?? [];
  const out: ProbeCalibration = { ...probe };
  const unit = (i: number) => axes[i]?.unit?.toLowerCase();
  if (out.stepA === undefined && axes.length >= 4 && unit(0) === "a" && unit(1) === "a") {
    out.stepA = [axes[0]!.step!, axes[1]!.step!];
  }
  if (out.mradPerPixel === undefined && axes.length >= 4 && unit(axes.length - 1) === "mrad") {
    out.mradPerPixel = axes[axes.length - 1]!.step;
  }
  return out;
}
