import type { Command } from "commander";
import { type AnalysisSpec, hasAnalyses, writeResults } from "../../bindings/scale/analyses.js";
import { isDtype } from "../../bindings/dtype.js";
import type { ShardSession } from "../../bindings/scale/shard-coordinator.js";
import type { FileRef } from "../../bindings/scale/shard-jobs.js";
import { UsageError, action, inputOptions, openInput, parseIntList, parseNumberList, parsePositiveInt, progress, report, resolveCenter, type CommonOptions } from "../common.js";
import { declare } from "./index.js";
import { type AnalysisFlags, analysisOptions } from "../analysis-options.js";

/** The spec from the flags (the centre only if given); throws a UsageError for bad values. */
export function specFromOptions(o: AnalysisFlags): AnalysisSpec {
  const spec: AnalysisSpec = {};
  if (o.bf !== undefined) {
    const [r] = parseNumberList(o.bf, "--bf", 1) as [number];
    if (!(r > 0)) throw new UsageError(`--bf: radius must be positive, got ${r}`);
    spec.bf = r;
  }
  if (o.adf !== undefined) {
    const [r1, r2] = parseNumberList(o.adf, "--adf", 2) as [number, number];
    if (!(r1 >= 0 && r2 > r1)) throw new UsageError(`--adf: expected 0 <= inner < outer, got ${r1},${r2}`);
    spec.adf = [r1, r2];
  }
  if (o.com) spec.com = true;
  if (o.stats) spec.stats = true;
  if (o.center !== undefined) {
    const [cy, cx] = parseNumberList(o.center, "--center", 2) as [number, number];
    spec.center = { cy, cx };
  }
  if (!hasAnalyses(spec)) throw new UsageError("choose at least one of --bf, --adf, --com, --stats");
  return spec;
}

interface Flags extends CommonOptions, AnalysisFlags {
  redis: string;
  shards?: string;
  output?: string;
  png: boolean;
  queue: string;
  timeout?: string;
  workerWait: string;
  list?: boolean;
  cancel?: string;
}

/** The flags every command that coordinates shards takes (shard, analyze --redis). */
export function coordinatorOptions(cmd: Command, redisHelp: string): Command {
  return cmd
    .option("--redis <url>", redisHelp)
    .option("--queue <name>", "queue name prefix (workers must use the same)", "stem4d")
    .option("--worker-wait <s>", "fail when no worker serves the queue for this long (said within 1 s)", "60")
    .addHelpText("after", `
With --redis: Redis is checked within 5 s (nothing listening, not Redis, a missing or wrong password, a database
it lacks: one error line); Redis unreachable for 5 s during the run ends it. A worker killed while it holds a shard
loses the shard to another worker within about 8 s (lock 4 s, renewed every 2 s; stalled jobs looked for every
2 s), and the run says which shard was retried; a shard is tried at most 3 times. Ctrl-C withdraws the run's jobs;
\`stem4d shard --list/--cancel\` shows and cancels runs whose coordinator is gone.`);
}

/** Checks --redis up front: a malformed URL is an option error (exit status 2). */
export async function checkRedisUrl(url: string): Promise<void> {
  const { parseRedisUrl } = await import("../../bindings/scale/redis-url.js");
  try {
    parseRedisUrl(url);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** While a coordinator runs: Ctrl-C (SIGINT/SIGTERM) withdraws the run's jobs and exits 130; returns the detach. */
export function withdrawOnInterrupt(command: string, session: () => ShardSession | undefined): () => void {
  const stop = async () => {
    const s = session();
    let line = `stem4d ${command}: interrupted`;
    if (s) {
      const n = await s.cancel().catch(() => -1);
      line += n < 0 ? `; could not reach Redis at ${s.target.display} to withdraw run ${s.run} (stem4d shard --cancel ${s.run} later)` : `: run ${s.run} cancelled, ${n} waiting job${n === 1 ? "" : "s"} withdrawn`;
      await s.close(true).catch(() => {});
    }
    process.stderr.write(line + "\n");
    process.exit(130);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return () => { process.off("SIGINT", stop); process.off("SIGTERM", stop); };
}

export const noteWriter = (command: string, o: CommonOptions) => (line: string) => { if (!o.quiet) process.stderr.write(`${command}: ${line}\n`); };

export function register(program: Command): void {
  const cmd = declare(program, "shard");
  coordinatorOptions(analysisOptions(inputOptions(cmd)), "the Redis the workers use, e.g. redis://10.0.0.2:6379 (redis://:PASSWORD@host:port/DB)")
    .option("--shards <n>", "number of frame ranges")
    .option("-o, --output <dir>", "folder for the results (.npy, and .png unless --no-png)")
    .option("--no-png", "write only .npy files")
    .option("--timeout <s>", "give up after this many seconds (default: wait)")
    .option("--list", "list the runs on the queue: running, cancelled, or orphaned (coordinator gone)")
    .option("--cancel <run>", "cancel a run (its id from --list, or 'orphans'): withdraw its jobs; workers skip and abort them")
    .action(action("shard", async (file: string | undefined, o: Flags) => {
      if (!o.redis) throw new UsageError("--redis <url> is required");
      await checkRedisUrl(o.redis);
      const scale = await import("../../bindings/scale/shards.js");
      if (o.list || o.cancel !== undefined) {
        const r = await scale.manageRuns(o.redis, o.queue, o.cancel);
        report(o, { queue: o.queue, runs: r.runs, ...(o.cancel !== undefined ? { cancelled: r.cancelled } : {}) });
        return;
      }
      if (file === undefined) throw new UsageError("give a file (or --list / --cancel)");
      if (o.output === undefined) throw new UsageError("-o, --output <dir> is required");
      const shards = parsePositiveInt(o.shards, "--shards");
      let spec = specFromOptions(o);
      const timeout = o.timeout === undefined ? 0 : parsePositiveInt(o.timeout, "--timeout") * 1000;
      const workerWait = parsePositiveInt(o.workerWait, "--worker-wait") * 1000;
      if ((spec.bf !== undefined || spec.adf !== undefined || spec.com) && !spec.center) {
        // Found once here, so every shard uses the same centre.
        const ds = await openInput(file, o);
        try { spec = { ...spec, center: await resolveCenter(ds, undefined) }; } finally { await ds.source.close?.(); }
      }
      let session: ShardSession | undefined;
      const detach = withdrawOnInterrupt("shard", () => session);
      try {
        const r = await scale.runSharded({
          redis: o.redis, file, shards, spec, queue: o.queue, timeoutMs: timeout, workerWaitMs: workerWait, ...fileRefOptions(o),
          onProgress: progress("shards", o), onNote: noteWriter("shard", o),
          onSession: (s) => {
            session = s;
            if (!o.quiet) process.stderr.write(`shard: run ${s.run}: ${shards} shards of ${file} on ${s.target.display} (queue ${o.queue})\n`);
          },
        });
        const files = await writeResults(o.output, spec, r.shape, r.results, o.png);
        report(o, { outputs: files, shape: r.shape, dtype: r.dtype, shards: r.ranges.length, ranges: r.ranges, center: spec.center ?? null, run: r.run, retried: r.retried, seconds: +r.seconds.toFixed(3) });
      } finally {
        detach();
      }
    }));
}

/** The raw layout and open options of the input, as every worker must open it. */
export function fileRefOptions(o: CommonOptions): Pick<FileRef, "raw" | "options"> {
  const dtype = o.rawDtype ?? "u16";
  if (o.rawShape && !isDtype(dtype)) throw new UsageError(`--raw-dtype: '${dtype}' is not one of u8, u16, u32, f32`);
  const raw = o.rawShape && isDtype(dtype) ? { shape: parseIntList(o.rawShape, "--raw-shape"), dtype, offset: Number(o.rawOffset ?? 0), littleEndian: !o.bigEndian } : undefined;
  return { ...(raw ? { raw } : {}), ...(o.scan ? { options: { scanShape: parseIntList(o.scan, "--scan", 2) } } : {}) };
}
