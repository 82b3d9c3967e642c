// HDF5 in the page, without copying the file: h5wasm reads synchronously, which a page cannot do on a File or a URL,
// but a dedicated worker can (hdf5-worker.ts mounts the files with Emscripten's WORKERFS and reads them lazily).
// So HDF5 sets are opened in that worker with the same reader as Node's (bindings/formats/hdf5/reader.ts), and the
// page gets a dataset whose frames the worker reads on request and hands over (transferred, not copied).
import type { Dataset, FormatReader, FrameSource } from "../bindings/index.js";
import { hdf5Format } from "../bindings/formats/hdf5/reader.js";
import type { PageFile } from "./files.js";

/** A file as the worker gets it: its name, size and where its bytes are. */
export interface FileHandle { name: string; size: number; origin: File | string }

/** What the worker read of one file through h5wasm (bytes, calls, the largest call) and, after opening, how much. */
export interface FileReads { name: string; size: number; reads: number; bytes: number; largest: number; atOpen: number }

/** Requests to the worker and their answers (see hdf5-worker.ts). */
export type Hdf5Request =
  | { op: "open"; files: FileHandle[] }
  | { op: "read"; set: number; start: number; count: number }
  | { op: "close"; set: number }
  | { op: "reads" };
export interface OpenedSet { set: number; name: string; shape: number[]; dtype: Dataset["dtype"];
  calibration?: Dataset["calibration"]; metadata?: Record<string, unknown> }

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { ok(v: unknown): void; fail(e: Error): void }>();

function hdf5Worker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL("./hdf5-worker.js", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<{ id: number; value?: unknown; error?: string }>) => {
    const call = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (e.data.error !== undefined) call?.fail(new Error(e.data.error));
    else call?.ok(e.data.value);
  };
  w.onerror = (e) => {
    e.preventDefault();
    for (const call of waiting.values()) call.fail(new Error(`the HDF5 worker failed: ${e.message}`));
    waiting.clear();
  };
  return (worker = w);
}

function ask<T>(request: Hdf5Request): Promise<T> {
  const id = nextId++;
  return new Promise<T>((ok, fail) => {
    waiting.set(id, { ok: ok as (v: unknown) => void, fail });
    hdf5Worker().postMessage({ id, ...request });
  });
}

/** The HDF5 reader of the page: same name, extensions and magic bytes, opening `files` in the worker. */
export function hdf5InWorker(files: readonly PageFile[]): FormatReader {
  return {
    ...hdf5Format,
    open: async () => remoteDataset(await ask<OpenedSet>({
      op: "open", files: files.map(({ name, size, origin }) => ({ name, size, origin })),
    })),
  };
}

function remoteDataset(opened: OpenedSet): Dataset {
  const { set, name, shape, dtype, calibration, metadata } = opened;
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      const bytes = await ask<ArrayBuffer>({ op: "read", set, start, count });
      dest.set(new Uint8Array(bytes));
    },
    close: () => ask<void>({ op: "close", set }),
  };
  return { shape, dtype, source, calibration, metadata };
}

/** The worker's HTTP requests for served files (its own, which the page's resource timing does not list). */
export interface WorkerRequest { url: string; status: number; bytes: number }

/** What the worker has read so far (for tests: files are read in pieces, never whole). */
export function hdf5WorkerReads(): Promise<{ files: FileReads[]; requests: WorkerRequest[] }> {
  return worker ? ask({ op: "reads" }) : Promise.resolve({ files: [], requests: [] });
}
