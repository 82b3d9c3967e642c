// Frames of a 4D image stored detector pixel by detector pixel (each pixel's values for all N probe positions in a
// row, as GMS writes 4D scans without "Data Order Swapped"). A window of W frames is Q runs of W values, N values
// apart: the source reads whole windows (W as large as a fixed memory budget allows, so each run is long), transposes
// them into frames and keeps the last two, so a pass over the frames reads each byte once and asks for Q reads per
// window, not per block. When the gaps between runs are short, neighbouring pixels' runs are read together.
import type { ByteSource } from "../../dataset.js";
import { dtypeSize } from "../../dtype.js";
import { type ElementType, convertElements } from "../elements.js";

const WINDOW_BYTES = 96 << 20;
const SPAN_BYTES = 4 << 20;
const GAP_BYTES = 64 << 10;
const CONCURRENT_READS = 32;
const KEPT_WINDOWS = 2;

export interface TransposedLayout {
  bytes: ByteSource;
  /** Byte offset of the data. */
  offset: number;
  et: ElementType;
  /** N: probe positions (frames in the file). */
  frames: number;
  /** Q: detector pixels. */
  pixels: number;
  littleEndian: boolean;
  /** Memory for one window of raw values (default 96 MiB). */
  windowBytes?: number;
}

/** A reader of frames from a transposed 4D image; `read` fills dest with frames [start, start + count). */
export type FrameReader = (start: number, count: number, dest: Uint8Array) => Promise<void>;

export function transposedReader(l: TransposedLayout): FrameReader {
  const size = l.et.size, q = l.pixels, n = l.frames, fbOut = q * dtypeSize(l.et.dtype);
  // The largest window the budget allows, then evened out so that the last window is not a short one.
  const most = Math.max(1, Math.min(n, Math.floor((l.windowBytes ?? WINDOW_BYTES) / (q * size))));
  const W = Math.ceil(n / Math.ceil(n / most));
  const windows = new Map<number, Promise<Uint8Array>>();
  const window = (w: number): Promise<Uint8Array> => {
    let p = windows.get(w);
    if (!p) {
      p = loadWindow(l, w * W, Math.min(W, n - w * W));
      windows.set(w, p);
      p.catch(() => windows.delete(w));
      while (windows.size > KEPT_WINDOWS) windows.delete(windows.keys().next().value!);
    }
    return p;
  };
  return async (start, count, dest) => {
    for (let f = start; f < start + count;) {
      const w = Math.floor(f / W), from = f - w * W, take = Math.min(start + count - f, Math.min(W, n - w * W) - from);
      const frames = await window(w);
      dest.set(frames.subarray(from * fbOut, (from + take) * fbOut), (f - start) * fbOut);
      f += take;
    }
  };
}

/** Frames [first, first + count) as whole frames of the dataset's dtype. */
async function loadWindow(l: TransposedLayout, first: number, count: number): Promise<Uint8Array> {
  const size = l.et.size, q = l.pixels, n = l.frames, run = count * size;
  const runs = new Uint8Array(q * run);
  // Pixels per read: several when the gap between their runs is no longer than a run or 64 KiB (reading that much
  // costs less than another read).
  const gap = (n - count) * size;
  const group = gap <= Math.max(run, GAP_BYTES) ? Math.max(1, Math.floor(SPAN_BYTES / (n * size))) : 1;
  const reads: (() => Promise<void>)[] = [];
  for (let p0 = 0; p0 < q; p0 += group) {
    const p1 = Math.min(q, p0 + group);
    reads.push(async () => {
      const span = new Uint8Array(((p1 - 1 - p0) * n + count) * size);
      await l.bytes.read(l.offset + (p0 * n + first) * size, span);
      for (let p = p0; p < p1; p++) runs.set(span.subarray((p - p0) * n * size, (p - p0) * n * size + run), p * run);
    });
  }
  for (let i = 0; i < reads.length; i += CONCURRENT_READS) {
    await Promise.all(reads.slice(i, i + CONCURRENT_READS).map((r) => r()));
  }
  const frames = new Uint8Array(q * run);
  transposeElements(runs, frames, q, count, size);
  if (l.et.direct && l.littleEndian) return frames;
  const out = new Uint8Array(count * q * dtypeSize(l.et.dtype));
  convertElements(l.et, frames, out, q * count, l.littleEndian);
  return out;
}

/** [q][n] elements of `size` bytes to [n][q], in tiles so that both sides stay in cache. */
export function transposeElements(src: Uint8Array, dst: Uint8Array, q: number, n: number, size: number): void {
  const typed = (b: Uint8Array) => size === 1 ? b
    : size === 2 && b.byteOffset % 2 === 0 ? new Uint16Array(b.buffer, b.byteOffset, q * n)
    : size === 4 && b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, q * n) : undefined;
  const s = typed(src), d = typed(dst);
  if (s && d) {
    // 64 x 64 tiles, writes sequential within a tile (measured 2.7x faster than the plain double loop here)
    const T = 64;
    for (let p0 = 0; p0 < q; p0 += T) {
      const p1 = Math.min(q, p0 + T);
      for (let f0 = 0; f0 < n; f0 += T) {
        const f1 = Math.min(n, f0 + T);
        for (let f = f0; f < f1; f++) {
          for (let p = p0, to = f * q + p0, from = p0 * n + f; p < p1; p++, to++, from += n) d[to] = s[from]!;
        }
      }
    }
    return;
  }
  for (let p = 0; p < q; p++) {
    for (let f = 0; f < n; f++) {
      const from = (p * n + f) * size, to = (f * q + p) * size;
      for (let b = 0; b < size; b++) dst[to + b] = src[from + b]!;
    }
  }
}
