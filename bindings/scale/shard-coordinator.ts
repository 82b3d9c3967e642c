// Node-only (scale-out). The coordinator's side of a sharded run: one session per run (a run record, a heartbeat,
// the queue and its events), batches of passes cut into shard jobs, the shards' packed states merged here in shard
// order. Every wait is bounded: a lost Redis, a queue no worker serves and a shard that fails on every try each end
// the run with one line naming the cause, and the session says which shard was retried and why.
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { BinFactors } from "../analyses/bin.js";
import { type PassSpec, buildPass } from "../analyses/pass-specs.js";
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { type PartialState, finishState, mergeStates } from "../executor.js";
import { bullConnection, parseRedisUrl, probeRedis, type RedisTarget } from "./redis-url.js";
import {
  type FileRef, type Layout, type ShardDone, type ShardJob, LOCK_MS, SHARD_ATTEMPTS, describeShard, jobId, outKey, storeInputs,
} from "./shard-jobs.js";
import { cancelRun, controlClient, workersOn, createRun, dropRun, heartbeat, RUN_TTL_MS, runKey, takeNotes } from "./shard-runs.js";
import { unpackStates } from "./state-codec.js";

export interface SessionOptions {
  redis: string;
  /** Queue name prefix; default "stem4d" (queue stem4d-shards). */
  queue?: string;
  /** The file the run reads (for `shard --list`). */
  file: string;
  /** Wait this long for a worker to serve the queue before failing (default 60 s); said within a second. */
  workerWaitMs?: number;
  /** Redis unreachable for this long ends the run (default 5 s). */
  lostAfterMs?: number;
  /** Give up on a batch after this long (default 0: no limit). */
  timeoutMs?: number;
  /** Lines for the user: retried shards, missing workers. */
  onNote?: (line: string) => void;
}

export interface Batch {
  file: FileRef;
  input: Layout;
  view?: BinFactors;
  /** The viewed dataset's layout (what the passes see). */
  viewed: Layout;
  passes: PassSpec[];
  ranges: [number, number][];
  onProgress?: (done: number, total: number) => void;
}

interface Pending {
  shard: ShardJob;
  done: (r: ShardDone) => void;
  fail: (e: Error) => void;
  retried?: string;
}

export class ShardSession {
  readonly target: RedisTarget;
  readonly queueName: string;
  /** Shards retried (stalled or failed once), for the summary. */
  readonly retried: string[] = [];
  private batches = 0;
  private pending = new Map<string, Pending>();
  private failure?: Error;
  private failed: Promise<never>;
  private fail!: (e: Error) => void;
  private ticker?: NodeJS.Timeout;
  private lastOk = Date.now();
  private lastError = "";
  private noWorkerSince?: number;

  private constructor(
    private readonly o: SessionOptions, target: RedisTarget, private readonly redis: Redis,
    private readonly queue: Queue, private readonly events: QueueEvents, readonly run: string,
  ) {
    this.target = target;
    this.queueName = o.queue ?? "stem4d";
    this.failed = new Promise<never>((_, reject) => { this.fail = (e) => { this.failure ??= e; reject(this.failure); }; });
    this.failed.catch(() => {});
  }

  /** Checks Redis (bounded), records the run and starts its heartbeat. */
  static async open(o: SessionOptions): Promise<ShardSession> {
    const target = parseRedisUrl(o.redis);
    await probeRedis(target);
    const name = o.queue ?? "stem4d";
    const redis = controlClient(target);
    const connection = bullConnection(target);
    const queue = new Queue(`${name}-shards`, { connection });
    const events = new QueueEvents(`${name}-shards`, { connection });
    const lastError = { text: "" };
    const keep = (err: Error & { code?: string }) => { lastError.text = err.code ?? err.message; };
    queue.on("error", keep);
    events.on("error", keep);
    redis.on("error", keep);
    try {
      await bounded(Promise.all([redis.connect(), queue.waitUntilReady(), events.waitUntilReady()]), 10_000, `cannot reach Redis at ${target.display}`);
      const run = await createRun(redis, name, o.file);
      const s = new ShardSession(o, target, redis, queue, events, run);
      s.listen(lastError);
      return s;
    } catch (e) {
      await disconnect([queue, events], redis);
      throw e;
    }
  }

  /** Runs a batch of passes over the ranges on the workers; returns each pass's result (finished on `core`). */
  async runBatch(core: Core | undefined, b: Batch): Promise<unknown[]> {
    const states = await this.batchStates(b);
    const ds = b.viewed as unknown as Dataset;
    return b.passes.map((p, i) => finishState(core as Core, ds, buildPass(p), states[i]!));
  }

  /** The merged partial states of a batch, in the order of its passes. */
  async batchStates(b: Batch): Promise<PartialState[]> {
    if (this.failure) throw this.failure;
    const batch = this.batches++;
    const name = this.queueName, run = this.run;
    await this.race(heartbeat(this.redis, name, run));
    const wire = await this.race(storeInputs(this.redis, name, run, batch, b.passes, b.ranges));
    const shards = b.ranges.map((range, shard): ShardJob => ({
      ...b.file, run, batch, shard, shards: b.ranges.length, range, input: b.input, ...(b.view ? { view: b.view } : {}), viewed: b.viewed, passes: wire[shard]!,
    }));
    const total = b.ranges.reduce((n, [s, e]) => n + e - s, 0);
    let framesDone = 0;
    const results = shards.map((shard) => new Promise<ShardDone>((done, fail) => {
      this.pending.set(jobId(run, batch, shard.shard), { shard, done, fail });
    }));
    results.forEach((r, i) => r.then(() => { framesDone += b.ranges[i]![1] - b.ranges[i]![0]; b.onProgress?.(framesDone, total); }, () => {}));
    await this.race(this.redis.multi().sadd(runKey(name, run, "jobs"), ...shards.map((s) => jobId(run, batch, s.shard))).pexpire(runKey(name, run, "jobs"), RUN_TTL_MS).exec());
    await this.race(this.queue.addBulk(shards.map((data) => ({
      name: describeShard(data), data,
      opts: { jobId: jobId(run, batch, data.shard), attempts: SHARD_ATTEMPTS, removeOnComplete: true, removeOnFail: { age: 86400 } },
    }))));
    this.tick(); // says at once when no worker serves the queue
    const reductions = b.passes.map(buildPass);
    let merged: PartialState[] | undefined;
    const limit = this.o.timeoutMs;
    try {
      // Fold in shard order as each arrives: ((s0 + s1) + s2) + ..., the same grouping whatever the finishing order.
      for (const [i, r] of results.entries()) {
        const done = await this.race(limit ? bounded(r, limit, `timed out after ${limit / 1000} s`) : r);
        const packed = await this.race(this.redis.getBuffer(done.out));
        if (!packed) throw new Error(`the states of ${describeShard(shards[i]!)} are missing from Redis`);
        const states = unpackStates(reductions, b.viewed, packed, `${describeShard(shards[i]!)} from worker ${done.worker}`);
        merged = merged ? merged.map((m, k) => mergeStates(undefined as unknown as Core, b.viewed as unknown as Dataset, reductions[k]!, m, states[k]!)) : states;
        await this.race(this.redis.multi().del(done.out).srem(runKey(name, run, "jobs"), jobId(run, batch, i)).exec());
      }
    } finally {
      for (const s of shards) this.pending.delete(jobId(run, batch, s.shard));
    }
    return merged!;
  }

  /** Withdraws the run's jobs (Ctrl-C): workers skip them and abort any they hold. Returns the number withdrawn. */
  async cancel(): Promise<number> {
    return bounded(cancelRun(this.redis, this.queueName, this.run, (id) => this.queue.remove(id).then((n) => n === 1)), 3000, "cancel timed out");
  }

  /** Ends the session: removes the run's keys (unless it failed, so `shard --list` can show it) and disconnects. */
  async close(keep = false): Promise<void> {
    clearInterval(this.ticker);
    for (const p of this.pending.values()) p.fail(new Error("session closed"));
    if (!keep && !this.failure) await bounded(dropRun(this.redis, this.queueName, this.run), 3000, "").catch(() => {});
    await disconnect([this.queue, this.events], this.redis);
  }

  private race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  private listen(lastError: { text: string }): void {
    const pendingOf = (id: string) => this.pending.get(id);
    this.events.on("completed", ({ jobId: id, returnvalue }) => {
      const p = pendingOf(id);
      if (!p) return;
      const r = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as ShardDone;
      if (p.retried) this.note(`${describeShard(p.shard)}: done on worker ${r.worker} after ${p.retried}`);
      p.done(r);
    });
    this.events.on("failed", ({ jobId: id, failedReason }) => pendingOf(id)?.fail(new Error(failedReason)));
    this.events.on("stalled", ({ jobId: id }) => {
      const p = pendingOf(id);
      if (!p) return;
      p.retried = "a stall";
      this.retried.push(describeShard(p.shard));
      this.note(`${describeShard(p.shard)}: its worker stopped renewing the job's lock (killed or stuck; lock ${LOCK_MS / 1000} s); back in the queue for another worker`);
    });
    this.ticker = setInterval(() => this.tick(lastError), 1000);
  }

  private ticking = false;
  private async tick(lastError?: { text: string }): Promise<void> {
    if (this.ticking || this.failure) return;
    this.ticking = true;
    try {
      const state = await bounded(heartbeat(this.redis, this.queueName, this.run), 2000, "no answer");
      this.lastOk = Date.now();
      if (state === "gone") return this.fail(new Error(`Redis at ${this.target.display} lost run ${this.run} and its jobs (restarted without persistence?)`));
      if (state === "cancelled") return this.fail(new Error(`run ${this.run} was cancelled (stem4d shard --cancel)`));
      for (const line of await takeNotes(this.redis, this.queueName, this.run)) {
        const m = /^retry (\S+) (.*)$/.exec(line);
        const p = m && this.pending.get(m[1]!);
        if (p && m) {
          p.retried = "a failed attempt";
          this.retried.push(describeShard(p.shard));
        }
        this.note(m ? m[2]! : line);
      }
      if (this.pending.size) await this.checkWorkers();
    } catch {
      this.lastError = lastError?.text || this.lastError;
      const lost = Date.now() - this.lastOk, limit = this.o.lostAfterMs ?? 5000;
      if (lost > limit && !this.failure) this.fail(new Error(`lost Redis at ${this.target.display}: ${this.lastError || "no answer"} for ${Math.round(lost / 1000)} s`));
    } finally {
      this.ticking = false;
    }
  }

  private async checkWorkers(): Promise<void> {
    const workers = await bounded(workersOn(this.queue, this.target.db), 2000, "no answer");
    const wait = this.o.workerWaitMs ?? 60_000;
    if (workers > 0) {
      if (this.noWorkerSince !== undefined) this.note(`${workers} worker${workers > 1 ? "s" : ""} now serve${workers > 1 ? "" : "s"} the queue`);
      this.noWorkerSince = undefined;
      return;
    }
    if (this.noWorkerSince === undefined) {
      this.noWorkerSince = Date.now();
      this.note(`no worker serves queue ${this.queueName} on ${this.target.display} (start one: stem4d worker --redis URL --queue ${this.queueName}); waiting up to ${wait / 1000} s`);
    } else if (Date.now() - this.noWorkerSince > wait) {
      this.fail(new Error(`no worker served queue ${this.queueName} on ${this.target.display} within ${wait / 1000} s`));
    }
  }

  private note(line: string): void {
    this.o.onNote?.(line);
  }
}

async function disconnect(bull: (Queue | QueueEvents)[], redis: Redis): Promise<void> {
  // close() waits for Redis, which may be gone: give it a moment, then drop the connections.
  await bounded(Promise.allSettled(bull.map((x) => x.close())), 1500, "").catch(() => {});
  await Promise.allSettled(bull.map((x) => x.disconnect()));
  redis.disconnect();
}

export async function bounded<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
