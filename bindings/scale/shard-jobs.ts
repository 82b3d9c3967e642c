// Node-only (scale-out). What a shard job carries and how its large inputs travel: the job names a file, a frame
// range, how to view the file (detector and scan binning) and its passes as plain data (pass-specs.ts); the passes'
// arrays go to Redis keys once per batch (a per-frame array as one key per shard, holding only that shard's rows),
// and the job carries only the key names. The shard's partial states come back packed (state-codec.ts) under a key
// of their own, and the job's return value names it.
import type { Redis } from "ioredis";
import type { BinFactors } from "../analyses/bin.js";
import type { PassArray, PassParams, PassSpec } from "../analyses/pass-specs.js";
import type { Dtype } from "../dtype.js";
import type { OpenOptions } from "../formats/registry.js";
import type { RawLayout } from "../sources.js";
import { RUN_TTL_MS, runKey } from "./shard-runs.js";

/** Tries per shard before the run fails (a worker that cannot read the file leaves its shards to others). */
export const SHARD_ATTEMPTS = 3;
/** A worker renews the lock on its job every LOCK_MS / 2; a lock not renewed for LOCK_MS has expired, and every
 * worker looks for such stalled jobs every STALL_CHECK_MS: a killed worker's shard is back in the queue within
 * about LOCK_MS + 2 STALL_CHECK_MS = 8 s. A worker whose event loop stops for more than 2 s loses its lock. */
export const LOCK_MS = 4000;
export const STALL_CHECK_MS = 2000;
/** Stalls a shard survives before it fails the run (a shard that kills every worker it lands on). */
export const MAX_STALLS = 2;

/** How every machine opens the file: the same path, raw layout and options. */
export interface FileRef {
  file: string;
  raw?: RawLayout;
  options?: OpenOptions;
}

export interface Layout {
  shape: number[];
  dtype: Dtype;
}

interface WireArray {
  key: string;
  type: "f32" | "i32";
  /** Values stored under the key. */
  length: number;
}

interface WirePass {
  pass: PassSpec["pass"];
  params: PassParams;
  arrays: Record<string, WireArray>;
  navArrays: Record<string, WireArray & { per: number }>;
}

export interface ShardJob extends FileRef {
  run: string;
  batch: number;
  shard: number;
  shards: number;
  /** Frames [start, end) of the viewed dataset. */
  range: [number, number];
  /** The file's layout as the coordinator saw it; the view's layout (what the passes see). */
  input: Layout;
  view?: BinFactors;
  viewed: Layout;
  passes: WirePass[];
}

export interface ShardDone {
  /** Key of the packed partial states. */
  out: string;
  worker: string;
  seconds: number;
}

export const jobId = (run: string, batch: number, shard: number) => `${run}.${batch}.${shard}`;
export const outKey = (queue: string, id: string) => runKey(queue, id.split(".")[0]!, `out:${id}`);
export const describeShard = (j: Pick<ShardJob, "shard" | "shards" | "range" | "file">) =>
  `shard ${j.shard} of ${j.shards} (frames ${j.range[0]}-${j.range[1] - 1} of ${j.file})`;

const bytesOf = (a: PassArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const typeOf = (a: PassArray): WireArray["type"] => (a instanceof Int32Array ? "i32" : "f32");

/** Stores the batch's arrays in Redis and returns each shard's passes as they travel. */
export async function storeInputs(redis: Redis, queue: string, run: string, batch: number, passes: PassSpec[], ranges: [number, number][]): Promise<WirePass[][]> {
  const tx = redis.multi();
  const put = (name: string, a: PassArray): WireArray => {
    const key = runKey(queue, run, `in:${batch}.${name}`);
    tx.set(key, bytesOf(a), "PX", RUN_TTL_MS);
    return { key, type: typeOf(a), length: a.length };
  };
  const whole = passes.map((p, i) => Object.fromEntries(Object.entries(p.arrays).map(([name, a]) => [name, put(`${i}.${name}`, a)])));
  const wire = ranges.map(([a, b], shard) => passes.map((p, i): WirePass => ({
    pass: p.pass, params: p.params, arrays: whole[i]!,
    navArrays: Object.fromEntries(Object.entries(p.navArrays).map(([name, { data, per }]) =>
      [name, { ...put(`${i}.${name}.${shard}`, data.subarray(a * per, b * per)), per }])),
  })));
  await tx.exec();
  return wire;
}

/** The job's passes with their arrays fetched; a per-frame array is whole-length, filled on the shard's rows. */
export async function loadPasses(redis: Redis, job: ShardJob, frames: number): Promise<PassSpec[]> {
  const cache = new Map<string, PassArray>();
  const fetch = async (w: WireArray, what: string): Promise<PassArray> => {
    const bytes = await redis.getBuffer(w.key);
    const size = 4;
    if (!bytes || bytes.length !== w.length * size) {
      throw new Error(`input ${what} (${w.key}) is ${bytes ? `${bytes.length} bytes, expected ${w.length * size}` : "missing from Redis (the run was cancelled or Redis restarted)"}`);
    }
    const copy = new Uint8Array(bytes); // aligned
    return w.type === "i32" ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
  };
  const [a, b] = job.range;
  return Promise.all(job.passes.map(async (p): Promise<PassSpec> => {
    const arrays: Record<string, PassArray> = {};
    for (const [name, w] of Object.entries(p.arrays)) {
      if (!cache.has(w.key)) cache.set(w.key, await fetch(w, name));
      arrays[name] = cache.get(w.key)!;
    }
    const navArrays: PassSpec["navArrays"] = {};
    for (const [name, w] of Object.entries(p.navArrays)) {
      const rows = await fetch(w, name);
      if (rows.length !== (b - a) * w.per) throw new Error(`input ${name} has ${rows.length} values for frames ${a}-${b - 1}; expected ${(b - a) * w.per}`);
      const data = w.type === "i32" ? new Int32Array(frames * w.per) : new Float32Array(frames * w.per);
      data.set(rows, a * w.per);
      navArrays[name] = { data, per: w.per };
    }
    return { pass: p.pass, params: p.params, arrays, navArrays };
  }));
}
