// The assignment step of k-means (assembly/kmeans.ts) with Elkan's bounds (Elkan 2003, "Using the triangle
// inequality to accelerate k-means"), kept lazily.
//
// Every point keeps an upper bound u on the distance to its centroid a, a lower bound l_j on the distance to every
// centroid j, and l_min <= min over j != a of l_j (Hamerly's single bound). When centroid j moves by s_j, the
// triangle inequality gives u' = u + s_a and l_j' = l_j - s_j. Writing those updates for every point and every
// centroid each iteration would cost n x k per iteration; instead each point records the step at which its bounds
// were last brought up to date, and the summed shifts since then are read from a short history (drift), so a point
// costs one 16-byte record read unless it has to be examined:
//   skip when u <= max(l_min - largest shift since, half_a)  (half_a: half the distance from c_a to its nearest);
//   else bring the l_j up to date and keep the j with u > l_j and u > d(c_a, c_j) / 2: when none is left, skip;
//   else compute d(x, c_a) and d(x, c_j) for those j only (4 centroids per pass over x) and take the nearest.
// Those distances are exact, so the labels are those of plain Lloyd (up to float32 rounding, which SAFE covers).
// At 256 dimensions most points are skipped once the centroids settle. When most pairs would be computed anyway
// (the first steps), one GEMM over all points and centroids (assembly/gemm.ts) is faster and sets every bound to
// an exact distance.
//
// Squared Euclidean distances are formed as |x|^2 + |c|^2 - 2 x.c (the caller centres the points so this loses
// little), the bounds hold their square roots; cityblock distances are used as they are.
import { gemmF32 } from "./gemm";
import { kmeansListed, kmeansPairwise, kmeansRowNorms, kmeansSqDist, metricDist } from "./kmeans-distance";

const SAFE: f32 = 1.0001;
/** Points per GEMM block of the full assignment. */
const BLOCK = 256;
/** Steps kept in the drift history; every EPOCH steps all bounds are brought up to date and the history restarts. */
const EPOCH = 64;
/** A full assignment follows a bounded step that computed more than this fraction of all point-centroid pairs. */
const FULL_FRACTION: f64 = 0.4;
const INF = f32.MAX_VALUE;

// --- the regions of the bounds' work area (sizes in bytes; each starts 16-byte aligned) ---
// state   n x 16: per point [label i32, stamp i32 (history step of its last update), u f32, l_min f32]
// lower   n x k4 f32: the l_j, rows padded to k4 = k rounded up to 4 with lanes that never pass a test
// cc      k x k4 f32: half the distance between every two centroids; half: k4 f32, each row's minimum over j != a
// drift   (EPOCH + 1) x (k + 1) f64: summed shift of every centroid since the history restarted, then of the largest
// diff    (EPOCH + 1) x k4 f32: drift now minus drift at each step; diffMax: (EPOCH + 1) f32 likewise for the largest
// centsT  d x kp f32 (kp = k rounded up to 8): centroids transposed for the GEMM; cnorm: k4 f32 their squared norms
// dots    max(BLOCK x kp, k4 + 4) f32: GEMM output, or one point's listed values; list: k4 + 4 i32
const STATE = 0, LOWER = 1, CC = 2, HALF = 3, DRIFT = 4, DIFF = 5, DIFFMAX = 6, CENTST = 7, CNORM = 8, DOTS = 9;
const LIST = 10, END = 11;

@inline function k4Of(k: i32): usize { return <usize>((k + 3) & ~3); }
@inline function kpOf(k: i32): usize { return <usize>((k + 7) & ~7); }
@inline function align16(v: usize): usize { return (v + 15) & ~<usize>15; }

function regionBytes(r: i32, n: i32, d: i32, k: i32): usize {
  const nn = <usize>n, k4 = k4Of(k), kp = kpOf(k), h = <usize>(EPOCH + 1);
  switch (r) {
    case STATE: return nn << 4;
    case LOWER: return (nn * k4) << 2;
    case CC: return (<usize>k * k4) << 2;
    case HALF: case CNORM: return k4 << 2;
    case DRIFT: return (h * <usize>(k + 1)) << 3;
    case DIFF: return (h * k4) << 2;
    case DIFFMAX: return h << 2;
    case CENTST: return (<usize>d * kp) << 2;
    case DOTS: return <usize>max(<i32>(<usize>BLOCK * kp), <i32>k4 + 4) << 2;
    case LIST: return (k4 + 4) << 2;
    default: return 0;
  }
}

function regionAt(which: i32, n: i32, d: i32, k: i32): usize {
  let o: usize = 0;
  for (let r = 0; r < which; r++) o = align16(o + regionBytes(r, n, d, k));
  return o;
}

/** Bytes of the bounds' work area for n points of d values and k centroids. */
export function boundsBytes(n: i32, d: i32, k: i32): usize {
  return regionAt(END, n, d, k);
}

// The replicate bound now (an instance runs one kernel at a time, so workers never share these; a replicate moved to
// another instance is bound there again with boundsResume).
let points: usize = 0, n = 0, d = 0, k = 0, metric = 0;
let cents: usize = 0, labels: usize = 0, pnorm: usize = 0, sums: usize = 0, counts: usize = 0;
let state: usize = 0, lower: usize = 0, cc: usize = 0, half: usize = 0, drift: usize = 0, diff: usize = 0;
let diffMax: usize = 0, centsT: usize = 0, cnorm: usize = 0, dots: usize = 0, list: usize = 0;
let k4: usize = 0; // bytes per row of lower, cc and diff: k4Of(k) * 4
let step = 0; // the current row of the drift history
let pairs: f64 = 0; // distances computed by the last bounded step
/** Distances computed by all assignments of this replicate. */
export let pairsTotal: f64 = 0;

/**
 * Binds one replicate: points (n x d f32), centroids, labels (n i32, all -1), the points' squared norms (metric 0),
 * cluster sums (k x d f64, metric 0) and counts (k i32), and a work area of boundsBytes(n, d, k).
 */
export function boundsBegin(
  pts: usize, np: i32, dims: i32, kk: i32, met: i32, c: usize, lab: usize, pn: usize, sm: usize, cnt: usize, work: usize,
): void {
  bind(pts, np, dims, kk, met, c, lab, pn, sm, cnt, work);
  step = 0;
  pairs = 0;
  pairsTotal = 0;
  memory.fill(drift, 0, regionBytes(DRIFT, n, d, k));
  memory.fill(diff, 0, regionBytes(DIFF, n, d, k)); // padding lanes stay 0
  memory.fill(counts, 0, <usize>k << 2);
  if (metric == 0) memory.fill(sums, 0, (<usize>k * <usize>d) << 3);
  for (let i = 0; i < n; i++) store<i32>(state + (<usize>i << 4), -1);
}

/**
 * Binds a replicate begun earlier (on this or another instance: everything else it needs lives in its work area)
 * at its step of the drift history, with the distances its last bounded step and all its steps computed.
 */
export function boundsResume(
  pts: usize, np: i32, dims: i32, kk: i32, met: i32, c: usize, lab: usize, pn: usize, sm: usize, cnt: usize, work: usize,
  atStep: i32, lastPairs: f64, total: f64,
): void {
  bind(pts, np, dims, kk, met, c, lab, pn, sm, cnt, work);
  step = atStep;
  pairs = lastPairs;
  pairsTotal = total;
}

/** Where the bound replicate stands, for boundsResume: its step of the drift history and its last step's pairs. */
export function boundsStep(): i32 { return step; }
export function boundsLastPairs(): f64 { return pairs; }

function bind(pts: usize, np: i32, dims: i32, kk: i32, met: i32, c: usize, lab: usize, pn: usize, sm: usize, cnt: usize, work: usize): void {
  points = pts; n = np; d = dims; k = kk; metric = met;
  cents = c; labels = lab; pnorm = pn; sums = sm; counts = cnt;
  state = work + regionAt(STATE, n, d, k); lower = work + regionAt(LOWER, n, d, k);
  cc = work + regionAt(CC, n, d, k); half = work + regionAt(HALF, n, d, k);
  drift = work + regionAt(DRIFT, n, d, k); diff = work + regionAt(DIFF, n, d, k);
  diffMax = work + regionAt(DIFFMAX, n, d, k); centsT = work + regionAt(CENTST, n, d, k);
  cnorm = work + regionAt(CNORM, n, d, k); dots = work + regionAt(DOTS, n, d, k); list = work + regionAt(LIST, n, d, k);
  k4 = k4Of(k) << 2;
}

/** Whether the next assignment should be a full one (the last bounded step computed most pairs anyway). */
export function fullIsCheaper(): bool {
  return pairs > FULL_FRACTION * <f64>n * <f64>k;
}

// --- cluster membership: counts, and for means the float64 sums, follow every label change ---

/** Point i leaves cluster from (-1: none) and joins cluster to. */
export function moveLabel(i: i32, from: i32, to: i32): void {
  store<i32>(labels + (<usize>i << 2), to);
  store<i32>(state + (<usize>i << 4), to);
  if (from >= 0) store<i32>(counts + (<usize>from << 2), load<i32>(counts + (<usize>from << 2)) - 1);
  store<i32>(counts + (<usize>to << 2), load<i32>(counts + (<usize>to << 2)) + 1);
  if (metric != 0) return;
  const x = points + ((<usize>i * <usize>d) << 2);
  const sTo = sums + ((<usize>to * <usize>d) << 3);
  const sFrom = sums + ((<usize>max(from, 0) * <usize>d) << 3);
  for (let l = 0; l < d; l += 4) {
    const v = v128.load(x + (<usize>l << 2));
    const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    const o = <usize>l << 3;
    v128.store(sTo + o, f64x2.add(v128.load(sTo + o), lo));
    v128.store(sTo + o, f64x2.add(v128.load(sTo + o, 16), hi), 16);
    if (from >= 0) {
      v128.store(sFrom + o, f64x2.sub(v128.load(sFrom + o), lo));
      v128.store(sFrom + o, f64x2.sub(v128.load(sFrom + o, 16), hi), 16);
    }
  }
}

/** Centroids = sums / counts (clusters left empty keep their centroid). */
export function meansFromSums(): void {
  for (let j = 0; j < k; j++) {
    const c = load<i32>(counts + (<usize>j << 2));
    if (c == 0) continue;
    const inv = 1.0 / <f64>c;
    const s = sums + ((<usize>j * <usize>d) << 3), o = cents + ((<usize>j * <usize>d) << 2);
    for (let l = 0; l < d; l++) store<f32>(o + (<usize>l << 2), <f32>(load<f64>(s + (<usize>l << 3)) * inv));
  }
}

// --- the drift history ---

/**
 * Records how far each centroid (k f32 at shift) just moved. When the history is full, every point's bounds are
 * brought up to date first and the history restarts.
 */
export function recordShift(shift: usize): void {
  const row = <usize>(k + 1) << 3;
  if (step == EPOCH) {
    driftSince();
    for (let i = 0; i < n; i++) catchUp(i);
    for (let i = 0; i < n; i++) store<i32>(state + (<usize>i << 4), 0, 4);
    memory.fill(drift, 0, row);
    step = 0;
  }
  const prev = drift + <usize>step * row, next = prev + row;
  let largest: f32 = 0;
  for (let j = 0; j < k; j++) {
    const s = load<f32>(shift + (<usize>j << 2));
    largest = max(largest, s);
    store<f64>(next + (<usize>j << 3), load<f64>(prev + (<usize>j << 3)) + <f64>s);
  }
  store<f64>(next + (<usize>k << 3), load<f64>(prev + (<usize>k << 3)) + <f64>largest);
  step++;
  halfDistances();
}

/** diff[s] = drift now - drift at step s, for every step s up to now (float32, the form the bounds use). */
function driftSince(): void {
  const row = <usize>(k + 1) << 3;
  const now = drift + <usize>step * row;
  for (let s = 0; s <= step; s++) {
    const then = drift + <usize>s * row, out = diff + <usize>s * k4;
    for (let j = 0; j < k; j++) {
      store<f32>(out + (<usize>j << 2), <f32>(load<f64>(now + (<usize>j << 3)) - load<f64>(then + (<usize>j << 3))));
    }
    store<f32>(diffMax + (<usize>s << 2), <f32>(load<f64>(now + (<usize>k << 3)) - load<f64>(then + (<usize>k << 3))));
  }
}

/** Point i's bounds brought up to the current step (diff must be current). */
function catchUp(i: i32): void {
  const rec = state + (<usize>i << 4);
  const st = load<i32>(rec, 4);
  if (st == step) return;
  const lrow = lower + <usize>i * k4, dr = diff + <usize>st * k4;
  for (let q: usize = 0; q < k4; q += 16) v128.store(lrow + q, f32x4.sub(v128.load(lrow + q), v128.load(dr + q)));
  const a = load<i32>(rec);
  store<f32>(rec, load<f32>(rec, 8) + load<f32>(dr + (<usize>a << 2)), 8);
  store<f32>(rec, load<f32>(rec, 12) - load<f32>(diffMax + (<usize>st << 2)), 12);
  store<i32>(rec, step, 4);
}

/** Forgets what point i's bounds know (after an empty cluster took it): it is examined in full next time. */
export function forgetBounds(i: i32): void {
  const lrow = lower + <usize>i * k4;
  for (let j = 0; j < k; j++) store<f32>(lrow + (<usize>j << 2), 0);
  const rec = state + (<usize>i << 4);
  store<i32>(rec, step, 4);
  store<f32>(rec, INF, 8);
  store<f32>(rec, 0, 12);
}

/** Half the distance between every two centroids (cc) and to each one's nearest other (half). */
function halfDistances(): void {
  const row = <usize>d << 2;
  for (let j = 0; j < k; j++) {
    store<f32>(half + (<usize>j << 2), INF);
    for (let jj = k; jj < <i32>(k4 >> 2); jj++) store<f32>(cc + <usize>j * k4 + (<usize>jj << 2), 0);
  }
  for (let j = 0; j < k; j++) {
    store<f32>(cc + <usize>j * k4 + (<usize>j << 2), 0);
    for (let jj = j + 1; jj < k; jj++) {
      const x = cents + <usize>j * row, y = cents + <usize>jj * row;
      const v: f32 = <f32>0.5 * (metric == 1 ? metricDist(x, y, d, 1) : sqrt<f32>(kmeansSqDist(x, y, d)));
      store<f32>(cc + <usize>j * k4 + (<usize>jj << 2), v);
      store<f32>(cc + <usize>jj * k4 + (<usize>j << 2), v);
      if (v < load<f32>(half + (<usize>j << 2))) store<f32>(half + (<usize>j << 2), v);
      if (v < load<f32>(half + (<usize>jj << 2))) store<f32>(half + (<usize>jj << 2), v);
    }
  }
}

/** Distance from the value the kernels give: sqrt(|x|^2 + |c|^2 - 2 x.c) for metric 0, as is for cityblock. */
@inline function toDistance(v: f32, pn: f32, j: i32): f32 {
  return metric == 1 ? v : sqrt<f32>(max<f32>(0, pn + load<f32>(cnorm + (<usize>j << 2)) - 2 * v));
}

/** The smallest l_j of point i's row over j != skip (padding lanes hold INF): l_skip is set aside for a moment. */
@inline function lowestOther(lrow: usize, skip: i32): f32 {
  const at = lrow + (<usize>skip << 2), kept = load<f32>(at);
  store<f32>(at, INF);
  let v = v128.load(lrow);
  for (let q: usize = 16; q < k4; q += 16) v = f32x4.min(v, v128.load(lrow + q));
  store<f32>(at, kept);
  return min(min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

// --- the two assignment steps ---

/** Where point 0's lower bounds start, and the bytes from one point's to the next's: k-means++ writes there the
 * exact distance of every point to each centroid it chooses (then assignFromBounds needs no GEMM). */
export function boundsLower(): usize { return lower; }
export function boundsRowBytes(): usize { return k4; }

/** Labels, u and l_min of point i from its lower bounds when they are exact distances (padding lanes set to INF);
 * returns whether its label changed. */
function takeNearest(i: i32): bool {
  const lrow = lower + <usize>i * k4;
  let best = 0;
  let b1 = INF, b2 = INF;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(lrow + (<usize>j << 2));
    if (v < b1) { b2 = b1; b1 = v; best = j; } else if (v < b2) b2 = v;
  }
  for (let j = k; j < <i32>(k4 >> 2); j++) store<f32>(lrow + (<usize>j << 2), INF);
  const rec = state + (<usize>i << 4);
  const was = load<i32>(rec);
  store<i32>(rec, step, 4);
  store<f32>(rec, b1, 8);
  store<f32>(rec, b2, 12);
  if (was == best) return false;
  moveLabel(i, was, best);
  return true;
}

/** The first assignment after k-means++ filled every point's distances to every centroid into the lower bounds:
 * labels and bounds as assignAll would set them, without measuring anything again. Returns labels changed. */
export function assignFromBounds(): i32 {
  if (step == 0) halfDistances();
  let changed = 0;
  for (let i = 0; i < n; i++) if (takeNearest(i)) changed++;
  return changed;
}

/** Every point against every centroid (GEMM for metric 0): labels, every bound exact. Returns labels changed. */
export function assignAll(): i32 {
  const row = <usize>d << 2, kp = <i32>kpOf(k);
  if (metric == 0) {
    kmeansRowNorms(cents, k, d, cnorm);
    for (let l = 0; l < d; l++) {
      const t = centsT + ((<usize>l * <usize>kp) << 2);
      for (let j = 0; j < k; j++) store<f32>(t + (<usize>j << 2), load<f32>(cents + <usize>j * row + (<usize>l << 2)));
      for (let j = k; j < kp; j++) store<f32>(t + (<usize>j << 2), 0);
    }
  }
  if (step == 0) halfDistances();
  let changed = 0;
  const ld = metric == 0 ? kp : k;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = min(BLOCK, n - i0);
    if (metric == 0) gemmF32(m, kp, d, points + <usize>i0 * row, d, centsT, kp, dots, kp, 0);
    else kmeansPairwise(points + <usize>i0 * row, m, d, cents, k, 1, dots);
    for (let r = 0; r < m; r++) {
      const i = i0 + r;
      const pn = metric == 0 ? load<f32>(pnorm + (<usize>i << 2)) : 0;
      const src = dots + ((<usize>r * <usize>ld) << 2), lrow = lower + <usize>i * k4;
      for (let j = 0; j < k; j++) store<f32>(lrow + (<usize>j << 2), toDistance(load<f32>(src + (<usize>j << 2)), pn, j));
      if (takeNearest(i)) changed++;
    }
  }
  pairsTotal += <f64>n * <f64>k;
  pairs = 0; // the bounds are exact now: the next step tries them
  return changed;
}

/** The bounded step: examines only the points whose bounds allow another centroid. Returns labels changed. */
export function assignBounded(): i32 {
  if (metric == 0) kmeansRowNorms(cents, k, d, cnorm);
  driftSince();
  let changed = 0;
  pairs = 0;
  for (let i = 0; i < n; i++) {
    const rec = state + (<usize>i << 4);
    const a = load<i32>(rec), st = load<i32>(rec, 4);
    const u = load<f32>(rec, 8) + load<f32>(diff + <usize>st * k4 + (<usize>a << 2));
    const lm = load<f32>(rec, 12) - load<f32>(diffMax + (<usize>st << 2));
    if (u * SAFE <= max(lm, load<f32>(half + (<usize>a << 2)))) continue;
    if (examine(i, a, st, u)) changed++;
  }
  pairsTotal += pairs;
  return changed;
}

/**
 * Point i (in cluster a, bounds as of step st, u its upper bound now) failed the cheap test: lists the centroids
 * its lower bounds, brought up to date, cannot rule out, and when there are any, measures those (and its own) and
 * stores its bounds as of now. Returns whether its label changed.
 */
function examine(i: i32, a: i32, st: i32, u: f32): bool {
  const rec = state + (<usize>i << 4);
  const lrow = lower + <usize>i * k4, dr = diff + <usize>st * k4, ccRow = cc + <usize>a * k4;
  const us = f32x4.splat(u * SAFE);
  // list[0] = a, then every j != a with u > l_j and u > d(c_a, c_j) / 2. On the way, the smallest l_j over j != a
  // (what lowestOther would find) for the case that lists nothing.
  store<i32>(list, a);
  let m = 1;
  const inf = f32x4.splat(INF), own = i32x4.splat(a), four = i32x4.splat(4);
  let lane = i32x4(0, 1, 2, 3), low = inf;
  for (let q: usize = 0; q < k4; q += 16) {
    const l = f32x4.sub(v128.load(lrow + q), v128.load(dr + q));
    low = f32x4.min(low, v128.bitselect(inf, l, i32x4.eq(lane, own)));
    lane = i32x4.add(lane, four);
    let bits = i32x4.bitmask(v128.and(f32x4.gt(us, l), f32x4.gt(us, v128.load(ccRow + q))));
    while (bits != 0) {
      const j = <i32>(q >> 2) + ctz(bits);
      bits &= bits - 1;
      if (j != a) { store<i32>(list + (<usize>m << 2), j); m++; }
    }
  }
  if (m == 1) {
    // Nothing to measure: the row and the step stay as they were (no write-back), and l_min is stored as of that
    // step, so that the test's subtraction of the largest shift since then leaves the smallest l_j now.
    const lowest = min(min(f32x4.extract_lane(low, 0), f32x4.extract_lane(low, 1)), min(f32x4.extract_lane(low, 2), f32x4.extract_lane(low, 3)));
    store<f32>(rec, lowest + load<f32>(diffMax + (<usize>st << 2)), 12);
    return false;
  }
  for (let q: usize = 0; q < k4; q += 16) v128.store(lrow + q, f32x4.sub(v128.load(lrow + q), v128.load(dr + q)));
  store<i32>(rec, step, 4);
  const x = points + ((<usize>i * <usize>d) << 2);
  const pn = metric == 0 ? load<f32>(pnorm + (<usize>i << 2)) : 0;
  kmeansListed(x, cents, d, list, m, metric, dots);
  pairs += <f64>m;
  let best = a;
  let bestD = INF;
  for (let t = 0; t < m; t++) {
    const j = load<i32>(list + (<usize>t << 2));
    const v = toDistance(load<f32>(dots + (<usize>t << 2)), pn, j);
    store<f32>(lrow + (<usize>j << 2), v);
    if (v < bestD || (v == bestD && j < best)) { bestD = v; best = j; }
  }
  store<f32>(rec, bestD, 8);
  store<f32>(rec, lowestOther(lrow, best), 12);
  if (best == a) return false;
  moveLabel(i, a, best);
  return true;
}
