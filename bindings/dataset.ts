// The data model: a dataset is a shape, a dtype, calibration and metadata, and a frame source that yields blocks of
// frames on demand. Nothing here assumes the whole dataset fits in memory.
import { type Dtype, dtypeSize, isDtype } from "./dtype.js";

/** Random-access bytes: a file in Node, a Blob in a browser, an ArrayBuffer anywhere. */
export interface ByteSource {
  /** What error messages call it: a path, a file name, "memory". */
  readonly name: string;
  readonly size: number;
  /** The file's path, where the bytes are a local file that workers may read themselves (Node). */
  readonly path?: string;
  /** Fills `dest` with the bytes at `offset`; rejects when fewer than dest.length bytes exist there. */
  read(offset: number, dest: Uint8Array): Promise<void>;
  close?(): Promise<void>;
}

/** Frames in C order, flattened over the navigation axes: frame i is probe position i. */
export interface FrameSource {
  readonly name: string;
  /** Writes frames [start, start + count) into dest (count * frameBytes bytes, little-endian, the dataset's dtype). */
  readFrames(start: number, count: number, dest: Uint8Array): Promise<void>;
  /** Where frames [start, start + count) lie contiguously in a local file, if they do: then the pool's workers read
   * them straight into the core's memory next to the kernels that use them (parallel, cache-warm I/O). */
  locate?(start: number, count: number): FileExtent | undefined;
  /** Set when every frame already sits in a core's memory (C order from `ptr`): reductions on that core then read
   * nothing and run the kernels on the frames where they are. */
  readonly resident?: { core: object; ptr: number };
  close?(): Promise<void>;
}

export interface FileExtent {
  path: string;
  /** Byte offset of frame `start` in the file. */
  offset: number;
  /** Element width to byte-swap after reading (2 or 4 for big-endian data), or 1. */
  swapWidth: number;
}

export interface Calibration {
  /** Physical size of one step along each axis, with units, in shape order (nav axes then detector axes). */
  axes?: { name?: string; step?: number; unit?: string }[];
  [key: string]: unknown;
}

export interface Dataset {
  /** [...nav, detRow, detCol]: at least one nav axis, usually [scanRow, scanCol, detRow, detCol]. */
  readonly shape: readonly number[];
  readonly dtype: Dtype;
  readonly source: FrameSource;
  readonly calibration?: Calibration;
  /** What the file itself said, kept as it was. */
  readonly metadata?: Record<string, unknown>;
}

export function navShape(d: Pick<Dataset, "shape">): number[] {
  return d.shape.slice(0, -2);
}
export function sigShape(d: Pick<Dataset, "shape">): [number, number] {
  return [d.shape[d.shape.length - 2]!, d.shape[d.shape.length - 1]!];
}
/** The scan as a 2D image: [rows, cols] for 2D scans, one row for 1D, leading axes folded into rows otherwise. */
export function scanGrid(nav: readonly number[]): [number, number] {
  if (nav.length === 1) return [1, nav[0]!];
  const cols = nav[nav.length - 1]!;
  return [nav.slice(0, -1).reduce((a, b) => a * b, 1), cols];
}
export function frameCount(d: Pick<Dataset, "shape">): number {
  return navShape(d).reduce((a, b) => a * b, 1);
}
export function framePixels(d: Pick<Dataset, "shape">): number {
  const [r, c] = sigShape(d);
  return r * c;
}
export function frameBytes(d: Pick<Dataset, "shape" | "dtype">): number {
  return framePixels(d) * dtypeSize(d.dtype);
}

/** Throws a clear error unless `shape` and `dtype` describe a dataset stem4d can process. */
export function validateLayout(shape: readonly number[], dtype: string, what: string): asserts dtype is Dtype {
  if (!isDtype(dtype)) throw new Error(`${what}: dtype ${JSON.stringify(dtype)} is not supported (expected u8, u16, u32 or f32)`);
  if (shape.length < 3) throw new Error(`${what}: shape [${shape.join(", ")}] has ${shape.length} axes; expected at least 3 (nav..., detRow, detCol)`);
  for (const [i, n] of shape.entries()) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: axis ${i} of shape [${shape.join(", ")}] is ${n}; expected a positive integer`);
  }
  const bytes = shape.reduce((a, b) => a * b, 1) * dtypeSize(dtype);
  if (!Number.isSafeInteger(bytes)) throw new Error(`${what}: shape [${shape.join(", ")}] is too large to address`);
}
