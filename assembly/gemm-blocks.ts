// The register-blocked product shared by the float32 GEMM (gemm.ts) and the 16-bit integer GEMM (gemm-i16.ts):
// C (=, +=) A B, row-major. A 4 x 8 block of C lives in eight vector accumulators; every step of the inner loop
// loads two vectors of B and four 4-byte broadcasts of A. For T = f32 a step is one k (a broadcast element, f32x4
// multiplies and adds: 32 multiply-adds); for T = i16 a step is a pair of k (a broadcast pair against B's words of
// pairs, i32x4.dot_i16x8_s and adds: 64 multiply-adds), summed exactly in 32 bits and converted to float32 when
// stored (mode 3 scales each column of the sums by its own factor as it adds them: per-tile scales of the integer
// operand undone in place). The k dimension is cut into blocks of `kc` steps so that the block of B being swept stays in the L2
// cache while every 4-row strip of A passes over it (and, for integers, so that no 32-bit sum overflows). Edges
// (m not a multiple of 4, n not a multiple of 8) take narrower paths, so any shape is exact.
// Not exported by the core: gemm.ts and gemm-i16.ts export the concrete kernels.

const NC: i32 = 256; // columns of B swept per block: kc x NC steps of B = 256 KiB, room in the 1 MiB L2 for A too

// acc + a b for one step: f32x4 multiply and add, or eight 16-bit multiply-adds into four 32-bit sums.
@inline function madd<T>(acc: v128, a: v128, b: v128): v128 {
  if (isInteger<T>()) return i32x4.add(acc, i32x4.dot_i16x8_s(a, b));
  return f32x4.add(acc, f32x4.mul(a, b));
}

// The 4 x 8 block of C at c gets A[0:4, 0:kb steps] B[0:kb steps, 0:8] (strides in bytes).
// mode 0: C = AB; 1: C += AB; 2: C (float64) += AB; 3: C += AB diag(scale), the block's 8 scales at sc.
@inline function block4x8<T>(kb: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, mode: i32, sc: usize): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let pa = a, pb = b;
  for (let p = 0; p < kb; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + lda);
    c00 = madd<T>(c00, a0, b0); c01 = madd<T>(c01, a0, b1);
    c10 = madd<T>(c10, a1, b0); c11 = madd<T>(c11, a1, b1);
    const a2 = v128.load32_splat(pa + 2 * lda), a3 = v128.load32_splat(pa + 3 * lda);
    c20 = madd<T>(c20, a2, b0); c21 = madd<T>(c21, a2, b1);
    c30 = madd<T>(c30, a3, b0); c31 = madd<T>(c31, a3, b1);
    pa += 4;
    pb += ldb;
  }
  storeRow8<T>(c, c00, c01, mode, sc);
  storeRow8<T>(c + ldc, c10, c11, mode, sc);
  storeRow8<T>(c + 2 * ldc, c20, c21, mode, sc);
  storeRow8<T>(c + 3 * ldc, c30, c31, mode, sc);
}

// One row of A against 8 columns of B (the rows left over when m is not a multiple of 4).
@inline function block1x8<T>(kb: i32, a: usize, b: usize, ldb: usize, c: usize, mode: i32, sc: usize): void {
  let c0 = v128.splat<i32>(0), c1 = c0;
  let pa = a, pb = b;
  for (let p = 0; p < kb; p++) {
    const a0 = v128.load32_splat(pa);
    c0 = madd<T>(c0, a0, v128.load(pb));
    c1 = madd<T>(c1, a0, v128.load(pb, 16));
    pa += 4;
    pb += ldb;
  }
  storeRow8<T>(c, c0, c1, mode, sc);
}

// The eight sums of a row of the block into C: as they are (float32) or converted from 32-bit integers; mode 3
// multiplies them by the 8 scales at sc first.
@inline export function storeRow8<T>(c: usize, s0: v128, s1: v128, mode: i32, sc: usize = 0): void {
  let v0 = isInteger<T>() ? f32x4.convert_i32x4_s(s0) : s0, v1 = isInteger<T>() ? f32x4.convert_i32x4_s(s1) : s1;
  if (mode == 3) {
    v0 = f32x4.mul(v0, v128.load(sc));
    v1 = f32x4.mul(v1, v128.load(sc, 16));
  }
  if (mode == 0) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
  } else if (mode == 1 || mode == 3) {
    v128.store(c, f32x4.add(v128.load(c), v0));
    v128.store(c, f32x4.add(v128.load(c, 16), v1), 16);
  } else {
    addF64(c, v0);
    addF64(c + 32, v1);
  }
}

// Four float64 at c += the four lanes of v.
@inline function addF64(c: usize, v: v128): void {
  v128.store(c, f64x2.add(v128.load(c), f64x2.promote_low_f32x4(v)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
}

// Columns left over when n is not a multiple of 8: plain dot products (rare; hot callers pad n), exact 32-bit sums
// for integers.
@inline function edgeColumns<T>(m: i32, j0: i32, n: i32, kb: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, mode: i32, scale: usize): void {
  const cs: usize = mode == 2 ? 8 : 4;
  for (let i = 0; i < m; i++) {
    for (let j = j0; j < n; j++) {
      let s: f32 = 0, si: i32 = 0;
      let pa = a + <usize>i * lda, pb = b + (<usize>j << 2);
      for (let p = 0; p < kb; p++) {
        if (isInteger<T>()) si += <i32>load<i16>(pa) * <i32>load<i16>(pb) + <i32>load<i16>(pa, 2) * <i32>load<i16>(pb, 2);
        else s += load<f32>(pa) * load<f32>(pb);
        pa += 4;
        pb += ldb;
      }
      if (isInteger<T>()) s = <f32>si;
      if (mode == 3) s *= load<f32>(scale + (<usize>j << 2));
      const pc = c + <usize>i * ldc + <usize>j * cs;
      if (mode == 0) store<f32>(pc, s);
      else if (mode == 1 || mode == 3) store<f32>(pc, load<f32>(pc) + s);
      else store<f64>(pc, load<f64>(pc) + <f64>s);
    }
  }
}

/** C[m x n] (mode 0: =, 1: +=, 2: float64 +=, 3: += with column j scaled by scale[j]) A[m x k steps] B[k steps x n]:
 * lda in elements of T (a step of A is one float32 or a pair of 16-bit integers, 4 bytes either way), ldb in 4-byte
 * words, ldc in elements of C; k is cut into blocks of kc steps. */
@inline export function blockedProduct<T>(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, mode: i32, kc: i32, scale: usize = 0): void {
  const cs: usize = mode == 2 ? 8 : 4; // bytes per element of C
  const ldaB = <usize>lda << alignof<T>(), ldbB = <usize>ldb << 2, ldcB = <usize>ldc * cs;
  const m4 = m & ~3, n8 = n & ~7;
  if (k == 0) {
    // An empty sum: C = 0 when overwriting, unchanged when accumulating.
    if (mode == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcB, 0, <usize>n << 2);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += kc) {
    const kb = min(kc, k - p0);
    // After the first block of k, every mode accumulates into what the first block wrote.
    const md = p0 == 0 || mode >= 2 ? mode : 1;
    const ap = a + (<usize>p0 << 2), bp = b + <usize>p0 * ldbB;
    for (let j0 = 0; j0 < n8; j0 += NC) {
      const j1 = min(n8, j0 + NC);
      for (let i = 0; i < m4; i += 4) {
        const ai = ap + <usize>i * ldaB, ci = c + <usize>i * ldcB;
        for (let j = j0; j < j1; j += 8) block4x8<T>(kb, ai, ldaB, bp + (<usize>j << 2), ldbB, ci + <usize>j * cs, ldcB, md, scale + (<usize>j << 2));
      }
      for (let i = m4; i < m; i++) {
        const ai = ap + <usize>i * ldaB, ci = c + <usize>i * ldcB;
        for (let j = j0; j < j1; j += 8) block1x8<T>(kb, ai, bp + (<usize>j << 2), ldbB, ci + <usize>j * cs, md, scale + (<usize>j << 2));
      }
    }
    if (n8 < n) edgeColumns<T>(m, n8, n, kb, ap, ldaB, bp, ldbB, c, ldcB, md, scale);
  }
}
