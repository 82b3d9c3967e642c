// The page's HDF5 worker (started by hdf5-remote.ts): opens HDF5 sets with the library's reader, h5wasm included,
// and reads their frames on request. Each set's files are mounted in h5wasm's file system with Emscripten's WORKERFS,
// whose file nodes give synchronous, lazy reads: a chosen File is read slice by slice with FileReaderSync, a served
// file with synchronous HTTP Range requests (allowed in workers). Nothing is copied in whole, so there is no size
// limit. What is fetched from each file is counted, for the tests.
import { setH5wasmHost } from "../bindings/formats/hdf5/h5.js";
import { hdf5Format } from "../bindings/formats/hdf5/reader.js";
import { frameBytes, type Dataset } from "../bindings/dataset.js";
import { chosenFile, openFileSet, servedFile } from "./files.js";
import type { FileHandle, FileReads, Hdf5Request, OpenedSet, WorkerRequest } from "./hdf5-remote.js";

type H5Module = typeof import("h5wasm");

/** The parts of Emscripten's FS and WORKERFS used here. */
interface FsNode { size: number; stream_ops: StreamOps }
interface StreamOps {
  read(stream: { node: FsNode }, buffer: Uint8Array, offset: number, length: number, position: number): number;
}
interface WorkerFs { FILE_MODE: number; stream_ops: StreamOps;
  createNode(parent: FsNode, name: string, mode: number, dev: number, contents: { size: number }): FsNode }
interface EmscriptenFs {
  mkdir(path: string): void; rmdir(path: string): void; chdir(path: string): void;
  mount(type: WorkerFs, opts: object, dir: string): void; unmount(dir: string): void;
  lookupPath(path: string): { node: FsNode };
  analyzePath(path: string): { exists: boolean };
  filesystems: { WORKERFS: WorkerFs };
  ErrnoError: new (errno: number) => Error;
}
const EIO = 29;

const H5WASM = new URL("../../node_modules/h5wasm/dist/esm/hdf5_hl.js", import.meta.url).href;
let h5: Promise<H5Module> | undefined;
const loadH5 = () => (h5 ??= (import(/* @vite-ignore */ H5WASM) as Promise<H5Module>).then(async (m) => {
  await m.ready;
  return m;
}));
const fsOf = (m: H5Module) => m.FS as unknown as EmscriptenFs;

setH5wasmHost({
  load: async () => (await loadH5()).default,
  async prepare(path) {
    if (!fsOf(await loadH5()).analyzePath(path).exists) throw new Error(`${path}: not among the files opened`);
  },
});

/** Why the last synchronous read failed (h5wasm reports only that it could not read). */
let ioError: string | undefined;
const reads = new Map<string, FileReads>();

/** Reads `length` bytes at `position` of a file, synchronously. */
type SyncRead = (position: number, length: number) => Uint8Array;

/** A chosen File, read slice by slice. */
function blobRead(blob: Blob): SyncRead {
  type Reader = { readAsArrayBuffer(b: Blob): ArrayBuffer };
  const reader = new (globalThis as unknown as { FileReaderSync: new () => Reader }).FileReaderSync();
  return (position, length) => new Uint8Array(reader.readAsArrayBuffer(blob.slice(position, position + length)));
}

/** A served file, one HTTP Range request per read. */
function rangeRead(url: string, name: string, fs: EmscriptenFs): SyncRead {
  return (position, length) => {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", url, false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("Range", `bytes=${position}-${position + length - 1}`);
    xhr.send();
    const got = xhr.response as ArrayBuffer | null;
    if (xhr.status !== 206 || got?.byteLength !== length) {
      ioError = `${name}: the server answered ${xhr.status} with ${got?.byteLength ?? 0} bytes to a request for ` +
        `bytes ${position}-${position + length - 1} (expected 206 Partial Content with ${length} bytes)`;
      throw new fs.ErrnoError(EIO);
    }
    return new Uint8Array(got);
  };
}

/** h5wasm's small reads are served from cached aligned blocks of this size (reads at least this large go straight
 * to the file): each fetch is a call into the browser (a Blob slice, an HTTP request) that costs milliseconds, and the
 * chunks of a frame stack lie near each other but are not always read in file order. A block missed right after the
 * last one fetched fetches the next ones with it, twice as many each time, up to MAX_RUN blocks. */
const BLOCK = 1 << 20, CACHED_BLOCKS = 32, MAX_RUN = 8;

/** The node's read: through the block cache; `count` records what was fetched from the file. */
function cachedRead(fetch: SyncRead, size: number, count: FileReads): StreamOps["read"] {
  const blocks = new Map<number, Uint8Array>();
  const fetched = (position: number, length: number) => {
    count.reads++;
    count.bytes += length;
    count.largest = Math.max(count.largest, length);
    return fetch(position, length);
  };
  const last = Math.ceil(size / BLOCK) - 1;
  let next = -1, run = 1;
  const keep = (index: number, b: Uint8Array) => {
    blocks.delete(index); // most recently used last
    blocks.set(index, b);
    if (blocks.size > CACHED_BLOCKS) blocks.delete(blocks.keys().next().value!);
  };
  const block = (index: number): Uint8Array => {
    const b = blocks.get(index);
    if (b) {
      keep(index, b);
      return b;
    }
    run = index === next ? Math.min(MAX_RUN, 2 * run) : 1;
    const n = Math.min(run, last - index + 1), start = index * BLOCK;
    const bytes = fetched(start, Math.min(n * BLOCK, size - start));
    for (let k = n - 1; k >= 0; k--) keep(index + k, bytes.subarray(k * BLOCK, (k + 1) * BLOCK)); // index last: newest
    next = index + n;
    return blocks.get(index)!;
  };
  return (_stream, buffer, offset, length, position) => {
    const n = Math.min(length, size - position);
    if (n <= 0) return 0;
    if (n >= BLOCK) {
      buffer.set(fetched(position, n), offset);
      return n;
    }
    for (let i = Math.floor(position / BLOCK); i * BLOCK < position + n; i++) {
      const b = block(i), start = Math.max(position, i * BLOCK), end = Math.min(position + n, (i + 1) * BLOCK);
      buffer.set(b.subarray(start - i * BLOCK, end - i * BLOCK), offset + start - position);
    }
    return n;
  };
}

/** Mounts the set's files at /set<N> (the working folder, where h5open finds them by name), each read lazily. */
function mountSet(fs: EmscriptenFs, dir: string, files: FileHandle[]): void {
  const workerfs = fs.filesystems.WORKERFS;
  fs.mkdir(dir);
  fs.mount(workerfs, {}, dir);
  const root = fs.lookupPath(dir).node;
  for (const f of files) {
    const node = workerfs.createNode(root, f.name, workerfs.FILE_MODE, 0, { size: f.size });
    const count: FileReads = { name: f.name, size: f.size, reads: 0, bytes: 0, largest: 0, atOpen: 0 };
    reads.set(f.name, count);
    const fetch = typeof f.origin === "string" ? rangeRead(f.origin, f.name, fs) : blobRead(f.origin);
    node.stream_ops = { ...workerfs.stream_ops, read: cachedRead(fetch, f.size, count) };
  }
  fs.chdir(dir);
}

function unmountSet(fs: EmscriptenFs, dir: string): void {
  fs.chdir("/");
  fs.unmount(dir);
  fs.rmdir(dir);
}

const sets = new Map<number, { ds: Dataset; dir: string }>();
let nextSet = 0;

async function open(files: FileHandle[]): Promise<OpenedSet> {
  const fs = fsOf(await loadH5());
  const set = nextSet++, dir = `/set${set}`;
  mountSet(fs, dir, files);
  ioError = undefined;
  try {
    const ds = await openFileSet(files.map((f) => typeof f.origin === "string"
      ? servedFile({ name: f.name, size: f.size, url: f.origin }, f.origin) : chosenFile(f.origin)), [hdf5Format]);
    for (const f of files) reads.get(f.name)!.atOpen = reads.get(f.name)!.bytes;
    sets.set(set, { ds, dir });
    const { shape, dtype, calibration, metadata } = ds;
    return { set, name: ds.source.name, shape: [...shape], dtype, calibration, metadata };
  } catch (e) {
    unmountSet(fs, dir);
    throw ioError ? new Error(ioError) : e;
  }
}

function opened(set: number): { ds: Dataset; dir: string } {
  const s = sets.get(set);
  if (!s) throw new Error(`HDF5 set ${set} is closed`);
  return s;
}

/** Answers a request: the value and what to transfer with it. */
async function answer(request: Hdf5Request): Promise<[unknown, Transferable[]]> {
  switch (request.op) {
    case "open":
      return [await open(request.files), []];
    case "read": {
      const { ds } = opened(request.set);
      const dest = new Uint8Array(request.count * frameBytes(ds));
      ioError = undefined;
      await ds.source.readFrames(request.start, request.count, dest).catch((e: Error) => {
        throw ioError ? new Error(ioError) : e;
      });
      return [dest.buffer, [dest.buffer]];
    }
    case "close": {
      const { ds, dir } = opened(request.set);
      sets.delete(request.set);
      await ds.source.close?.();
      unmountSet(fsOf(await loadH5()), dir);
      return [undefined, []];
    }
    case "reads": {
      const requests: WorkerRequest[] = performance.getEntriesByType("resource")
        .filter((e) => e.name.includes("/files/")).map((e) => {
          const t = e as PerformanceResourceTiming & { responseStatus: number };
          return { url: t.name, status: t.responseStatus, bytes: t.encodedBodySize };
        });
      return [{ files: [...reads.values()], requests }, []];
    }
  }
}

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<Hdf5Request & { id: number }>) => void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};
/** Values the page cannot be sent as they are (e.g. bigints in HDF5 attributes) go as JSON. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === "bigint" ? Number(x) : x)));
scope.onmessage = async (e) => {
  const { id, ...request } = e.data;
  try {
    const [value, transfer] = await answer(request as Hdf5Request);
    try {
      scope.postMessage({ id, value }, transfer);
    } catch {
      scope.postMessage({ id, value: asJson(value) });
    }
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
