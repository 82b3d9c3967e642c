// A dataset made ready for exploring: its frames copied once into the core's WebAssembly memory when they fit
// (then dragging a detector re-reduces them in place on every worker), else left in the file and streamed for each
// reduction; the mean and max patterns; the pattern centre and bright-field disk.
import { allocTyped, dtypeSize, typedArray } from "../bindings/dtype.js";
import { type Dataset, frameBytes, frameCount, sigShape } from "../bindings/dataset.js";
import type { Core } from "../bindings/core.js";
import { runReduction, type RunOptions } from "../bindings/executor.js";
import { residentDataset } from "../bindings/sources.js";
import { patternStats, type PatternStats } from "../bindings/analyses/patterns.js";
import { brightFieldDisk, type DiskFit } from "../bindings/analyses/center.js";
import { scanImageShape } from "../bindings/figures/report-analyze.js";

/** Datasets up to this size are held in the core's memory (the core's resident limit is 1 GiB). */
export const RESIDENT_LIMIT = 1 << 30;
const READ_BLOCK = 32 << 20;

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
  onProgress: (what: string, done: number, total: number) => void): Promise<Loaded> {
  const frames = frameCount(file), fb = frameBytes(file);
  let ds = file;
  const resident = frames * fb <= RESIDENT_LIMIT;
  if (resident) {
    const all = allocTyped(file.dtype, (frames * fb) / dtypeSize(file.dtype));
    const bytes = new Uint8Array(all.buffer);
    const block = Math.max(1, Math.floor(READ_BLOCK / fb));
    for (let f = 0; f < frames; f += block) {
      const n = Math.min(block, frames - f);
      await file.source.readFrames(f, n, bytes.subarray(f * fb, (f + n) * fb));
      onProgress("reading", f + n, frames);
    }
    const held = residentDataset(core, all, file.shape, file.source.name);
    ds = { ...held, calibration: file.calibration, metadata: file.metadata };
    await file.source.close?.();
  }
  const stats = await runReduction(core, ds, patternStats(),
    { onProgress: (d, t) => onProgress("mean pattern", d, t) });
  const det = sigShape(ds);
  return { name, ds, resident, scan: scanImageShape(ds.shape), det, stats, disk: diskOrMiddle(stats.mean, det) };
}

/** The bright-field disk, or (patterns without signal) a disk of an eighth of the detector in its middle. */
function diskOrMiddle(mean: Float32Array, [rows, cols]: [number, number]): DiskFit {
  try {
    return brightFieldDisk(mean, rows, cols);
  } catch {
    return { cy: (rows - 1) / 2, cx: (cols - 1) / 2, radius: Math.max(1, Math.min(rows, cols) / 8) };
  }
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
