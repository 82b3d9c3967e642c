// The dense symmetric eigenproblem of a few hundred rows (PCA's Rayleigh-Ritz matrix) in the WASM core, float64:
// Householder tridiagonalisation, implicit QL with its rotations applied a strip of columns at a time, and the
// reflectors applied to the vectors (assembly/eigen-dense.ts). Same algorithm and result as symmetricEigen
// (linalg.ts, tred2 + tql2), several times faster from n ~ 100; with few vectors wanted, only those are
// back-transformed.
import type { Core } from "./core.js";
import type { SymmetricEigen } from "./linalg.js";

/** Columns per strip of the rotation kernel (assembly/eigen-dense.ts STRIP). */
const STRIP = 8;
/** Float64 slots of the rotation log: at most 1 MiB, applied to the vectors whenever it fills (QL takes about n^2
 * rotations, 2 slots each). */
const LOG_SLOTS = 1 << 17;

/**
 * Eigenvalues (all n, descending) and the leading `wanted` eigenvectors of the symmetric n x n matrix `a`
 * (row-major float64; only its lower triangle is read), computed in the core: the reduction to tridiagonal form on
 * the calling thread, the vector updates split over the core's workers (on the calling thread without workers;
 * the result is the same either way).
 *
 * `vectors` is n x wanted, row-major: column j (vectors[i * wanted + j], i < n) is the unit eigenvector of
 * values[j]. With wanted = n (the default) this is exactly symmetricEigen's layout; with fewer, it is the leading
 * columns without the rest (the reflectors then go over `wanted` vectors only).
 */
export async function symmetricEigenCore(
  core: Core, a: Float64Array, n: number, wanted: number = n,
): Promise<SymmetricEigen> {
  checkInput(a, n, wanted);
  const arena = core.arena;
  const ldz = stripStride(n), logSlots = Math.max(2 * n + 2, Math.min(LOG_SLOTS, 4 * n * n));
  const parts = Math.max(1, core.workerCount);
  const owned: number[] = [];
  const alloc = (values: number) => {
    const p = arena.alloc(Math.max(1, values) * 8);
    owned.push(p);
    return p;
  };
  try {
    const A = alloc(n * n), d = alloc(n), e = alloc(n), tau = alloc(n), work = alloc(3 * n);
    const zt = alloc(n * ldz), log = alloc(logSlots), state = alloc(4);
    arena.f64(A, n * n).set(a);
    core.call("eigDenseTridiagonalize", A, n, d, e, tau, work);
    const Z = arena.f64(zt, n * ldz);
    Z.fill(0);
    for (let r = 0; r < n; r++) Z[r * ldz + r] = 1;
    // All vectors: Q^T first (4/3 n^3), then the rotations on it. A few: the rotations on I (the vectors of T),
    // then Q times the wanted ones (2 n^2 wanted).
    const fewer = 3 * wanted < 2 * n;
    const applyQ = (z: number, stride: number, ranges: [number, number][], identity: number) =>
      core.run(ranges.map(([r0, r1]) => [{ fn: "eigDenseApplyQ", args: [A, n, tau, z, stride, r0, r1, identity] }]));
    if (!fewer) await applyQ(zt, ldz, identityRowRanges(n, parts), 1);
    arena.f64(state, 4).fill(0);
    const strips = splitRange(ldz / STRIP, parts);
    for (;;) {
      const used = core.call("eigDenseQL", d, e, n, log, logSlots, state);
      if (used < 0) throw new Error(`symmetricEigenCore: no convergence for eigenvalue ${-1 - used} of ${n} in 60 sweeps`);
      const rotate = ([s0, s1]: [number, number]) => [s0 * STRIP, s1 * STRIP, log, used] as const;
      await core.run(strips.map((range) => [{ fn: "eigDenseRotate", args: [zt, ldz, ...rotate(range)] }]));
      if (arena.f64(state, 1)[0]! >= n) break;
    }
    const unsorted = arena.f64(d, n);
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => unsorted[j]! - unsorted[i]!);
    const values = Float64Array.from(order, (i) => unsorted[i]!);
    let rows = zt, stride = ldz, pick = order.slice(0, wanted);
    if (fewer) {
      // The wanted vectors of T, packed as rows, times Q.
      const x = alloc(wanted * n), X = arena.f64(x, wanted * n), T = arena.f64(zt, n * ldz);
      pick.forEach((src, j) => X.set(T.subarray(src * ldz, src * ldz + n), j * n));
      await applyQ(x, n, splitRange(wanted, parts), 0);
      [rows, stride, pick] = [x, n, pick.map((_, j) => j)];
    }
    const R = arena.f64(rows, (pick.length ? Math.max(...pick) + 1 : 0) * stride);
    const vectors = new Float64Array(n * wanted);
    for (let j = 0; j < wanted; j++) {
      const src = pick[j]! * stride;
      for (let i = 0; i < n; i++) vectors[i * wanted + j] = R[src + i]!;
    }
    return { values, vectors };
  } finally {
    for (const p of owned) arena.release(p);
  }
}

/** [0, count) in `parts` contiguous ranges of nearly equal length (fewer when count is smaller). */
function splitRange(count: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, count));
  const cut = (i: number) => Math.floor((i * count) / k);
  return Array.from({ length: k }, (_, i) => [cut(i), cut(i + 1)] as [number, number]);
}

/** Rows of Q^T in `parts` ranges of nearly equal work: row r takes reflectors 0 .. r - 1, of lengths n - 1 - s. */
function identityRowRanges(n: number, parts: number): [number, number][] {
  const work = (r: number) => r * (n - 1) - (r * (r - 1)) / 2;
  const total = work(n), cuts = [0];
  for (let p = 1; p < parts; p++) {
    let r = cuts.at(-1)!;
    while (r < n && work(r) < (p * total) / parts) r++;
    cuts.push(r);
  }
  cuts.push(n);
  return cuts.slice(1).map((r1, i) => [cuts[i]!, r1] as [number, number]).filter(([r0, r1]) => r1 > r0);
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
    const got = a instanceof Float64Array ? `${a.length}` : `a ${(a as object)?.constructor?.name ?? typeof a}`;
    throw new RangeError(`symmetricEigenCore: the matrix must be a Float64Array of n * n = ${n * n} values, got ${got}`);
  }
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > n) {
    throw new RangeError(`symmetricEigenCore: wanted must be an integer in [0, ${n}], got ${wanted}`);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    const v = a[i * n + j]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`symmetricEigenCore: matrix entry (${i}, ${j}) is ${v}, expected a finite number`);
    }
  }
}
