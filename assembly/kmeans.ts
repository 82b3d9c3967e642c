// One whole k-means replicate in the core: greedy k-means++ initialisation (kmeans-init.ts), then Lloyd iterations
// (assign every point to its nearest centroid, move every centroid to the mean, or for cityblock the per-dimension
// median, of its points) until no label changes, the centroids move less than `tol`, or `maxIter` updates have run.
// The assignment steps skip what Elkan's bounds rule out (kmeans-bounds.ts); the labels are plain Lloyd's.
//
// Replicates run side by side on the worker pool with no per-iteration messaging: the workers share a table of
// replicates and take turns of a few iterations each (kmeansSchedule); each one's result depends only on
// (seed, replicate): the same for any number of workers.
// Points are float32 rows of d values, d a multiple of 4 (zero-padded by the caller). The caller centres the
// points (distances do not change) so the dot-product form of the squared distance, |x|^2 - 2 x.c + |c|^2, loses
// little to cancellation; the reported inertia is recomputed from differences in float64.
import {
  assignAll, assignBounded, assignFromBounds, boundsBegin, boundsBytes, boundsLastPairs, boundsLower, boundsResume,
  boundsRowBytes, boundsStep, forgetBounds, fullIsCheaper, meansFromSums, moveLabel, pairsTotal, recordShift,
} from "./kmeans-bounds";
import { kmeansPairwise, kmeansRowNorms, metricDist } from "./kmeans-distance";
import { TOO_FEW_DISTINCT, candidateColumns, candidateRowsBytes, initPlusPlus, rngSeed } from "./kmeans-init";
import { updateMedians } from "./kmeans-median";

// Status codes in info (the bindings turn them into errors; TOO_FEW_DISTINCT = 2 comes from init).
const OK = 0;
const EMPTY_CLUSTER = 1; //  a cluster lost all its points and emptyAction says "error"; info[4] = cluster

const CHUNK = 64; // points per pairwise block in kmeansAssign

// --- work area layout: one region per replicate, sized by kmeansWorkBytes so JS never repeats the layout.
@inline function align16(n: usize): usize {
  return (n + 15) & ~<usize>15;
}

// Regions of the work area, in this order (sizes in elements):
const PREV = 0; //      k*d f32: centroids before an update
const SUMS = 1; //      k*d f64: per-cluster sums of the points (kept up to date as labels change)
const COUNTS = 2; //    k i32
const CNORM = 3; //     k f32: squared norms of the centroids (kmeansAssign)
const PNORM = 4; //     n f32: squared norms of the points
const MIND = 5; //      n f32: distance of each point to its centroid (relocation), or during init to the nearest
const DOTS = 6; //      CHUNK*k f32: pairwise products (kmeansAssign)
const ORDER = 7; //     n i32: points grouped by cluster (medians)
const OFFSETS = 8; //   k+1 i32: where each cluster's points start in ORDER
const SCRATCH = 9; //   max(trials rounded up to 8, 16)*n f32: candidates' products during init, columns for medians
const CANDROWS = 10; // the k-means++ candidates and their transpose (candidateRowsBytes)
const SHIFT = 11; //    k f32: how far each centroid moved in the last update
const BOUNDS = 12; //   boundsBytes(n, d, k): the assignment's bounds (kmeans-bounds.ts)
const END = 13;

function regionBytes(r: i32, n: i32, d: i32, k: i32, trials: i32): usize {
  const nn = <usize>n, dd = <usize>d, kk = <usize>k;
  switch (r) {
    case PREV: return (kk * dd) << 2;
    case SUMS: return (kk * dd) << 3;
    case COUNTS: case CNORM: case SHIFT: return kk << 2;
    case PNORM: case MIND: case ORDER: return nn << 2;
    case DOTS: return (<usize>CHUNK * kk) << 2;
    case OFFSETS: return (kk + 1) << 2;
    case SCRATCH: return (<usize>max(candidateColumns(trials), 16) * nn) << 2;
    case CANDROWS: return candidateRowsBytes(trials, d);
    case BOUNDS: return boundsBytes(n, d, k);
    default: return 0;
  }
}

function offsetOf(which: i32, n: i32, d: i32, k: i32, trials: i32): usize {
  let o: usize = 0;
  for (let r = 0; r < which; r++) o = align16(o + regionBytes(r, n, d, k, trials));
  return o;
}

// The work area of the replicate being run, for at().
let layout: usize = 0, layoutN = 0, layoutD = 0, layoutK = 0, layoutTrials = 0;

@inline function at(r: i32): usize {
  return layout + offsetOf(r, layoutN, layoutD, layoutK, layoutTrials);
}

/** Bytes of the work area one replicate needs. */
export function kmeansWorkBytes(n: i32, d: i32, k: i32, trials: i32): usize {
  return offsetOf(END, n, d, k, trials);
}

// --- assignment ---

/** Labels every point with its nearest centroid (ties: the lower index); returns how many labels changed. */
function assign(points: usize, n: i32, d: i32, k: i32, metric: i32, cents: usize, cnorm: usize, pnorm: usize, labels: usize, mind: usize, dots: usize): i32 {
  if (metric == 0) kmeansRowNorms(cents, k, d, cnorm);
  let changed = 0;
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const m = min(CHUNK, n - i0);
    kmeansPairwise(points + ((<usize>i0 * <usize>d) << 2), m, d, cents, k, metric, dots);
    for (let r = 0; r < m; r++) {
      const row = dots + ((<usize>r * <usize>k) << 2);
      let best = 0;
      let bestV = f32.MAX_VALUE;
      if (metric == 0) {
        // argmin_j |c_j|^2 - 2 x.c_j: |x|^2 is the same for every j.
        for (let j = 0; j < k; j++) {
          const v = load<f32>(cnorm + (<usize>j << 2)) - 2 * load<f32>(row + (<usize>j << 2));
          if (v < bestV) { bestV = v; best = j; }
        }
        bestV = max<f32>(0, bestV + load<f32>(pnorm + (<usize>(i0 + r) << 2)));
      } else {
        for (let j = 0; j < k; j++) {
          const v = load<f32>(row + (<usize>j << 2));
          if (v < bestV) { bestV = v; best = j; }
        }
      }
      const pl = labels + (<usize>(i0 + r) << 2);
      if (load<i32>(pl) != best) { changed++; store<i32>(pl, best); }
      store<f32>(mind + (<usize>(i0 + r) << 2), bestV);
    }
  }
  return changed;
}

/**
 * Empty clusters (Matlab's 'singleton' action): every empty cluster, in index order, takes the point farthest from
 * its own centroid among clusters that keep at least one other point; that point becomes the new cluster's only
 * member (and so its centroid). Returns the clusters relocated, or -1 - j when cluster j is empty and
 * emptyAction is 1 ("error"). mind must hold every point's distance to its centroid.
 */
function relocateEmpty(points: usize, n: i32, d: i32, k: i32, labels: usize, mind: usize, counts: usize, sums: usize, emptyAction: i32): i32 {
  let moved = 0;
  for (let j = 0; j < k; j++) {
    if (load<i32>(counts + (<usize>j << 2)) != 0) continue;
    if (emptyAction == 1) return -1 - j;
    let far = -1;
    let farD: f32 = -1;
    for (let i = 0; i < n; i++) {
      const li = load<i32>(labels + (<usize>i << 2));
      if (load<i32>(counts + (<usize>li << 2)) < 2) continue;
      const di = load<f32>(mind + (<usize>i << 2));
      if (di > farD) { farD = di; far = i; }
    }
    if (far < 0) return -1 - j; // cannot happen when k <= n: some cluster has two points
    memory.fill(sums + ((<usize>j * <usize>d) << 3), 0, <usize>d << 3); // drop the rounding left by leavers
    moveLabel(far, load<i32>(labels + (<usize>far << 2)), j);
    store<f32>(mind + (<usize>far << 2), 0);
    forgetBounds(far);
    moved++;
  }
  return moved;
}

// --- the replicates: a table the workers share, each taking the next replicate in turn for a few iterations ---

// A replicate's record in the table (32 bytes): its centroids, labels, work area and info (u32 pointers), then its
// state: WAITING for a worker, RUNNING on one, or DONE.
const WAITING = 0, RUNNING = 1, DONE = 2;
const RECORD = 32, STATE_AT = 16;

// info (128 bytes: 16 f64, the bindings' INFO_BYTES): [inertia, iterations, converged, relocated empty clusters,
// error detail, distances computed, status, begun, bounds' history step, bounds' last pairs]; the caller zeroes it.
const I_ITER = 8, I_CONVERGED = 16, I_RELOCATED = 24, I_DETAIL = 32, I_PAIRS = 40, I_STATUS = 48, I_BEGUN = 56;
const I_STEP = 64, I_LAST = 72;

@inline function stateOf(rec: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(rec, STATE_AT);
  return load<i32>(rec, STATE_AT);
}

/** Takes a waiting replicate for this instance; false when another instance took it first. */
@inline function claim(rec: usize): bool {
  if (ASC_FEATURE_THREADS) return atomic.cmpxchg<i32>(rec + STATE_AT, WAITING, RUNNING) == WAITING;
  store<i32>(rec, RUNNING, STATE_AT);
  return true;
}

@inline function release(rec: usize, st: i32): void {
  if (ASC_FEATURE_THREADS) atomic.store<i32>(rec, st, STATE_AT);
  else store<i32>(rec, st, STATE_AT);
}

/**
 * Runs the `replicates` replicates of the table (records as above, states WAITING) to their end: each call (one per
 * worker) repeatedly takes the waiting replicate with the fewest iterations and runs up to `chunk` more, until none
 * waits. Replicates thus advance together, and the last one runs alone only for as long as it outlasts the others
 * (one replicate per call would leave a worker idle for the whole of the last one). A replicate's iterations do not
 * depend on how they are chunked or where they run: its result depends only on (seed, its index).
 * cents (k x d f32) holds the initial centroids when initGiven != 0 and the final ones at the end; labels (n i32)
 * receives the final labels; work is kmeansWorkBytes(n, d, k, trials) bytes; info is read by the bindings.
 * metric: 0 squared Euclidean with means, 1 cityblock with medians. emptyAction: 0 singleton, 1 error.
 * tol: stop when the sum over centroids of their squared shift is at most tol.
 */
export function kmeansSchedule(
  table: usize, replicates: i32, chunk: i32,
  points: usize, n: i32, d: i32, k: i32, metric: i32,
  seed: u32, trials: i32, initGiven: i32, maxIter: i32, tol: f64, emptyAction: i32,
): void {
  for (;;) {
    let pick = -1;
    let fewest = f64.MAX_VALUE;
    for (let r = 0; r < replicates; r++) {
      const rec = table + <usize>r * RECORD;
      if (stateOf(rec) != WAITING) continue;
      const iterations = load<f64>(<usize>load<u32>(rec, 12), I_ITER);
      if (iterations < fewest) { fewest = iterations; pick = r; }
    }
    if (pick < 0) return; // the rest are done, or running elsewhere
    const rec = table + <usize>pick * RECORD;
    if (!claim(rec)) continue;
    const done = advance(
      points, n, d, k, metric, seed, <u32>pick, trials, initGiven, maxIter, tol, emptyAction,
      <usize>load<u32>(rec), <usize>load<u32>(rec, 4), <usize>load<u32>(rec, 8), <usize>load<u32>(rec, 12), chunk,
    );
    release(rec, done ? DONE : WAITING);
  }
}

/** Up to `chunk` more Lloyd updates of one replicate (begun first if new); returns whether it has ended. */
function advance(
  points: usize, n: i32, d: i32, k: i32, metric: i32,
  seed: u32, stream: u32, trials: i32, initGiven: i32,
  maxIter: i32, tol: f64, emptyAction: i32,
  cents: usize, labels: usize, work: usize, info: usize, chunk: i32,
): bool {
  layout = work; layoutN = n; layoutD = d; layoutK = k; layoutTrials = trials;
  const prev = at(PREV), sums = at(SUMS), counts = at(COUNTS), pnorm = at(PNORM), mind = at(MIND);
  const shiftOf = at(SHIFT);
  if (load<f64>(info, I_BEGUN) == 0) {
    store<f64>(info, 1, I_BEGUN);
    rngSeed(seed, stream);
    if (metric == 0) kmeansRowNorms(points, n, d, pnorm);
    memory.fill(labels, 0xff, <usize>n << 2); // -1: no cluster yet
    boundsBegin(points, n, d, k, metric, cents, labels, pnorm, sums, counts, at(BOUNDS));
    if (initGiven == 0) {
      // k-means++ measures every point against every centroid it chooses: those are the first assignment's.
      const s = initPlusPlus(points, n, d, k, metric, trials, cents, pnorm, mind, at(SCRATCH), at(CANDROWS), info, boundsLower(), boundsRowBytes());
      if (s != OK) { store<f64>(info, <f64>s, I_STATUS); return true; }
      assignFromBounds();
    } else {
      assignAll();
    }
  } else {
    boundsResume(points, n, d, k, metric, cents, labels, pnorm, sums, counts, at(BOUNDS),
      <i32>load<f64>(info, I_STEP), load<f64>(info, I_LAST), load<f64>(info, I_PAIRS));
  }
  const row = <usize>d << 2;
  const kdBytes = (<usize>k * <usize>d) << 2;
  let iter = <i32>load<f64>(info, I_ITER), relocated = <i32>load<f64>(info, I_RELOCATED), converged = 0;
  for (let left = chunk; iter < maxIter && left > 0; left--) {
    memory.copy(prev, cents, kdBytes);
    let anyEmpty = false;
    for (let j = 0; j < k; j++) if (load<i32>(counts + (<usize>j << 2)) == 0) anyEmpty = true;
    if (anyEmpty) {
      // The bounds are not distances: measure every point's distance to its centroid for "farthest".
      for (let i = 0; i < n; i++) {
        store<f32>(mind + (<usize>i << 2), metricDist(points + <usize>i * row, cents + <usize>load<i32>(labels + (<usize>i << 2)) * row, d, metric));
      }
    }
    const moved = anyEmpty ? relocateEmpty(points, n, d, k, labels, mind, counts, sums, emptyAction) : 0;
    if (moved < 0) {
      store<f64>(info, <f64>(-1 - moved), I_DETAIL);
      store<f64>(info, <f64>iter, I_ITER);
      store<f64>(info, <f64>EMPTY_CLUSTER, I_STATUS);
      return true;
    }
    relocated += moved;
    if (metric == 0) meansFromSums();
    else updateMedians(points, n, d, k, labels, counts, at(ORDER), at(OFFSETS), at(SCRATCH), cents);
    iter++;
    let shift: f64 = 0;
    for (let j = 0; j < k; j++) {
      const sq = metricDist(cents + <usize>j * row, prev + <usize>j * row, d, 0);
      shift += <f64>sq;
      store<f32>(shiftOf + (<usize>j << 2), metric == 1 ? metricDist(cents + <usize>j * row, prev + <usize>j * row, d, 1) : sqrt<f32>(sq));
    }
    recordShift(shiftOf);
    const changed = fullIsCheaper() ? assignAll() : assignBounded();
    // Labels now match the centroids: stop when nothing moved (strict) or the centroids barely did.
    if ((changed == 0 && moved == 0) || shift <= tol) { converged = 1; break; }
  }
  store<f64>(info, <f64>iter, I_ITER);
  store<f64>(info, <f64>relocated, I_RELOCATED);
  store<f64>(info, pairsTotal, I_PAIRS);
  store<f64>(info, <f64>boundsStep(), I_STEP);
  store<f64>(info, boundsLastPairs(), I_LAST);
  if (converged == 0 && iter < maxIter) return false;

  // The inertia, from differences in float64 (not from the dot-product form used to assign).
  let inertia: f64 = 0;
  for (let i = 0; i < n; i++) {
    inertia += <f64>metricDist(points + <usize>i * row, cents + <usize>load<i32>(labels + (<usize>i << 2)) * row, d, metric);
  }
  store<f64>(info, inertia);
  store<f64>(info, <f64>converged, I_CONVERGED);
  store<f64>(info, <f64>OK, I_STATUS);
  return true;
}

/** Labels n points with their nearest of k centroids (for new points, or to check a result); returns 0. */
export function kmeansAssign(points: usize, n: i32, d: i32, k: i32, metric: i32, cents: usize, labels: usize, dist: usize, work: usize): i32 {
  const cnorm = work + offsetOf(CNORM, n, d, k, 1);
  const pnorm = work + offsetOf(PNORM, n, d, k, 1);
  const dots = work + offsetOf(DOTS, n, d, k, 1);
  if (metric == 0) kmeansRowNorms(points, n, d, pnorm);
  memory.fill(labels, 0xff, <usize>n << 2);
  assign(points, n, d, k, metric, cents, cnorm, pnorm, labels, dist, dots);
  return OK;
}
