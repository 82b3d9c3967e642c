// Zarr arrays as datasets, through zarrita: Zarr v3 (what `convert` writes, whole-frame zstd chunks; and what
// zarr-python writes: any regular chunk grid, bytes + zstd/gzip/blosc...) and Zarr v2 (HyperSpy's .zspy, whose signal
// sits at "Experiments/<title>/data" with its axes in the group's attributes). The last two axes are the frame.
// A block of frames is fetched as one selection along the first axis (whole rows of the scan, so each chunk is
// decoded about once per block); uint8/16/32 and float32 are kept, other real types become f32 (elements.ts).
import type { Calibration, Dataset, FrameSource } from "../../dataset.js";
import { dtypeSize, type Dtype } from "../../dtype.js";
import { checkScan } from "../records.js";

import type { Readable } from "@zarrita/storage";
import type * as Z from "zarrita";

// zarrita is loaded on first use (its import costs more than a tenth of a second).
const zarrita = () => import("zarrita");
type Zarrita = typeof Z;
type ZArray = Z.Array<Z.DataType, Readable>;
type ZLocation = Z.Location<Readable>;

export interface ZarrOptions {
  scanShape?: number[];
  /** Path of the array inside the store, when the root is a group (e.g. "Experiments/__unnamed__/data"). */
  dataset?: string;
}

const KEPT: Record<string, Dtype> = { uint8: "u8", uint16: "u16", uint32: "u32", float32: "f32" };
const AS_F32 = new Set(["int8", "int16", "int32", "int64", "uint64", "float64"]);

/**
 * Opens the array at `options.dataset` (or the root, or the one array a HyperSpy .zspy's Experiments group holds) of
 * a zarrita store. `listDir` names the children of a path, where the store can list (file systems).
 */
export async function openZarr(store: Readable, name: string, options: ZarrOptions = {},
  listDir?: (path: string) => Promise<string[]>): Promise<Dataset> {
  const zarr = await zarrita();
  const root: ZLocation = zarr.root(store);
  const path = options.dataset ?? (await defaultArrayPath(zarr, root, listDir, name));
  let arr: ZArray, version: 2 | 3;
  try {
    ({ arr, version } = await openArray(zarr, path ? root.resolve(path) : root));
  } catch (e) {
    throw new Error(`${name}: no Zarr array at ${path ? `"${path}"` : "the root"} (${(e as Error).message})`);
  }
  const where = `${name}${path ? `:/${path}` : ""}`;
  const counts = (a: unknown, length: number) =>
    Array.isArray(a) && a.length === length && a.every((v) => Number.isSafeInteger(v) && v >= 1);
  const meta = arr as unknown as { shape: unknown; chunks: unknown };
  if (!Array.isArray(meta.shape) || !counts(meta.shape, meta.shape.length) || !counts(meta.chunks, meta.shape.length)) {
    throw new Error(`${where}: Zarr metadata gives shape ${JSON.stringify(meta.shape)} and chunks ` +
        `${JSON.stringify(meta.chunks)}; expected positive integers, one chunk size per axis`);
  }
  const kept = KEPT[arr.dtype];
  if (!kept && !AS_F32.has(arr.dtype)) throw new Error(`${where}: Zarr data type ${arr.dtype} is not supported; ` +
      `expected an integer or float type`);
  const dtype: Dtype = kept ?? "f32";
  const full = arr.shape.length === 2 ? [1, ...arr.shape] : [...arr.shape];
  if (full.length < 3) throw new Error(`${where}: shape [${arr.shape.join(", ")}] has no frame (expected at least 2 ` +
      `axes)`);
  const nav = full.slice(0, -2), frames = nav.reduce((a, b) => a * b, 1);
  const scan = options.scanShape ? [...options.scanShape] : nav;
  checkScan(where, scan, frames);
  const attrs = (arr.attrs ?? {}) as Record<string, unknown>;
  const parentAttrs = path.includes("/") ? await groupAttrs(zarr, root, path.slice(0, path.lastIndexOf("/"))) : {};
  return {
    shape: [...scan, full.at(-2)!, full.at(-1)!],
    dtype,
    source: zarrSource(zarr, arr, where, full, dtype, scan.reduce((a, b) => a * b, 1)),
    calibration: calibration(attrs, parentAttrs, full.length, !options.scanShape),
    metadata: {
      format: `zarr v${version}`,
      array: path || "/",
      dataType: arr.dtype,
      chunks: arr.chunks,
      ...(arr.dimensionNames ? { dimensionNames: arr.dimensionNames } : {}),
      attributes: attrs,
      ...(Object.keys(parentAttrs).length ? { groupAttributes: parentAttrs } : {}),
    },
  };
}

/** The array at a location, and which Zarr version says so (v3 "zarr.json" first, then v2 ".zarray"). */
async function openArray(zarr: Zarrita, loc: ZLocation): Promise<{ arr: ZArray; version: 2 | 3 }> {
  try {
    return { arr: await zarr.open.v3(loc, { kind: "array" }), version: 3 };
  } catch (v3) {
    try {
      return { arr: await zarr.open.v2(loc, { kind: "array" }), version: 2 };
    } catch {
      throw v3;
    }
  }
}

/** The root when it is an array; else the single "Experiments/<title>/data" of a HyperSpy file. */
async function defaultArrayPath(zarr: Zarrita, root: ZLocation, listDir: ((p: string) => Promise<string[]>) | undefined,
  name: string): Promise<string> {
  try {
    await openArray(zarr, root);
    return "";
  } catch { /* a group: look inside */ }
  const listed = listDir ? await listDir("Experiments").catch(() => []) : [];
  const titles = listed.filter((t) => !t.startsWith(".") && t !== "zarr.json");
  if (titles.length === 1) return `Experiments/${titles[0]}/data`;
  throw new Error(`${name}: the Zarr root is a group; say which array to read (--dataset ` +
      `path/in/store${titles.length ? `, e.g. Experiments/${titles[0]}/data` : ""})`);
}

async function groupAttrs(zarr: Zarrita, root: ZLocation, path: string): Promise<Record<string, unknown>> {
  try {
    return ((await zarr.open(root.resolve(path), { kind: "group" })).attrs ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function zarrSource(zarr: Zarrita, arr: ZArray, where: string, full: number[], dtype: Dtype, frames: number):
  FrameSource {
  const q = full.at(-1)! * full.at(-2)!, fb = q * dtypeSize(dtype);
  const nav = full.slice(0, -2);
  // Chunks of one whole frame each (what `convert` writes): fetched chunk by chunk, no selection to assemble.
  const wholeFrames = arr.shape.length > 2
    && arr.chunks.every((c, i) => (i < nav.length ? c === 1 : c === arr.shape[i]));
  /** Copies (or converts to f32) `src` values into `to`. */
  const emit = (src: ChunkData, to: Uint8Array) => {
    if (KEPT[arr.dtype]) to.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    else if (typeof src[0] === "bigint") {
      const f = new Float32Array(to.buffer, to.byteOffset, src.length);
      for (let i = 0; i < f.length; i++) f[i] = Number(src[i]);
    } else new Float32Array(to.buffer, to.byteOffset, src.length).set(src as ArrayLike<number>);
  };
  return {
    name: where,
    async readFrames(start, count, dest) {
      const inside = Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0;
      if (!inside || start + count > frames) {
        throw new RangeError(`${where}: frames [${start}, ${start + count}) are outside the dataset's ${frames} ` +
            `frames`);
      }
      if (count === 0) return;
      const out = dest.subarray(0, count * fb);
      try {
        if (wholeFrames) {
          const frame = (k: number) => out.subarray(k * fb, (k + 1) * fb);
          await readChunkPerFrame(arr, nav, where, start, count, (k, data) => emit(data, frame(k)));
        } else await readSlab(zarr, arr, full, where, start, count, out, emit);
      } catch (e) {
        if ((e as Error).message.startsWith(where)) throw e;
        throw new Error(`${where}: cannot read frames [${start}, ${start + count}) (${(e as Error).message})`);
      }
    },
  };
}

/** What zarrita returns as data: a typed array of the array's type. */
type ChunkData = ArrayLike<number | bigint> & ArrayBufferView & { subarray(a: number, b: number): ChunkData };

const CONCURRENT_CHUNKS = 8;

/** Frames [start, start + count) of an array chunked frame by frame: `visit(k, values)` for each, k from 0. */
async function readChunkPerFrame(arr: ZArray, nav: number[], where: string, start: number, count: number,
  visit: (k: number, data: ChunkData) => void): Promise<void> {
  const coords = (i: number) => {
    const c = new Array<number>(nav.length + 2).fill(0);
    for (let a = nav.length - 1; a >= 0; a--) { c[a] = i % nav[a]!; i = Math.floor(i / nav[a]!); }
    return c;
  };
  for (let k0 = 0; k0 < count; k0 += CONCURRENT_CHUNKS) {
    const ks = Array.from({ length: Math.min(CONCURRENT_CHUNKS, count - k0) }, (_, j) => k0 + j);
    const chunks = await Promise.all(ks.map((k) => arr.getChunk(coords(start + k))));
    chunks.forEach((c, j) => visit(ks[j]!, cOrder(c as unknown as Strided, where).data));
  }
}

/** Frames [start, start + count) as one selection along the first axis (whole rows of the scan). */
async function readSlab(zarr: Zarrita, arr: ZArray, full: number[], where: string, start: number, count: number,
  out: Uint8Array, emit: (src: ChunkData, to: Uint8Array) => void): Promise<void> {
  const q = full.at(-1)! * full.at(-2)!;
  const perRow = full.slice(1, -2).reduce((a, b) => a * b, 1); // frames per index of the first axis
  const r0 = Math.floor(start / perRow), r1 = Math.floor((start + count - 1) / perRow) + 1;
  const sel = arr.shape.length === 2 ? [null, null] : [zarr.slice(r0, r1), ...full.slice(1).map(() => null)];
  const c = cOrder((await zarr.get(arr, sel)) as unknown as Strided, where);
  const from = (start - r0 * perRow) * q;
  emit(c.data.subarray(from, from + count * q), out);
}

type Strided = { data: ChunkData; shape: number[]; stride: number[] };

/** The values as they are when C-ordered; else an error (F-ordered v2 arrays are not read). */
function cOrder(c: Strided, where: string): Strided {
  if (c.stride.at(-1) !== 1 || (c.shape.length > 1 && c.stride.at(-2) !== c.shape.at(-1))) {
    throw new Error(`${where}: the array is not stored in C order (strides [${c.stride.join(", ")}]); stem4d ` +
        `reads C-ordered Zarr arrays`);
  }
  return c;
}

/** Our writer's calibration attribute, else HyperSpy's per-axis attributes ("axis-0"...), else the axes' names. */

function calibration(attrs: Record<string, unknown>, parent: Record<string, unknown>, rank: number, fileScan: boolean):
  Calibration | undefined {
  const ours = (attrs.stem4d as { calibration?: Calibration } | undefined)?.calibration;
  if (ours && fileScan) return ours;
  type HsAxis = { name?: unknown; scale?: unknown; units?: unknown } | undefined;
  const hs = Array.from({ length: rank }, (_, i) => parent[`axis-${i}`] as HsAxis);
  if (!hs.every((a) => a && typeof a === "object") || !fileScan) return undefined;
  return {
    axes: hs.map((a) => ({
      ...(typeof a!.name === "string" ? { name: a!.name } : {}),
      ...(typeof a!.scale === "number" ? { step: a!.scale } : {}),
      ...(typeof a!.units === "string" ? { unit: a!.units } : {}),
    })),
  };
}
