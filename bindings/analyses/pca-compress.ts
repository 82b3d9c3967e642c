// PCA-lossy compression of a dataset: components fitted with the SDK's PCA on every frame or an evenly spread
// calibration subset, then one pass over the frames in which the pool projects each tile onto the basis (the PCA
// sketch pass with Z = the components) and the codec's encoder (codec/pca-lossy.ts) receives the tile's frames and
// scores in order, one chunk per tile.
import type { Core } from "../core.js";
import { type Dataset, frameCount, framePixels } from "../dataset.js";
import { typedArray } from "../dtype.js";
import { runReduction } from "../executor.js";
import { sampledFrames } from "../pipeline.js";
import type { Reduction } from "../reduction.js";
import { pca, type PcaResult } from "./pca.js";
import { sketchPass } from "./pca-passes.js";
import type { ByteSink } from "../../codec/sink.js";
import { type PcaBasis, PcaLossyEncoder, type PcaLossyError, type PcaLossyOptions } from "../../codec/pca-lossy.js";

/** Compresses a dataset with PCA: basis, scores chunks, residual chunks, and a summary chunk with the errors. */
export async function compressPca(
  core: Core,
  ds: Dataset,
  sink: ByteSink,
  o: PcaLossyOptions,
): Promise<PcaLossyError & { bytes: number; chunks: number }> {
  const P = frameCount(ds),
    q = framePixels(ds);
  if ((o.components === undefined) === (o.maxError === undefined))
    throw new RangeError("PCA-lossy: give either components or maxError");
  if (o.maxError !== undefined && !(o.maxError > 0 && o.maxError < 1))
    throw new RangeError(`maxError must be in (0, 1), got ${o.maxError}`);
  const fitN = Math.min(P, o.fitFrames ?? 4096);
  const fitDs = sampledFrames(ds, fitN);
  const limit = Math.min(fitN, q);
  const kFit = o.components ?? Math.min(64, limit);
  const fit = await pca(core, fitDs, {
    components: Math.min(kFit, limit),
    meanCenter: true,
    seed: o.seed ?? 0,
    onProgress: (d, t) => o.onProgress?.(d, t, "fit"),
  });
  const k = o.maxError === undefined ? fit.k : componentsFor(fit, fitN, o.maxError);
  const basis: PcaBasis = { k, q, mean: fit.mean!, components: fit.components.subarray(0, k * q) };
  const encoder = await PcaLossyEncoder.create(
    sink,
    { shape: ds.shape, calibration: ds.calibration, source: ds.metadata },
    basis,
    {
      fitFrames: fitN,
      residual: Math.max(0, Math.min(q, o.residual ?? 0)),
      level: o.level ?? 3,
      zstd: o.zstd,
      maxError: o.maxError,
    },
  );
  await runReduction(core, ds, encodingPass(basis, o.framesPerChunk ?? 256, encoder), {
    onProgress: (d, t) => o.onProgress?.(d, t, "encode"),
  });
  return encoder.finish();
}

/** The fewest components whose predicted error, with a margin for the quantization, is below `maxError`:
 * ||D||^2 = ||A||^2 + n ||mean||^2 on the fit frames, and the rank-K error leaves the eigenvalues past K. */
function componentsFor(fit: PcaResult, n: number, maxError: number): number {
  const total = fit.totalVariance * (n - 1);
  let meanSq = 0;
  for (const v of fit.mean!) meanSq += v * v;
  const norm = total + n * meanSq;
  let kept = 0;
  for (let j = 0; j < fit.k; j++) {
    kept += fit.eigenvalues[j]! * (n - 1);
    if (Math.sqrt(Math.max(0, total - kept) / norm) <= 0.9 * maxError) return j + 1;
  }
  return fit.k;
}

/** The sketch pass against the basis, one tile per chunk, each tile's frames and scores handed to the encoder. */
function encodingPass(basis: PcaBasis, framesPerChunk: number, encoder: PcaLossyEncoder): Reduction<void> {
  const { k, q } = basis;
  const Z = new Float32Array(q * k); // the components transposed: q x k
  for (let j = 0; j < k; j++) for (let p = 0; p < q; p++) Z[p * k + j] = basis.components[j * q + p]!;
  const scores = sketchPass(Z, k, basis.mean, framesPerChunk);
  return {
    ...scores,
    name: "PCA-lossy encoding",
    emit: (tile, view) =>
      encoder.writeChunk(
        tile.start,
        typedArray(tile.dtype, view.frames().buffer, view.frames().byteOffset, tile.count * q),
        view.buffer("Y") as Float32Array,
      ),
    finish: () => undefined,
  };
}
