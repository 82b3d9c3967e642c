// Frames of a 4D image stored detector pixel by detector pixel (each pixel's values for all N probe positions in a
// row, as GMS writes 4D scans without "Data Order Swapped"). Frames [start, start + count) are Q runs of `count`
// values, one per detector pixel, N values apart: read them (a few at a time, concurrently), then transpose into
// whole frames. Memory stays within a fixed budget whatever the block size asked for.
import type { ByteSource } from "../../dataset.js";
import { dtypeSize } from "../../dtype.js";
import { type ElementType, convertElements } from "../elements.js";

const BUDGET_BYTES = 16 << 20;
const CONCURRENT_READS = 32;

export async function readTransposed(bytes: ByteSource, offset: number, et: ElementType, frames: number, q: number,
  start: number, count: number, dest: Uint8Array, littleEndian: boolean): Promise<void> {
  const size = et.size, fbOut = q * dtypeSize(et.dtype);
  const per = Math.max(1, Math.min(count, Math.floor(BUDGET_BYTES / (q * size))));
  const runs = new Uint8Array(q * per * size), framesIn = new Uint8Array(q * per * size);
  for (let f0 = start; f0 < start + count; f0 += per) {
    const n = Math.min(per, start + count - f0), run = n * size;
    for (let p0 = 0; p0 < q; p0 += CONCURRENT_READS) {
      const reads: Promise<void>[] = [];
      for (let p = p0; p < Math.min(q, p0 + CONCURRENT_READS); p++) {
        reads.push(bytes.read(offset + (p * frames + f0) * size, runs.subarray(p * run, (p + 1) * run)));
      }
      await Promise.all(reads);
    }
    transposeElements(runs, framesIn, q, n, size);
    convertElements(et, framesIn, dest.subarray((f0 - start) * fbOut, (f0 - start + n) * fbOut), q * n, littleEndian);
  }
}

/** [q][n] elements of `size` bytes to [n][q]. */
export function transposeElements(src: Uint8Array, dst: Uint8Array, q: number, n: number, size: number): void {
  if (size === 1) {
    for (let p = 0; p < q; p++) for (let f = 0; f < n; f++) dst[f * q + p] = src[p * n + f]!;
    return;
  }
  for (let p = 0; p < q; p++) {
    for (let f = 0; f < n; f++) {
      const s = (p * n + f) * size, d = (f * q + p) * size;
      for (let b = 0; b < size; b++) dst[d + b] = src[s + b]!;
    }
  }
}
