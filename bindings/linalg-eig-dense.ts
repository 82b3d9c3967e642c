// The dense symmetric eigenproblem of a few hundred rows (PCA's Rayleigh-Ritz matrix) in the WASM core, float64:
// Householder tridiagonalisation, implicit QL with its rotations applied a strip of columns at a time, and the
// reflectors applied to the vectors (assembly/eigen-dense.ts). Same algorithm and result as symmetricEigen
// (linalg.ts, tred2 + tql2), several times faster from n ~ 100; with few vectors wanted, only those are
// back-transformed.
import type { Core } from "./core.js";
import type { SymmetricEigen } from "./linalg.js";

/** Columns per strip of the rotation kernel (assembly/eigen-dense.ts STRIP). */
const STRIP = 8;
/** Float64 slots of the rotation log: 1 MiB, applied to the vectors whenever it fills. */
const LOG_SLOTS = 1 << 17;

/**
 * Eigenvalues (all n, descending) and the leading `wanted` eigenvectors of the symmetric n x n matrix `a`
 * (row-major float64; only its lower triangle is read), computed in the core on the calling thread.
 *
 * `vectors` is n x wanted, row-major: column j (vectors[i * wanted + j], i < n) is the unit eigenvector of
 * values[j]. With wanted = n (the default) this is exactly symmetricEigen's layout; with fewer, it is the leading
 * columns without the rest (the reflectors then go over `wanted` vectors only).
 */
export async function symmetricEigenCore(core: Core, a: Float64Array, n: number, wanted: number = n): Promise<SymmetricEigen> {
  checkInput(a, n, wanted);
  const arena = core.arena;
  const ldz = stripStride(n);
  const owned: number[] = [];
  const alloc = (values: number) => {
    const p = arena.alloc(Math.max(1, values) * 8);
    owned.push(p);
    return p;
  };
  try {
    const A = alloc(n * n), d = alloc(n), e = alloc(n), tau = alloc(n), work = alloc(3 * n);
    const zt = alloc(n * ldz), log = alloc(Math.max(LOG_SLOTS, 2 * n + 2));
    arena.f64(A, n * n).set(a);
    core.call("eigDenseTridiagonalize", A, n, d, e, tau, work);
    const Z = arena.f64(zt, n * ldz);
    Z.fill(0);
    for (let r = 0; r < n; r++) Z[r * ldz + r] = 1;
    // All vectors: Q^T first (4/3 n^3), then the rotations on it. A few: the rotations on I (the vectors of T),
    // then Q times the wanted ones (2 n^2 wanted).
    const fewer = 3 * wanted < 2 * n;
    if (!fewer) core.call("eigDenseApplyQ", A, n, tau, zt, ldz, n, 1);
    const failed = core.call("eigDenseQL", d, e, n, zt, ldz, log, Math.max(LOG_SLOTS, 2 * n + 2));
    if (failed > 0) throw new Error(`symmetricEigenCore: no convergence for eigenvalue ${failed - 1} of ${n} (is the matrix finite and symmetric?)`);
    const unsorted = arena.f64(d, n);
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => unsorted[j]! - unsorted[i]!);
    const values = Float64Array.from(order, (i) => unsorted[i]!);
    let rows = arena.f64(zt, n * ldz), stride = ldz;
    const pick = order.slice(0, wanted);
    if (fewer) {
      // The wanted vectors of T, packed as rows, times Q.
      const x = alloc(wanted * n), X = arena.f64(x, wanted * n), T = arena.f64(zt, n * ldz);
      pick.forEach((src, j) => X.set(T.subarray(src * ldz, src * ldz + n), j * n));
      core.call("eigDenseApplyQ", A, n, tau, x, n, wanted, 0);
      rows = arena.f64(x, wanted * n);
      stride = n;
      pick.forEach((_, j) => { pick[j] = j; });
    }
    const vectors = new Float64Array(n * wanted);
    for (let j = 0; j < wanted; j++) {
      const src = pick[j]! * stride;
      for (let i = 0; i < n; i++) vectors[i * wanted + j] = rows[src + i]!;
    }
    return { values, vectors };
  } finally {
    for (const p of owned) arena.release(p);
  }
}

/** A row stride (float64 elements) of at least n, a whole number of strips, and an odd number of 64-byte lines so
 * that a strip's rows spread over all L1 sets (a stride of 544 = 68 lines would use 16 of the 64). */
function stripStride(n: number): number {
  let s = Math.max(STRIP, Math.ceil(n / STRIP) * STRIP);
  if ((s / STRIP) % 2 === 0) s += STRIP;
  return s;
}

function checkInput(a: Float64Array, n: number, wanted: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`symmetricEigenCore: n must be a positive integer, got ${n}`);
  if (!(a instanceof Float64Array) || a.length !== n * n) {
    throw new RangeError(`symmetricEigenCore: the matrix must be a Float64Array of n * n = ${n * n} values, got ${a.length}`);
  }
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > n) {
    throw new RangeError(`symmetricEigenCore: wanted must be an integer in [0, ${n}], got ${wanted}`);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    const v = a[i * n + j]!;
    if (!Number.isFinite(v)) throw new RangeError(`symmetricEigenCore: matrix entry (${i}, ${j}) is ${v}, expected a finite number`);
  }
}
