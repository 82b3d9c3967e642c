// The writer contract: a writer format takes a dataset's layout, then frame blocks in order, then close. Picking a
// writer by name or by the output's extension, and streaming any dataset into a writer with bounded memory, live
// here; each format is one file in this folder, and writers/index.ts lists them (plain data, no registration).
import type { Calibration, Dataset } from "../dataset.js";
import { frameBytes, frameCount } from "../dataset.js";
import { streamFrames } from "../pipeline.js";
import type { Dtype } from "../dtype.js";

export interface DatasetLayout {
  shape: readonly number[];
  dtype: Dtype;
  calibration?: Calibration;
  metadata?: Record<string, unknown>;
}

/** An open output: frames arrive in order, as whole frames, in blocks of any size. */
export interface DatasetWriter {
  write(block: Uint8Array, frames: number): Promise<void>;
  /** Finishes the file; a writer closed before all frames arrived throws, naming how many it got. */
  close(): Promise<void>;
  /** Gives up: closes and removes what was written. */
  abort?(): Promise<void>;
}

export interface WriterFormat {
  readonly name: string;
  /** Lower-case endings with the dot, e.g. [".zarr"], matched against the output path. */
  readonly extensions: readonly string[];
  readonly description: string;
  create(path: string, layout: DatasetLayout, options: Record<string, unknown>): Promise<DatasetWriter>;
}

/** The writer named `format`, or the first of `writers` whose extension the path ends with. */
export function pickWriter(writers: readonly WriterFormat[], path: string, format?: string): WriterFormat {
  const known = () => writers.map((w) => `${w.name} (${w.extensions.join(", ")})`).join(", ");
  if (format) {
    const w = writers.find((x) => x.name === format);
    if (!w) throw new Error(`unknown output format ${JSON.stringify(format)}; known: ${known()}`);
    return w;
  }
  const lower = path.toLowerCase().replace(/[\\/]+$/, "");
  const w = writers.find((x) => x.extensions.some((e) => lower.endsWith(e)));
  if (!w) throw new Error(`${path}: cannot tell the output format from the name; use one of: ${known()}`);
  return w;
}

export interface ConvertResult {
  format: string;
  frames: number;
  bytes: number;
}

export interface ConvertOptions {
  /** Output format name (default: from the extension). */
  format?: string;
  /** The writers to pick from (default: every writer stem4d has, writers/index.ts). */
  writers?: readonly WriterFormat[];
  /** Frames are moved in blocks of about this many bytes (default 16 MiB): the memory bound of a conversion. */
  blockBytes?: number;
  /** Passed to the writer (e.g. zstd level). */
  writerOptions?: Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
}

/** Streams every frame of `ds` into a new file of `format`; reading the next block overlaps writing the current one. */
export async function writeWith(format: WriterFormat, ds: Dataset, path: string, o: ConvertOptions = {}): Promise<ConvertResult> {
  const layout = { shape: ds.shape, dtype: ds.dtype, calibration: ds.calibration, metadata: ds.metadata };
  const w = await format.create(path, layout, o.writerOptions ?? {});
  try {
    await streamFrames(ds, { write: (frames, _first, count) => w.write(frames, count) }, o);
    await w.close();
  } catch (e) {
    if (w.abort) await w.abort().catch(() => {});
    throw e;
  }
  return { format: format.name, frames: frameCount(ds), bytes: frameCount(ds) * frameBytes(ds) };
}
