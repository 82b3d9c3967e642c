// The dense symmetric eigensolver in the WASM core (symmetricEigenCore) against closed forms (diagonal, the 1D
// Laplacian, repeated eigenvalues, zero, 1 x 1 and 2 x 2), against the JS solver and numpy.linalg.eigh, with the
// residual ||A V - V diag(values)|| and the orthogonality ||V^T V - I|| bounded relative to ||A||, with all vectors
// and with the leading few; and its errors on bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, Gaussian, symmetricEigen, symmetricEigenCore, type SymmetricEigen } from "../../bindings/index.js";
import { hasPython, runPython } from "../helpers/python.js";

const EPS = 2 ** -52;
let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

function randomSymmetric(n: number, seed: number): Float64Array {
  const g = new Gaussian(seed), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g.next();
  return A;
}

/** Q diag(lambda) Q^T for a random orthogonal Q (the JS solver's eigenvectors of a random matrix, float64). */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length, Q = symmetricEigen(randomSymmetric(n, seed), n).vectors, A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += Q[i * n + k]! * lambda[k]! * Q[j * n + k]!;
    A[i * n + j] = s;
  }
  return A;
}

const frobenius = (A: ArrayLike<number>) => Math.sqrt(Array.from(A).reduce((s, v) => s + v * v, 0));

interface Errors { residual: number; orthogonality: number }

/** max |A v_j - values_j v_j| / ||A||_F (1 for a zero A) and max |V^T V - I| over the cols columns of V. */
function errors(A: Float64Array, n: number, eig: SymmetricEigen, cols: number): Errors {
  const V = eig.vectors, norm = frobenius(A) || 1;
  let residual = 0, orthogonality = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let l = 0; l < n; l++) s += A[i * n + l]! * V[l * cols + j]!;
    residual = Math.max(residual, Math.abs(s - eig.values[j]! * V[i * cols + j]!) / norm);
  }
  for (let a = 0; a < cols; a++) for (let b = a; b < cols; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += V[i * cols + a]! * V[i * cols + b]!;
    orthogonality = Math.max(orthogonality, Math.abs(s - (a === b ? 1 : 0)));
  }
  return { residual, orthogonality };
}

function expectAccurate(A: Float64Array, n: number, eig: SymmetricEigen, cols = n): void {
  expect(eig.values.length).toBe(n);
  expect(eig.vectors.length).toBe(n * cols);
  for (let j = 1; j < n; j++) expect(eig.values[j]!).toBeLessThanOrEqual(eig.values[j - 1]!);
  const { residual, orthogonality } = errors(A, n, eig, cols);
  expect(residual).toBeLessThan(4 * n * EPS);
  expect(orthogonality).toBeLessThan(4 * n * EPS);
}

/** |u . v| for column j of two n x cols matrices: 1 when the columns are the same unit vector up to sign. */
function columnCosine(U: ArrayLike<number>, V: ArrayLike<number>, n: number, colsU: number, colsV: number, j: number) {
  let s = 0;
  for (let i = 0; i < n; i++) s += U[i * colsU + j]! * V[i * colsV + j]!;
  return Math.abs(s);
}

describe("closed forms", () => {
  it("a diagonal matrix: its entries sorted, unit vectors", async () => {
    const diag = [3, -1, 7, 0.5, -4, 2], n = diag.length, A = new Float64Array(n * n);
    diag.forEach((v, i) => { A[i * n + i] = v; });
    const eig = await symmetricEigenCore(core, A, n);
    expect(Array.from(eig.values)).toEqual([...diag].sort((a, b) => b - a));
    for (let j = 0; j < n; j++) {
      const i = diag.indexOf(eig.values[j]!);
      expect(Math.abs(eig.vectors[i * n + j]!)).toBe(1);
    }
  });

  for (const n of [1, 2, 3, 50, 201]) {
    it(`the 1D Laplacian of ${n} points: 2 - 2 cos(k pi / (n + 1)) with sine vectors`, async () => {
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        A[i * n + i] = 2;
        if (i > 0) A[i * n + i - 1] = A[(i - 1) * n + i] = -1;
      }
      const eig = await symmetricEigenCore(core, A, n);
      expectAccurate(A, n, eig);
      // Descending: values[j] is k = n - j.
      const sine = new Float64Array(n * n);
      for (let j = 0; j < n; j++) {
        const k = n - j;
        expect(Math.abs(eig.values[j]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(8 * EPS * n);
        for (let i = 0; i < n; i++) sine[i * n + j] = Math.sqrt(2 / (n + 1)) * Math.sin(((i + 1) * k * Math.PI) / (n + 1));
      }
      for (let j = 0; j < n; j++) expect(columnCosine(eig.vectors, sine, n, n, n, j)).toBeCloseTo(1, 10);
    });
  }

  it("a 2 x 2 matrix: (a + c) / 2 +- sqrt(((a - c) / 2)^2 + b^2)", async () => {
    const [a, b, c] = [1.5, -2, 4];
    const eig = await symmetricEigenCore(core, Float64Array.of(a, b, b, c), 2);
    const r = Math.hypot((a - c) / 2, b);
    expect(eig.values[0]).toBeCloseTo((a + c) / 2 + r, 14);
    expect(eig.values[1]).toBeCloseTo((a + c) / 2 - r, 14);
    expectAccurate(Float64Array.of(a, b, b, c), 2, eig);
  });

  it("a 1 x 1 matrix: its entry, vector [1]", async () => {
    const eig = await symmetricEigenCore(core, Float64Array.of(-2.5), 1);
    expect(Array.from(eig.values)).toEqual([-2.5]);
    expect(Array.from(eig.vectors)).toEqual([1]);
  });

  it("the zero matrix: zero eigenvalues and an orthonormal basis", async () => {
    const n = 9, A = new Float64Array(n * n);
    const eig = await symmetricEigenCore(core, A, n);
    expect(Array.from(eig.values)).toEqual(new Array(n).fill(0));
    expectAccurate(A, n, eig);
  });

  it("repeated eigenvalues: the values with their multiplicities, orthonormal vectors of each eigenspace", async () => {
    const lambda = [5, 5, 5, 2, 2, -1, -1, -1, -1, 0, 0, 3, 8, 8, 1, 1, 1];
    const n = lambda.length, A = withSpectrum(lambda, 7);
    for (const wanted of [n, 4]) {
      const eig = await symmetricEigenCore(core, A, n, wanted);
      const sorted = [...lambda].sort((a, b) => b - a);
      for (let j = 0; j < n; j++) expect(Math.abs(eig.values[j]! - sorted[j]!)).toBeLessThan(64 * EPS);
      expectAccurate(A, n, eig, wanted);
    }
  });
});

describe("a PCA-like spectrum", () => {
  it("a few large eigenvalues above a flat noise floor whose neighbours differ by 0.1%: accurate to the norm", async () => {
    const n = 160, g = new Gaussian(21);
    const lambda = Array.from({ length: n }, (_, i) => (i < 6 ? 1e6 / 3 ** i : 9.3 * (1 + 1e-3 * g.next())));
    const A = withSpectrum(lambda, 13), sorted = [...lambda].sort((a, b) => b - a), scale = frobenius(A);
    for (const wanted of [n, 40]) {
      const eig = await symmetricEigenCore(core, A, n, wanted);
      for (let j = 0; j < n; j++) expect(Math.abs(eig.values[j]! - sorted[j]!)).toBeLessThan(4 * n * EPS * scale);
      expectAccurate(A, n, eig, wanted);
    }
  });
});

describe("against the JS solver", () => {
  for (const n of [3, 4, 17, 64, 101, 544]) {
    it(`random symmetric ${n} x ${n}: the same eigenvalues, accurate vectors, the same leading subspace`, async () => {
      const A = randomSymmetric(n, n);
      const js = symmetricEigen(A, n), eig = await symmetricEigenCore(core, A, n);
      const scale = frobenius(A);
      for (let j = 0; j < n; j++) expect(Math.abs(eig.values[j]! - js.values[j]!)).toBeLessThan(4 * n * EPS * scale);
      expectAccurate(A, n, eig);
      // Random spectra are simple: each vector matches the JS one up to sign.
      for (let j = 0; j < Math.min(n, 8); j++) expect(columnCosine(eig.vectors, js.vectors, n, n, n, j)).toBeCloseTo(1, 8);
    });
  }

  for (const [n, wanted] of [[272, 32], [101, 100], [64, 0]] as const) {
    it(`${wanted} of ${n} vectors: the leading columns of the full result, n x ${wanted}`, async () => {
      const A = randomSymmetric(n, n + 1);
      const all = await symmetricEigenCore(core, A, n), few = await symmetricEigenCore(core, A, n, wanted);
      expect(Array.from(few.values)).toEqual(Array.from(all.values));
      expectAccurate(A, n, few, wanted);
      for (let j = 0; j < wanted; j++) expect(columnCosine(few.vectors, all.vectors, n, wanted, n, j)).toBeCloseTo(1, 10);
    });
  }

  it("reads only the lower triangle", async () => {
    const n = 31, A = randomSymmetric(n, 3), B = A.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) B[i * n + j] = Number.NaN;
    const a = await symmetricEigenCore(core, A, n), b = await symmetricEigenCore(core, B, n);
    expect(b.values).toEqual(a.values);
    expect(b.vectors).toEqual(a.vectors);
  });

  it("the same bits with the vector updates split over two workers", async () => {
    const pool = await Core.create({ workers: 2 });
    try {
      for (const [n, wanted] of [[101, 101], [272, 40]] as const) {
        const A = randomSymmetric(n, 9);
        const alone = await symmetricEigenCore(core, A, n, wanted), split = await symmetricEigenCore(pool, A, n, wanted);
        expect(split.values).toEqual(alone.values);
        expect(split.vectors).toEqual(alone.vectors);
      }
    } finally {
      await pool.close();
    }
  });

  it("a matrix of large and of tiny scale: the same relative accuracy", async () => {
    const n = 40, A = randomSymmetric(n, 5);
    for (const scale of [1e150, 1e-150]) {
      const S = A.map((v) => v * scale);
      const eig = await symmetricEigenCore(core, S, n);
      expectAccurate(S, n, eig);
    }
  });
});

// numpy's eigh (LAPACK syevd): an independent implementation.
describe.skipIf(!hasPython(["numpy"]))("against numpy.linalg.eigh", () => {
  it("random symmetric 272 x 272 and 33 x 33: eigenvalues and leading vectors", async () => {
    for (const n of [33, 272]) {
      const A = randomSymmetric(n, 11 * n);
      const script = `import sys, json, numpy as np
n = int(sys.argv[1])
A = np.frombuffer(sys.stdin.buffer.read(), dtype="<f8").reshape(n, n)
w, V = np.linalg.eigh(A, UPLO="L")
print(json.dumps({"w": w[::-1].tolist(), "V": V[:, ::-1][:, :8].ravel().tolist()}))`;
      const ref = JSON.parse(runPython(script, [String(n)], new Uint8Array(A.buffer))) as { w: number[]; V: number[] };
      const eig = await symmetricEigenCore(core, A, n, 8);
      const scale = frobenius(A);
      for (let j = 0; j < n; j++) expect(Math.abs(eig.values[j]! - ref.w[j]!)).toBeLessThan(4 * n * EPS * scale);
      for (let j = 0; j < 8; j++) expect(columnCosine(eig.vectors, ref.V, n, 8, 8, j)).toBeCloseTo(1, 8);
    }
  });
});

describe("bad input", () => {
  it("a matrix of the wrong length, a non-finite entry, or a bad n or wanted: a RangeError naming it", async () => {
    const wrongLength = /symmetricEigenCore: the matrix must be a Float64Array of n \* n = 9 values, got 8/;
    await expect(symmetricEigenCore(core, new Float64Array(8), 3)).rejects.toThrow(wrongLength);
    const single = new Float32Array(9) as unknown as Float64Array;
    await expect(symmetricEigenCore(core, single, 3)).rejects.toThrow(/got a Float32Array/);
    await expect(symmetricEigenCore(core, new Float64Array(10), 3)).rejects.toThrow(RangeError);
    const A = randomSymmetric(4, 1);
    A[2 * 4 + 1] = Number.NaN;
    await expect(symmetricEigenCore(core, A, 4)).rejects.toThrow(/matrix entry \(2, 1\) is NaN, expected a finite number/);
    A[2 * 4 + 1] = Number.POSITIVE_INFINITY;
    await expect(symmetricEigenCore(core, A, 4)).rejects.toThrow(RangeError);
    await expect(symmetricEigenCore(core, new Float64Array(0), 0)).rejects.toThrow(/n must be a positive integer, got 0/);
    const badWanted = /wanted must be an integer in \[0, 2\], got 3/;
    await expect(symmetricEigenCore(core, new Float64Array(4), 2, 3)).rejects.toThrow(badWanted);
    await expect(symmetricEigenCore(core, new Float64Array(4), 2.5)).rejects.toThrow(RangeError);
  });
});
