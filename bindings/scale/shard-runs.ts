// Node-only (scale-out). What Redis records about each sharded run besides BullMQ's jobs, so that workers, other
// coordinators and `stem4d shard --list/--cancel` can tell a live run from an orphan:
//   <queue>:runs                  set of run ids
//   <queue>:run:<id>              hash: file, host, pid, started, state (running | cancelled)
//   <queue>:run:<id>:alive        set by the coordinator every second, expires ALIVE_MS later (a killed coordinator's
//                                 runs become orphans, whose jobs workers skip)
//   <queue>:run:<id>:jobs         the run's job ids not yet done
//   <queue>:run:<id>:notes        lines workers leave for the coordinator (a failed attempt, a released shard)
//   <queue>:run:<id>:unable       workers that could not read the run's file
//   <queue>:run:<id>:in:*, out:*  the passes' large inputs and the shards' packed states
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisTarget } from "./redis-url.js";

/** A coordinator that has not refreshed its run's alive key for this long is gone (killed, or its machine lost). */
export const ALIVE_MS = 30_000;
/** Everything a run leaves in Redis expires after a day, whatever happens to its coordinator. */
export const RUN_TTL_MS = 24 * 3600_000;

export type RunState = "running" | "cancelled" | "orphaned" | "gone";

export interface RunInfo {
  id: string;
  file: string;
  host: string;
  pid: number;
  started: string;
  state: RunState;
  /** Jobs not yet done. */
  jobs: number;
}

export const runKey = (queue: string, run: string, part?: string) => `${queue}:run:${run}${part ? `:${part}` : ""}`;

/** This process, as workers and coordinators name each other: host:pid. */
export const processName = () => `${hostname()}:${process.pid}`;

/** A connection for run records, inputs and states: commands fail at once while Redis is unreachable (no offline
 * queue), so that callers notice a lost Redis instead of waiting; it keeps reconnecting every half second. */
export function controlClient(t: RedisTarget): Redis {
  const client = new Redis({
    host: t.host, port: t.port, db: t.db, ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}),
    enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => 500, lazyConnect: true,
  });
  client.on("error", () => {}); // callers see failed commands; the last error is kept below
  return client;
}

/** Workers serving a BullMQ queue in database `db` (CLIENT LIST lists the connections of every database). */
export async function workersOn(queue: { getWorkers(): Promise<Record<string, string>[]> }, db: number): Promise<number> {
  return (await queue.getWorkers()).filter((w) => Number(w.db ?? 0) === db).length;
}

export async function createRun(redis: Redis, queue: string, file: string): Promise<string> {
  const id = randomBytes(4).toString("hex");
  const [host, pid] = processName().split(":") as [string, string];
  await redis.multi()
    .hset(runKey(queue, id), { file, host, pid, started: new Date().toISOString(), state: "running" })
    .pexpire(runKey(queue, id), RUN_TTL_MS)
    .sadd(`${queue}:runs`, id)
    .set(runKey(queue, id, "alive"), "1", "PX", ALIVE_MS)
    .exec();
  return id;
}

/** Refreshes the run's alive key; false if Redis no longer knows the run (restarted without persistence, or the run
 * was cancelled from elsewhere). */
export async function heartbeat(redis: Redis, queue: string, id: string): Promise<RunState> {
  const [[, state]] = (await redis.multi().hget(runKey(queue, id), "state").set(runKey(queue, id, "alive"), "1", "PX", ALIVE_MS).exec()) as [[unknown, string | null]];
  return state === null ? "gone" : (state as RunState);
}

export async function runState(redis: Redis, queue: string, id: string): Promise<RunState> {
  const [state, alive] = await Promise.all([redis.hget(runKey(queue, id), "state"), redis.exists(runKey(queue, id, "alive"))]);
  if (state === null) return "gone";
  return state === "running" && !alive ? "orphaned" : (state as RunState);
}

export async function listRuns(redis: Redis, queue: string): Promise<RunInfo[]> {
  const out: RunInfo[] = [];
  for (const id of await redis.smembers(`${queue}:runs`)) {
    const h = await redis.hgetall(runKey(queue, id));
    if (!h.file) {
      await redis.srem(`${queue}:runs`, id);
      continue;
    }
    out.push({
      id, file: h.file, host: h.host ?? "", pid: Number(h.pid), started: h.started ?? "",
      state: await runState(redis, queue, id), jobs: await redis.scard(runKey(queue, id, "jobs")),
    });
  }
  return out.sort((a, b) => a.started.localeCompare(b.started));
}

/** Marks the run cancelled (workers skip its jobs and abort the ones they hold), withdraws its waiting jobs with
 * `remove` and deletes its inputs. Returns the number of jobs withdrawn. */
export async function cancelRun(redis: Redis, queue: string, id: string, remove: (jobId: string) => Promise<boolean>): Promise<number> {
  await redis.hset(runKey(queue, id), { state: "cancelled" });
  let withdrawn = 0;
  for (const jobId of await redis.smembers(runKey(queue, id, "jobs"))) {
    if (await remove(jobId).catch(() => false)) {
      withdrawn++;
      await redis.srem(runKey(queue, id, "jobs"), jobId);
    }
  }
  await deleteMatching(redis, `${runKey(queue, id)}:in:*`);
  return withdrawn;
}

/** Removes every key of a finished run. */
export async function dropRun(redis: Redis, queue: string, id: string): Promise<void> {
  await deleteMatching(redis, `${runKey(queue, id)}:*`);
  await redis.multi().del(runKey(queue, id)).srem(`${queue}:runs`, id).exec();
}

async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

export async function leaveNote(redis: Redis, queue: string, run: string, line: string): Promise<void> {
  await redis.multi().rpush(runKey(queue, run, "notes"), line).pexpire(runKey(queue, run, "notes"), RUN_TTL_MS).exec();
}

export async function takeNotes(redis: Redis, queue: string, run: string): Promise<string[]> {
  const [[, lines]] = (await redis.multi().lrange(runKey(queue, run, "notes"), 0, -1).del(runKey(queue, run, "notes")).exec()) as [[unknown, string[]]];
  return lines;
}
