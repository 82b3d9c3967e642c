// The peaks a low-rank model of the data predicts for its scan power spectrum. With D ~ S V^T (PCA's scores S, P x k,
// and orthonormal components V), the power summed over detector pixels of the model's scan transform is
//   sum_q |F(S V^T)_q|^2 = sum_j |F(s_j)|^2,
// the spectrum of the k score maps: k scan FFTs instead of one per detector pixel. The model holds the data's
// structure and leaves mostly noise, which is flat over frequencies, so its peaks are the data's; the Fourier analysis
// keeps the transform around them while its passes run (FourierAnalysisOptions.likely), and needs no pass of its own
// for the CBED patterns and Bragg maps when they are right.
import type { Core } from "../core.js";
import { memoryDataset } from "../sources.js";
import type { SpatialFrequency } from "./fourier-cbed.js";
import { findPeaks } from "./fourier-peaks.js";
import { scanPowerSpectrum, type ScanWindow } from "./fourier-scan.js";

/** The `count` strongest peaks of the scan spectrum of the score maps (P x k row-major, P = ny nx probe positions). */
export async function modelPeaks(core: Core, scores: Float32Array, ny: number, nx: number, k: number, count: number, window: ScanWindow = "hann"): Promise<SpatialFrequency[]> {
  if (scores.length !== ny * nx * k) throw new RangeError(`model peaks: ${scores.length} scores, expected ${ny} x ${nx} positions x ${k}`);
  const { power } = await scanPowerSpectrum(core, memoryDataset(scores, [ny, nx, 1, k], "PCA scores"), { window });
  return findPeaks(power, ny, nx, { count }).map((p) => ({ ky: p.ky, kx: p.kx }));
}
