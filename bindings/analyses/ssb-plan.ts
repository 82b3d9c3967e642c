// The geometry of single-side-band ptychography: which detector pixels form the bright-field disk, and for every
// scan spatial frequency Q its trotter, the double-overlap pixels k with |k| < alpha, |k - Q| < alpha and
// |k + Q| >= alpha (angles as spatial frequencies: k = theta / lambda). Q is taken into the detector's frame with the
// scan rotation and flip. Also: the checks that the parameters fit the data.
import { scanToDetector, wavelengthA, type ProbeParameters } from "../electron-optics.js";
import type { Center } from "./masks.js";

export interface SsbParameters extends ProbeParameters {
  /** The bright-field disk's centre on the detector (pixels). */
  center: Center;
  /** Wiener-style regularisation: the denominator of every frequency gets this fraction of the whole bright-field
   * intensity added, which damps frequencies seen by few trotter pixels (default 0: plain SSB). */
  wiener?: number;
}

export interface SsbTables {
  ny: number;
  nx: number;
  rows: number;
  cols: number;
  lambda: number;
  /** Detector pixel index of every bright-field pixel. */
  bf: Int32Array;
  /** Its spatial frequency (ky, kx) in 1/A. */
  bfK: Float64Array;
  /** For each scan frequency with a trotter, sorted by qx: FFT bins qy, qx and the trotter's pixel count. */
  freqs: Int32Array;
  /** Q of each entry in the detector frame (1/A), (qy, qx) pairs. */
  qDetector: Float64Array;
  /** Position in `bf` of every trotter pixel, entry after entry (Q = 0 lists the whole disk; so does every Q of the
   * region "disk"). */
  trotter: Int32Array;
}

/** Signed FFT frequency of bin m of n samples spaced d apart (numpy.fft.fftfreq). */
export function fftFrequency(m: number, n: number, d: number): number {
  return (m < Math.ceil(n / 2) ? m : m - n) / (n * d);
}

/** Which bright-field pixels each scan frequency keeps: its trotter (SSB), or the whole disk for every Q with
 * |Q| < 2 alpha (WDD: the probe's ambiguity function is non-zero there). */
export type PixelRegion = "trotter" | "disk";

export function ssbTables(shape: readonly number[], p: SsbParameters, region: PixelRegion = "trotter"): SsbTables {
  const [ny, nx, rows, cols] = shape as [number, number, number, number];
  const lambda = wavelengthA(p.kv), dk = (p.mradPerPixel * 1e-3) / lambda, ka = (p.alphaMrad * 1e-3) / lambda;
  const bfList: number[] = [], kList: number[] = [];
  // The disk's pixels in each detector row are contiguous: row i holds list entries rowStart[i] .. + rowLength[i],
  // from column rowColumn[i].
  const rowStart = new Int32Array(rows), rowLength = new Int32Array(rows), rowColumn = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    rowStart[i] = bfList.length;
    for (let j = 0; j < cols; j++) {
      const ky = (i - p.center.cy) * dk, kx = (j - p.center.cx) * dk;
      if (ky * ky + kx * kx < ka * ka) {
        if (rowLength[i] === 0) rowColumn[i] = j;
        rowLength[i]!++;
        bfList.push(i * cols + j); kList.push(ky, kx);
      }
    }
  }
  const bf = Int32Array.from(bfList), bfK = Float64Array.from(kList), nbf = bf.length;
  const disk: Disk = { rowStart, rowLength, rowColumn, bfK, rows, cy: p.center.cy, cx: p.center.cx, dk, ka2: ka * ka };
  const freqs: number[] = [], qDet: number[] = [];
  // The lists go into chunks of at least 1 Mi entries, each holding whole entries, joined once at the end: no
  // regrowth copies (they cost more than the search itself on large scans).
  const chunks: Int32Array[] = [];
  let trot = new Int32Array(0), used = 0, total = 0;
  const ka2 = ka * ka;
  for (let ix = 0; ix < nx; ix++) {
    for (let iy = 0; iy < ny; iy++) {
      const [qy, qx] = scanToDetector(fftFrequency(iy, ny, p.stepA[0]), fftFrequency(ix, nx, p.stepA[1]), p);
      const zero = iy === 0 && ix === 0;
      if (!zero && qy * qy + qx * qx >= 4 * ka2) continue;
      if (used + nbf > trot.length) {
        chunks.push(trot.subarray(0, used));
        trot = new Int32Array(Math.max(1 << 20, nbf));
        used = 0;
      }
      const before = used;
      used = zero || region === "disk" ? fillAll(trot, used, nbf) : appendTrotter(disk, qy, qx, trot, used);
      if (used > before) { freqs.push(iy, ix, used - before); qDet.push(qy, qx); total += used - before; }
    }
  }
  chunks.push(trot.subarray(0, used));
  const trotter = new Int32Array(total);
  for (let c = 0, at = 0; c < chunks.length; at += chunks[c]!.length, c++) trotter.set(chunks[c]!, at);
  return {
    ny, nx, rows, cols, lambda, bf, bfK,
    freqs: Int32Array.from(freqs), qDetector: Float64Array.from(qDet), trotter,
  };
}

/** The bright-field disk row by row, as the trotter search walks it. */
interface Disk {
  rowStart: Int32Array;
  rowLength: Int32Array;
  rowColumn: Int32Array;
  bfK: Float64Array;
  rows: number;
  cy: number;
  cx: number;
  dk: number;
  ka2: number;
}

function fillAll(trot: Int32Array, used: number, nbf: number): number {
  for (let j = 0; j < nbf; j++) trot[used++] = j;
  return used;
}

/** Appends the trotter of Q != 0 (disk positions k with |k - Q| < alpha and |k + Q| >= alpha) to trot[used..]. */
function appendTrotter(d: Disk, qy: number, qx: number, trot: Int32Array, used: number): number {
  const { rowStart, rowLength, rowColumn, bfK, dk, ka2 } = d;
  for (let i = 0; i < d.rows; i++) {
    if (rowLength[i] === 0) continue;
    const dy = (i - d.cy) * dk - qy, r2 = ka2 - dy * dy;
    if (r2 <= 0) continue;
    // Candidate columns: the chord of the disk around k = Q in this row, one pixel wider each side; the exact test
    // decides (so the result is that of testing every pixel).
    const c0 = rowColumn[i]!, w = Math.sqrt(r2);
    const lo = Math.max(c0, Math.ceil(d.cx + (qx - w) / dk) - 1);
    const hi = Math.min(c0 + rowLength[i]! - 1, Math.floor(d.cx + (qx + w) / dk) + 1);
    for (let j = lo; j <= hi; j++) {
      const at = rowStart[i]! + j - c0, ky = bfK[2 * at]!, kx = bfK[2 * at + 1]!;
      const my = ky - qy, mx = kx - qx, py = ky + qy, px = kx + qx;
      if (my * my + mx * mx < ka2 && py * py + px * px >= ka2) trot[used++] = at;
    }
  }
  return used;
}

/** Errors for parameters that cannot fit the data, warnings (with the numbers) for ones that degrade it. */
export function checkSsbParameters(shape: readonly number[], p: SsbParameters, what: string): string[] {
  const [, , rows, cols] = shape as [number, number, number, number];
  const radius = p.alphaMrad / p.mradPerPixel;
  const room = Math.min(p.center.cy, p.center.cx, rows - 1 - p.center.cy, cols - 1 - p.center.cx);
  if (radius > room + 0.5) {
    const centre = `(${p.center.cy.toFixed(1)}, ${p.center.cx.toFixed(1)})`;
    throw new RangeError(`${what}: alpha ${p.alphaMrad} mrad is ${radius.toFixed(1)} detector pixels at ${p.mradPerPixel} `
      + `mrad/pixel, but the disk centre ${centre} is only ${room.toFixed(1)} pixels from the `
      + `detector's edge (${rows} x ${cols}): the bright-field disk does not fit`);
  }
  const warnings: string[] = [];
  if (radius < 3) {
    warnings.push(`${what}: the bright-field disk is only ${radius.toFixed(1)} pixels in radius; trotters are coarse`);
  }
  const lambda = wavelengthA(p.kv), limit = lambda / (4 * p.alphaMrad * 1e-3);
  const step = Math.max(...p.stepA);
  if (step > limit) {
    const transfer = ((2 * p.alphaMrad * 1e-3) / lambda).toFixed(3);
    warnings.push(`${what}: scan step ${step} A exceeds lambda / (4 alpha) = ${limit.toFixed(4)} A: the scan's Nyquist `
      + `frequency ${(1 / (2 * step)).toFixed(3)} 1/A is below the 2 alpha / lambda = ${transfer} 1/A `
      + `that SSB transfers, so those frequencies alias`);
  }
  return warnings;
}

/** The parameters seen through a detector binned by `factor` (bin i covers pixels factor i .. factor i + factor - 1). */
export function binnedSsbParameters(p: SsbParameters, factor: number): SsbParameters {
  const to = (c: number) => (c - (factor - 1) / 2) / factor;
  return { ...p, mradPerPixel: p.mradPerPixel * factor, center: { cy: to(p.center.cy), cx: to(p.center.cx) } };
}
