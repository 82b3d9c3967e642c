// k-means++ initialisation for assembly/kmeans.ts, and the random stream it draws from.
import { gemmF32 } from "./gemm";
import { kmeansPairwise, metricDist } from "./kmeans-distance";

/** Status returned when k-means++ finds fewer distinct points than k; info[4] = how many it found. */
export const TOO_FEW_DISTINCT = 2;

// --- random numbers: splitmix64, one stream per (seed, replicate). Globals are per instance, and an instance
// runs one kernel at a time, so workers never share this state.
let rngState: u64 = 0;

export function rngSeed(seed: u32, stream: u32): void {
  rngState = ((<u64>seed << 32) | <u64>stream) ^ 0x5851f42d4c957f2d;
  rngNext();
}

function rngNext(): u64 {
  rngState += 0x9e3779b97f4a7c15;
  let z = rngState;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Uniform in [0, 1). */
function rngUniform(): f64 {
  return <f64>(rngNext() >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** Columns of the candidates' products with the points: trials rounded up to 8, the GEMM's block width. */
export function candidateColumns(trials: i32): i32 {
  return (trials + 7) & ~7;
}

/** Bytes for the candidates' rows (trials x d) and their transpose (d x candidateColumns). */
export function candidateRowsBytes(trials: i32, d: i32): usize {
  return (<usize>(trials + candidateColumns(trials)) * <usize>d) << 2;
}

/**
 * Greedy k-means++ (as scikit-learn): the first centroid is a uniformly random point; each next one is the best of
 * `trials` candidates drawn with probability proportional to their distance (squared Euclidean, or cityblock) to
 * the nearest centroid so far, "best" meaning the smallest total distance once it is added. The candidates'
 * distances to all points come from one blocked pass (a GEMM against the candidates transposed, for metric 0), so
 * each step streams the points once whatever the number of trials. pnorm must hold the points' squared norms
 * (metric 0); cand holds n x candidateColumns(trials) f32, candRows candidateRowsBytes(trials, d). The distance of
 * every point to each centroid chosen is written to the bounds' lower bounds (at lower, lowerRow bytes a point):
 * the first assignment then measures nothing again.
 */
export function initPlusPlus(points: usize, n: i32, d: i32, k: i32, metric: i32, trials: i32, cents: usize, pnorm: usize, mind: usize, cand: usize, candRows: usize, info: usize, lower: usize, lowerRow: usize): i32 {
  const row = <usize>d << 2;
  const stride = metric == 0 ? candidateColumns(trials) : trials;
  const first = min(n - 1, <i32>(rngUniform() * <f64>n));
  memory.copy(cents, points + <usize>first * row, row);
  let pot: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = metricDist(points + <usize>i * row, cents, d, metric);
    store<f32>(mind + (<usize>i << 2), v);
    store<f32>(lower + <usize>i * lowerRow, toBound(v, metric));
    pot += <f64>v;
  }
  for (let c = 1; c < k; c++) {
    if (!(pot > 0)) {
      store<f64>(info, <f64>c, 32);
      return TOO_FEW_DISTINCT;
    }
    // Draw the candidates: index i with probability mind[i] / pot.
    for (let t = 0; t < trials; t++) {
      const r = rngUniform() * pot;
      let run: f64 = 0;
      let idx = -1, lastPositive = 0;
      for (let i = 0; i < n; i++) {
        const v = load<f32>(mind + (<usize>i << 2));
        if (v > 0) lastPositive = i;
        run += <f64>v;
        if (run > r) { idx = i; break; }
      }
      if (idx < 0) idx = lastPositive; // r landed past the rounded total
      memory.copy(candRows + <usize>t * row, points + <usize>idx * row, row);
    }
    // cand[i * stride + t]: dot product (metric 0) or cityblock distance (metric 1) of point i and candidate t.
    if (metric == 0) {
      const candT = candRows + ((<usize>trials * <usize>d) << 2);
      for (let l = 0; l < d; l++) {
        for (let t = 0; t < stride; t++) {
          const v = t < trials ? load<f32>(candRows + <usize>t * row + (<usize>l << 2)) : 0;
          store<f32>(candT + ((<usize>(l * stride + t)) << 2), v);
        }
      }
      gemmF32(n, stride, d, points, d, candT, stride, cand, stride, 0);
    } else {
      kmeansPairwise(points, n, d, candRows, trials, metric, cand);
    }
    let bestT = 0;
    let bestPot = f64.MAX_VALUE;
    for (let t = 0; t < trials; t++) {
      const cn = metric == 0 ? rowNorm(candRows + <usize>t * row, d) : 0;
      let p: f64 = 0;
      for (let i = 0; i < n; i++) p += <f64>min(load<f32>(mind + (<usize>i << 2)), candDist(cand, pnorm, i, t, stride, cn, metric));
      if (p < bestPot) { bestPot = p; bestT = t; }
    }
    const cn = metric == 0 ? rowNorm(candRows + <usize>bestT * row, d) : 0;
    const column = lower + (<usize>c << 2);
    for (let i = 0; i < n; i++) {
      const pm = mind + (<usize>i << 2), v = candDist(cand, pnorm, i, bestT, stride, cn, metric);
      store<f32>(pm, min(load<f32>(pm), v));
      store<f32>(column + <usize>i * lowerRow, toBound(v, metric));
    }
    memory.copy(cents + <usize>c * row, candRows + <usize>bestT * row, row);
    pot = bestPot;
  }
  return 0;
}

/** The distance the bounds hold (kmeans-bounds.ts) for a value of candDist or metricDist: the square root of a
 * squared Euclidean distance, a cityblock distance as it is. */
@inline function toBound(v: f32, metric: i32): f32 {
  return metric == 1 ? v : sqrt<f32>(v);
}

/** Distance of point i to candidate t from the pairwise pass: |x|^2 + |c|^2 - 2 x.c (>= 0), or the L1 value. */
@inline function candDist(cand: usize, pnorm: usize, i: i32, t: i32, stride: i32, cn: f32, metric: i32): f32 {
  const v = load<f32>(cand + (<usize>(i * stride + t) << 2));
  if (metric == 1) return v;
  return max<f32>(0, load<f32>(pnorm + (<usize>i << 2)) + cn - 2 * v);
}

function rowNorm(x: usize, d: i32): f32 {
  let s: f32 = 0;
  for (let l = 0; l < d; l++) { const v = load<f32>(x + (<usize>l << 2)); s += v * v; }
  return s;
}
