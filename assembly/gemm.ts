// Dense float32 matrix products C = A B (row-major, leading dimensions in elements) for PCA and the Gram matrix.
//
// Wasm SIMD has no fused multiply-add, so throughput comes from register blocking (gemm-blocks.ts, shared with the
// 16-bit integer product): a 4 x 8 block of C in eight f32x4 accumulators, sixteen multiply-adds per step of the
// inner loop, k cut into blocks of KC rows so that the block of B being swept stays in the 1 MiB L2 cache. Edges
// take narrower paths, so any shape is exact; callers that care about speed pad n to a multiple of 8.
// (Packing B into contiguous strips measured no faster here, 18-22 GFLOP/s either way on one core, so B is read
// in place and the kernels need no scratch memory.)

import { blockedProduct, storeRow8 } from "./gemm-blocks";

const KC: i32 = 256; // rows of B per block: KC x 256 floats of B = 256 KiB, room for A in the L2 as well
const NC: i32 = 256;

// The transposed-A variant: the 4 x 8 block of C at c gets A[0:kb, 0:4]^T B[0:kb, 0:8]. The four elements of A
// for one step are adjacent, so one vector load and four lane broadcasts replace four scalar loads.
@inline function blockT4x8(kb: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let p = 0; p < kb; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    const a0 = i32x4.shuffle(av, av, 0, 0, 0, 0), a1 = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = i32x4.shuffle(av, av, 2, 2, 2, 2), a3 = i32x4.shuffle(av, av, 3, 3, 3, 3);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    pa += lda;
    pb += ldb;
  }
  storeRow8<f32>(c, c00, c01, mode);
  storeRow8<f32>(c + ldc, c10, c11, mode);
  storeRow8<f32>(c + 2 * ldc, c20, c21, mode);
  storeRow8<f32>(c + 3 * ldc, c30, c31, mode);
}

// C[m x n] (=, +=) A[k x m]^T B[k x n], float32; blocked over k like gemm.
@inline function gemmT(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, mode: i32): void {
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  const m4 = m & ~3, n8 = n & ~7;
  if (k == 0) {
    if (mode == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcB, 0, <usize>n << 2);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kb = min(KC, k - p0);
    const md = p0 == 0 ? mode : 1;
    const ap = a + <usize>p0 * ldaB, bp = b + <usize>p0 * ldbB;
    for (let j0 = 0; j0 < n8; j0 += NC) {
      const j1 = min(n8, j0 + NC);
      for (let i = 0; i < m4; i += 4) {
        const ai = ap + (<usize>i << 2), ci = c + <usize>i * ldcB;
        for (let j = j0; j < j1; j += 8) blockT4x8(kb, ai, ldaB, bp + (<usize>j << 2), ldbB, ci + (<usize>j << 2), ldcB, md);
      }
    }
    // Rows of C left over (columns of A), and columns of C left over: plain dot products.
    for (let i = 0; i < m; i++) {
      for (let j = i < m4 ? n8 : 0; j < n; j++) {
        let s: f32 = 0;
        let pa = ap + (<usize>i << 2), pb = bp + (<usize>j << 2);
        for (let p = 0; p < kb; p++) {
          s += load<f32>(pa) * load<f32>(pb);
          pa += ldaB;
          pb += ldbB;
        }
        const pc = c + <usize>i * ldcB + (<usize>j << 2);
        store<f32>(pc, md == 0 ? s : load<f32>(pc) + s);
      }
    }
  }
}

/** C[m x n] = A[k x m]^T B[k x n] (accumulate = 0) or C += A^T B (accumulate = 1); float32, row-major. */
export function gemmTF32(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  if (accumulate) gemmT(m, n, k, a, lda, b, ldb, c, ldc, 1);
  else gemmT(m, n, k, a, lda, b, ldb, c, ldc, 0);
}

/** C[m x n] = A[m x k] B[k x n] (accumulate = 0) or C += A B (accumulate = 1); float32, row-major. */
export function gemmF32(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  if (accumulate) blockedProduct<f32>(m, n, k, a, lda, b, ldb, c, ldc, 1, KC);
  else blockedProduct<f32>(m, n, k, a, lda, b, ldb, c, ldc, 0, KC);
}

/** C[m x n] (float64) += A[m x k] B[k x n] (float32): products summed in float32 over blocks of 256 along k, the
 * blocks summed in float64, so long sums (Gram matrices over many frames) keep float64 accuracy between blocks. */
export function gemmF32AccF64(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32): void {
  blockedProduct<f32>(m, n, k, a, lda, b, ldb, c, ldc, 2, KC);
}
