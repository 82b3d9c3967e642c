// The dense symmetric eigenproblem of PCA's Rayleigh-Ritz step (L x L, L = 544 for 256 components with a block
// Krylov depth of 2): the JS solver (symmetricEigen, tred2 + tql2) against the WASM core (symmetricEigenCore) with
// all vectors and with the leading 32, and numpy.linalg.eigh (LAPACK syevd through OpenBLAS) as a reference. Random
// symmetric Gaussian matrices; every row is the median of at least 5 runs on the calling thread.
import { Core, Gaussian, symmetricEigen, symmetricEigenCore, type SymmetricEigen } from "../bindings/node.js";
import { compare, hasPython, lastLine, measure, runReference, type BenchOptions, type BenchRow } from "./common.js";

const SIZES = [64, 272, 544];
const FEW = 32;

/** A symmetric n x n matrix with standard normal entries (seeded). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const g = new Gaussian(seed), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g.next();
  return A;
}

/** max |A V - V diag(values)| / ||A||_F and max |V^T V - I| over the `cols` columns of V (n x cols). */
function accuracy(A: Float64Array, n: number, eig: SymmetricEigen, cols: number): { residual: number; orthogonality: number } {
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

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const sizes = o.quick ? [64, 272] : SIZES;
  const iterations = o.quick ? 3 : 7;
  const core = await Core.create({ workers: 0 });
  const rows: BenchRow[] = [];
  const pairs: [string, string][] = [];
  try {
    for (const n of sizes) {
      const A = randomSymmetric(n, n);
      const names = { js: `JS symmetricEigen ${n} x ${n}`, all: `WASM symmetricEigenCore ${n} x ${n}, all vectors`, few: `WASM symmetricEigenCore ${n} x ${n}, ${FEW} vectors` };
      const timed = await measure([
        { name: names.js, fn: () => symmetricEigen(A, n) },
        { name: names.all, fn: () => symmetricEigenCore(core, A, n) },
        { name: names.few, fn: () => symmetricEigenCore(core, A, n, FEW) },
      ], { iterations, time: 0 });
      const js = symmetricEigen(A, n), all = await symmetricEigenCore(core, A, n), few = await symmetricEigenCore(core, A, n, FEW);
      const note = (e: SymmetricEigen, cols: number) => {
        const a = accuracy(A, n, e, cols);
        return `residual ${a.residual.toExponential(1)} of ||A||_F, orthogonality ${a.orthogonality.toExponential(1)}, eigenvalues within ${maxDiff(e.values, js.values).toExponential(1)} of the JS solver's`;
      };
      timed[0]!.note = note(js, n).replace(/, eigenvalues within.*/, "");
      timed[1]!.note = note(all, n);
      timed[2]!.note = note(few, FEW);
      rows.push(...timed);
      pairs.push([names.all, names.js], [names.few, names.js]);
    }
  } finally {
    await core.close();
  }
  if (hasPython(["numpy"])) {
    for (const n of sizes) {
      const out = JSON.parse(lastLine(runReference(NUMPY_EIGH, [String(n), String(iterations)]))) as { ms: number[] };
      const ms = [...out.ms].sort((a, b) => a - b);
      const name = `numpy.linalg.eigh ${n} x ${n}`;
      rows.push({ name, medianMs: ms[Math.floor(ms.length / 2)]!, minMs: ms[0], maxMs: ms.at(-1), samples: ms.length, note: "OpenBLAS's own kernel and cache sizes, 2 threads" });
      pairs.push([`WASM symmetricEigenCore ${n} x ${n}, all vectors`, name]);
    }
  } else {
    rows.push({ name: "numpy not installed: no eigh reference", medianMs: NaN });
  }
  // The ratio column holds one reference per row: the JS solver for the WASM rows; numpy's rows name theirs.
  const withJs = compare(rows, pairs.filter(([, ref]) => ref.startsWith("JS")));
  for (const [row, ref] of pairs.filter(([, r]) => r.startsWith("numpy"))) {
    const a = withJs.find((r) => r.name === row), b = withJs.find((r) => r.name === ref);
    if (a && b) b.note += `; WASM all vectors takes ${(a.medianMs / b.medianMs).toFixed(1)}x its time`;
  }
  return withJs;
}

const NUMPY_EIGH = `import sys, time, json, numpy as np
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
