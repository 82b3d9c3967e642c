// Differential phase contrast from the centre of mass (COM): the COM field in mrad, the scan rotation that makes it
// curl-free (found when not given, as py4DSTEM does), its divergence, and the phase by Fourier integration (iCoM).
//
// A thin object's phase phi deflects the beam by theta = lambda grad(phi) / (2 pi), averaged over the probe, so the
// COM field turned into scan axes is a gradient: its curl vanishes only at the right rotation, and
// phi~(q) = q . theta~(q) / (i lambda |q|^2), with an optional high-pass |q|^2 -> |q|^2 + q0^2.
import type { Core } from "../core.js";
import { type Dataset, sigShape } from "../dataset.js";
import { detectorToScan, wavelengthA, type ScanFrame } from "../electron-optics.js";
import { runReduction, type RunOptions } from "../executor.js";
import { centerOfMass } from "./com.js";
import { fft2 } from "./fourier-fft.js";
import type { Center } from "./masks.js";

export interface DpcParameters {
  kv: number;
  stepA: [number, number];
  mradPerPixel: number;
  center: Center;
  /** The scan frame; found by minimum curl when undefined. */
  frame?: ScanFrame;
  /** High-pass frequency of the integration (1/A), default 0. */
  highpass?: number;
}

export interface DpcResult {
  /** COM in scan axes (mrad), scan-shaped, flattened. */
  comY: Float32Array;
  comX: Float32Array;
  /** Curl and divergence of that field (mrad per scan pixel). */
  curl: Float32Array;
  divergence: Float32Array;
  /** The iCoM phase (radians), mean removed. */
  phase: Float32Array;
  frame: ScanFrame;
  /** Whether the frame was found from the data (minimum curl) rather than given. */
  frameFound: boolean;
  navShape: [number, number];
}

/** d/dy and d/dx of an ny x nx field (central differences, one-sided at the edges), per scan pixel. */
function gradient(f: Float32Array, ny: number, nx: number): [Float32Array, Float32Array] {
  const gy = new Float32Array(f.length), gx = new Float32Array(f.length);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = y * nx + x;
      const y0 = Math.max(0, y - 1), y1 = Math.min(ny - 1, y + 1), x0 = Math.max(0, x - 1), x1 = Math.min(nx - 1, x + 1);
      gy[i] = y1 > y0 ? (f[y1 * nx + x]! - f[y0 * nx + x]!) / (y1 - y0) : 0;
      gx[i] = x1 > x0 ? (f[y * nx + x1]! - f[y * nx + x0]!) / (x1 - x0) : 0;
    }
  }
  return [gy, gx];
}

/** The field (detector axes) turned into scan axes. */
export function toScanAxes(dy: Float32Array, dx: Float32Array, frame: ScanFrame): [Float32Array, Float32Array] {
  const sy = new Float32Array(dy.length), sx = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) [sy[i], sx[i]] = detectorToScan(dy[i]!, dx[i]!, frame);
  return [sy, sx];
}

/** curl = d(vy)/dx - d(vx)/dy and divergence = d(vy)/dy + d(vx)/dx of a field in scan axes. */
export function curlAndDivergence(vy: Float32Array, vx: Float32Array, ny: number, nx: number): [Float32Array, Float32Array] {
  const [yy, yx] = gradient(vy, ny, nx), [xy, xx] = gradient(vx, ny, nx);
  return [yx.map((v, i) => v - xy[i]!), yy.map((v, i) => v + xx[i]!)];
}

function skewness(a: Float32Array): number {
  const n = a.length, m = a.reduce((s, v) => s + v, 0) / n;
  let m2 = 0, m3 = 0;
  for (const v of a) { m2 += (v - m) ** 2; m3 += (v - m) ** 3; }
  return m3 / n / Math.pow(m2 / n, 1.5);
}

/** The scan frame whose COM field has the least curl. The curl at rotation t is cos(t) A + sin(t) B for fields A, B
 * fixed by the flip, so its mean square is a quadratic form in (cos t, sin t): the best t is the eigenvector of the
 * smallest eigenvalue, in closed form. That leaves t and t + 180 degrees; the one kept gives a divergence with negative
 * skew (sharp minima: a positive projected potential concentrated on atoms, as in any crystal). */
export function curlFreeFrame(dy: Float32Array, dx: Float32Array, ny: number, nx: number): ScanFrame & { curlRms: number } {
  let best: ScanFrame & { curlRms: number } = { rotationDeg: 0, flip: false, curlRms: Infinity };
  for (const flip of [false, true]) {
    // A, B: the curl at t = 0 and t = 90 degrees (the curl is linear in (cos t, sin t)).
    const [a] = curlAndDivergence(...toScanAxes(dy, dx, { rotationDeg: 0, flip }), ny, nx);
    const [b] = curlAndDivergence(...toScanAxes(dy, dx, { rotationDeg: 90, flip }), ny, nx);
    let aa = 0, ab = 0, bb = 0;
    for (let i = 0; i < a.length; i++) { aa += a[i]! ** 2; ab += a[i]! * b[i]!; bb += b[i]! ** 2; }
    // Smallest eigenvalue of [[aa, ab], [ab, bb]] and its eigenvector (cos t, sin t).
    const t = 0.5 * Math.atan2(2 * ab, aa - bb) + Math.PI / 2;
    const c = Math.cos(t), s = Math.sin(t);
    const ms = (c * c * aa + 2 * c * s * ab + s * s * bb) / a.length;
    if (Math.sqrt(ms) < best.curlRms) best = { rotationDeg: (t * 180) / Math.PI, flip, curlRms: Math.sqrt(ms) };
  }
  const [, div] = curlAndDivergence(...toScanAxes(dy, dx, best), ny, nx);
  if (skewness(div) > 0) best.rotationDeg += 180;
  best.rotationDeg = ((best.rotationDeg + 540) % 360) - 180;
  return best;
}

/** The phase (radians) whose gradient is 2 pi theta / lambda, from the deflection theta (mrad, scan axes). */
export function integrateCom(core: Core, comY: Float32Array, comX: Float32Array, ny: number, nx: number,
  p: Pick<DpcParameters, "kv" | "stepA" | "highpass">): Float32Array {
  const z = new Float32Array(2 * ny * nx);
  for (let i = 0; i < ny * nx; i++) {
    z[2 * i] = Number.isFinite(comY[i]!) ? comY[i]! * 1e-3 : 0;
    z[2 * i + 1] = Number.isFinite(comX[i]!) ? comX[i]! * 1e-3 : 0;
  }
  const spectrum = fft2(core, z, ny, nx);
  const a = core.arena, from = a.put(spectrum), to = a.alloc(spectrum.byteLength);
  try {
    const hp = p.highpass ?? 0;
    core.call("icomSpectrum", from, to, ny, nx, 1 / (ny * p.stepA[0]), 1 / (nx * p.stepA[1]), 1 / wavelengthA(p.kv), hp * hp);
    const phase = fft2(core, a.f32(to, 2 * ny * nx).slice(), ny, nx, { inverse: true });
    const out = new Float32Array(ny * nx);
    for (let i = 0; i < out.length; i++) out[i] = phase[2 * i]!;
    return out;
  } finally {
    a.release(from);
    a.release(to);
  }
}

/** DPC from the COM field (detector pixels relative to the centre, detector axes) of a 2D scan. */
export function dpcFromCom(core: Core, comY: Float32Array, comX: Float32Array, ny: number, nx: number, p: DpcParameters): DpcResult {
  const my = comY.map((v) => (Number.isFinite(v) ? v * p.mradPerPixel : 0));
  const mx = comX.map((v) => (Number.isFinite(v) ? v * p.mradPerPixel : 0));
  const frame = p.frame ?? curlFreeFrame(my, mx, ny, nx);
  const [sy, sx] = toScanAxes(my, mx, frame);
  const [curl, divergence] = curlAndDivergence(sy, sx, ny, nx);
  const phase = integrateCom(core, sy, sx, ny, nx, p);
  return {
    comY: sy, comX: sx, curl, divergence, phase, navShape: [ny, nx],
    frame: { rotationDeg: frame.rotationDeg, flip: frame.flip }, frameFound: p.frame === undefined,
  };
}

/** Runs the COM reduction over a dataset, then DPC. */
export async function differentialPhaseContrast(core: Core, ds: Dataset, p: DpcParameters, o: RunOptions = {}): Promise<DpcResult> {
  if (ds.shape.length !== 4) throw new RangeError(`DPC: needs a 2D scan of 2D patterns; ${ds.source.name} has shape [${ds.shape.join(", ")}]`);
  const [rows, cols] = sigShape(ds);
  const com = await runReduction(core, ds, centerOfMass(rows, cols, p.center), o);
  return dpcFromCom(core, com.comY, com.comX, ds.shape[0]!, ds.shape[1]!, p);
}
