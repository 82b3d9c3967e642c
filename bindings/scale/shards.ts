// Node-only (scale-out; BullMQ on Redis). Shards of one dataset over machines. A coordinator splits the frames of a
// file that every machine can read into ranges and adds a BullMQ flow: one child job per range (queue
// <name>-shards) and a parent merge job (queue <name>-merge) that BullMQ starts only once every child has finished
// (fan-in). Workers run runPartials on their range and return the small partial state (state-codec.ts); the parent
// merges the states in shard order and returns the merged state, which the coordinator finishes into results.
// Jobs carry a file path, a frame range and an analysis spec (analyses.ts), never frames.
import { createConnection } from "node:net";
import { FlowProducer, QueueEvents, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Core } from "../core.js";
import { type Dataset, frameCount } from "../dataset.js";
import type { Dtype } from "../dtype.js";
import { type PartialState, finishState, mergeStates, runPartials } from "../executor.js";
import type { OpenOptions } from "../formats/registry.js";
import { openDataset } from "../node-files.js";
import type { RawLayout } from "../sources.js";
import { type AnalysisSpec, buildReductions } from "./analyses.js";
import { type EncodedState, decodeState, encodeState } from "./state-codec.js";

/** How every machine opens the file: the same path, raw layout and options. */
export interface FileRef {
  file: string;
  raw?: RawLayout;
  options?: OpenOptions;
}

interface Layout {
  shape: number[];
  dtype: Dtype;
}

interface ShardData extends FileRef, Layout {
  shard: number;
  shards: number;
  range: [number, number];
  spec: AnalysisSpec;
}

interface ShardResult {
  shard: number;
  range: [number, number];
  seconds: number;
  states: EncodedState[];
}

interface MergeData extends FileRef, Layout {
  shards: number;
  spec: AnalysisSpec;
}

interface MergeResult {
  states: EncodedState[];
  /** Characters of encoded partial state the shards sent. */
  stateChars: number;
}

/** BullMQ connection options from redis://[user:password@]host[:port][/db]. */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis: '${url}' is not a URL (expected redis://host:port)`);
  }
  if (u.protocol !== "redis:") throw new Error(`--redis: '${url}' is not a redis:// URL`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`--redis: database '${u.pathname.slice(1)}' in '${url}' is not a number`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    // BullMQ's blocking commands must not be cut short by ioredis's retry limit.
    maxRetriesPerRequest: null,
  };
}

/** Fails fast, naming the URL, when nothing listens there: BullMQ (ioredis) would otherwise retry forever, and its
 * objects cannot be closed cleanly before they have connected once. */
export async function probeRedis(url: string, ms = 5000): Promise<void> {
  const c = redisConnection(url) as { host: string; port: number };
  await new Promise<void>((resolve, reject) => {
    const sock = createConnection({ host: c.host, port: c.port });
    const fail = (why: string) => { sock.destroy(); reject(new Error(`cannot reach Redis at ${url}: ${why}`)); };
    sock.setTimeout(ms, () => fail(`no answer within ${ms / 1000} s`));
    sock.once("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    sock.once("connect", () => { sock.end(); resolve(); });
  });
}

export interface ShardOptions extends FileRef {
  redis: string;
  shards: number;
  spec: AnalysisSpec;
  /** Queue name prefix; default "stem4d" (queues stem4d-shards and stem4d-merge). */
  queue?: string;
  /** Give up waiting after this long; default 0 = wait as long as the shards take. */
  timeoutMs?: number;
  onProgress?: (shardsDone: number, shards: number) => void;
  /** Called once the jobs are queued (before any worker has taken one). */
  onQueued?: (ranges: [number, number][]) => void;
}

export interface ShardRun {
  results: unknown[];
  shape: number[];
  dtype: Dtype;
  ranges: [number, number][];
  stateChars: number;
  seconds: number;
}

/** Splits `frames` into at most `shards` contiguous ranges of nearly equal size. (Aligning them to tiles would not
 * make float sums match one pass: a merge adds whole shard sums, (t0 + t1) + (t2 + t3), where one pass adds tile
 * after tile. They match exactly when the sums are exact - detector counts summed in float64, as patternStats
 * does - and per-frame (nav) results match always.) */
export function shardRanges(frames: number, shards: number): [number, number][] {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards: expected a positive integer, got ${shards}`);
  const per = Math.max(1, Math.ceil(frames / shards));
  const out: [number, number][] = [];
  for (let s = 0; s < frames; s += per) out.push([s, Math.min(frames, s + per)]);
  return out;
}

/** Runs the spec's analyses over the file on whatever `stem4d worker` processes serve the queues. */
export async function runSharded(o: ShardOptions): Promise<ShardRun> {
  const t0 = performance.now();
  const connection = redisConnection(o.redis);
  const queue = o.queue ?? "stem4d";
  await probeRedis(o.redis);
  // The coordinator opens the file too: its layout fixes the shards, and every worker checks it sees the same.
  const ds = await openDataset(o.file, o.raw, o.options);
  let layout: Layout;
  try {
    layout = { shape: [...ds.shape], dtype: ds.dtype };
  } finally {
    await ds.source.close?.();
  }
  const reductions = buildReductions(o.spec, layout);
  const ranges = shardRanges(frameCount(layout), o.shards);
  const ref: FileRef = { file: o.file, ...(o.raw ? { raw: o.raw } : {}), ...(o.options ? { options: o.options } : {}) };

  const flow = new FlowProducer({ connection });
  const mergeEvents = new QueueEvents(`${queue}-merge`, { connection });
  const shardEvents = new QueueEvents(`${queue}-shards`, { connection });
  const closeAll = () => Promise.allSettled([flow.close(), mergeEvents.close(), shardEvents.close()]);
  try {
    await withTimeout(Promise.all([flow.waitUntilReady(), mergeEvents.waitUntilReady(), shardEvents.waitUntilReady()]), 10_000, `cannot reach Redis at ${o.redis}`);
    const mergeData: MergeData = { ...ref, ...layout, shards: ranges.length, spec: o.spec };
    const tree = await flow.add({
      name: "merge",
      queueName: `${queue}-merge`,
      data: mergeData,
      // The coordinator gets the merged state from the completion event, so the job itself need not stay.
      opts: { removeOnComplete: true, removeOnFail: { age: 7 * 86400 } },
      children: ranges.map((range, shard) => ({
        name: `shard ${shard}`,
        queueName: `${queue}-shards`,
        data: { ...ref, ...layout, shard, shards: ranges.length, range, spec: o.spec } satisfies ShardData,
        // A failed shard still releases the parent, which then fails with the shard's own error message.
        opts: { ignoreDependencyOnFailure: true, removeOnComplete: true, removeOnFail: { age: 7 * 86400 } },
      })),
    });
    o.onQueued?.(ranges);
    const ours = new Set((tree.children ?? []).map((c) => c.job.id));
    let done = 0;
    shardEvents.on("completed", ({ jobId }) => { if (ours.has(jobId)) o.onProgress?.(++done, ranges.length); });
    const wait = tree.job.waitUntilFinished(mergeEvents, o.timeoutMs || undefined) as Promise<MergeResult>;
    const merged = await wait.catch(async (e: Error) => {
      // Withdraw what has not run (after a timeout), so that no worker picks it up later; running jobs stay.
      if (/timed out/.test(e.message)) await tree.job.remove().catch(() => {});
      throw new Error(`sharded run of ${o.file} failed: ${e.message}`);
    });
    const results = reductions.map((r, i) => finishState(undefined as unknown as Core, ds, r, decodeState(r, layout, merged.states[i]!, "the merge job")));
    return { results, ...layout, ranges, stateChars: merged.stateChars, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await closeAll();
  }
}

export interface ShardWorkerOptions {
  redis: string;
  core: Core;
  queue?: string;
  /** Shard jobs run at once in this process (each uses the whole core's pool); default 1. */
  concurrency?: number;
  /** A line per job event, for the worker's log. */
  log?: (line: string) => void;
}

/** Serves the shard and merge queues until close(). */
export async function startShardWorker(o: ShardWorkerOptions): Promise<{ close(): Promise<void> }> {
  const connection = redisConnection(o.redis);
  const queue = o.queue ?? "stem4d";
  const log = o.log ?? (() => {});
  await probeRedis(o.redis);
  const shards = new Worker<ShardData, ShardResult>(`${queue}-shards`, (job) => runShard(o.core, job), { connection, concurrency: o.concurrency ?? 1 });
  const merges = new Worker<MergeData, MergeResult>(`${queue}-merge`, (job) => mergeShards(o.core, job), { connection });
  for (const w of [shards, merges]) {
    w.on("completed", (job) => log(`${job.name}: done`));
    w.on("failed", (job, err) => log(`${job?.name ?? "job"}: failed: ${err.message}`));
    w.on("error", (err) => log(`error: ${err.message}`));
  }
  try {
    await withTimeout(Promise.all([shards.waitUntilReady(), merges.waitUntilReady()]), 10_000, `cannot reach Redis at ${o.redis}`);
  } catch (e) {
    await Promise.allSettled([shards.close(), merges.close()]);
    throw e;
  }
  return { close: async () => { await Promise.all([shards.close(), merges.close()]); } };
}

async function runShard(core: Core, job: Job<ShardData>): Promise<ShardResult> {
  const d = job.data, [a, b] = d.range;
  const what = `shard ${d.shard} of ${d.shards} (frames ${a}-${b - 1} of ${d.file})`;
  const t0 = performance.now();
  let ds: Dataset | undefined;
  try {
    ds = await openDataset(d.file, d.raw, d.options);
    if (ds.dtype !== d.dtype || ds.shape.join() !== d.shape.join()) {
      throw new Error(`the file here is [${ds.shape.join(", ")}] ${ds.dtype}; the coordinator saw [${d.shape.join(", ")}] ${d.dtype}`);
    }
    const reductions = buildReductions(d.spec, d);
    const states = await runPartials(core, ds, reductions, { range: d.range });
    return { shard: d.shard, range: d.range, seconds: (performance.now() - t0) / 1000, states: states.map((s, i) => encodeState(reductions[i]!, d, s)) };
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  } finally {
    await ds?.source.close?.();
  }
}

async function mergeShards(core: Core, job: Job<MergeData>): Promise<MergeResult> {
  const d = job.data;
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  if (failures.length) throw new Error(`${failures.length} of ${d.shards} shards failed: ${failures.join("; ")}`);
  const values = Object.values(await job.getChildrenValues<ShardResult>()).sort((x, y) => x.shard - y.shard);
  if (values.length !== d.shards || values.some((v, i) => v.shard !== i)) {
    throw new Error(`merge of ${d.file}: got shards [${values.map((v) => v.shard).join(", ")}] of ${d.shards}`);
  }
  const reductions = buildReductions(d.spec, d);
  const ds = { shape: d.shape, dtype: d.dtype } as unknown as Dataset;
  let stateChars = 0;
  const merged: PartialState[] = reductions.map((r, i) => {
    let acc: PartialState | undefined;
    for (const v of values) {
      if (acc && v.range[0] !== acc.range[1]) throw new Error(`merge of ${d.file}: shard ${v.shard} starts at frame ${v.range[0]}, not ${acc.range[1]}`);
      const enc = v.states[i]!;
      for (const b of Object.values(enc.buffers)) stateChars += b.base64.length;
      const st = decodeState(r, d, enc, `shard ${v.shard} of ${d.file}`);
      acc = acc ? mergeStates(core, ds, r, acc, st) : st;
    }
    return acc!;
  });
  return { states: merged.map((s, i) => encodeState(reductions[i]!, d, s)), stateChars };
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
