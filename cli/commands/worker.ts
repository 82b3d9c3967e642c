import type { Command } from "commander";
import { startShardWorker } from "../../bindings/scale/shards.js";
import { action, parsePositiveInt, withCore, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Flags extends CommonOptions {
  redis: string;
  queue: string;
  concurrency: string;
}

export function register(program: Command): void {
  declare(program, "worker")
    .requiredOption("--redis <url>", "the coordinator's Redis, e.g. redis://10.0.0.2:6379")
    .option("--queue <name>", "queue name prefix", "stem4d")
    .option("--concurrency <n>", "shard jobs at once in this process", "1")
    .option("--workers <n>", "worker threads (0 = run on the main thread; default: one per core)")
    .option("-q, --quiet", "no log lines on stderr")
    .action(action("worker", async (o: Flags) => {
      await withCore(o, async (core) => {
        const log = o.quiet ? undefined : (line: string) => process.stderr.write(`worker ${process.pid}: ${line}\n`);
        const w = await startShardWorker({ redis: o.redis, core, queue: o.queue, concurrency: parsePositiveInt(o.concurrency, "--concurrency"), log });
        log?.(`serving ${o.queue}-shards and ${o.queue}-merge on ${o.redis}`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        log?.("closing");
        await w.close();
      });
    }));
}
