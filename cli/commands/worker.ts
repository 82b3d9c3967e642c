import type { Command } from "commander";
import { action, parsePositiveInt, withCore, type CommonOptions } from "../common.js";
import { checkRedisUrl } from "./shard.js";
import { declare } from "./index.js";

interface Flags extends CommonOptions {
  redis: string;
  queue: string;
  concurrency: string;
}

/** How long a stopping worker may take (handing its jobs back, disconnecting) before it exits anyway. */
const STOP_MS = 4000;

export function register(program: Command): void {
  declare(program, "worker")
    .requiredOption("--redis <url>", "the coordinator's Redis, e.g. redis://10.0.0.2:6379 (redis://:PASSWORD@host:port/DB)")
    .option("--queue <name>", "queue name prefix", "stem4d")
    .option("--concurrency <n>", "shard jobs at once in this process", "1")
    .option("--workers <n>", "worker threads (0 = run on the main thread; default: one per core)")
    .option("-q, --quiet", "no log lines on stderr")
    .action(action("worker", async (o: Flags) => {
      await checkRedisUrl(o.redis);
      const concurrency = parsePositiveInt(o.concurrency, "--concurrency");
      const { startShardWorker } = await import("../../bindings/scale/shard-worker.js");
      const { redactUrl } = await import("../../bindings/scale/redis-url.js");
      const log = o.quiet ? undefined : (line: string) => process.stderr.write(`worker ${process.pid}: ${line}\n`);
      // A signal before the worker is up stops the process too (Redis may be unreachable while it starts).
      const stopped = new Promise<void>((resolve) => {
        const stop = () => { resolve(); setTimeout(() => process.exit(0), STOP_MS).unref(); };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await withCore(o, async (core) => {
        const w = await Promise.race([startShardWorker({ redis: o.redis, core, queue: o.queue, concurrency, log }), stopped.then(() => undefined)]);
        if (!w) return;
        log?.(`serving ${o.queue}-shards on ${redactUrl(o.redis)}`);
        await stopped;
        log?.("stopping: handing held jobs back");
        await w.close();
      });
      log?.("stopped");
      process.exit(0);
    }));
}
