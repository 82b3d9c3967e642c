import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeNpyFloat32 } from "../../bindings/npy.js";
import { kmeans } from "../../bindings/analyses/kmeans.js";
import { UsageError, action, parseIntList, parsePositiveInt, report, withCore, writeNpy, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output: string;
  k: string;
  dims?: string;
  seed: string;
  replicates: string;
  distance: string;
  maxIter: string;
  emptyAction: string;
}

/** A 2D float array from a .npy file (any numeric dtype), as float32 rows. */
export function readMatrix(path: string, what: string): { data: Float32Array; rows: number; cols: number } {
  let a;
  try {
    a = decodeNpyFloat32(readFileSync(path), path);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
  if (a.shape.length !== 2) throw new UsageError(`${what}: ${path} has shape [${a.shape.join(", ")}]; expected a 2D array (rows x columns)`);
  return { data: a.data, rows: a.shape[0]!, cols: a.shape[1]! };
}

/** The scan shape for per-position maps: --scan, else the analysed shape in a summary.json beside `path`, else flat. */
export function scanShapeFor(path: string, positions: number, scan: string | undefined): number[] {
  if (scan) {
    const s = parseIntList(scan, "--scan");
    if (s.reduce((a, b) => a * b, 1) !== positions) throw new UsageError(`--scan ${scan} holds ${s.reduce((a, b) => a * b, 1)} positions; the data have ${positions}`);
    return s;
  }
  const summary = join(dirname(path), "summary.json");
  if (existsSync(summary)) {
    try {
      const shape = JSON.parse(readFileSync(summary, "utf8"))?.analysed?.shape as number[] | undefined;
      const nav = shape?.slice(0, -2);
      if (nav && nav.reduce((a, b) => a * b, 1) === positions) return nav;
    } catch { /* not ours: fall through */ }
  }
  return [positions];
}

export function register(program: Command): void {
  declare(program, "kmeans")
    .requiredOption("-o, --output <dir>", "output folder (created with its parents if missing)")
    .option("--k <n>", "clusters", "36")
    .option("--dims <n>", "use the first n columns (default: all, at most 256)")
    .option("--seed <n>", "random seed", "0")
    .option("--replicates <n>", "k-means++ restarts; the best inertia is kept", "10")
    .option("--distance <d>", "sqeuclidean (mean centroids) or cityblock (median centroids)", "sqeuclidean")
    .option("--max-iter <n>", "Lloyd iterations per replicate at most", "300")
    .option("--empty-action <a>", "a cluster that loses all its points: singleton (restart it from the farthest point) or error", "singleton")
    .option("--scan <rows,cols>", "scan shape of the label map (default: from summary.json beside the scores, else flat)")
    .option("--workers <n>", "worker threads (0 = main thread)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("kmeans", async (file: string, o: Options) => {
      const { data, rows, cols } = readMatrix(file, "scores");
      const k = parsePositiveInt(o.k, "--k");
      const dims = o.dims === undefined ? Math.min(256, cols) : parsePositiveInt(o.dims, "--dims");
      if (dims > cols) throw new UsageError(`--dims ${dims} exceeds the ${cols} columns of ${file}`);
      if (k > rows) throw new UsageError(`--k ${k} exceeds the ${rows} probe positions (rows) of ${file}`);
      if (o.distance !== "sqeuclidean" && o.distance !== "cityblock") throw new UsageError(`--distance: expected sqeuclidean or cityblock, got '${o.distance}'`);
      if (o.emptyAction !== "singleton" && o.emptyAction !== "error") throw new UsageError(`--empty-action: expected singleton or error, got '${o.emptyAction}'`);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got '${o.seed}'`);
      const nav = scanShapeFor(file, rows, o.scan);
      const r = await withCore(o, (core) => kmeans(core, data, [rows, cols], {
        k, dims, seed, replicates: parsePositiveInt(o.replicates, "--replicates"), distance: o.distance as "sqeuclidean" | "cityblock",
        maxIter: parsePositiveInt(o.maxIter, "--max-iter"), emptyAction: o.emptyAction as "singleton" | "error",
      }));
      await writeNpy(join(o.output, "centroids.npy"), r.centroids, "f32", [k, dims]);
      await writeNpy(join(o.output, `labels_k${k}.npy`), r.labels, "i32", nav);
      report(o, {
        output: o.output, files: ["centroids.npy", `labels_k${k}.npy`], k, dims, distance: r.distance, inertia: r.inertia, best: r.best,
        replicates: r.replicates, clusterSizes: Array.from(r.counts), seconds: +r.seconds.toFixed(3),
      });
    }));
}
