// A dataset made ready for exploring: its frames copied once into the core's WebAssembly memory when they fit
// (then dragging a detector re-reduces them in place on every worker), their statistics reduced on the way, with a
// preview meanwhile (progressive-read.ts); else left in the file and streamed for each reduction. The mean and max
// patterns; the pattern centre and bright-field disk.
import { type Dataset, frameBytes, frameCount, sigShape } from "../bindings/dataset.js";
import type { Core } from "../bindings/core.js";
import { runReduction, type RunOptions } from "../bindings/executor.js";
import { patternStats, type PatternStats } from "../bindings/analyses/patterns.js";
import type { DiskFit } from "../bindings/analyses/center.js";
import { scanImageShape } from "../bindings/figures/report-analyze.js";
import { dtypeSize, typedArray } from "../bindings/dtype.js";
import { diskOrMiddle, readIntoCore, type Preview } from "./progressive-read.js";

/** Datasets up to this size are held in the core's memory (the core's resident limit is 1 GiB). */
export const RESIDENT_LIMIT = 1 << 30;

export interface Loaded {
  name: string;
  ds: Dataset;
  resident: boolean;
  /** The scan as an image: [rows, cols] (a 1D series is one row). */
  scan: [number, number];
  det: [number, number];
  stats: PatternStats;
  disk: DiskFit;
}

export async function prepareDataset(core: Core, file: Dataset, name: string,
  onProgress: (what: string, done: number, total: number) => void,
  preview?: { show(p: Preview): void | Promise<void>; everyMs?: number }): Promise<Loaded> {
  const resident = frameCount(file) * frameBytes(file) <= RESIDENT_LIMIT;
  const { ds, stats } = resident
    ? await readIntoCore(core, file, { onProgress: (d, t) => onProgress("reading", d, t), onPreview: preview?.show,
      previewMs: preview?.everyMs })
    : { ds: file, stats: await runReduction(core, file, patternStats(),
      { onProgress: (d, t) => onProgress("mean pattern", d, t) }) };
  const det = sigShape(ds);
  return { name, ds, resident, scan: scanImageShape(ds.shape), det, stats, disk: diskOrMiddle(stats.mean, det) };
}

/** Frame `index` as float32 values. */
export async function frameValues(ds: Dataset, index: number): Promise<Float32Array> {
  const fb = frameBytes(ds), bytes = new Uint8Array(fb);
  await ds.source.readFrames(index, 1, bytes);
  return Float32Array.from(typedArray(ds.dtype, bytes.buffer, 0, fb / dtypeSize(ds.dtype)));
}


/** Scheduling for the reductions a drag repeats on frames resident in `core` (per-frame results only, e.g.
 * virtualImages, whose values do not depend on tiling): one block and two tiles per worker instead of 2 MiB tiles,
 * because every tile is a message to a worker and back, and a browser's messages cost far more than Node's. */
export function dragRunOptions(core: Core, ds: Dataset): RunOptions {
  if (ds.source.resident?.core !== core) return {};
  const frames = frameCount(ds);
  const tileFrames = Math.ceil(frames / (2 * Math.max(1, core.workerCount)));
  return { blockBytes: frames * frameBytes(ds), tileFrames };
}
