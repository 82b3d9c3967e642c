// The dense symmetric eigenproblem (all eigenvalues, some or all eigenvectors) of a matrix of a few hundred rows, in
// float64, as three kernels the bindings chain (bindings/linalg-eig-dense.ts):
//   1. eigDenseTridiagonalize: Householder reduction Q^T A Q = T (LAPACK sytd2 on the upper triangle), with the
//      rank-2 update of one step and the symmetric product of the next fused in one pass over the trailing rows;
//   2. eigDenseQL: implicit QL with Wilkinson shifts on T (EISPACK tql2), its rotations logged; eigDenseRotate
//      applies them to the rows of a matrix Z^T (Z's columns are the vectors), a strip of 8 columns at a time;
//   3. eigDenseApplyQ: x <- Q x for vectors stored as rows (the reflectors kept in A's upper triangle).
// Q^T is Q applied to the unit vectors, so "all vectors" = 3 on the identity, then the rotations on the result;
// "the leading k vectors" = the rotations on the identity, then 3 on the k rows wanted (2 n^2 k, not 4/3 n^3).
// eigDenseRotate (by strips of columns) and eigDenseApplyQ (by rows) split into independent tasks for the workers.

// x[j] for the f64 vector at p.
@inline function at(p: usize, j: i32): usize {
  return p + (<usize>j << 3);
}

// sum over j in [j0, j1) of x[j] y[j], in four independent sums (one would wait on the add's latency)
@inline function dot(x: usize, y: usize, j0: i32, j1: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0), s: f64 = 0;
  let j = j0;
  const eights = j0 + ((j1 - j0) & ~7), pairs = j0 + ((j1 - j0) & ~1);
  for (; j < eights; j += 8) {
    const px = at(x, j), py = at(y, j);
    a0 = f64x2.add(a0, f64x2.mul(v128.load(px), v128.load(py)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(px, 16), v128.load(py, 16)));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(px, 32), v128.load(py, 32)));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(px, 48), v128.load(py, 48)));
  }
  for (; j < pairs; j += 2) a0 = f64x2.add(a0, f64x2.mul(v128.load(at(x, j)), v128.load(at(y, j))));
  for (; j < j1; j++) s += load<f64>(at(x, j)) * load<f64>(at(y, j));
  const acc = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  return s + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

// y[j] -= t x[j] for j in [j0, j1)
@inline function axpy(t: f64, x: usize, y: usize, j0: i32, j1: i32): void {
  const tv = f64x2.splat(t);
  let j = j0;
  const pairs = j0 + ((j1 - j0) & ~1);
  for (; j < pairs; j += 2) v128.store(at(y, j), f64x2.sub(v128.load(at(y, j)), f64x2.mul(tv, v128.load(at(x, j)))));
  for (; j < j1; j++) store<f64>(at(y, j), load<f64>(at(y, j)) - t * load<f64>(at(x, j)));
}

// Row i of A (n x n, row-major), columns j0 .. j1 - 1 get -= vi w[j] + wi v[j]: the pending rank-2 update.
@inline function rank2Row(row: usize, vi: f64, wi: f64, v: usize, w: usize, j0: i32, j1: i32): void {
  const vv = f64x2.splat(vi), wv = f64x2.splat(wi);
  let j = j0;
  const pairs = j0 + ((j1 - j0) & ~1);
  for (; j < pairs; j += 2) {
    const u = f64x2.add(f64x2.mul(vv, v128.load(at(w, j))), f64x2.mul(wv, v128.load(at(v, j))));
    v128.store(at(row, j), f64x2.sub(v128.load(at(row, j)), u));
  }
  for (; j < j1; j++) store<f64>(at(row, j), load<f64>(at(row, j)) - (vi * load<f64>(at(w, j)) + wi * load<f64>(at(v, j))));
}

// One pass over row i's columns j0 .. j1 - 1 right of the diagonal: the pending update a[j] -= vi w[j] + wi v[j],
// then the symmetric product with the next reflector u: p[j] += ui a[j]; returns sum a[j] u[j] (row i's share of p[i]).
@inline function updateRow(
  row: usize, vi: f64, wi: f64, v: usize, w: usize, u: usize, ui: f64, p: usize, j0: i32, j1: i32,
): f64 {
  const vv = f64x2.splat(vi), wv = f64x2.splat(wi), uv = f64x2.splat(ui);
  let acc = f64x2.splat(0), sum: f64 = 0;
  let j = j0;
  const pairs = j0 + ((j1 - j0) & ~1);
  for (; j < pairs; j += 2) {
    const update = f64x2.add(f64x2.mul(vv, v128.load(at(w, j))), f64x2.mul(wv, v128.load(at(v, j))));
    const x = f64x2.sub(v128.load(at(row, j)), update);
    v128.store(at(row, j), x);
    acc = f64x2.add(acc, f64x2.mul(x, v128.load(at(u, j))));
    v128.store(at(p, j), f64x2.add(v128.load(at(p, j)), f64x2.mul(uv, x)));
  }
  for (; j < j1; j++) {
    const x = load<f64>(at(row, j)) - (vi * load<f64>(at(w, j)) + wi * load<f64>(at(v, j)));
    store<f64>(at(row, j), x);
    sum += x * load<f64>(at(u, j));
    store<f64>(at(p, j), load<f64>(at(p, j)) + ui * x);
  }
  return sum + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/** Householder tridiagonalisation of the symmetric n x n matrix at a (row-major float64, its lower triangle read and
 * mirrored into the upper one, which is then reduced in place): d (n) the diagonal of T, e (n) its superdiagonal
 * (e[n - 1] = 0), tau (n) the reflectors' factors. Reflector s, H_s = I - tau[s] v v^T, has v[s + 1] = 1 and
 * v[j] = a[s][j] for j > s + 1 (a[s][s + 1] holds the 1). work: 3 n float64 (w, p, zeros). */
export function eigDenseTridiagonalize(a: usize, n: i32, d: usize, e: usize, tau: usize, work: usize): void {
  const stride = <usize>n << 3;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) store<f64>(at(a + <usize>i * stride, j), load<f64>(at(a + <usize>j * stride, i)));
  }
  const w = work, p = work + stride, zeros = work + 2 * stride;
  for (let j = 0; j < n; j++) {
    store<f64>(at(zeros, j), 0);
    store<f64>(at(w, j), 0);
  }
  store<f64>(at(e, n - 1), 0);
  // Phase s: rows s .. n - 1 carry the rank-2 update (v, w) of reflector s - 1, not yet applied (v = w = 0 for s = 0).
  for (let s = 0; s < n; s++) {
    const v = s == 0 ? zeros : a + <usize>(s - 1) * stride, row = a + <usize>s * stride;
    rank2Row(row, load<f64>(at(v, s)), load<f64>(at(w, s)), v, w, s, n);
    store<f64>(at(d, s), load<f64>(at(row, s)));
    if (s == n - 1) break;
    // Reflector s from x = A[s][s + 1 ..] (= the column below the diagonal), written over x.
    const t = reflector(row, s + 1, n, e + (<usize>s << 3));
    store<f64>(at(tau, s), t);
    // Rows s + 1 .. n - 1: apply the pending update and accumulate p = A22 u for the new reflector u (in row s):
    // from the upper triangle, row i gives p[i] its dot product with u and p[j > i] its entries times u[i].
    for (let j = s + 1; j < n; j++) store<f64>(at(p, j), 0);
    for (let i = s + 1; i < n; i++) {
      const ri = a + <usize>i * stride;
      const vi = load<f64>(at(v, i)), wi = load<f64>(at(w, i)), ui = load<f64>(at(row, i));
      const aii = load<f64>(at(ri, i)) - 2 * vi * wi;
      store<f64>(at(ri, i), aii);
      store<f64>(at(p, i), load<f64>(at(p, i)) + aii * ui + updateRow(ri, vi, wi, v, w, row, ui, p, i + 1, n));
    }
    // w = tau p - (tau^2 / 2) (p . v) v: the update A22 - v w^T - w v^T = H A22 H.
    const half = 0.5 * t * t * dot(p, row, s + 1, n);
    for (let j = s + 1; j < n; j++) store<f64>(at(w, j), t * load<f64>(at(p, j)) - half * load<f64>(at(row, j)));
  }
}

// The reflector H = I - tau v v^T with H x = (beta, 0, ..) for x = row[j0 .. n) (LAPACK larfg, with the norm taken on
// scaled values): v (v[j0] = 1) written over x, beta to *beta, tau returned (0 when x[j0 + 1 ..] is zero).
function reflector(row: usize, j0: i32, n: i32, beta: usize): f64 {
  const x0 = load<f64>(at(row, j0));
  let big: f64 = 0;
  for (let j = j0 + 1; j < n; j++) big = max(big, Math.abs(load<f64>(at(row, j))));
  if (big == 0) {
    store<f64>(beta, x0);
    store<f64>(at(row, j0), 1);
    return 0;
  }
  const scale = max(big, Math.abs(x0)), inv = 1 / scale;
  let sum: f64 = (x0 * inv) * (x0 * inv);
  for (let j = j0 + 1; j < n; j++) {
    const y = load<f64>(at(row, j)) * inv;
    sum += y * y;
  }
  const norm = scale * Math.sqrt(sum);
  const b = x0 >= 0 ? -norm : norm;
  const f = 1 / (x0 - b);
  for (let j = j0 + 1; j < n; j++) store<f64>(at(row, j), load<f64>(at(row, j)) * f);
  store<f64>(at(row, j0), 1);
  store<f64>(beta, b);
  return (b - x0) / b;
}

// Reflectors applied to a row while it sits in L1: the rows (Q^T is 2.4 MB at n = 544) are read once per block.
const REFLECTOR_BLOCK = 16;

/** x <- Q x = H_0 H_1 .. H_(n-2) x for the vectors stored as rows r0 .. r1 - 1 of z (stride ldz float64), with the
 * reflectors of eigDenseTridiagonalize (a, tau). `identity` = 1 when row r is the unit vector e_r: H_s leaves e_r
 * alone for s >= r, so row r starts at reflector r - 1 (the rows then become Q^T's rows, 4/3 n^3 for all n). */
export function eigDenseApplyQ(a: usize, n: i32, tau: usize, z: usize, ldz: i32, r0: i32, r1: i32, identity: i32): void {
  const stride = <usize>n << 3, zs = <usize>ldz << 3;
  for (let s1 = n - 2; s1 >= 0; s1 -= REFLECTOR_BLOCK) {
    const s0 = max(0, s1 - REFLECTOR_BLOCK + 1);
    for (let r = identity ? max(r0, s0 + 1) : r0; r < r1; r++) {
      const x = z + <usize>r * zs;
      // H_s then H_(s-1) ..: each pass subtracts one reflector and takes the dot product with the next.
      let s = identity ? min(s1, r - 1) : s1;
      let v = a + <usize>s * stride;
      let coef = load<f64>(at(tau, s)) * dot(v, x, s + 1, n);
      for (; s > s0; s--) {
        const u = v - stride;
        const next = load<f64>(at(u, s)) * load<f64>(at(x, s)) + axpyDot(coef, v, x, u, s + 1, n);
        coef = load<f64>(at(tau, s - 1)) * next;
        v = u;
      }
      axpy(coef, v, x, s + 1, n);
    }
  }
}

// x[j] -= t v[j] for j in [j0, j1), returning sum u[j] x[j] of the new x (two sums, four values a step).
@inline function axpyDot(t: f64, v: usize, x: usize, u: usize, j0: i32, j1: i32): f64 {
  const tv = f64x2.splat(t);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), sum: f64 = 0;
  let j = j0;
  const fours = j0 + ((j1 - j0) & ~3);
  for (; j < fours; j += 4) {
    const px = at(x, j), pv = at(v, j), pu = at(u, j);
    const y0 = f64x2.sub(v128.load(px), f64x2.mul(tv, v128.load(pv)));
    const y1 = f64x2.sub(v128.load(px, 16), f64x2.mul(tv, v128.load(pv, 16)));
    v128.store(px, y0);
    v128.store(px, y1, 16);
    a0 = f64x2.add(a0, f64x2.mul(y0, v128.load(pu)));
    a1 = f64x2.add(a1, f64x2.mul(y1, v128.load(pu, 16)));
  }
  for (; j < j1; j++) {
    const y = load<f64>(at(x, j)) - t * load<f64>(at(v, j));
    store<f64>(at(x, j), y);
    sum += y * load<f64>(at(u, j));
  }
  const acc = f64x2.add(a0, a1);
  return sum + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

// sqrt(x^2 + y^2): Math.hypot (which scales to avoid overflow) only when the plain sum over- or underflows; hypot is
// several times slower and there is one per rotation.
@inline function radius(x: f64, y: f64): f64 {
  const r = Math.sqrt(x * x + y * y);
  return r < 1e150 && r > 1e-150 ? r : Math.hypot(x, y);
}

// Rotations are logged, then applied to the vectors: a sweep is [m, l, c_(m-1), s_(m-1), .., c_l, s_l].
const STRIP = 8;

/** Eigenvalues of the symmetric tridiagonal matrix (d, e: diagonal, superdiagonal with e[n - 1] = 0, both
 * overwritten; eigenvalues unsorted in d) by implicit QL with Wilkinson shifts (tql2, the split point looked for
 * before every sweep), its rotations written to log (room for logCap float64, at least 2 n + 2) for
 * eigDenseRotate. Stops when the log is full and resumes from state (4 float64: l, iterations, shift sum, norm;
 * zero to start); all eigenvalues are done when state[0] = n. Returns the float64 slots of log used, or -1 - l when
 * eigenvalue l did not converge in 60 sweeps. */
export function eigDenseQL(d: usize, e: usize, n: i32, log: usize, logCap: i32, state: usize): i32 {
  const eps: f64 = 2.220446049250313e-16;
  let l = <i32>load<f64>(state), iter = <i32>load<f64>(state, 8), f = load<f64>(state, 16), tst1 = load<f64>(state, 24);
  let used = 0;
  while (l < n) {
    if (iter == 0) tst1 = max(tst1, Math.abs(load<f64>(at(d, l))) + Math.abs(load<f64>(at(e, l))));
    let m = l;
    while (m < n - 1 && Math.abs(load<f64>(at(e, m))) > eps * tst1) m++;
    if (m == l) {
      store<f64>(at(d, l), load<f64>(at(d, l)) + f);
      store<f64>(at(e, l), 0);
      l++;
      iter = 0;
      continue;
    }
    if (used + 2 * (m - l) + 2 > logCap) break;
    if (++iter > 60) return -1 - l;
    let g = load<f64>(at(d, l));
    const el = load<f64>(at(e, l));
    let p = (load<f64>(at(d, l + 1)) - g) / (2 * el);
    let r = radius(p, 1);
    if (p < 0) r = -r;
    store<f64>(at(d, l), el / (p + r));
    store<f64>(at(d, l + 1), el * (p + r));
    const dl1 = load<f64>(at(d, l + 1));
    let h = g - load<f64>(at(d, l));
    for (let i = l + 2; i < n; i++) store<f64>(at(d, i), load<f64>(at(d, i)) - h);
    f += h;
    p = load<f64>(at(d, m));
    let c: f64 = 1, c2: f64 = 1, c3: f64 = 1, s: f64 = 0, s2: f64 = 0;
    const el1 = load<f64>(at(e, l + 1));
    store<f64>(at(log, used), <f64>m);
    store<f64>(at(log, used + 1), <f64>l);
    used += 2;
    for (let i = m - 1; i >= l; i--) {
      c3 = c2;
      c2 = c;
      s2 = s;
      const ei = load<f64>(at(e, i)), di = load<f64>(at(d, i));
      g = c * ei;
      h = c * p;
      r = radius(p, ei);
      store<f64>(at(e, i + 1), s * r);
      s = ei / r;
      c = p / r;
      p = c * di - s * g;
      store<f64>(at(d, i + 1), h + s * (c * g + s * di));
      store<f64>(at(log, used), c);
      store<f64>(at(log, used + 1), s);
      used += 2;
    }
    p = (-s * s2 * c3 * el1 * load<f64>(at(e, l))) / dl1;
    store<f64>(at(e, l), s * p);
    store<f64>(at(d, l), c * p);
  }
  store<f64>(state, <f64>l);
  store<f64>(state, <f64>iter, 8);
  store<f64>(state, f, 16);
  store<f64>(state, tst1, 24);
  return used;
}

/** The sweeps logged by eigDenseQL (log[0 .. used)) applied to columns c0 .. c1 - 1 of zt (stride ldz float64; c0
 * and c1 multiples of 8), one strip of 8 columns at a time, so that a strip stays in L1 while every rotation goes
 * over it. Rotation i of a sweep mixes rows i and i + 1: row i + 1 <- s row i + c row i+1, row i <- c row i - s
 * row i+1; a sweep goes from i = m - 1 down to l, so the new row i is carried (in four registers) into the next
 * rotation and each row is loaded and stored once per sweep. Strips are independent: any split gives the same. */
export function eigDenseRotate(zt: usize, ldz: i32, c0: i32, c1: i32, log: usize, used: i32): void {
  const zs = <usize>ldz << 3;
  for (let col = c0; col < c1; col += STRIP) {
    const base = zt + (<usize>col << 3);
    let k = 0;
    while (k < used) {
      const m = <i32>load<f64>(at(log, k)), l = <i32>load<f64>(at(log, k + 1));
      k += 2;
      let pm = base + <usize>m * zs;
      let y0 = v128.load(pm), y1 = v128.load(pm, 16), y2 = v128.load(pm, 32), y3 = v128.load(pm, 48);
      for (let i = m - 1; i >= l; i--) {
        const cv = f64x2.splat(load<f64>(at(log, k))), sv = f64x2.splat(load<f64>(at(log, k + 1)));
        k += 2;
        const pi = pm - zs;
        const x0 = v128.load(pi), x1 = v128.load(pi, 16), x2 = v128.load(pi, 32), x3 = v128.load(pi, 48);
        v128.store(pm, f64x2.add(f64x2.mul(sv, x0), f64x2.mul(cv, y0)));
        v128.store(pm, f64x2.add(f64x2.mul(sv, x1), f64x2.mul(cv, y1)), 16);
        v128.store(pm, f64x2.add(f64x2.mul(sv, x2), f64x2.mul(cv, y2)), 32);
        v128.store(pm, f64x2.add(f64x2.mul(sv, x3), f64x2.mul(cv, y3)), 48);
        y0 = f64x2.sub(f64x2.mul(cv, x0), f64x2.mul(sv, y0));
        y1 = f64x2.sub(f64x2.mul(cv, x1), f64x2.mul(sv, y1));
        y2 = f64x2.sub(f64x2.mul(cv, x2), f64x2.mul(sv, y2));
        y3 = f64x2.sub(f64x2.mul(cv, x3), f64x2.mul(sv, y3));
        pm = pi;
      }
      v128.store(pm, y0);
      v128.store(pm, y1, 16);
      v128.store(pm, y2, 32);
      v128.store(pm, y3, 48);
    }
  }
}
