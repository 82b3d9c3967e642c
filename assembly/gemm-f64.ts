// Dense float64 matrix products C = A B (row-major, leading dimensions in elements) for the small dense steps of
// PCA's Rayleigh-Ritz step (matrices of a few hundred rows, where JavaScript loops would hold up the workers):
// a 4 x 4 block of C in eight f64x2 accumulators, four multiply-adds per vector step; edges in scalar code.

@inline function block4x4(k: i32, a: usize, ldaB: usize, b: usize, ldbB: usize, c: usize, ldcB: usize, accumulate: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load64_splat(pa), a1 = v128.load64_splat(pa + ldaB);
    const a2 = v128.load64_splat(pa + 2 * ldaB), a3 = v128.load64_splat(pa + 3 * ldaB);
    c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
    c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
    c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
    c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    pa += 8;
    pb += ldbB;
  }
  storeRow4(c, c00, c01, accumulate);
  storeRow4(c + ldcB, c10, c11, accumulate);
  storeRow4(c + 2 * ldcB, c20, c21, accumulate);
  storeRow4(c + 3 * ldcB, c30, c31, accumulate);
}

@inline function storeRow4(c: usize, x0: v128, x1: v128, accumulate: bool): void {
  if (accumulate) {
    x0 = f64x2.add(x0, v128.load(c));
    x1 = f64x2.add(x1, v128.load(c, 16));
  }
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

/** C[m x n] = A[m x k] B[k x n] (accumulate = 0) or C += A B (accumulate = 1); float64, row-major. */
export function gemmF64(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  const ldaB = <usize>lda << 3, ldbB = <usize>ldb << 3, ldcB = <usize>ldc << 3;
  const m4 = m & ~3, n4 = n & ~3, acc = accumulate != 0;
  // Column panels outer: a panel of B (k x 4) stays in cache while every row block of A passes over it.
  for (let j = 0; j < n4; j += 4) {
    for (let i = 0; i < m4; i += 4) {
      block4x4(k, a + <usize>i * ldaB, ldaB, b + (<usize>j << 3), ldbB, c + <usize>i * ldcB + (<usize>j << 3), ldcB, acc);
    }
  }
  // Rows of C left over, and columns of C left over: plain dot products.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s: f64 = 0;
      let pa = a + <usize>i * ldaB, pb = b + (<usize>j << 3);
      for (let p = 0; p < k; p++) {
        s += load<f64>(pa) * load<f64>(pb);
        pa += 8;
        pb += ldbB;
      }
      const pc = c + <usize>i * ldcB + (<usize>j << 3);
      store<f64>(pc, acc ? load<f64>(pc) + s : s);
    }
  }
}
