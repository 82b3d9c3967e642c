// The linear algebra under PCA: the WASM GEMM kernels against JS loops at shapes off the SIMD blocks, the float64
// Gram matrix, the orthonormalisation of ill-conditioned and rank-deficient matrices, the small symmetric
// eigensolver and the tridiagonal eigenvalues against cyclic Jacobi, Cholesky and triangular inverses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import {
  Core, Gaussian, cholesky, gramF64, householderBasis, invertUpper, multiply, multiplyF64, orthonormalize, principalCosines, symmetricEigen, tridiagonalEigenvalues,
} from "../../bindings/index.js";
import { jacobiEigen } from "./reference.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

function random(n: number, seed: number): Float32Array {
  return new Gaussian(seed).matrix(1, n);
}

describe("GEMM kernels", () => {
  for (const [m, k, n] of [[1, 1, 1], [5, 3, 9], [7, 300, 17], [4, 256, 8], [13, 513, 30], [70, 40, 33], [3, 0, 5]] as const) {
    it(`C = A B for ${m} x ${k} times ${k} x ${n}`, async () => {
      const A = random(m * k, m + k), B = random(k * n, n);
      const C = await multiply(core, A, m, k, B, n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
        expect(Math.abs(C[i * n + j]! - s)).toBeLessThan(1e-5 * Math.sqrt(k + 1) * 4);
      }
    });
  }

  for (const [m, k, n] of [[1, 1, 1], [5, 3, 9], [37, 64, 33], [64, 37, 4], [3, 0, 5]] as const) {
    it(`float64 C = A B for ${m} x ${k} times ${k} x ${n}, the same on one thread`, async () => {
      const A = Float64Array.from(random(m * k, 2 * m + k)), B = Float64Array.from(random(k * n, 3 * n), (v) => v / 3);
      const C = await multiplyF64(core, A, m, k, B, n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
        expect(Math.abs(C[i * n + j]! - s)).toBeLessThan(1e-13 * Math.sqrt(k + 1) * 4);
      }
      const one = await Core.create({ workers: 0 });
      try {
        expect(Array.from(await multiplyF64(one, A, m, k, B, n))).toEqual(Array.from(C));
      } finally {
        await one.close();
      }
    });
  }

  it("A^T A in float64 for a tall matrix with a large common offset", async () => {
    const m = 1000, n = 13;
    const A = random(m * n, 4).map((v) => v + 1000);
    const G = await gramF64(core, A, m, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += A[r * n + i]! * A[r * n + j]!;
      // float32 products of values near 1000 (relative 6e-8 each), sums in float64 between blocks of 256.
      expect(Math.abs(G[i * n + j]! - s) / s).toBeLessThan(1e-6);
      expect(G[i * n + j]).toBe(G[j * n + i]);
    }
  });
});

describe("orthonormalisation", () => {
  function check(Qm: Float32Array, Z: Float32Array, rows: number, cols: number, spanTol: number) {
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
      let d = 0;
      for (let r = 0; r < rows; r++) d += Qm[r * cols + i]! * Qm[r * cols + j]!;
      expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-5);
    }
    // span(Q) contains span(Z): the principal angles with an orthonormal basis of Z (Householder, float64) are 0.
    const ref = householderBasis(Z, rows, cols);
    const cos = principalCosines(Qm, ref, rows, cols, cols);
    expect(Math.min(...cos)).toBeGreaterThan(1 - spanTol);
  }

  it("keeps the column space of a well-conditioned matrix", async () => {
    const rows = 500, cols = 24, Z = random(rows * cols, 8);
    check(await orthonormalize(core, Z, rows, cols), Z, rows, cols, 1e-6);
  });

  it("handles columns of very different norms and a condition number of 1e5", async () => {
    const rows = 400, cols = 16;
    const U = householderBasis(random(rows * cols, 2), rows, cols);
    const Z = new Float32Array(rows * cols);
    // Z = U diag(s) M with s from 1 to 1e-5 and M mixing the columns: nearly parallel columns.
    const s = Array.from({ length: cols }, (_, j) => 10 ** (-5 * j / (cols - 1)));
    const M = random(cols * cols, 5);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) {
      let v = 0;
      for (let t = 0; t < cols; t++) v += U[r * cols + t]! * s[t]! * M[t * cols + j]!;
      Z[r * cols + j] = v * (j + 1) ** 3;
    }
    check(await orthonormalize(core, Z, rows, cols), Z, rows, cols, 1e-3);
  });

  it("completes the basis of a rank-deficient matrix", async () => {
    const rows = 60, cols = 6, Z = new Float32Array(rows * cols);
    const a = random(rows, 1), b = random(rows, 2);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) Z[r * cols + j] = j % 2 ? a[r]! * (j + 1) : b[r]! - a[r]! * j;
    const Qm = await orthonormalize(core, Z, rows, cols);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
      let d = 0;
      for (let r = 0; r < rows; r++) d += Qm[r * cols + i]! * Qm[r * cols + j]!;
      expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-5);
    }
    // a and b lie in the span.
    for (const v of [a, b]) {
      let norm = 0, proj = 0;
      for (let r = 0; r < rows; r++) norm += v[r]! ** 2;
      for (let j = 0; j < cols; j++) {
        let d = 0;
        for (let r = 0; r < rows; r++) d += Qm[r * cols + j]! * v[r]!;
        proj += d * d;
      }
      expect(proj / norm).toBeGreaterThan(1 - 1e-5);
    }
  });
});

describe("small dense float64 routines", () => {
  function randomSymmetric(n: number, seed: number, spread: number): Float64Array {
    const g = new Gaussian(seed), A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g.next() * (i === j ? spread : 1);
    return A;
  }

  for (const n of [1, 2, 7, 40]) {
    it(`symmetricEigen agrees with Jacobi for n = ${n}, with orthonormal vectors`, () => {
      const A = randomSymmetric(n, n, 10);
      const a = symmetricEigen(A, n), b = jacobiEigen(A, n);
      for (let i = 0; i < n; i++) expect(Math.abs(a.values[i]! - b.values[i]!)).toBeLessThan(1e-10 * Math.max(1, Math.abs(b.values[0]!)));
      for (let j = 0; j < n; j++) {
        // A v = lambda v
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += A[i * n + t]! * a.vectors[t * n + j]!;
          expect(Math.abs(s - a.values[j]! * a.vectors[i * n + j]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(a.values[0]!)));
        }
      }
    });
  }

  it("tridiagonalEigenvalues agrees with the dense solver, including repeated and zero couplings", () => {
    const n = 60, g = new Gaussian(3);
    const d = Array.from({ length: n }, () => g.next() * 5), e = Array.from({ length: n - 1 }, (_, i) => (i % 17 === 5 ? 0 : g.next()));
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) T[i * n + i] = d[i]!;
    for (let i = 0; i < n - 1; i++) T[i * n + i + 1] = T[(i + 1) * n + i] = e[i]!;
    const a = tridiagonalEigenvalues(d, e), b = jacobiEigen(T, n).values;
    for (let i = 0; i < n; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-10);
    expect(Array.from(tridiagonalEigenvalues([2, 2, 2], [0, 0]))).toEqual([2, 2, 2]);
    expect(Array.from(tridiagonalEigenvalues([3], []))).toEqual([3]);
  });

  it("cholesky and invertUpper: R^T R = A and R R^-1 = I; null for an indefinite matrix", () => {
    const n = 9, M = randomSymmetric(n, 2, 1), A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let t = 0; t < n; t++) s += M[i * n + t]! * M[j * n + t]!;
      A[i * n + j] = s;
    }
    const R = cholesky(A, n)!;
    const X = invertUpper(R, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let rr = 0, ri = 0;
      for (let t = 0; t < n; t++) { rr += R[t * n + i]! * R[t * n + j]!; ri += R[i * n + t]! * X[t * n + j]!; }
      expect(Math.abs(rr - A[i * n + j]!)).toBeLessThan(1e-10 * n);
      expect(Math.abs(ri - (i === j ? 1 : 0))).toBeLessThan(1e-12 * n);
    }
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });

  it("Gaussian is reproducible from its seed and has unit variance", () => {
    const a = new Gaussian(42).matrix(100, 100), b = new Gaussian(42).matrix(100, 100);
    expect(Array.from(a)).toEqual(Array.from(b));
    let m = 0, v = 0;
    for (const x of a) m += x / a.length;
    for (const x of a) v += (x - m) ** 2 / a.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
  });
});
