// Matrix products of in-memory matrices on the WASM core's worker pool: C = A B (float32 or float64), the float64
// Gram matrix A^T A, and an orthonormal basis of a tall matrix's columns (shifted Cholesky QR, three rounds). Work is
// split into fixed row panels, so results are the same for any number of workers.
import type { Core, Task } from "./core.js";
import { cholesky, invertUpper } from "./linalg.js";

/** A row stride (in float32 elements) of at least n whose byte size is an odd multiple of 64: consecutive rows then
 * land on different L1 cache sets. Row strides that are multiples of 4 KiB (9216 floats, say) make every row of a
 * kernel's 256-row strip compete for the same 8 ways and cost 30% of the product's speed. */
export function paddedStride(n: number): number {
  let s = Math.ceil(n / 16) * 16;
  if ((s / 16) % 2 === 0) s += 16;
  return s;
}

/** Rows per task: a multiple of 4 (the kernels' row block), at least 32, at most 64 tasks. */
function panels(m: number, minRows = 32, maxTasks = 64): [number, number][] {
  const rows = Math.max(minRows, Math.ceil(m / maxTasks / 4) * 4);
  const out: [number, number][] = [];
  for (let r = 0; r < m; r += rows) out.push([r, Math.min(m, r + rows)]);
  return out;
}

/** Runs fn with the arrays placed in the core's memory (and `extra` zeroed regions of the given byte sizes), and
 * releases them all afterwards. */
async function placed<T>(core: Core, arrays: ArrayBufferView[], extra: number[], fn: (ptrs: number[]) => Promise<T>): Promise<T> {
  const ptrs: number[] = [];
  try {
    for (const a of arrays) ptrs.push(core.arena.put(a));
    for (const bytes of extra) {
      const p = core.arena.alloc(bytes);
      core.arena.bytes(p, bytes).fill(0);
      ptrs.push(p);
    }
    return await fn(ptrs);
  } finally {
    for (const p of ptrs) core.arena.release(p);
  }
}

/** C = A B for row-major float32 A (m x k) and B (k x n). */
export async function multiply(core: Core, A: Float32Array, m: number, k: number, B: Float32Array, n: number): Promise<Float32Array> {
  if (A.length !== m * k || B.length !== k * n) throw new RangeError(`multiply: A has ${A.length} values (expected ${m} x ${k}), B ${B.length} (expected ${k} x ${n})`);
  return placed(core, [A, B], [m * n * 4], async ([a, b, c]) => {
    await product(core, a!, m, k, b!, n, c!);
    return core.arena.f32(c!, m * n).slice();
  });
}

/** C = A B for row-major float64 A (m x k) and B (k x n), in row panels on the workers. */
export async function multiplyF64(core: Core, A: Float64Array, m: number, k: number, B: Float64Array, n: number): Promise<Float64Array> {
  if (A.length !== m * k || B.length !== k * n) throw new RangeError(`multiplyF64: A has ${A.length} values (expected ${m} x ${k}), B ${B.length} (expected ${k} x ${n})`);
  return placed(core, [A, B], [m * n * 8], async ([a, b, c]) => {
    await core.run(panels(m).map(([r0, r1]) => [{ fn: "gemmF64", args: [r1 - r0, n, k, a! + r0 * k * 8, k, b!, n, c! + r0 * n * 8, n] }]));
    return core.arena.f64(c!, m * n).slice();
  });
}

/** c = a b for row-major float32 matrices in the core's memory (m x k times k x n), in row panels. */
function product(core: Core, a: number, m: number, k: number, b: number, n: number, c: number): Promise<void> {
  return core.run(panels(m).map(([r0, r1]) => [{ fn: "gemmF32", args: [r1 - r0, n, k, a + r0 * k * 4, k, b, n, c + r0 * n * 4, n, 0] }]));
}

/** Row blocks a tall product A^T B is cut into: a fixed number, so that its sums do not depend on the workers. */
const ROW_PARTS = 8;

/** A^T B (n x n, float64) for each pair of row-major float32 A and B (m x n each, at pointers in the core's memory),
 * into outs[i], all pairs in one run. The rows are cut into ROW_PARTS ranges, one task per pair and range with its
 * own float64 partial; a task takes its rows in blocks that fit the L2 cache, transposes the block of A and adds the
 * block's product (float32 products summed over the block, added in float64). So A and B are read once, however
 * large m is (a product split by columns of the result would stream all of A and B once per panel). Partials are
 * added in order. */
async function transposeProducts(core: Core, pairs: [number, number][], m: number, n: number, outs: number[]): Promise<void> {
  const kb = Math.max(4, Math.min(256, Math.floor((256 << 10) / (n * 4) / 4) * 4));
  const parts = splitRows(m, ROW_PARTS), count = pairs.length * parts.length;
  const arena = core.arena;
  const scratch = Array.from({ length: count }, () => arena.alloc(n * kb * 4)), partials = Array.from({ length: count }, () => arena.alloc(n * n * 8));
  const zeros = arena.alloc(n * 4);
  try {
    arena.f32(zeros, n).fill(0);
    for (const p of partials) arena.f64(p, n * n).fill(0);
    await core.run(pairs.flatMap(([a, b], i) => parts.map(([r0, r1], j): Task => {
      const t = i * parts.length + j, task: Task = [];
      for (let r = r0; r < r1; r += kb) {
        const rows = Math.min(r1, r + kb) - r;
        task.push(
          { fn: "pcaColsF32", args: [a + r * n * 4, rows, n, 0, n, zeros, scratch[t]!, 0] },
          { fn: "gemmF32AccF64", args: [n, n, rows, scratch[t]!, rows, b + r * n * 4, n, partials[t]!, n] },
        );
      }
      return task;
    })));
    for (const [i, c] of outs.entries()) {
      const out = arena.f64(c, n * n);
      out.fill(0);
      for (let j = 0; j < parts.length; j++) {
        const v = arena.f64(partials[i * parts.length + j]!, n * n);
        for (let e = 0; e < v.length; e++) out[e]! += v[e]!;
      }
    }
  } finally {
    for (const p of [...scratch, ...partials, zeros]) arena.release(p);
  }
}

/** A^T B (n x n, float64) for one pair (see transposeProducts). */
function transposeProduct(core: Core, a: number, b: number, m: number, n: number, c: number): Promise<void> {
  return transposeProducts(core, [[a, b]], m, n, [c]);
}

/** Splits [0, m) into at most `parts` contiguous ranges of nearly equal length. */
function splitRows(m: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, m));
  return Array.from({ length: k }, (_, i) => [Math.floor((i * m) / k), Math.floor(((i + 1) * m) / k)] as [number, number]);
}

/** G = A^T A (n x n, float64) for row-major float32 A (m x n): products in float32, sums over blocks of rows in
 * float64 (see transposeProduct). */
export async function gramF64(core: Core, A: Float32Array, m: number, n: number): Promise<Float64Array> {
  if (A.length !== m * n) throw new RangeError(`gramF64: ${A.length} values, expected ${m} x ${n}`);
  return placed(core, [A], [n * n * 8], async ([a, g]) => {
    await transposeProduct(core, a!, a!, m, n, g!);
    return core.arena.f64(g!, n * n).slice();
  });
}

/** Runs fn with the blocks (float32 arrays) placed in the core's memory once, for several of the products below. */
export function withBlocks<T>(core: Core, blocks: Float32Array[], fn: (ptrs: number[]) => Promise<T>): Promise<T> {
  return placed(core, blocks, [], fn);
}

/** The Gram matrix of blocks B_1 .. B_d (rows x cols each, float32) side by side: [B_1 .. B_d]^T [B_1 .. B_d],
 * L x L in float64 (L = d cols), block by block (as gramF64), without building the rows x L matrix. */
export async function blockGramF64(core: Core, blocks: Float32Array[], rows: number, cols: number): Promise<Float64Array> {
  for (const B of blocks) if (B.length !== rows * cols) throw new RangeError(`blockGramF64: a block has ${B.length} values, expected ${rows} x ${cols}`);
  return withBlocks(core, blocks, (ptrs) => blockGramAt(core, ptrs, rows, cols));
}

/** blockGramF64 of blocks already in the core's memory (withBlocks): every pair of blocks in one run. */
export async function blockGramAt(core: Core, ptrs: number[], rows: number, cols: number): Promise<Float64Array> {
  const d = ptrs.length, L = d * cols, G = new Float64Array(L * L);
  const pairs: [number, number][] = [];
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) pairs.push([a, b]);
  return placed(core, [], pairs.map(() => cols * cols * 8), async (outs) => {
    await transposeProducts(core, pairs.map(([a, b]) => [ptrs[a]!, ptrs[b]!]), rows, cols, outs);
    for (const [p, [a, b]] of pairs.entries()) {
      const C = core.arena.f64(outs[p]!, cols * cols);
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) {
          G[(a * cols + i) * L + b * cols + j] = C[i * cols + j]!;
          G[(b * cols + j) * L + a * cols + i] = C[i * cols + j]!;
        }
      }
    }
    return G;
  });
}

/** [B_1 .. B_d] W for blocks B_a (rows x cols each) side by side and W (d cols x n), float32: the sum of B_a times
 * W's rows a cols .. (a + 1) cols, without building the rows x d cols matrix. */
export async function blockMultiply(core: Core, blocks: Float32Array[], rows: number, cols: number, W: Float32Array, n: number): Promise<Float32Array> {
  for (const B of blocks) if (B.length !== rows * cols) throw new RangeError(`blockMultiply: a block has ${B.length} values, expected ${rows} x ${cols}`);
  return withBlocks(core, blocks, (ptrs) => blockMultiplyAt(core, ptrs, rows, cols, W, n));
}

/** blockMultiply of blocks already in the core's memory (withBlocks). */
export async function blockMultiplyAt(core: Core, ptrs: number[], rows: number, cols: number, W: Float32Array, n: number): Promise<Float32Array> {
  const d = ptrs.length;
  if (W.length !== d * cols * n) throw new RangeError(`blockMultiply: W has ${W.length} values, expected ${d * cols} x ${n}`);
  return placed(core, [W], [rows * n * 4], async ([w, c]) => {
    await core.run(panels(rows).map(([r0, r1]) => ptrs.map((p, a) => ({
      fn: "gemmF32" as const,
      args: [r1 - r0, n, cols, p + r0 * cols * 4, cols, w! + a * cols * n * 4, n, c! + r0 * n * 4, n, a > 0 ? 1 : 0],
    }))));
    return core.arena.f32(c!, rows * n).slice();
  });
}

/** An orthonormal basis of the column space of Z (rows x cols, rows >= cols, float32), by shifted Cholesky QR
 * repeated three times (after Fukaya et al., SIAM J. Sci. Comput. 2020): the shift keeps the first factorisation
 * defined however ill-conditioned Z is, the next two rounds restore orthogonality to float32 accuracy. When Z is
 * numerically rank-deficient (data of lower rank than the requested subspace), Householder QR completes the basis
 * with arbitrary orthonormal directions instead. */
export async function orthonormalize(core: Core, Z: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  if (rows < cols) throw new RangeError(`orthonormalize: ${rows} x ${cols} has more columns than rows`);
  for (let i = 0; i < Z.length; i++) if (!Number.isFinite(Z[i]!)) throw new Error(`orthonormalize: value ${i} of the ${rows} x ${cols} matrix is not finite`);
  // The matrix stays in the core's memory through the three rounds (two regions, each round writing the other).
  return placed(core, [Z], [rows * cols * 4, cols * cols * 8, cols * cols * 4], async ([x0, x1, g, r]) => {
    let [x, y] = [x0!, x1!];
    for (let round = 0; round < 3; round++) {
      await transposeProduct(core, x, x, rows, cols, g!);
      const G = core.arena.f64(g!, cols * cols).slice();
      // Round 1 works on unit columns: with D = diag(1 / |x_j|), (X D)^T (X D) = D G D has a unit diagonal, so
      // columns of very different norms (power iterations scale column j by about sigma_j^2) do not count as
      // ill-conditioning; D is folded into the factor below. Its shift sits above the rounding error of the float32
      // products (||X D||_F^2 = cols; an entry's error is about 2^-24 times a few, summed over cols entries).
      const d = Float64Array.from({ length: cols }, (_, j) => (round === 0 ? (G[j * cols + j]! > 0 ? 1 / Math.sqrt(G[j * cols + j]!) : 0) : 1));
      for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) G[i * cols + j]! *= d[i]! * d[j]!;
      if (round === 0) for (let j = 0; j < cols; j++) G[j * cols + j]! += 8 * 2 ** -24 * cols;
      const R = cholesky(G, cols);
      if (!R) return householderBasis(Z, rows, cols);
      // X <- X D R^-1.
      const Rinv = invertUpper(R, cols);
      core.arena.f32(r!, cols * cols).set(Rinv.map((v, i) => v * d[Math.floor(i / cols)]!));
      await product(core, x, rows, cols, r!, cols, y);
      [x, y] = [y, x];
    }
    return core.arena.f32(x, rows * cols).slice();
  });
}

/** Q of a Householder QR of Z (rows x cols), in float64: orthonormal columns spanning Z's columns, completed with
 * other directions where Z has none. O(rows cols^2) in JS: the fallback for rank-deficient inputs. */
export function householderBasis(Z: ArrayLike<number>, rows: number, cols: number): Float32Array {
  // Column-major copy: each column contiguous.
  const A = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) A[j * rows + r] = Z[r * cols + j]!;
  const tau = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const c = j * rows;
    let norm = 0;
    for (let r = j; r < rows; r++) norm += A[c + r]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) { tau[j] = 0; continue; }
    const alpha = A[c + j]! > 0 ? -norm : norm;
    const v0 = A[c + j]! - alpha;
    // v = (1, A[j+1:]/v0), tau = -v0 / alpha: H = I - tau v v^T maps the column onto alpha e_j.
    for (let r = j + 1; r < rows; r++) A[c + r]! /= v0;
    tau[j] = -v0 / alpha;
    A[c + j] = alpha;
    for (let k = j + 1; k < cols; k++) {
      const d = k * rows;
      let w = A[d + j]!;
      for (let r = j + 1; r < rows; r++) w += A[c + r]! * A[d + r]!;
      w *= tau[j]!;
      A[d + j]! -= w;
      for (let r = j + 1; r < rows; r++) A[d + r]! -= w * A[c + r]!;
    }
  }
  // Q = H_0 H_1 ... H_{cols-1} applied to the first cols columns of the identity, last reflector first.
  const Qm = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) Qm[j * rows + j] = 1;
  for (let j = cols - 1; j >= 0; j--) {
    const c = j * rows;
    for (let k = j; k < cols; k++) {
      const d = k * rows;
      let w = Qm[d + j]!;
      for (let r = j + 1; r < rows; r++) w += A[c + r]! * Qm[d + r]!;
      w *= tau[j]!;
      Qm[d + j]! -= w;
      for (let r = j + 1; r < rows; r++) Qm[d + r]! -= w * A[c + r]!;
    }
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = Qm[j * rows + r]!;
  return out;
}

/** Z <- (I - K K^T) Z for K = [B_1 .. B_d], blocks of orthonormal columns (rows x cols each, like Z), twice over
 * (classical block Gram-Schmidt run twice keeps float32 orthogonality): the part of Z's columns outside the blocks'
 * span. Each round is two runs: C = K^T Z block by block, then Z -= K C in row panels. */
export async function projectOut(core: Core, Z: Float32Array, blocks: Float32Array[], rows: number, cols: number): Promise<Float32Array> {
  if (blocks.length === 0) return Z;
  const d = blocks.length, cc = cols * cols;
  return placed(core, [Z, ...blocks], [...blocks.map(() => cc * 8), d * cc * 4], async (ptrs) => {
    const z = ptrs[0]!, bs = ptrs.slice(1, 1 + d), c64 = ptrs.slice(1 + d, 1 + 2 * d), c = ptrs[1 + 2 * d]!;
    for (let round = 0; round < 2; round++) {
      await transposeProducts(core, bs.map((b) => [b, z]), rows, cols, c64);
      const C = core.arena.f32(c, d * cc);
      for (const [i, p] of c64.entries()) {
        const C64 = core.arena.f64(p, cc);
        for (let e = 0; e < cc; e++) C[i * cc + e] = -C64[e]!;
      }
      await core.run(panels(rows).map(([r0, r1]) => bs.map((b, i) => ({
        fn: "gemmF32" as const,
        args: [r1 - r0, cols, cols, b + r0 * cols * 4, cols, c + i * cc * 4, cols, z + r0 * cols * 4, cols, 1],
      }))));
    }
    return core.arena.f32(z, rows * cols).slice();
  });
}
