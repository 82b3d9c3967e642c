// The dense symmetric eigenproblem of PCA's Rayleigh-Ritz step (L x L: L = 544 for 256 components, 4 Krylov blocks
// of 136 columns with the default 2 power iterations): the JS solver (symmetricEigen, tred2 + tql2) against the
// WASM core (symmetricEigenCore) with all vectors and with PCA's k = n / 2 - 16, on the calling thread and with 2
// workers, and numpy.linalg.eigh (LAPACK syevd through OpenBLAS, 1 and 2 threads) as a reference. Random
// symmetric Gaussian matrices; every row is a median of 7 runs; the rows on the calling thread also give CPU time.
import { Core, Gaussian, symmetricEigen, symmetricEigenCore, type SymmetricEigen } from "../bindings/node.js";
import { compare, hasPython, lastLine, measure, runReference, type BenchOptions, type BenchRow } from "./common.js";

const SIZES = [64, 272, 544];

/** A symmetric n x n matrix with standard normal entries (seeded). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const g = new Gaussian(seed), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g.next();
  return A;
}

interface Accuracy { residual: number; orthogonality: number }

/** max |A V - V diag(values)| / ||A||_F and max |V^T V - I| over the `cols` columns of V (n x cols). (The notes
 * avoid "|": they go into markdown tables.) */
function accuracy(A: Float64Array, n: number, eig: SymmetricEigen, cols: number): Accuracy {
  let norm = 0;
  for (const v of A) norm += v * v;
  norm = Math.sqrt(norm);
  const V = eig.vectors;
  let residual = 0, orthogonality = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += A[i * n + l]! * V[l * cols + j]!;
      residual = Math.max(residual, Math.abs(s - eig.values[j]! * V[i * cols + j]!));
    }
  }
  for (let a = 0; a < cols; a++) for (let b = a; b < cols; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += V[i * cols + a]! * V[i * cols + b]!;
    orthogonality = Math.max(orthogonality, Math.abs(s - (a === b ? 1 : 0)));
  }
  return { residual: residual / norm, orthogonality };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** PCA's k for a Rayleigh-Ritz matrix of n = 2 (k + 16) rows (4 Krylov blocks of (k + 16) / 2 columns). */
const pcaComponents = (n: number) => n / 2 - 16;

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const sizes = o.quick ? [64, 272] : SIZES;
  const iterations = o.quick ? 3 : 7;
  const alone = await Core.create({ workers: 0 }), pool = await Core.create({ workers: 2 });
  const rows: BenchRow[] = [];
  const pairs: [string, string][] = [];
  try {
    for (const n of sizes) {
      const A = randomSymmetric(n, n), k = pcaComponents(n);
      const js = `JS symmetricEigen ${n} x ${n}`;
      const cases: { name: string; core: Core; wanted: number }[] = [
        { name: `WASM symmetricEigenCore ${n} x ${n}, all vectors, calling thread`, core: alone, wanted: n },
        { name: `WASM symmetricEigenCore ${n} x ${n}, all vectors, 2 workers`, core: pool, wanted: n },
        { name: `WASM symmetricEigenCore ${n} x ${n}, ${k} vectors, calling thread`, core: alone, wanted: k },
        { name: `WASM symmetricEigenCore ${n} x ${n}, ${k} vectors, 2 workers`, core: pool, wanted: k },
      ];
      const timed = await measure([
        { name: js, fn: () => symmetricEigen(A, n) },
        ...cases.map((c) => ({ name: c.name, fn: () => symmetricEigenCore(c.core, A, n, c.wanted) })),
      ], { iterations, time: 0 });
      const ref = symmetricEigen(A, n);
      // On a shared machine CPU time is the steadier figure for the rows on the calling thread.
      const jsCpu = await cpuMedian(iterations, () => symmetricEigen(A, n));
      timed[0]!.note = `${describe(accuracy(A, n, ref, n))}; CPU time median ${jsCpu}`;
      for (const [i, c] of cases.entries()) {
        const eig = await symmetricEigenCore(c.core, A, n, c.wanted);
        const within = maxDiff(eig.values, ref.values).toExponential(1);
        timed[i + 1]!.note = `${describe(accuracy(A, n, eig, c.wanted))}, eigenvalues within ${within} of the JS solver's`;
        if (c.core === alone) {
          const cpu = await cpuMedian(iterations, () => symmetricEigenCore(alone, A, n, c.wanted));
          timed[i + 1]!.note += `; CPU time median ${cpu}`;
        }
        pairs.push([c.name, js]);
      }
      rows.push(...timed);
    }
  } finally {
    await alone.close();
    await pool.close();
  }
  compare(rows, pairs);
  if (hasPython(["numpy"])) {
    for (const n of sizes) {
      const wasm = rows.find((r) => r.name === `WASM symmetricEigenCore ${n} x ${n}, all vectors, calling thread`)!;
      for (const threads of [1, 2]) {
        const args = [String(n), String(iterations), String(threads)];
        const ms = (JSON.parse(lastLine(runReference(NUMPY_EIGH, args))) as { ms: number[] }).ms.sort((a, b) => a - b);
        const median = ms[Math.floor(ms.length / 2)]!;
        rows.push({
          name: `numpy.linalg.eigh ${n} x ${n}, ${threads} thread${threads > 1 ? "s" : ""}`,
          medianMs: median, minMs: ms[0], maxMs: ms.at(-1), samples: ms.length,
          note: "LAPACK syevd, OpenBLAS's own kernel and cache sizes; WASM all vectors on the calling thread " +
            `takes ${(wasm.medianMs / median).toFixed(2)}x its time`,
        });
      }
    }
  } else {
    rows.push({ name: "numpy not installed: no eigh reference", medianMs: NaN });
  }
  return rows;
}

/** The median CPU time (this process, all threads) of `runs` calls, as text in ms. */
async function cpuMedian(runs: number, fn: () => unknown): Promise<string> {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    ms.push((used.user + used.system) / 1000);
  }
  return `${ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(1)} ms`;
}

const describe = (a: Accuracy) => `residual ${a.residual.toExponential(1)} of A's Frobenius norm, ` +
  `loss of orthogonality ${a.orthogonality.toExponential(1)}`;

const NUMPY_EIGH = `import os, sys, time, json
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = sys.argv[3]
import numpy as np
n, runs = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(n)
G = rng.standard_normal((n, n))
A = np.tril(G) + np.tril(G, -1).T
np.linalg.eigh(A)
ms = []
for _ in range(runs):
    t0 = time.perf_counter()
    np.linalg.eigh(A)
    ms.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": ms}))`;
