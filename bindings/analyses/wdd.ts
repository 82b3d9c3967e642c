// Wigner distribution deconvolution (WDD; Rodenburg & Bates 1992, as in ptychography40 and py4DSTEM) as ONE reduction
// over the frames, the same accumulation as SSB (ssb.ts) over the whole bright-field disk instead of the trotters.
// With G(k, Q) = sum_p I(k, r_p) exp(-2 pi i Q . r_p), its inverse transform over the detector is a product,
//   H(rho, Q) = sum_k G(k, Q) exp(2 pi i k . rho) = chi_A(rho, Q) chi_T(rho, Q),
// chi_A(rho, Q) = sum_k A(k) conj(A(k + Q)) exp(2 pi i k . rho) the probe's (A: the aperture times exp(-i chi)) and
// chi_T the object's ambiguity function, whose sum over rho is T~(0) conj(T~(-Q)). So, Wiener-style,
//   S(Q) = sum_rho H(rho, Q) conj(chi_A) / (|chi_A|^2 + eps) = sum_k G(k, Q) F(k, Q),
//   F(k, Q) = sum_rho conj(chi_A(rho, Q)) / (|chi_A(rho, Q)|^2 + eps) exp(2 pi i k . rho),
// and the object is the conjugate of the inverse FFT of S. The deconvolution is linear in G: the pass accumulates
// G over the disk (a `single` state, mergeable like SSB's), and F is applied once, in finish. rho lives on the
// detector's reciprocal grid; eps = epsilon * nbf^2 (nbf^2 = chi_A(0, 0)^2, the largest value).
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { aberrationPhase } from "../electron-optics.js";
import type { RunOptions } from "../executor.js";
import type { Reduction } from "../reduction.js";
import { fft2 } from "./fourier-fft.js";
import {
  runWithBrightField, scanSpectrumReduction, ssbReduction, type SsbResult, type SsbWithBrightField,
} from "./ssb.js";
import { ssbTables, type SsbParameters, type SsbTables } from "./ssb-plan.js";

export interface WddParameters extends SsbParameters {
  /** The Wiener term as a fraction of chi_A(0, 0)^2 (default 1e-3). */
  epsilon?: number;
}

export const WDD_EPSILON = 1e-3;

/** The reduction; its state is nq x nbf complex sums (8 bytes each: every scan frequency within 2 alpha, every disk
 * pixel), one partial per tile in flight. */
export function wddReduction(p: WddParameters, given?: SsbTables): Reduction<SsbResult> {
  return scanSpectrumReduction("Wigner distribution deconvolution", p, "disk", given,
    (core, t, acc) => wddObject(core, t, p, acc));
}

/** The object from the accumulated sums (the reduction's finish). */
export function wddObject(core: Core, t: SsbTables, p: WddParameters, acc: Float32Array): SsbResult {
  const { ny, nx, rows, cols, bf, bfK, freqs, qDetector, lambda, trotter } = t;
  const P = ny * nx, nbf = bf.length, nq = freqs.length / 3, ka2 = ((p.alphaMrad * 1e-3) / lambda) ** 2;
  const eps = (p.epsilon ?? WDD_EPSILON) * nbf * nbf;
  const chi = (ky: number, kx: number) => aberrationPhase(ky * ky + kx * kx, lambda, p);
  const chiK = new Float64Array(nbf);
  for (let j = 0; j < nbf; j++) chiK[j] = chi(bfK[2 * j]!, bfK[2 * j + 1]!);
  const spectrum = new Float32Array(2 * P), f = new Float32Array(2 * rows * cols);
  for (let e = 0, o = 0; e < nq; e++) {
    const qy = qDetector[2 * e]!, qx = qDetector[2 * e + 1]!;
    // A(k) conj(A(k + Q)) = exp(-i chi(k) + i chi(k + Q)) where both k and k + Q lie in the disk.
    f.fill(0);
    for (let j = 0; j < nbf; j++) {
      const ky = bfK[2 * j]! + qy, kx = bfK[2 * j + 1]! + qx;
      if (ky * ky + kx * kx >= ka2) continue;
      const a = chi(ky, kx) - chiK[j]!;
      f[2 * bf[j]!] = Math.cos(a);
      f[2 * bf[j]! + 1] = Math.sin(a);
    }
    // Unscaled inverse transforms: sums with exp(+2 pi i k . rho).
    const x = fft2(core, f, rows, cols, { inverse: true, scale: false });
    for (let m = 0; m < rows * cols; m++) {
      const xr = x[2 * m]!, xi = x[2 * m + 1]!, d = xr * xr + xi * xi + eps;
      x[2 * m] = xr / d;
      x[2 * m + 1] = -xi / d;
    }
    const filter = fft2(core, x, rows, cols, { inverse: true, scale: false });
    let re = 0, im = 0;
    for (let c = freqs[3 * e + 2]!; c > 0; c--, o++) {
      const j = trotter[o]!, gr = acc[2 * o]!, gi = acc[2 * o + 1]!;
      const fr = filter[2 * bf[j]!]!, fi = filter[2 * bf[j]! + 1]!;
      re += gr * fr - gi * fi;
      im += gr * fi + gi * fr;
    }
    const at = freqs[3 * e]! * nx + freqs[3 * e + 1]!;
    spectrum[2 * at] = re;
    spectrum[2 * at + 1] = im;
  }
  const object = fft2(core, spectrum, ny, nx, { inverse: true });
  const phase = new Float32Array(P), amplitude = new Float32Array(P);
  let mean = 0;
  for (let i = 0; i < P; i++) mean += Math.hypot(object[2 * i]!, object[2 * i + 1]!) / P;
  for (let i = 0; i < P; i++) {
    // conj(T): the conjugate, scaled to a mean amplitude of 1.
    object[2 * i] = object[2 * i]! / mean;
    object[2 * i + 1] = -object[2 * i + 1]! / mean;
    phase[i] = Math.atan2(object[2 * i + 1]!, object[2 * i]!);
    amplitude[i] = Math.hypot(object[2 * i]!, object[2 * i + 1]!);
  }
  return {
    object, phase, amplitude, navShape: [ny, nx], bfPixels: nbf, frequencies: nq, trotterPixels: trotter.length,
  };
}

export type PtychoMethod = "ssb" | "wdd";
export const PTYCHO_METHODS: readonly PtychoMethod[] = ["ssb", "wdd"];

/** The reduction of a method, with its tables (the bright-field image beside it uses their disk). */
export function ptychoReduction(method: PtychoMethod, p: WddParameters,
  shape: readonly number[]): { reduction: Reduction<SsbResult>; tables: SsbTables } {
  const tables = ssbTables(shape, p, method === "wdd" ? "disk" : "trotter");
  return { reduction: method === "wdd" ? wddReduction(p, tables) : ssbReduction(p, tables), tables };
}

/** WDD of a dataset in one pass, with the bright-field image of the same disk from the same pass. */
export async function wignerDeconvolution(core: Core, ds: Dataset, p: WddParameters,
  o: RunOptions = {}): Promise<SsbWithBrightField> {
  const { reduction, tables } = ptychoReduction("wdd", p, ds.shape);
  return runWithBrightField(core, ds, reduction, tables, o);
}
