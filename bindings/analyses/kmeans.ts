// k-means on the first d PCA scores (the paper: k = 36 on 256 scores): greedy k-means++ initialisation, several
// replicates keeping the lowest inertia, Lloyd iterations (assembly/kmeans*.ts). The assignment steps compute
// only the distances Elkan's bounds cannot rule out (the labels stay plain Lloyd's), and all of them through
// one GEMM when the bounds would rule out little (the first steps). The workers share the replicates, taking turns
// of a few iterations on each (so none is left idle while one long replicate finishes); each replicate is seeded by
// (seed, replicate), so the result is the same for any number of workers.
// Stopping: as scikit-learn, when no label changes or the summed squared centroid shift of an update is at most
// tol x the mean per-dimension variance of the data.
//
// Empty clusters: when a Lloyd update leaves a cluster with no points, by default ("singleton", as Matlab) the
// cluster takes the point farthest from its own centroid among clusters that keep another point, and restarts
// from that single point; `emptyAction: "error"` stops with an error naming the replicate, iteration and cluster.
import type { Core, KernelCall } from "../core.js";

export type KMeansDistance = "sqeuclidean" | "cityblock";

export interface KMeansOptions {
  /** Number of clusters (1 <= k <= points). */
  k: number;
  /** Use the first `dims` columns of the data (default: all). */
  dims?: number;
  /** Independent runs from different k-means++ starts; the lowest inertia wins (default 10). */
  replicates?: number;
  /** Lloyd updates per replicate at most (default 300). */
  maxIter?: number;
  /** Stop when the summed squared centroid shift is at most tol times the mean per-dimension variance of the
   * data (scikit-learn's rule; default 1e-4). Runs also stop as soon as no label changes. */
  tol?: number;
  seed?: number;
  /** "sqeuclidean" with mean centroids (default), or "cityblock" with median centroids (Matlab's variant). */
  distance?: KMeansDistance;
  /** Candidates tried per k-means++ step (default 2 + floor(ln k), as scikit-learn). */
  trials?: number;
  /** Initial centroids (k x dims, row-major) instead of k-means++: one replicate from there. */
  init?: Float32Array;
  emptyAction?: "singleton" | "error";
}

export interface KMeansReplicate {
  /** Sum over points of the distance to their centroid (squared Euclidean, or cityblock). */
  inertia: number;
  iterations: number;
  converged: boolean;
  /** Empty clusters restarted from a single point ("singleton"). */
  relocated: number;
  /** Point-centroid distances computed; plain Lloyd computes points x k per iteration, and the bounds skip the
   * rest. */
  distances: number;
}

export interface KMeansResult {
  k: number;
  dims: number;
  distance: KMeansDistance;
  /** Cluster of every point (0..k-1). */
  labels: Int32Array;
  /** k x dims, row-major. */
  centroids: Float32Array;
  /** Points in each cluster. */
  counts: Int32Array;
  inertia: number;
  /** Index of the replicate kept. */
  best: number;
  replicates: KMeansReplicate[];
  seconds: number;
}

const STATUS_EMPTY = 1, STATUS_TOO_FEW = 2;
/** Bytes of a replicate's info (assembly/kmeans.ts INFO_BYTES). */
const INFO_BYTES = 128;
/** Lloyd updates a worker runs on one replicate before taking the next waiting one. */
const CHUNK = 8;

/** k-means of the rows of `data` (rows x cols, row-major float32), on its first `dims` columns. */
export async function kmeans(core: Core, data: Float32Array, shape: [number, number], options: KMeansOptions): Promise<KMeansResult> {
  const t0 = performance.now();
  const [n, cols] = shape;
  const k = options.k, d = options.dims ?? cols;
  const distance = options.distance ?? "sqeuclidean";
  const init = options.init;
  const replicates = init ? 1 : options.replicates ?? 10;
  const maxIter = options.maxIter ?? 300;
  const trials = options.trials ?? 2 + Math.floor(Math.log(k));
  checkInputs(data, n, cols, k, d, replicates, maxIter, trials, distance);
  if (init && init.length !== k * d) throw new RangeError(`k-means: initial centroids hold ${init.length} values; expected k x dims = ${k} x ${d}`);

  const dp = Math.ceil(d / 4) * 4;
  const metric = distance === "cityblock" ? 1 : 0;
  const emptyAction = options.emptyAction === "error" ? 1 : 0;

  const arena = core.arena;
  const owned: number[] = [];
  const alloc = (bytes: number) => { const p = arena.alloc(bytes); owned.push(p); return p; };
  try {
    // Centre the columns (distances do not change; the dot-product distance form loses less to cancellation), and
    // pad rows to a multiple of 4 with zeros (changes no distance) so the kernels run whole SIMD vectors; in the
    // core, after checking every value is finite.
    const points = alloc(n * dp * 4), stats = alloc(d * 16);
    const source = dp === cols ? points : alloc(n * cols * 4);
    arena.f32(source, n * cols).set(data);
    const bad = core.call("kmeansCentre", source, n, cols, d, dp, stats, stats + d * 8, points);
    if (bad >= 0) {
      const i = Math.floor(bad / cols), j = bad % cols;
      throw new RangeError(`k-means: value at row ${i} (point ${i}), column ${j} is ${data[bad]}; the data must be finite (check the input for NaN)`);
    }
    const mean = arena.f64(stats, d).slice(), spread = arena.f64(stats + d * 8, d);
    let meanVar = 0;
    for (let j = 0; j < d; j++) meanVar += spread[j]! / n / d;
    const tol = (options.tol ?? 1e-4) * meanVar;
    const workBytes = Number(core.call("kmeansWorkBytes", n, dp, k, trials));
    const runs = Array.from({ length: replicates }, () => ({
      cents: alloc(k * dp * 4), labels: alloc(n * 4), work: alloc(workBytes), info: alloc(INFO_BYTES),
    }));
    // The replicates' table (kmeansSchedule): their regions, and every state WAITING (0).
    const table = alloc(replicates * 32);
    // Views only after the last allocation: memory may have grown.
    if (init) {
      const cv = arena.f32(runs[0]!.cents, k * dp).fill(0);
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) cv[c * dp + j] = init[c * d + j]! - mean[j]!;
    }
    const records = arena.u32(table, replicates * 8).fill(0);
    runs.forEach((r, rep) => {
      records.set([r.cents, r.labels, r.work, r.info], rep * 8);
      arena.f64(r.info, INFO_BYTES / 8).fill(0);
    });
    const seed = (options.seed ?? 0) >>> 0;
    // One call per worker: each takes turns of CHUNK iterations on the replicates that wait.
    const call: KernelCall = { fn: "kmeansSchedule", args: [table, replicates, CHUNK, points, n, dp, k, metric, seed, trials, init ? 1 : 0, maxIter, tol, emptyAction] };
    await core.run(Array.from({ length: Math.max(1, Math.min(core.workerCount, replicates)) }, () => [call]));

    const reps: KMeansReplicate[] = [];
    let best = -1;
    for (const [rep, r] of runs.entries()) {
      const info = arena.f64(r.info, 8);
      const status = info[6]!;
      if (status === STATUS_EMPTY) {
        throw new Error(`k-means replicate ${rep}: cluster ${info[4]} lost all its points at iteration ${info[1]} (emptyAction "error"; the default "singleton" restarts it from the farthest point)`);
      }
      if (status === STATUS_TOO_FEW) {
        throw new Error(`k-means: the data hold only ${info[4]} distinct points (over the first ${d} columns); cannot form k = ${k} clusters`);
      }
      reps.push({ inertia: info[0]!, iterations: info[1]!, converged: info[2] === 1, relocated: info[3]!, distances: info[5]! });
      if (best < 0 || info[0]! < reps[best]!.inertia) best = rep;
    }
    const kept = runs[best]!;
    const labels = arena.i32(kept.labels, n).slice();
    const cv = arena.f32(kept.cents, k * dp);
    const centroids = new Float32Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centroids[c * d + j] = cv[c * dp + j]! + mean[j]!;
    const counts = new Int32Array(k);
    for (const l of labels) counts[l]!++;
    return { k, dims: d, distance, labels, centroids, counts, inertia: reps[best]!.inertia, best, replicates: reps, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const p of owned) arena.release(p);
  }
}

/** The nearest of k centroids (k x dims) for every row of data (its first dims columns), and the distance. */
export async function nearestCentroid(core: Core, data: Float32Array, shape: [number, number], centroids: Float32Array, k: number, distance: KMeansDistance = "sqeuclidean"): Promise<{ labels: Int32Array; distances: Float32Array }> {
  const [n, cols] = shape;
  const d = centroids.length / k;
  if (!Number.isInteger(d) || d > cols) throw new RangeError(`nearest centroid: ${centroids.length} centroid values are not k = ${k} rows of at most ${cols} columns`);
  const dp = Math.ceil(d / 4) * 4;
  const arena = core.arena;
  const ptrs = [n * dp * 4, k * dp * 4, n * 4, n * 4, Number(core.call("kmeansWorkBytes", n, dp, k, 1))].map((b) => arena.alloc(b));
  try {
    const [points, cents, labels, dist, work] = ptrs as [number, number, number, number, number];
    const pv = arena.f32(points, n * dp).fill(0), cv = arena.f32(cents, k * dp).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) pv[i * dp + j] = data[i * cols + j]!;
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) cv[c * dp + j] = centroids[c * d + j]!;
    core.call("kmeansAssign", points, n, dp, k, distance === "cityblock" ? 1 : 0, cents, labels, dist, work);
    return { labels: arena.i32(labels, n).slice(), distances: arena.f32(dist, n).slice() };
  } finally {
    for (const p of ptrs) arena.release(p);
  }
}

function checkInputs(data: Float32Array, n: number, cols: number, k: number, d: number, replicates: number, maxIter: number, trials: number, distance: string): void {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(cols) && cols >= 1)) throw new RangeError(`k-means: data shape [${n}, ${cols}] must be two positive integers`);
  if (data.length !== n * cols) throw new RangeError(`k-means: ${data.length} values do not fill shape [${n}, ${cols}]`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k-means: k must be a positive integer, got ${k}`);
  if (k > n) throw new RangeError(`k-means: k = ${k} exceeds the number of points (probe positions), ${n}`);
  if (!Number.isInteger(d) || d < 1 || d > cols) throw new RangeError(`k-means: dims must be an integer in [1, ${cols}] (the data's columns), got ${d}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`k-means: replicates must be a positive integer, got ${replicates}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new RangeError(`k-means: maxIter must be a positive integer, got ${maxIter}`);
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`k-means: trials must be a positive integer, got ${trials}`);
  if (distance !== "sqeuclidean" && distance !== "cityblock") throw new RangeError(`k-means: distance must be "sqeuclidean" or "cityblock", got ${JSON.stringify(distance)}`);
}
