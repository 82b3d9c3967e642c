// Distances between points and centroids for k-means. Both are float32 rows of d values, d a multiple of 4 (the
// caller zero-pads: padding changes neither squared Euclidean nor cityblock distances), rows 16-byte aligned.
//
// The assignment step is a small GEMM: a block of 4 points against 2 centroids at a time keeps 8 accumulators and
// 6 loaded vectors in registers, so each loaded vector feeds 2 or 4 multiply-adds instead of 1.

// Metric markers for compile-time specialisation (only their sizes matter): Dot products or L1 (cityblock) terms.
type Dot = u32;
type L1 = u64;
@inline function isL1<M>(): bool { return sizeof<M>() == 8; }

// out[r * k + j] = sum_l f(x_r[l], c_j[l]) for the 4 points p0..p3 and all k centroids, with f = x * c (dot
// products, M = Dot) or |x - c| (cityblock distances, M = L1).
@inline function block4<M>(p0: usize, p1: usize, p2: usize, p3: usize, cents: usize, k: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 2;
  const kEven = k & ~1;
  let j = 0;
  for (; j < kEven; j += 2) {
    const c0 = cents + <usize>j * rowBytes, c1 = c0 + rowBytes;
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
    for (let l = 0; l < d; l += 4) {
      const o = <usize>l << 2;
      const x0 = v128.load(p0 + o), x1 = v128.load(p1 + o), x2 = v128.load(p2 + o), x3 = v128.load(p3 + o);
      const y0 = v128.load(c0 + o), y1 = v128.load(c1 + o);
      a00 = f32x4.add(a00, term<M>(x0, y0)); a01 = f32x4.add(a01, term<M>(x0, y1));
      a10 = f32x4.add(a10, term<M>(x1, y0)); a11 = f32x4.add(a11, term<M>(x1, y1));
      a20 = f32x4.add(a20, term<M>(x2, y0)); a21 = f32x4.add(a21, term<M>(x2, y1));
      a30 = f32x4.add(a30, term<M>(x3, y0)); a31 = f32x4.add(a31, term<M>(x3, y1));
    }
    const ok = <usize>k << 2, oj = out + (<usize>j << 2);
    store<f32>(oj, sum4(a00)); store<f32>(oj, sum4(a01), 4);
    store<f32>(oj + ok, sum4(a10)); store<f32>(oj + ok, sum4(a11), 4);
    store<f32>(oj + 2 * ok, sum4(a20)); store<f32>(oj + 2 * ok, sum4(a21), 4);
    store<f32>(oj + 3 * ok, sum4(a30)); store<f32>(oj + 3 * ok, sum4(a31), 4);
  }
  for (; j < k; j++) {
    const c0 = cents + <usize>j * rowBytes;
    const ok = <usize>k << 2, oj = out + (<usize>j << 2);
    store<f32>(oj, pair<M>(p0, c0, d));
    store<f32>(oj + ok, pair<M>(p1, c0, d));
    store<f32>(oj + 2 * ok, pair<M>(p2, c0, d));
    store<f32>(oj + 3 * ok, pair<M>(p3, c0, d));
  }
}

// The same for a single point: one row against all k centroids, 2 at a time.
@inline function block1<M>(p: usize, cents: usize, k: i32, d: i32, out: usize): void {
  const rowBytes = <usize>d << 2;
  for (let j = 0; j < k; j++) store<f32>(out + (<usize>j << 2), pair<M>(p, cents + <usize>j * rowBytes, d));
}

@inline function term<M>(x: v128, y: v128): v128 {
  if (isL1<M>()) return f32x4.abs(f32x4.sub(x, y));
  return f32x4.mul(x, y);
}

@inline function pair<M>(x: usize, y: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let l = 0;
  for (; l + 8 <= d; l += 8) {
    const o = <usize>l << 2;
    a0 = f32x4.add(a0, term<M>(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, term<M>(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  if (l < d) a0 = f32x4.add(a0, term<M>(v128.load(x + (<usize>l << 2)), v128.load(y + (<usize>l << 2))));
  return sum4(f32x4.add(a0, a1));
}

@inline function sum4(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Dot products (metric 0) or cityblock distances (metric 1) of n points with k centroids: out is n x k. */
export function kmeansPairwise(points: usize, n: i32, d: i32, cents: usize, k: i32, metric: i32, out: usize): void {
  const stride = <usize>d << 2;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = points + <usize>i * stride, o = out + ((<usize>i * <usize>k) << 2);
    if (metric == 1) block4<L1>(p, p + stride, p + 2 * stride, p + 3 * stride, cents, k, d, o);
    else block4<Dot>(p, p + stride, p + 2 * stride, p + 3 * stride, cents, k, d, o);
  }
  for (; i < n; i++) {
    const p = points + <usize>i * stride, o = out + ((<usize>i * <usize>k) << 2);
    if (metric == 1) block1<L1>(p, cents, k, d, o);
    else block1<Dot>(p, cents, k, d, o);
  }
}

/** As kmeansPairwise for the m rows idx[0..m) (i32 row indices) of points: out is m x k. */
export function kmeansPairwiseRows(points: usize, idx: usize, m: i32, d: i32, cents: usize, k: i32, metric: i32, out: usize): void {
  const stride = <usize>d << 2;
  const m4 = m & ~3;
  let t = 0;
  for (; t < m4; t += 4) {
    const pi = idx + (<usize>t << 2), o = out + ((<usize>t * <usize>k) << 2);
    const p0 = points + <usize>load<i32>(pi) * stride, p1 = points + <usize>load<i32>(pi, 4) * stride;
    const p2 = points + <usize>load<i32>(pi, 8) * stride, p3 = points + <usize>load<i32>(pi, 12) * stride;
    if (metric == 1) block4<L1>(p0, p1, p2, p3, cents, k, d, o);
    else block4<Dot>(p0, p1, p2, p3, cents, k, d, o);
  }
  for (; t < m; t++) {
    const p = points + <usize>load<i32>(idx + (<usize>t << 2)) * stride, o = out + ((<usize>t * <usize>k) << 2);
    if (metric == 1) block1<L1>(p, cents, k, d, o);
    else block1<Dot>(p, cents, k, d, o);
  }
}

/** Squared Euclidean distance between two rows, computed from differences (no cancellation). */
export function kmeansSqDist(x: usize, y: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let l = 0;
  for (; l + 8 <= d; l += 8) {
    const o = <usize>l << 2;
    const e0 = f32x4.sub(v128.load(x + o), v128.load(y + o));
    const e1 = f32x4.sub(v128.load(x + o, 16), v128.load(y + o, 16));
    a0 = f32x4.add(a0, f32x4.mul(e0, e0));
    a1 = f32x4.add(a1, f32x4.mul(e1, e1));
  }
  if (l < d) {
    const e = f32x4.sub(v128.load(x + (<usize>l << 2)), v128.load(y + (<usize>l << 2)));
    a0 = f32x4.add(a0, f32x4.mul(e, e));
  }
  return sum4(f32x4.add(a0, a1));
}

/** Cityblock distance between two rows. */
export function kmeansL1Dist(x: usize, y: usize, d: i32): f32 {
  return pair<L1>(x, y, d);
}

/** Squared Euclidean (metric 0) or cityblock (metric 1) distance between two rows. */
@inline export function metricDist(x: usize, y: usize, d: i32, metric: i32): f32 {
  return metric == 1 ? pair<L1>(x, y, d) : kmeansSqDist(x, y, d);
}

/** Squared norms of n rows. */
export function kmeansRowNorms(points: usize, n: i32, d: i32, out: usize): void {
  const stride = <usize>d << 2;
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), pair<Dot>(points + <usize>i * stride, points + <usize>i * stride, d));
}

// One point against n = 2, 3 or 4 centroids (n a constant at every call, so the unused lanes fold away when the
// function is inlined): each loaded vector of the point feeds n terms, and two steps of l at a time keep 2n
// independent sums in flight; each distance is summed in pair's order, so every path gives the same bits.
@inline function listedN<M>(n: i32, x: usize, c0: usize, c1: usize, c2: usize, c3: usize, d: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let l = 0;
  for (; l + 8 <= d; l += 8) {
    const o = <usize>l << 2;
    const x0 = v128.load(x + o), x1 = v128.load(x + o, 16);
    a0 = f32x4.add(a0, term<M>(x0, v128.load(c0 + o))); b0 = f32x4.add(b0, term<M>(x1, v128.load(c0 + o, 16)));
    a1 = f32x4.add(a1, term<M>(x0, v128.load(c1 + o))); b1 = f32x4.add(b1, term<M>(x1, v128.load(c1 + o, 16)));
    if (n > 2) { a2 = f32x4.add(a2, term<M>(x0, v128.load(c2 + o))); b2 = f32x4.add(b2, term<M>(x1, v128.load(c2 + o, 16))); }
    if (n > 3) { a3 = f32x4.add(a3, term<M>(x0, v128.load(c3 + o))); b3 = f32x4.add(b3, term<M>(x1, v128.load(c3 + o, 16))); }
  }
  if (l < d) {
    const o = <usize>l << 2;
    const x0 = v128.load(x + o);
    a0 = f32x4.add(a0, term<M>(x0, v128.load(c0 + o)));
    a1 = f32x4.add(a1, term<M>(x0, v128.load(c1 + o)));
    if (n > 2) a2 = f32x4.add(a2, term<M>(x0, v128.load(c2 + o)));
    if (n > 3) a3 = f32x4.add(a3, term<M>(x0, v128.load(c3 + o)));
  }
  store<f32>(out, sum4(f32x4.add(a0, b0)));
  store<f32>(out, sum4(f32x4.add(a1, b1)), 4);
  if (n > 2) store<f32>(out, sum4(f32x4.add(a2, b2)), 8);
  if (n > 3) store<f32>(out, sum4(f32x4.add(a3, b3)), 12);
}

@inline function listed<M>(x: usize, cents: usize, d: i32, list: usize, m: i32, out: usize): void {
  const rowBytes = <usize>d << 2;
  let t = 0;
  for (; t + 4 <= m; t += 4) {
    const pl = list + (<usize>t << 2);
    listedN<M>(4, x, cents + <usize>load<i32>(pl) * rowBytes, cents + <usize>load<i32>(pl, 4) * rowBytes,
      cents + <usize>load<i32>(pl, 8) * rowBytes, cents + <usize>load<i32>(pl, 12) * rowBytes, d, out + (<usize>t << 2));
  }
  const pl = list + (<usize>t << 2), po = out + (<usize>t << 2);
  const rest = m - t;
  if (rest == 3) {
    listedN<M>(3, x, cents + <usize>load<i32>(pl) * rowBytes, cents + <usize>load<i32>(pl, 4) * rowBytes,
      cents + <usize>load<i32>(pl, 8) * rowBytes, 0, d, po);
  } else if (rest == 2) {
    listedN<M>(2, x, cents + <usize>load<i32>(pl) * rowBytes, cents + <usize>load<i32>(pl, 4) * rowBytes, 0, 0, d, po);
  } else if (rest == 1) {
    store<f32>(po, pair<M>(x, cents + <usize>load<i32>(pl) * rowBytes, d));
  }
}

/** For one point x and the m centroids listed in list (i32 indices): out[t] = x . c_list[t] (metric 0) or the
 * cityblock distance (metric 1). The bounded assignment step computes only these. */
export function kmeansListed(x: usize, cents: usize, d: i32, list: usize, m: i32, metric: i32, out: usize): void {
  if (metric == 1) listed<L1>(x, cents, d, list, m, out);
  else listed<Dot>(x, cents, d, list, m, out);
}
