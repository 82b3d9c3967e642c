// Finding the pattern centre from the bright-field disk: threshold the mean pattern at half its maximum, keep the
// connected region around the brightest pixel, and take its intensity-weighted centroid and equivalent radius.
import type { Dataset } from "../dataset.js";
import { framePixels, sigShape } from "../dataset.js";
import { sampledFrames, streamFrames } from "../pipeline.js";
import { typedArray } from "../dtype.js";
import type { Center } from "./masks.js";

export interface DiskFit extends Center {
  /** Radius of a disk with the region's area, in detector pixels. */
  radius: number;
}

export function brightFieldDisk(pattern: ArrayLike<number>, rows: number, cols: number): DiskFit {
  let peak = 0;
  for (let i = 1; i < rows * cols; i++) if (pattern[i]! > pattern[peak]!) peak = i;
  const top = pattern[peak]!;
  if (!(top > 0)) throw new Error("cannot find the bright-field disk: the mean pattern has no positive pixel");
  // Baseline: the median, so a bright background does not swallow the disk; or the median of the detector's border
  // when that is lower (a disk covering most of the detector holds the overall median).
  const median = (v: Float64Array) => v.sort()[Math.floor(v.length / 2)]!;
  const border: number[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (i === 0 || j === 0 || i === rows - 1 || j === cols - 1) border.push(pattern[i * cols + j]!);
  const base = Math.min(median(Float64Array.from(pattern)), median(Float64Array.from(border)));
  const level = base + 0.5 * (top - base);
  const seen = new Uint8Array(rows * cols);
  const stack = [peak];
  seen[peak] = 1;
  let w = 0, sy = 0, sx = 0, area = 0;
  while (stack.length) {
    const p = stack.pop()!;
    const i = Math.floor(p / cols), j = p % cols, v = pattern[p]! - base;
    w += v; sy += v * i; sx += v * j; area++;
    for (const [di, dj] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
      const a = i + di, b = j + dj;
      if (a < 0 || b < 0 || a >= rows || b >= cols) continue;
      const q = a * cols + b;
      if (!seen[q] && pattern[q]! >= level) { seen[q] = 1; stack.push(q); }
    }
  }
  return { cy: sy / w, cx: sx / w, radius: Math.sqrt(area / Math.PI) };
}

/** The bright-field disk of the mean of up to `samples` frames spread evenly over the scan, read in blocks of about
 * 1 MiB (the sum is the same for any block size; small blocks keep an edge sender's memory small). */
export async function estimateCenter(ds: Dataset, samples = 512): Promise<DiskFit> {
  const Q = framePixels(ds), [rows, cols] = sigShape(ds);
  const sum = new Float64Array(Q);
  await streamFrames(sampledFrames(ds, samples), {
    write(bytes, _first, count) {
      const frames = typedArray(ds.dtype, bytes.buffer, bytes.byteOffset, count * Q);
      for (let f = 0; f < count; f++) for (let q = 0; q < Q; q++) sum[q]! += frames[f * Q + q]!;
    },
  }, { blockBytes: 1 << 20 });
  return brightFieldDisk(sum, rows, cols);
}
