// Counted frames held in the core's memory for the passes of an analysis: one pass over the file copies every frame
// into the smallest unsigned integer type that holds its values exactly (u8 or u16, see countType), and the passes
// after it run their kernels on that copy where it lies (a resident dataset: nothing is read, and
// tiles of bytes instead of float32 are a quarter of the memory traffic). The file is not read again, and every
// value is checked on the way: a value that is not such an integer drops the copy, and the passes read the file as
// before.
import type { Core } from "./core.js";
import type { Kernels } from "./kernels.js";
import { type Dataset, frameCount, framePixels } from "./dataset.js";
import { dtypeSize, kernelSuffix, typedArray } from "./dtype.js";
import { runReduction } from "./executor.js";
import { MAX_REGION } from "./arena.js";
import type { Reduction } from "./reduction.js";
import { residentAt } from "./sources.js";

/** Frames sampled to choose the copy's type before the pass. */
const SAMPLE_FRAMES = 16;

export interface ResidentCopyOptions {
  /** Largest copy to make, in bytes (at most 1 GiB, one region of the core). */
  maxBytes: number;
  onProgress?: (done: number, total: number) => void;
}

/** The type a copy of the dataset's frames would take, from a sample of frames: "u8" or "u16" when they hold
 * non-negative integers that fit, undefined otherwise (the pass checks every value). u8 only when the sample stays
 * below 128, half its range: counts that reach further in the sample may well pass 255 in a frame it missed. */
export async function countType(ds: Dataset): Promise<"u8" | "u16" | undefined> {
  const P = frameCount(ds), Q = framePixels(ds), size = dtypeSize(ds.dtype);
  const bytes = new Uint8Array(Q * size);
  let most = 0;
  for (let s = 0; s < Math.min(SAMPLE_FRAMES, P); s++) {
    await ds.source.readFrames(Math.floor((s * P) / Math.min(SAMPLE_FRAMES, P)), 1, bytes);
    const values = typedArray(ds.dtype, bytes.buffer, 0, Q);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v <= 65535 && Number.isInteger(v))) return undefined;
      if (v > most) most = v;
    }
  }
  return most < 128 ? "u8" : "u16";
}

/** A resident copy of the dataset's frames in u8 or u16 (see the top of this file), or undefined when the frames
 * are not such counts, already resident, or larger than `maxBytes`. The copy's `close()` gives the memory back. */
export async function residentCopy(core: Core, ds: Dataset, o: ResidentCopyOptions): Promise<Dataset | undefined> {
  if (ds.source.resident) return undefined;
  const type = await countType(ds);
  if (!type) return undefined;
  const bytes = frameCount(ds) * framePixels(ds) * dtypeSize(type);
  if (bytes > Math.min(o.maxBytes, MAX_REGION)) return undefined;
  const ptr = core.arena.alloc(bytes);
  let exact = false;
  try {
    exact = await runReduction(core, ds, copyInto(ptr, type), { onProgress: o.onProgress });
  } finally {
    if (!exact) core.arena.release(ptr);
  }
  if (!exact) return undefined;
  const copy = residentAt(core, ptr, [...ds.shape], type, `${ds.source.name} (in memory as ${type})`);
  return { ...copy, calibration: ds.calibration, metadata: ds.metadata };
}

/** Converts each tile into the region at ptr (tiles write disjoint frames of a region the caller owns); the result
 * says whether every value was exact. */
function copyInto(ptr: number, type: "u8" | "u16"): Reduction<boolean> {
  const size = dtypeSize(type);
  return {
    name: `copy of the frames as ${type}`,
    buffers: () => ({ inexact: { kind: "single", type: "i32", merge: "max", fill: 0 } }),
    process(tile, buf) {
      // countType gives u8 for u8 frames, so every pair named here exists.
      const fn = `compact${kernelSuffix(type)}From${kernelSuffix(tile.dtype)}` as Extract<keyof Kernels, `compact${string}`>;
      const q = tile.rows * tile.cols;
      return [[{ fn, args: [tile.ptr, tile.count * q, ptr + tile.start * q * size, buf.inexact!] }]];
    },
    finish: (buf) => buf.inexact![0] === 0,
  };
}
