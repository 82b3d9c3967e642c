// Integer matrix products for PCA passes over counted data: C (float32) (=, +=) A B with A and B 16-bit integers.
//
// i32x4.dot_i16x8_s multiplies eight pairs of 16-bit integers and adds adjacent products into four 32-bit lanes:
// eight multiply-adds in one instruction, against four in two (a multiply and an add) for float32 in Wasm SIMD
// without fused multiply-add. The k dimension is taken in pairs: A is row-major with pairs (A[i, 2p], A[i, 2p+1])
// adjacent (rows padded to an even length with zeros), B is packed as one 32-bit word per pair and column,
// Bp[p, j] = (B[2p, j], B[2p+1, j]). One 4-byte broadcast of A's pair against a vector of B's words gives four
// columns' two multiply-adds each. Sums are exact in 32 bits for `kcp` pairs (the caller bounds it by the largest
// products, so no sum can overflow), then converted to float32 and added to C, as the float32 product's blocks are.

import { blockedProduct } from "./gemm-blocks";

/** C[m x n] (float32) = A Bp (accumulate = 0) or C += A Bp (accumulate = 1): A is m rows of 2 kp 16-bit integers
 * (lda elements apart, even), Bp kp x n 32-bit words of pairs (ldb words apart), C ldc floats apart. `kcp` pairs
 * at most are summed in 32 bits before each conversion to float32: the caller chooses it so that no sum overflows
 * (2 kcp max|A| max|B| < 2^31). */
export function gemmI16(m: i32, n: i32, kp: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, kcp: i32): void {
  // At most 256 pairs per block, so that the block of B swept stays in the L2 cache.
  const kc = min(256, max(1, kcp));
  if (accumulate) blockedProduct<i16>(m, n, kp, a, lda, b, ldb, c, ldc, 1, kc);
  else blockedProduct<i16>(m, n, kp, a, lda, b, ldb, c, ldc, 0, kc);
}

/** C[m x n] += (A Bp) diag(scale), float32 `scale` per column (see gemmI16): for a B packed with scales found per
 * block of its rows (gemmI16PackCentredB), whose reciprocals bring each block's products back to B's units. */
export function gemmI16Scaled(m: i32, n: i32, kp: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, kcp: i32, scale: usize): void {
  blockedProduct<i16>(m, n, kp, a, lda, b, ldb, c, ldc, 3, min(256, max(1, kcp)), scale);
}

/** Bp = the pairs of rows of round(B diag(scale)), for gemmI16: Bp[p, j] = (round(B[2p, j] s_j), round(B[2p+1, j] s_j))
 * as two 16-bit integers in one word (the second zero past the last row). B is float32, rows x cols, ldb floats
 * apart; the caller chooses the scales so that every |B s| <= 32767. */
export function gemmI16PackB(b: usize, rows: i32, cols: i32, ldb: i32, scale: usize, bp: usize): void {
  packPairs(b, rows, cols, ldb, 0, scale, bp);
}

/** Bp = the pairs of rows of round((B - 1 centre^T) diag(s)), with s_j the largest power of two that keeps every
 * |(B[:, j] - centre_j) s_j| <= 32767 (1 for a constant column); `scale` receives 1 / s_j, for gemmI16Scaled. */
export function gemmI16PackCentredB(b: usize, rows: i32, cols: i32, ldb: i32, centre: usize, scale: usize, bp: usize): void {
  const ldbB = <usize>ldb << 2, c4 = cols & ~3;
  memory.fill(scale, 0, <usize>cols << 2);
  for (let i = 0; i < rows; i++) {
    const r = b + <usize>i * ldbB;
    for (let j = 0; j < c4; j += 4) {
      const o = <usize>j << 2, d = f32x4.abs(f32x4.sub(v128.load(r + o), v128.load(centre + o)));
      v128.store(scale + o, f32x4.max(v128.load(scale + o), d));
    }
    for (let j = c4; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(scale + o, max(load<f32>(scale + o), abs(load<f32>(r + o) - load<f32>(centre + o))));
    }
  }
  for (let j = 0; j < cols; j++) {
    const o = <usize>j << 2, most = <f64>load<f32>(scale + o);
    let s = most > 0 ? Math.pow(2, Math.floor(Math.log2(32767 / most))) : 1.0;
    if (most * s > 32767) s *= 0.5; // log2 rounded up at a power of two
    s = min(s, 1.8446744073709552e19); // 2^64: a column of (near-)denormal values stays finite
    store<f32>(scale + o, <f32>s);
  }
  packPairs(b, rows, cols, ldb, centre, scale, bp);
  for (let j = 0; j < cols; j++) store<f32>(scale + (<usize>j << 2), <f32>1 / load<f32>(scale + (<usize>j << 2)));
}

// Bp from round((B - centre) diag(scale)), centre = 0 for none.
@inline function packPairs(b: usize, rows: i32, cols: i32, ldb: i32, centre: usize, scale: usize, bp: usize): void {
  const ldbB = <usize>ldb << 2, c4 = cols & ~3;
  for (let p = 0; p < rows; p += 2) {
    const r0 = b + <usize>p * ldbB, r1 = r0 + ldbB, last = p + 1 >= rows;
    const out = bp + ((<usize>(p >> 1) * <usize>cols) << 2);
    for (let j = 0; j < c4; j += 4) {
      const o = <usize>j << 2, s = v128.load(scale + o), m = centre ? v128.load(centre + o) : f32x4.splat(0);
      const x0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.sub(v128.load(r0 + o), m), s)));
      const x1 = last ? i32x4.splat(0) : i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.sub(v128.load(r1 + o), m), s)));
      // Interleave the two rows' 16-bit values: (x0[0], x1[0], x0[1], x1[1], ...).
      const lo16 = i16x8.narrow_i32x4_s(x0, x0), hi16 = i16x8.narrow_i32x4_s(x1, x1);
      v128.store(out + o, i8x16.shuffle(lo16, hi16, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
    }
    for (let j = c4; j < cols; j++) {
      const o = <usize>j << 2, s = load<f32>(scale + o), m = centre ? load<f32>(centre + o) : <f32>0;
      const v0 = <i32>nearest((load<f32>(r0 + o) - m) * s);
      const v1 = last ? 0 : <i32>nearest((load<f32>(r1 + o) - m) * s);
      store<i16>(out + o, <i16>v0);
      store<i16>(out + o, <i16>v1, 2);
    }
  }
}
