// Datasets into the codec's containers: the frame pipeline feeds the codec's streaming encoders (ordered sinks),
// reading each chunk's frames straight into the encoder's input, so memory stays at one chunk whatever the dataset's
// size.
import type { Dataset } from "./dataset.js";
import { frameCount } from "./dataset.js";
import { type FrameSink, streamFrames } from "./pipeline.js";
import { LosslessEncoder, type LosslessOptions } from "../codec/lossless.js";
import type { AppendPlan } from "../codec/container-append.js";
import type { ByteSink } from "../codec/sink.js";
import type { ZstdBackendName } from "../codec/zstd.js";

type Progress = (done: number, total: number) => void;

/** Compresses a whole dataset into a lossless frame-mode container. */
export async function compressLossless(
  ds: Dataset,
  sink: ByteSink,
  options: LosslessOptions = {},
  onProgress?: Progress,
) {
  const enc = await LosslessEncoder.create(
    sink,
    { shape: ds.shape, dtype: ds.dtype, calibration: ds.calibration, source: ds.metadata },
    options,
  );
  const into = (_first: number, count: number) => enc.place(count);
  await streamFrames(ds, inPlace(enc), { blockFrames: enc.framesPerChunk, into, onProgress });
  return enc.finish();
}

/**
 * Continues a lossless container with the frames of `ds` it does not hold yet (from plan.next on): `ds` must be the
 * dataset the container was made from (same shape and dtype). `sink` receives the new bytes only.
 */
export async function appendLossless(
  ds: Dataset,
  sink: ByteSink,
  plan: AppendPlan,
  options: { zstd?: ZstdBackendName } = {},
  onProgress?: Progress,
) {
  const m = plan.metadata;
  if (m.shape.join("x") !== ds.shape.join("x") || m.dtype !== ds.dtype) {
    throw new RangeError(
      `append: the container holds ${m.shape.join(" x ")} ${m.dtype}, the input is ${ds.shape.join(" x ")} ${ds.dtype}`,
    );
  }
  const enc = await LosslessEncoder.resume(sink, plan, options);
  const P = frameCount(ds);
  await streamFrames(
    ds,
    inPlace(enc),
    {
      range: [plan.next, P],
      blockFrames: enc.framesPerChunk,
      into: (_, count) => enc.place(count),
      onProgress: onProgress && ((done) => onProgress(plan.next + done, P)),
    },
  );
  return enc.finish();
}

/** The encoder as the sink of a stream that reads each block of a chunk's frames straight into the encoder's input
 * (StreamOptions.into: enc.place): one chunk of frames in memory, none copied. */
function inPlace(enc: LosslessEncoder): FrameSink {
  return { write: (_frames, _first, count) => enc.commit(count) };
}
