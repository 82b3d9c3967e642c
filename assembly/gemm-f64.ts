// Dense float64 matrix products C = A B (row-major, leading dimensions in elements) for the small dense steps of
// PCA's Rayleigh-Ritz step (matrices of a few hundred rows, where JavaScript loops would hold up the workers):
// a 4 x 4 block of C in eight f64x2 accumulators, four multiply-adds per vector step; edges in scalar code.

@inline function block4x4(k: i32, a: usize, ldaB: usize, b: usize, ldbB: usize, c: usize, ldcB: usize): void {
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
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldcB, c10); v128.store(c + ldcB, c11, 16);
  v128.store(c + 2 * ldcB, c20); v128.store(c + 2 * ldcB, c21, 16);
  v128.store(c + 3 * ldcB, c30); v128.store(c + 3 * ldcB, c31, 16);
}

/** C[m x n] = A[m x k] B[k x n]; float64, row-major. */
export function gemmF64(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32): void {
  const ldaB = <usize>lda << 3, ldbB = <usize>ldb << 3, ldcB = <usize>ldc << 3;
  const m4 = m & ~3, n4 = n & ~3;
  // Column panels outer: a panel of B (k x 4) stays in cache while every row block of A passes over it.
  for (let j = 0; j < n4; j += 4) {
    for (let i = 0; i < m4; i += 4) {
      block4x4(k, a + <usize>i * ldaB, ldaB, b + (<usize>j << 3), ldbB, c + <usize>i * ldcB + (<usize>j << 3), ldcB);
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
      store<f64>(c + <usize>i * ldcB + (<usize>j << 3), s);
    }
  }
}
