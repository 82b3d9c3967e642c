// Physical pixel sizes for scale bars, from a dataset's calibration: the scan step (nm or Å per probe position), the
// detector pixel (mrad or 1/Å per pixel, or whatever unit the file gives), and the frequency step of a scan FFT.
// Units are written the way a microscopist reads them (Å, 1/Å, µm); unknown units are kept as the file said them.
import type { Calibration } from "../dataset.js";

export interface PixelSize {
  /** Size of one pixel along the columns (the scale bar's direction). */
  step: number;
  unit: string;
}

const UNIT_NAMES: Record<string, string> = {
  a: "Å", "å": "Å", angstrom: "Å", "ångström": "Å", nm: "nm", um: "µm", "µm": "µm", micron: "µm", pm: "pm", mrad: "mrad",
  "a^-1": "1/Å", "1/a": "1/Å", "å^-1": "1/Å", "1/å": "1/Å", "nm^-1": "1/nm", "1/nm": "1/nm", "um^-1": "1/µm",
};

/** A unit in its usual spelling (A^-1 -> 1/Å); unknown units unchanged. */
export function unitName(unit: string): string {
  return UNIT_NAMES[unit.trim().toLowerCase()] ?? unit.trim();
}

/** The pixel size of the scan (axes "scan") or the detector (axes "detector") of a dataset of this shape, times a
 * bin factor; undefined when the calibration does not give one (no step, no unit, or a "pixel" unit). */
export function pixelSize(cal: Calibration | undefined, shape: readonly number[], axes: "scan" | "detector", bin = 1): PixelSize | undefined {
  const list = cal?.axes;
  if (!list || list.length !== shape.length) return undefined;
  const col = axes === "detector" ? shape.length - 1 : shape.length - 3;
  const a = list[col];
  if (col < 0 || !a || !(typeof a.step === "number" && a.step > 0 && Number.isFinite(a.step)) || !a.unit) return undefined;
  if (/^(px|pixels?)$/i.test(a.unit.trim())) return undefined;
  return { step: a.step * bin, unit: unitName(a.unit) };
}

/** The frequency step of an FFT over `n` scan pixels of size `scan`: 1 / (n step), in the reciprocal unit. */
export function frequencyStep(scan: PixelSize | undefined, n: number): PixelSize | undefined {
  if (!scan) return undefined;
  return { step: 1 / (n * scan.step), unit: scan.unit.startsWith("1/") ? scan.unit.slice(2) : `1/${scan.unit}` };
}

/** A round length (1, 2 or 5 times a power of ten) of about `target` units, at least one pixel long. */
export function niceLength(target: number): number {
  const mag = 10 ** Math.floor(Math.log10(target));
  return [5, 2, 1].map((m) => m * mag).find((v) => v <= target * 1.0000001) ?? mag;
}
