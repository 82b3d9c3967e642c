// h5wasm's Node build reads files straight from the host file system (Emscripten NODERAWFS), so a dataset is read
// hyperslab by hyperslab and never loaded whole. A browser page sets an H5wasmHost instead (setH5wasmHost).
// Everything that touches h5wasm goes through this file.
// h5wasm is loaded on first use: importing it costs a quarter of a second, which every other command would pay.
import type H5wasm from "h5wasm/node";

type H5Module = typeof H5wasm;
export type H5File = InstanceType<H5Module["File"]>;
export type H5Dataset = InstanceType<H5Module["Dataset"]>;
export type H5Group = InstanceType<H5Module["Group"]>;

let h5wasm: H5Module | undefined;

/** Where h5wasm comes from outside Node: the explorer's HDF5 worker (web/hdf5-worker.ts) loads h5wasm's ESM build
 * itself (the library's browser entry never imports it) and mounts the files of a set as lazy WORKERFS nodes. */
export interface H5wasmHost {
  load(): Promise<H5Module>;
  /** Makes `path` openable by h5wasm, or says why it is not. */
  prepare(path: string): Promise<void>;
}

let host: H5wasmHost | undefined;

/** Routes h5open through `h` instead of h5wasm's Node build (which reads the host file system). */
export function setH5wasmHost(h: H5wasmHost): void {
  host = h;
  h5wasm = undefined;
}

/** Opens an HDF5 file with h5wasm; a clear error instead of h5wasm's silent invalid handle. */
export async function h5open(path: string, mode: "r" | "w" = "r"): Promise<H5File> {
  if (!h5wasm) {
    const m = host ? await host.load() : (await import("h5wasm/node")).default;
    await m.ready;
    h5wasm = m;
  }
  await host?.prepare(path);
  const f = new h5wasm.File(path, mode);
  if (f.file_id < 0n) throw new Error(`${path}: h5wasm cannot open this file as HDF5 (mode ${mode})`);
  return f;
}

// Objects only exist once a file was opened, so h5wasm is loaded whenever these are asked.
export const isDataset = (x: unknown): x is H5Dataset => !!h5wasm && x instanceof h5wasm.Dataset;
export const isGroup = (x: unknown): x is H5Group => !!h5wasm && x instanceof h5wasm.Group;

/** The child names of a group, or [] when `path` is not a group (never triggers h5wasm's error printing). */
export function childNames(f: H5File, path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  let g: H5Group = f;
  for (const p of parts) {
    if (!g.keys().includes(p)) return [];
    const next = g.get(p);
    if (!isGroup(next)) return [];
    g = next;
  }
  return g.keys();
}

/** The object at `path`, or undefined when any part of the path is missing. */
export function getPath(f: H5File, path: string): unknown {
  const parts = path.split("/").filter(Boolean);
  let cur: unknown = f;
  for (const p of parts) {
    if (!isGroup(cur) || !cur.keys().includes(p)) return undefined;
    cur = cur.get(p);
  }
  return cur;
}

/** Attributes of an object as plain JSON values (bigints become numbers, 1-element arrays their element). */
export function attrsOf(obj: { attrs: Record<string, { json_value: unknown }> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj.attrs)) {
    try {
      out[k] = plain(obj.attrs[k]!.json_value);
    } catch {
      out[k] = "(unreadable)";
    }
  }
  return out;
}

export function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.length === 1 ? plain(v[0]) : v.map(plain);
  return v;
}

/** Every dataset under `path`, depth first, with its shape. */
export function walkDatasets(f: H5File, path = "/", depth = 0, out: { path: string; shape: number[] }[] = []): { path: string; shape: number[] }[] {
  if (depth > 32) return out;
  for (const name of childNames(f, path)) {
    const p = (path === "/" ? "" : path) + "/" + name;
    const obj = getPath(f, p);
    if (isDataset(obj)) out.push({ path: p, shape: obj.shape ?? [] });
    else if (isGroup(obj)) walkDatasets(f, p, depth + 1, out);
  }
  return out;
}

