// Node-only (scale-out; BullMQ on Redis). Shards of one dataset over machines. A coordinator splits the frames of a
// file that every machine can read into ranges, one job per range on the queue <name>-shards; `stem4d worker`
// processes run the job's passes (pass-specs.ts, rebuilt from plain data) on their range with runPartials and store
// the small partial state; the coordinator merges the states in shard order and finishes them into results. Jobs
// carry a file path, a frame range and the passes' names and parameters; their large inputs (matrices, per-frame
// rows) sit in Redis keys, never frames. The engine: shard-coordinator.ts and shard-worker.ts; its records:
// shard-runs.ts; what travels: shard-jobs.ts.
import { Queue } from "bullmq";
import { frameCount } from "../dataset.js";
import { openDataset } from "../node-files.js";
import { type AnalysisSpec, analysisPasses } from "./analyses.js";
import { ShardSession, bounded } from "./shard-coordinator.js";
import { bullConnection, parseRedisUrl, probeRedis } from "./redis-url.js";
import { type RunInfo, cancelRun, controlClient, listRuns } from "./shard-runs.js";
import type { FileRef, Layout } from "./shard-jobs.js";

export { startShardWorker, type ShardWorker, type ShardWorkerOptions } from "./shard-worker.js";
export { ShardSession, type SessionOptions } from "./shard-coordinator.js";
export { probeRedis, parseRedisUrl, redactUrl, RedisUrlError } from "./redis-url.js";
export type { FileRef } from "./shard-jobs.js";

export interface ShardOptions extends FileRef {
  redis: string;
  shards: number;
  spec: AnalysisSpec;
  /** Queue name prefix; default "stem4d" (queue stem4d-shards). */
  queue?: string;
  /** Give up waiting after this long; default 0 = wait as long as the shards take. */
  timeoutMs?: number;
  /** Wait this long for a worker to serve the queue (default 60 s). */
  workerWaitMs?: number;
  onProgress?: (framesDone: number, frames: number) => void;
  /** Called once the session is open, before the jobs are queued: the run id, to cancel it on Ctrl-C. */
  onSession?: (session: ShardSession) => void;
  /** Retried shards, missing workers. */
  onNote?: (line: string) => void;
}

export interface ShardRun {
  results: unknown[];
  shape: number[];
  dtype: Layout["dtype"];
  ranges: [number, number][];
  /** Shards retried after a stall or a failed attempt. */
  retried: string[];
  run: string;
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

/** The file's layout, as the coordinator sees it (every worker checks it sees the same). */
export async function fileLayout(ref: FileRef): Promise<Layout> {
  const ds = await openDataset(ref.file, ref.raw, ref.options);
  try {
    return { shape: [...ds.shape], dtype: ds.dtype };
  } finally {
    await ds.source.close?.();
  }
}

/** Runs the spec's analyses (virtual images, centre of mass, statistics) over the file on the workers. */
export async function runSharded(o: ShardOptions): Promise<ShardRun> {
  const t0 = performance.now();
  const ref: FileRef = { file: o.file, ...(o.raw ? { raw: o.raw } : {}), ...(o.options ? { options: o.options } : {}) };
  const layout = await fileLayout(ref);
  const passes = analysisPasses(o.spec, layout);
  const ranges = shardRanges(frameCount(layout), o.shards);
  const session = await ShardSession.open({ redis: o.redis, queue: o.queue, file: o.file, timeoutMs: o.timeoutMs, workerWaitMs: o.workerWaitMs, onNote: o.onNote });
  o.onSession?.(session);
  let ok = false;
  try {
    const results = await session.runBatch(undefined, { file: ref, input: layout, viewed: layout, passes, ranges, onProgress: o.onProgress })
      .catch((e: Error) => { throw new Error(`sharded run of ${o.file} failed: ${e.message}`); });
    ok = true;
    return { results, ...layout, ranges, retried: session.retried, run: session.run, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await session.close(!ok);
  }
}

/** The runs Redis knows on the queue (`which` omitted), or cancels the run `which` ("orphans": every run whose
 * coordinator is gone): marks it cancelled, withdraws its waiting jobs, deletes its inputs. */
export async function manageRuns(redis: string, queue = "stem4d", which?: string): Promise<{ runs: RunInfo[]; cancelled: { id: string; withdrawn: number }[] }> {
  const target = parseRedisUrl(redis);
  await probeRedis(target);
  const client = controlClient(target);
  const shardQueue = new Queue(`${queue}-shards`, { connection: bullConnection(target) });
  shardQueue.on("error", () => {});
  try {
    await bounded(client.connect(), 5000, `cannot reach Redis at ${target.display}`);
    const runs = await listRuns(client, queue);
    const cancelled: { id: string; withdrawn: number }[] = [];
    if (which !== undefined) {
      const chosen = which === "orphans" ? runs.filter((r) => r.state === "orphaned") : runs.filter((r) => r.id === which);
      if (which !== "orphans" && chosen.length === 0) throw new Error(`no run ${which} on queue ${queue} at ${target.display} (stem4d shard --list shows them)`);
      for (const r of chosen) cancelled.push({ id: r.id, withdrawn: await cancelRun(client, queue, r.id, (id) => shardQueue.remove(id).then((n) => n === 1)) });
    }
    return { runs: which === undefined ? runs : await listRuns(client, queue), cancelled };
  } finally {
    await bounded(shardQueue.close(), 1500, "").catch(() => shardQueue.disconnect());
    client.disconnect();
  }
}
