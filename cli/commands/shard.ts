import type { Command } from "commander";
import { type AnalysisSpec, hasAnalyses, writeResults } from "../../bindings/scale/analyses.js";
import { isDtype } from "../../bindings/node.js";
import { UsageError, action, inputOptions, openInput, parseIntList, parseNumberList, parsePositiveInt, progress, report, resolveCenter, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

/** The analysis flags shared by `shard` and `stream receive`. */
export interface AnalysisFlags {
  bf?: string;
  adf?: string;
  com?: boolean;
  stats?: boolean;
  center?: string;
}

export function analysisOptions(cmd: Command): Command {
  return cmd
    .option("--bf <radius>", "bright-field disk of this radius (detector pixels): bf.npy")
    .option("--adf <inner,outer>", "annular dark field between these radii: adf.npy")
    .option("--com", "centre of mass: com_y.npy, com_x.npy")
    .option("--stats", "mean and max pattern: mean.npy, max.npy")
    .option("--center <cy,cx>", "pattern centre; default: found from the bright-field disk");
}

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
  shards: string;
  output: string;
  png: boolean;
  queue: string;
  timeout?: string;
}

export function register(program: Command): void {
  analysisOptions(inputOptions(declare(program, "shard")))
    .requiredOption("--redis <url>", "the Redis the workers use, e.g. redis://10.0.0.2:6379")
    .requiredOption("--shards <n>", "number of frame ranges")
    .requiredOption("-o, --output <dir>", "folder for the results (.npy, and .png unless --no-png)")
    .option("--no-png", "write only .npy files")
    .option("--queue <name>", "queue name prefix (workers must use the same)", "stem4d")
    .option("--timeout <s>", "give up after this many seconds (default: wait)")
    .action(action("shard", async (file: string, o: Flags) => {
      let spec = specFromOptions(o);
      const shards = parsePositiveInt(o.shards, "--shards");
      const timeout = o.timeout === undefined ? 0 : parsePositiveInt(o.timeout, "--timeout") * 1000;
      if ((spec.bf !== undefined || spec.adf !== undefined || spec.com) && !spec.center) {
        // Found once here, so every shard uses the same centre.
        const ds = await openInput(file, o);
        try { spec = { ...spec, center: await resolveCenter(ds, undefined) }; } finally { await ds.source.close?.(); }
      }
      const dtype = o.rawDtype ?? "u16";
      if (o.rawShape && !isDtype(dtype)) throw new UsageError(`--raw-dtype: '${dtype}' is not one of u8, u16, u32, f32`);
      const raw = o.rawShape && isDtype(dtype) ? { shape: parseIntList(o.rawShape, "--raw-shape"), dtype, offset: Number(o.rawOffset ?? 0), littleEndian: !o.bigEndian } : undefined;
      // Loaded here so that `stream`, which shares this file's flags, does not load BullMQ.
      const { runSharded } = await import("../../bindings/scale/shards.js");
      const r = await runSharded({
        redis: o.redis, file, shards, spec, queue: o.queue, timeoutMs: timeout,
        ...(raw ? { raw } : {}), ...(o.scan ? { options: { scanShape: parseIntList(o.scan, "--scan", 2) } } : {}),
        onProgress: progress("shards", o),
        onQueued: (ranges) => { if (!o.quiet) process.stderr.write(`shard: ${ranges.length} shards of ${file} queued on ${o.redis} (queue ${o.queue}); waiting for workers\n`); },
      });
      const files = await writeResults(o.output, spec, r.shape, r.results, o.png);
      report(o, { outputs: files, shape: r.shape, dtype: r.dtype, shards: r.ranges.length, ranges: r.ranges, center: spec.center ?? null, stateKB: +(r.stateChars / 1024).toFixed(1), seconds: +r.seconds.toFixed(3) });
    }));
}
