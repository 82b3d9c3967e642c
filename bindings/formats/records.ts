// Shared by the readers whose files are a run of fixed-size frame records (a per-frame header, the pixels, maybe a
// footer): MIB, blockfile, EMPAD, TVIPS. Records are read in batches of bounded size, never the whole file.
import type { ByteSource } from "../dataset.js";

/** Where frame records sit in a file: record k starts at `offset + k * stride`. */
export interface RecordLayout {
  offset: number;
  stride: number;
  /** Number of whole records the file holds. */
  records: number;
}

/** Most bytes read in one go: bounds memory whatever the block size the caller asks for. */
export const READ_BATCH_BYTES = 8 << 20;

/**
 * Reads records [first, first + count) in batches and calls `visit(record, k)` for each, with `record` a view of the
 * whole record (header included) valid only during the call, and k counting from 0.
 */
export async function visitRecords(
  bytes: ByteSource,
  layout: RecordLayout,
  first: number,
  count: number,
  visit: (record: Uint8Array, k: number) => void,
): Promise<void> {
  if (first < 0 || count < 0 || first + count > layout.records) {
    throw new RangeError(`${bytes.name}: records [${first}, ${first + count}) are outside the file's ${layout.records} frame records`);
  }
  const per = Math.max(1, Math.floor(READ_BATCH_BYTES / layout.stride));
  const scratch = takeScratch(bytes, Math.min(count, per) * layout.stride);
  try {
    for (let k = 0; k < count; k += per) {
      const n = Math.min(per, count - k);
      const span = scratch.subarray(0, n * layout.stride);
      await bytes.read(layout.offset + (first + k) * layout.stride, span);
      for (let j = 0; j < n; j++) visit(span.subarray(j * layout.stride, (j + 1) * layout.stride), k + j);
    }
  } finally {
    giveScratch(bytes, scratch);
  }
}

// One reusable read buffer per file: allocating (and zeroing) a fresh one per block costs as much as the copy.
// A second concurrent read of the same file gets a buffer of its own.
const spare = new WeakMap<ByteSource, Uint8Array>();
function takeScratch(bytes: ByteSource, size: number): Uint8Array {
  const s = spare.get(bytes);
  if (s && s.length >= size) { spare.delete(bytes); return s; }
  return new Uint8Array(size);
}
function giveScratch(bytes: ByteSource, s: Uint8Array): void {
  const cur = spare.get(bytes);
  if (!cur || cur.length < s.length) spare.set(bytes, s);
}

/** One file of a series whose records continue from file to file (MIB acquisitions, TVIPS recordings). */
export interface RecordFile {
  bytes: ByteSource;
  layout: RecordLayout;
}

/**
 * Visits records [first, first + count) of a series of files as one run of records: `visit(record, k, file, local)`
 * gets each record with k counting from 0, the file it is in and its index there.
 */
export async function visitRecordSeries(
  files: readonly RecordFile[],
  first: number,
  count: number,
  visit: (record: Uint8Array, k: number, file: RecordFile, local: number) => void,
): Promise<void> {
  let base = 0, k = 0;
  for (const f of files) {
    const from = Math.max(first + k, base), to = Math.min(first + count, base + f.layout.records);
    if (from < to) {
      await visitRecords(f.bytes, f.layout, from - base, to - from, (rec, j) => visit(rec, k + j, f, from - base + j));
      k += to - from;
    }
    base += f.layout.records;
  }
  if (k < count) throw new RangeError(`${files[0]?.bytes.name}: records [${first}, ${first + count}) are outside ` +
      `the series' ${base} frame records`);
}

/**
 * Splits output frames [start, start + count) into runs that are contiguous in the file, given a frame -> record map;
 * a negative record (a frame the file does not have) makes runs of its own, with record -1.
 */
export function contiguousRuns(start: number, count: number, recordOf: (frame: number) => number): [frame: number, record: number, n: number][] {
  const runs: [number, number, number][] = [];
  for (let f = start; f < start + count; f++) {
    const r = recordOf(f);
    const last = runs[runs.length - 1];
    if (last && (r < 0 ? last[1] < 0 : last[1] >= 0 && last[1] + last[2] === r)) last[2]++;
    else runs.push([f, r, 1]);
  }
  return runs;
}

/** ASCII text of a byte range, for headers. */
export function ascii(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Reads `length` bytes (or up to the end of the file) at `offset`. */
export async function readHead(bytes: ByteSource, length: number, offset = 0): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, Math.min(length, bytes.size - offset)));
  await bytes.read(offset, out);
  return out;
}

/** A scan shape given by the user, checked against the frames the file holds. */
export function checkScan(name: string, scan: number[], frames: number, what = "frames"): void {
  if (!scan.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`${name}: scan shape [${scan.join(", ")}] must be positive integers`);
  const need = scan.reduce((a, b) => a * b, 1);
  if (need > frames) throw new Error(`${name}: scan shape [${scan.join(", ")}] needs ${need} ${what}, but the file holds ${frames}`);
}

/** [n, n] when the count is a perfect square, else [count]: the usual guess when nothing says the scan shape. */
export function guessScan(frames: number): number[] {
  const n = Math.round(Math.sqrt(frames));
  return n * n === frames && frames > 1 ? [n, n] : [frames];
}
