// Integer matrix products for PCA passes over counted data: C (float32) (=, +=) A B with A and B 16-bit integers.
//
// i32x4.dot_i16x8_s multiplies eight pairs of 16-bit integers and adds adjacent products into four 32-bit lanes:
// eight multiply-adds in one instruction, against four in two (a multiply and an add) for float32 in Wasm SIMD
// without fused multiply-add. The k dimension is taken in pairs: A is row-major with pairs (A[i, 2p], A[i, 2p+1])
// adjacent (rows padded to an even length with zeros), B is packed as one 32-bit word per pair and column,
// Bp[p, j] = (B[2p, j], B[2p+1, j]). One 4-byte broadcast of A's pair against a vector of B's words gives four
// columns' two multiply-adds each. Sums are exact in 32 bits for `kcp` pairs (the caller bounds it by the largest
// products, so no sum can overflow), then converted to float32 and added to C, as the float32 product's blocks are.

const NC: i32 = 256; // columns of B swept per block: kcp x NC words stay in the L2 cache

// The 4 x 8 block of C at c gets A[0:4, pairs 0:kp] Bp[0:kp, 0:8]. Strides in bytes; mode 0: C = AB, 1: C += AB.
@inline function block4x8(kp: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, mode: i32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let pa = a, pb = b;
  for (let p = 0; p < kp; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + lda);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(a0, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(a0, b1));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(a1, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(a1, b1));
    const a2 = v128.load32_splat(pa + 2 * lda), a3 = v128.load32_splat(pa + 3 * lda);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(a2, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(a2, b1));
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(a3, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(a3, b1));
    pa += 4;
    pb += ldb;
  }
  storeRow8(c, c00, c01, mode);
  storeRow8(c + ldc, c10, c11, mode);
  storeRow8(c + 2 * ldc, c20, c21, mode);
  storeRow8(c + 3 * ldc, c30, c31, mode);
}

// One row of A against 8 columns (the rows left over when m is not a multiple of 4).
@inline function block1x8(kp: i32, a: usize, b: usize, ldb: usize, c: usize, mode: i32): void {
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0);
  let pa = a, pb = b;
  for (let p = 0; p < kp; p++) {
    const a0 = v128.load32_splat(pa);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(a0, v128.load(pb)));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(a0, v128.load(pb, 16)));
    pa += 4;
    pb += ldb;
  }
  storeRow8(c, c0, c1, mode);
}

@inline function storeRow8(c: usize, v0: v128, v1: v128, mode: i32): void {
  const f0 = f32x4.convert_i32x4_s(v0), f1 = f32x4.convert_i32x4_s(v1);
  if (mode == 0) {
    v128.store(c, f0);
    v128.store(c, f1, 16);
  } else {
    v128.store(c, f32x4.add(v128.load(c), f0));
    v128.store(c, f32x4.add(v128.load(c, 16), f1), 16);
  }
}

// Columns left over when n is not a multiple of 8: scalar sums over the pairs.
@inline function edgeColumns(m: i32, j0: i32, n: i32, kp: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, mode: i32): void {
  for (let i = 0; i < m; i++) {
    for (let j = j0; j < n; j++) {
      let s: i32 = 0;
      let pa = a + <usize>i * lda, pb = b + (<usize>j << 2);
      for (let p = 0; p < kp; p++) {
        s += <i32>load<i16>(pa) * <i32>load<i16>(pb) + <i32>load<i16>(pa, 2) * <i32>load<i16>(pb, 2);
        pa += 4;
        pb += ldb;
      }
      const pc = c + <usize>i * ldc + (<usize>j << 2);
      store<f32>(pc, mode == 0 ? <f32>s : load<f32>(pc) + <f32>s);
    }
  }
}

@inline function gemm(m: i32, n: i32, kp: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, mode: i32, kcp: i32): void {
  const ldaB = <usize>lda << 1, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  const m4 = m & ~3, n8 = n & ~7;
  if (kp == 0) {
    if (mode == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcB, 0, <usize>n << 2);
    return;
  }
  for (let p0 = 0; p0 < kp; p0 += kcp) {
    const kb = min(kcp, kp - p0);
    const md = p0 == 0 ? mode : 1;
    const ap = a + (<usize>p0 << 2), bp = b + <usize>p0 * ldbB;
    for (let j0 = 0; j0 < n8; j0 += NC) {
      const j1 = min(n8, j0 + NC);
      for (let i = 0; i < m4; i += 4) {
        const ai = ap + <usize>i * ldaB, ci = c + <usize>i * ldcB;
        for (let j = j0; j < j1; j += 8) block4x8(kb, ai, ldaB, bp + (<usize>j << 2), ldbB, ci + (<usize>j << 2), ldcB, md);
      }
      for (let i = m4; i < m; i++) {
        const ai = ap + <usize>i * ldaB, ci = c + <usize>i * ldcB;
        for (let j = j0; j < j1; j += 8) block1x8(kb, ai, bp + (<usize>j << 2), ldbB, ci + (<usize>j << 2), md);
      }
    }
    if (n8 < n) edgeColumns(m, n8, n, kb, ap, ldaB, bp, ldbB, c, ldcB, md);
  }
}

/** C[m x n] (float32) = A Bp (accumulate = 0) or C += A Bp (accumulate = 1): A is m rows of 2 kp 16-bit integers
 * (lda elements apart, even), Bp kp x n 32-bit words of pairs (ldb words apart), C ldc floats apart. `kcp` pairs
 * at most are summed in 32 bits before each conversion to float32: the caller chooses it so that no sum overflows
 * (2 kcp max|A| max|B| < 2^31). */
export function gemmI16(m: i32, n: i32, kp: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, kcp: i32): void {
  const kc = min(256, max(1, kcp));
  if (accumulate) gemm(m, n, kp, a, lda, b, ldb, c, ldc, 1, kc);
  else gemm(m, n, kp, a, lda, b, ldb, c, ldc, 0, kc);
}

/** Bp = the pairs of rows of round(B diag(scale)), for gemmI16: Bp[p, j] = (round(B[2p, j] s_j), round(B[2p+1, j] s_j))
 * as two 16-bit integers in one word (the second zero past the last row). B is float32, rows x cols, ldb floats
 * apart; the caller chooses the scales so that every |B s| <= 32767. */
export function gemmI16PackB(b: usize, rows: i32, cols: i32, ldb: i32, scale: usize, bp: usize): void {
  const ldbB = <usize>ldb << 2, c4 = cols & ~3;
  for (let p = 0; p < rows; p += 2) {
    const r0 = b + <usize>p * ldbB, r1 = r0 + ldbB, last = p + 1 >= rows;
    const out = bp + ((<usize>(p >> 1) * <usize>cols) << 2);
    for (let j = 0; j < c4; j += 4) {
      const s = v128.load(scale + (<usize>j << 2));
      const x0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(r0 + (<usize>j << 2)), s)));
      const x1 = last ? i32x4.splat(0) : i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(r1 + (<usize>j << 2)), s)));
      // Interleave the two rows' 16-bit values: (x0[0], x1[0], x0[1], x1[1], ...).
      const lo16 = i16x8.narrow_i32x4_s(x0, x0), hi16 = i16x8.narrow_i32x4_s(x1, x1);
      v128.store(out + (<usize>j << 2), i8x16.shuffle(lo16, hi16, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
    }
    for (let j = c4; j < cols; j++) {
      const s = load<f32>(scale + (<usize>j << 2));
      const v0 = <i32>nearest(load<f32>(r0 + (<usize>j << 2)) * s);
      const v1 = last ? 0 : <i32>nearest(load<f32>(r1 + (<usize>j << 2)) * s);
      store<i16>(out + (<usize>j << 2), <i16>v0);
      store<i16>(out + (<usize>j << 2), <i16>v1, 2);
    }
  }
}
