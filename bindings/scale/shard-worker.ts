// Node-only (scale-out). A shard worker: takes shard jobs from the queue, opens the file as the job says (binned as
// the analysis bins it), runs the job's passes on its frame range with runPartials and stores the packed partial
// states. It skips jobs of cancelled or orphaned runs and aborts a job whose run is cancelled while it runs; a
// worker that cannot read a run's file leaves that run's shards to other workers (while any other serves the
// queue); on close it hands its jobs back to the queue at once instead of letting their locks expire.
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { binDataset } from "../analyses/bin.js";
import { buildPass } from "../analyses/pass-specs.js";
import type { Core } from "../core.js";
import { type Dataset, frameCount } from "../dataset.js";
import { runPartials } from "../executor.js";
import { openDataset } from "../node-files.js";
import { bullConnection, parseRedisUrl, probeRedis } from "./redis-url.js";
import { bounded } from "./shard-coordinator.js";
import {
  type ShardDone, type ShardJob, LOCK_MS, MAX_STALLS, SHARD_ATTEMPTS, STALL_CHECK_MS, describeShard, loadPasses, outKey,
} from "./shard-jobs.js";
import { controlClient, workersOn, leaveNote, processName, RUN_TTL_MS, runKey, runState } from "./shard-runs.js";
import { packStates } from "./state-codec.js";

export interface ShardWorkerOptions {
  redis: string;
  core: Core;
  queue?: string;
  /** Shard jobs run at once in this process (each uses the whole core's pool); default 1. */
  concurrency?: number;
  /** A line per job event, for the worker's log. */
  log?: (line: string) => void;
  /** This worker's name in notes and logs; default host:pid. */
  name?: string;
}

export interface ShardWorker {
  /** Hands held jobs back to the queue and disconnects, within about 3 s even when Redis is gone. */
  close(): Promise<void>;
}

/** A failure to read the file (this machine's problem, not the shard's). */
class UnreadableFile extends Error {}

export async function startShardWorker(o: ShardWorkerOptions): Promise<ShardWorker> {
  const target = parseRedisUrl(o.redis);
  await probeRedis(target);
  const queue = o.queue ?? "stem4d";
  const me = o.name ?? processName();
  const log = o.log ?? (() => {});
  const redis = controlClient(target);
  await bounded(redis.connect(), 10_000, `cannot reach Redis at ${target.display}`);
  const held = new Map<string, { job: Job<ShardJob>; token: string }>();
  let closing = false;
  const connection = bullConnection(target);
  const shardQueue = new Queue(`${queue}-shards`, { connection });
  const countWorkers = () => workersOn(shardQueue, target.db);

  const worker = new Worker<ShardJob, ShardDone>(`${queue}-shards`, async (job, token) => {
    if (closing) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    held.set(job.id!, { job, token: token! });
    try {
      return await runJob({ core: o.core, redis, queue, me, log, countWorkers, closing: () => closing }, job, token!);
    } finally {
      held.delete(job.id!);
    }
  }, {
    connection, concurrency: o.concurrency ?? 1, name: me,
    lockDuration: LOCK_MS, stalledInterval: STALL_CHECK_MS, maxStalledCount: MAX_STALLS,
  });
  let lastError = "", lastErrorAt = 0;
  const onError = (err: Error & { code?: string }) => {
    // ioredis reports every reconnection attempt: one line per cause and minute is enough.
    const text = err.code ?? err.message;
    if (text !== lastError || Date.now() - lastErrorAt > 60_000) log(`Redis at ${target.display}: ${text}; reconnecting`);
    lastError = text;
    lastErrorAt = Date.now();
  };
  worker.on("error", onError);
  shardQueue.on("error", onError);
  redis.on("error", onError);
  worker.on("active", (job) => log(`${job.name}: started`));
  worker.on("completed", (job) => log(`${job.name}: done`));
  worker.on("failed", (job, err) => log(`${job?.name ?? "job"}: failed: ${err.message}`));
  try {
    await bounded(worker.waitUntilReady(), 10_000, `cannot reach Redis at ${target.display}`);
  } catch (e) {
    await Promise.allSettled([worker.close(true), shardQueue.close()]);
    redis.disconnect();
    throw e;
  }
  return {
    close: async () => {
      closing = true;
      // Hand held jobs back at once (their frames are not half-merged anywhere: a shard's state only counts once it
      // completes), then close; when Redis is gone neither can finish, so both are bounded.
      await bounded(Promise.allSettled([...held.values()].map(async ({ job, token }) => {
        await job.moveToWait(token);
        await leaveNote(redis, queue, job.data.run, `worker ${me} stopped: ${describeShard(job.data)} is back in the queue`);
      })), 1000, "").catch(() => {});
      await bounded(Promise.allSettled([worker.close(true), shardQueue.close()]), 1500, "").catch(() => {});
      await Promise.allSettled([worker.disconnect(), shardQueue.disconnect()]);
      redis.disconnect();
    },
  };
}

interface JobContext {
  core: Core;
  redis: Redis;
  queue: string;
  me: string;
  log: (line: string) => void;
  countWorkers: () => Promise<number>;
  closing: () => boolean;
}

async function runJob({ core, redis, queue, me, log, countWorkers, closing }: JobContext, job: Job<ShardJob>, token: string): Promise<ShardDone> {
  const d = job.data, what = describeShard(d);
  const state = await runState(redis, queue, d.run);
  if (state !== "running") throw new UnrecoverableError(`${what}: run ${d.run} is ${state}; skipped`);
  const unable = runKey(queue, d.run, "unable");
  if (await redis.sismember(unable, me)) {
    const [workers, cannot] = await Promise.all([countWorkers(), redis.scard(unable)]);
    if (workers > cannot) {
      // Someone else may read the file: leave the shard to them without spending one of its attempts.
      await job.moveToDelayed(Date.now() + 500, token);
      throw new DelayedError();
    }
  }
  const t0 = performance.now();
  let input: Dataset | undefined, viewed: Dataset | undefined;
  try {
    try {
      input = await openDataset(d.file, d.raw, d.options);
      if (input.dtype !== d.input.dtype || input.shape.join() !== d.input.shape.join()) {
        throw new Error(`the file here is [${input.shape.join(", ")}] ${input.dtype}; the coordinator saw [${d.input.shape.join(", ")}] ${d.input.dtype}`);
      }
      viewed = d.view && (d.view.detector ?? 1) * (d.view.scan ?? 1) > 1 ? binDataset(core, input, d.view) : input;
    } catch (e) {
      await redis.multi().sadd(unable, me).pexpire(unable, RUN_TTL_MS).exec();
      throw new UnreadableFile((e as Error).message);
    }
    const passes = await loadPasses(redis, d, frameCount(viewed));
    const reductions = passes.map(buildPass);
    let cancelled = false, checked = Date.now();
    const states = await runPartials(core, viewed, reductions, {
      range: d.range,
      onProgress: () => {
        if (closing()) throw new Error("the worker is stopping");
        if (cancelled) throw new UnrecoverableError(`${what}: run ${d.run} was cancelled; aborted`);
        if (Date.now() - checked > 1000) {
          checked = Date.now();
          void runState(redis, queue, d.run).then((s) => { cancelled = s !== "running"; }, () => {});
        }
      },
    });
    const out = outKey(queue, job.id!);
    await redis.set(out, packStates(reductions, d.viewed, states), "PX", RUN_TTL_MS);
    return { out, worker: me, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    if (e instanceof UnrecoverableError || e instanceof DelayedError || e instanceof WaitingError) throw e;
    if (closing()) throw new WaitingError(); // close() handed the job back already
    const msg = `${what} on worker ${me}: ${(e as Error).message}`;
    const attempt = job.attemptsMade + 1;
    if (attempt < SHARD_ATTEMPTS && !closing()) {
      // The coordinator prints this line; "retry <job id>" tells it which shard.
      await leaveNote(redis, queue, d.run, `retry ${job.id} ${msg} (attempt ${attempt} of ${SHARD_ATTEMPTS}; retried${e instanceof UnreadableFile ? " on another worker" : ""})`).catch(() => {});
    }
    log(msg);
    throw new Error(msg);
  } finally {
    if (viewed !== input) await viewed?.source.close?.();
    await input?.source.close?.();
  }
}
