// Small dense linear algebra in float64 for the steps between passes over the data: the symmetric eigenproblem of an
// l x l matrix (Householder tridiagonalisation + implicit QL, after EISPACK's tred2/tql2), eigenvalues of a
// symmetric tridiagonal matrix, Cholesky factors and a seeded Gaussian generator. Matrices are row-major
// Float64Arrays. Big products run in the WASM core (linalg-core.ts); these are O(l^3) with l in the hundreds.

export interface SymmetricEigen {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** n x n, row-major: column j (vectors[i * n + j], i < n) is the unit eigenvector of values[j]. (n x wanted, the
   * leading columns only, from symmetricEigenCore with wanted < n.) */
  vectors: Float64Array;
}

/** All eigenvalues and eigenvectors of the symmetric n x n matrix `a` (only its lower triangle is read). */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length < n * n) throw new RangeError(`symmetricEigen: ${a.length} values for a ${n} x ${n} matrix`);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) V[i * n + j] = V[j * n + i] = a[i * n + j]!;
  const d = new Float64Array(n), e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  // tql2 sorts ascending; return descending with matching columns.
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = n - 1 - j;
    values[j] = d[src]!;
    for (let i = 0; i < n; i++) vectors[i * n + j] = V[i * n + src]!;
  }
  return { values, vectors };
}

// Householder reduction of the symmetric matrix in V to tridiagonal form (d diagonal, e subdiagonal in e[1..]);
// V is overwritten by the orthogonal transformation. After the JAMA/EISPACK tred2.
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k]! += V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

// Implicit QL on the tridiagonal (d, e), accumulating the rotations into V; eigenvalues ascending in d.
function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`symmetricEigen: no convergence for eigenvalue ${l} of ${n}`);
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1, c2 = c, c3 = c;
        const el1 = e[l + 1]!;
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1]!;
            V[k * n + i + 1] = s * V[k * n + i]! + c * h;
            V[k * n + i] = c * V[k * n + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Selection sort of eigenvalues and vectors, ascending.
  for (let i = 0; i < n - 1; i++) {
    let k = i, p = d[i]!;
    for (let j = i + 1; j < n; j++) if (d[j]! < p) { k = j; p = d[j]!; }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = V[j * n + i]!;
        V[j * n + i] = V[j * n + k]!;
        V[j * n + k] = t;
      }
    }
  }
}

/** Eigenvalues (descending) of the symmetric tridiagonal matrix with diagonal d (n) and off-diagonal e (n - 1):
 * implicit QL with Wilkinson shifts, no vectors, O(n^2). Inputs are not modified. */
export function tridiagonalEigenvalues(diag: ArrayLike<number>, off: ArrayLike<number>): Float64Array {
  const n = diag.length;
  const d = Float64Array.from(diag), e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = off[i]!;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= eps * dd) break;
      }
      if (m === l) break;
      if (++iter > 60) throw new Error(`tridiagonalEigenvalues: no convergence for eigenvalue ${l} of ${n}`);
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.sqrt(g * g + 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        let f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.sqrt(f * f + g * g); // (Math.hypot is several times slower in V8; no overflow at these magnitudes)
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = 0;
      }
      if (r === 0 && i >= l) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort().reverse();
}

/** The upper-triangular R with R^T R = a (n x n, symmetric positive definite), or null when a is not. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const R = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= R[k * n + j]! * R[k * n + j]!;
    if (!(s > 0)) return null;
    const rjj = Math.sqrt(s);
    R[j * n + j] = rjj;
    for (let i = j + 1; i < n; i++) {
      let t = a[j * n + i]!;
      for (let k = 0; k < j; k++) t -= R[k * n + j]! * R[k * n + i]!;
      R[j * n + i] = t / rjj;
    }
  }
  return R;
}

/** The inverse of an upper-triangular n x n matrix (also upper triangular). */
export function invertUpper(R: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let j = n - 1; j >= 0; j--) {
    X[j * n + j] = 1 / R[j * n + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[i * n + k]! * X[k * n + j]!;
      X[i * n + j] = -s / R[i * n + i]!;
    }
  }
  return X;
}

/** A seeded stream of standard normal numbers (mulberry32 uniforms and Box-Muller): the same seed, the same numbers
 * on every platform. */
export class Gaussian {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  next(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = this.uniform(), v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** rows x cols standard normal values, row-major float32. */
  matrix(rows: number, cols: number): Float32Array {
    const m = new Float32Array(rows * cols);
    for (let i = 0; i < m.length; i++) m[i] = this.next();
    return m;
  }
}

/** Cosines of the principal angles between the column spaces of two matrices with orthonormal columns
 * (n x p and n x q, row-major): the singular values of A^T B, descending. 1 means a shared direction. */
export function principalCosines(A: ArrayLike<number>, B: ArrayLike<number>, n: number, p: number, q: number): Float64Array {
  const M = new Float64Array(p * q);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    const a = A[r * p + i]!;
    if (a === 0) continue;
    for (let j = 0; j < q; j++) M[i * q + j]! += a * B[r * q + j]!;
  }
  // Singular values of M = square roots of the eigenvalues of M^T M (q x q).
  const G = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += M[k * q + i]! * M[k * q + j]!;
    G[i * q + j] = s;
  }
  const { values } = symmetricEigen(G, q);
  return values.slice(0, Math.min(p, q)).map((v) => Math.sqrt(Math.min(1, Math.max(0, v))));
}
