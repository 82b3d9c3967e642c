// Node's files: a ByteSource over a file descriptor, opening datasets by path, and streaming .npy output.
import { open, readdir, type FileHandle } from "node:fs/promises";
import { openSync, writeSync, closeSync, fstatSync, existsSync, rmSync, statSync } from "node:fs";
import type { ByteSource, Dataset } from "./dataset.js";
import { streamFrames } from "./pipeline.js";
import { dirname, resolve as resolvePath } from "node:path";
import { rawDataset, type RawLayout } from "./sources.js";
import { openWithReaders, type OpenOptions } from "./formats/registry.js";
import { nodeReaders, splitH5Path } from "./formats/node.js";
import { openZarrDirectory } from "./formats/zarr/node.js";
import { npyHeader } from "./npy.js";
import type { Dtype } from "./dtype.js";

export async function fileByteSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const size = (await fh.stat()).size;
  return {
    name: path,
    path,
    size,
    async read(offset, dest) {
      let done = 0;
      while (done < dest.length) {
        const { bytesRead } = await fh.read(dest, done, dest.length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at byte ${offset + done}; expected ${dest.length - done} more bytes`);
        done += bytesRead;
      }
    },
    close: () => fh.close(),
  };
}

/** Opens a dataset by path: raw binary when a layout is given, otherwise the first of `options.readers` (default:
 * every reader, Node-only ones included) that recognises the file. */
export async function openDataset(path: string, raw?: RawLayout, options: OpenOptions = {}): Promise<Dataset> {
  // "file.h5:/group/dataset" names a dataset inside an HDF5 file.
  const h5 = existsSync(path) ? undefined : splitH5Path(path);
  if (h5) { path = h5.file; options = { ...options, dataset: h5.dataset }; }
  // A directory is a Zarr store (v3 zarr.json, or v2 .zarray/.zgroup as in HyperSpy's .zspy).
  if (!raw && existsSync(path) && statSync(path).isDirectory()) return openZarrDirectory(path, options);
  const bytes = await fileByteSource(path);
  try {
    if (raw) return rawDataset(bytes, raw);
    const sibling = (rel: string) => fileByteSource(resolvePath(dirname(path), rel));
    const siblingNames = () => readdir(dirname(path));
    return await openWithReaders(options.readers ?? nodeReaders, { bytes, options, sibling, siblingNames });
  } catch (e) {
    await bytes.close?.();
    throw e;
  }
}

/** Writes a .npy file frame block by frame block; the header is written first, so the shape must be known. */
/** Bytes of the data of an .npy array of this dtype and shape. */
function npyDataBytes(dtype: Dtype | "f64" | "i32" | "c64", shape: readonly number[]): number {
  const size = dtype === "u8" ? 1 : dtype === "u16" ? 2 : dtype === "f64" || dtype === "c64" ? 8 : 4;
  return shape.reduce((a, b) => a * b, 1) * size;
}

export class NpyWriter {
  private fd: number;
  private written = 0;
  private readonly expected: number;

  constructor(readonly path: string, readonly dtype: Dtype | "f64" | "i32" | "c64", readonly shape: readonly number[]) {
    this.fd = openSync(path, "w");
    const head = npyHeader(dtype, shape);
    writeSync(this.fd, head);
    this.expected = npyDataBytes(dtype, shape);
  }

  write(data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.written += bytes.length;
  }

  /** Closes and removes a file that will not be finished. */
  abort(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }

  close(): void {
    const size = fstatSync(this.fd).size;
    closeSync(this.fd);
    if (this.written !== this.expected) throw new Error(`${this.path}: wrote ${this.written} data bytes but shape [${this.shape.join(", ")}] needs ${this.expected} (file is ${size} bytes)`);
  }
}

/** Writes an array in memory as a whole .npy file, asynchronously: the copy into the file happens off this thread
 * (the data must not change until the promise settles). */
export async function saveNpy(path: string, data: ArrayBufferView, dtype: Dtype | "f64" | "i32" | "c64", shape: readonly number[]): Promise<void> {
  const expected = npyDataBytes(dtype, shape);
  if (data.byteLength !== expected) throw new RangeError(`${path}: ${data.byteLength} data bytes, but shape [${shape.join(", ")}] of ${dtype} needs ${expected}`);
  const file = await open(path, "w");
  try {
    for (const part of [npyHeader(dtype, shape), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]) {
      for (let off = 0; off < part.length;) off += (await file.write(part, off, part.length - off)).bytesWritten;
    }
  } finally {
    await file.close();
  }
}

/** Streams a dataset (any source or view) into a .npy file in blocks of about `blockBytes`. On a failure the partial
 * file is removed and the source's own error (say, a corrupt chunk's number and offset) is what the caller sees. */
export async function writeDatasetNpy(ds: Dataset, path: string, o: { blockBytes?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
  const w = new NpyWriter(path, ds.dtype, ds.shape);
  try {
    await streamFrames(ds, { write: (frames) => w.write(frames) }, o);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
}
