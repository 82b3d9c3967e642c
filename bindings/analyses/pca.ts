// Principal component analysis of the unfolded P x Q matrix (P probe positions, Q detector pixels), never holding
// the data: a randomized subspace iteration (Halko, Martinsson & Tropp 2011, Alg. 4.4) whose products with the data
// are passes over the frames (pca-passes.ts), with a Rayleigh-Ritz step at the end.
//
// A = D - 1 c^T is the matrix decomposed: c = 0 for raw data (the paper's choice: component 1 is then about the mean
// pattern) or c = the mean pattern (meanCenter). The kernels subtract a float32 centre m (always the mean) while
// they convert each tile, so the float32 products see small centred values; the exact float64 difference e = m - c
// is added back afterwards:  A Z = D_m Z + 1 (e^T Z),  A^T Y = D_m^T Y + e (1^T Y).
//
// Passes: Y0 = A Omega with a sparse sign Omega (with the column sums; costs about a read of the data), then blocks
// Z_1 = orth(A^T Y0), Y_i = A Z_i, Z_(i+1) = orth(A^T Y_i), where A Z_i and A^T (A Z_i) come from one pass over the
// frames (each tile multiplied by Z_i, then by its own rows of Y_i, while in memory). Block Krylov (the default; Musco
// & Musco 2015) makes each new block orthogonal to all earlier ones and keeps them all: q + 2 blocks of (k +
// oversample) / 4 columns span a Krylov space of A^T A of dimension (q + 2)(k + oversample) / 4. Subspace iteration
// keeps only the last block of k + oversample columns (q + 1 of them). The Rayleigh-Ritz step then diagonalises
// (A K)^T (A K) for the kept blocks K: eigenvalues, components V = K W and scores A V = (A K) W, with no further pass.
// On the paper's size (192 x 192 x 96 x 96, 256 components) Krylov with q = 5 (7 blocks of 64 columns, 14 products
// with the data: the work of 3.3 full-width passes) reaches 4e-6 on the leading 50 eigenvalues of the two-phase
// simulation, where q = 3 with blocks of a third of k + 16 (96 columns, 10 products) did 2e-5 (see the README).
//
// Integer data of a small range (counted electrons; found by the first pass) are multiplied in 16-bit integers
// (pca-passes.ts): the centre is then the rounded mean, so the frames less the centre are exact small integers, and
// each basis block Z is rounded to 16 bits per column before its sketch. The rounded block Z' is the one kept, so
// A K is exact for the basis K actually used; K is then orthonormal only to about 1e-4, and the Rayleigh-Ritz step
// works on K R^-1 (K^T K = R^T R): (A K R^-1)^T (A K R^-1) = R^-T (A K)^T (A K) R^-1, again with no further pass.
import type { Core } from "../core.js";
import { type Dataset, frameCount, framePixels, navShape, sigShape } from "../dataset.js";
import { dtypeSize } from "../dtype.js";
import { Gaussian, cholesky, invertUpper } from "../linalg.js";
import { symmetricEigenCore } from "../linalg-eig-dense.js";
import { blockGramAt, blockGramF64, blockMultiply, blockMultiplyAt, multiplyF64, orthonormalize, projectOut, withBlocks } from "../linalg-core.js";
import { type PassRunner, localPasses, passes as passSpecs } from "./pass-specs.js";
import {
  type AdjointResult, type FirstPassResult, type IntegerProducts, type SketchAdjointResult, type SparseSign,
  type ValueRange, firstPassTile,
} from "./pca-passes.js";
import { MAX_SPECTRUM_PIXELS, pcaSpectrum } from "./pca-spectrum.js";

export interface PcaOptions {
  /** Number of components k: 1 <= k <= min(P, Q). */
  components: number;
  /** Subtract the mean pattern first (default false: raw data, as in Jesse et al. 2016). */
  meanCenter?: boolean;
  /** Extra columns beyond k: of the random subspace (default 16), or of the Krylov blocks, which take a quarter of
   * k + oversample each, at least 16 where they fit (default 0: 7 blocks span 1.75 k dimensions already). */
  oversample?: number;
  /** Power iterations q (default 5 for Krylov, 2 for subspace iteration): each adds a pass over the data (two
   * products with it) and sharpens the smaller components. */
  powerIterations?: number;
  /** "krylov" (default): block Krylov with q + 2 blocks of a quarter of k + oversample columns, whose Rayleigh-Ritz
   * step uses every block (Musco & Musco 2015): more accurate per product. "subspace": plain subspace iteration on
   * k + oversample columns, Rayleigh-Ritz on the last iterate. */
  method?: "krylov" | "subspace";
  /** Seed of the random start (default 0): the same seed gives the same result. */
  seed?: number;
  /** Multiply in 16-bit integers when the data are integers whose range fits (default true; the first pass finds
   * out): twice the speed of the float32 products, the same accuracy. false: always float32. */
  integerProducts?: boolean;
  /** Also compute every eigenvalue from the Gram matrix (Q <= 16384); see pcaSpectrum. */
  fullSpectrum?: boolean;
  /** Runs the passes over the frames (default: on `core`, in this process); the shard engine runs them on other
   * machines (bindings/scale/). The dense steps between passes always run on `core`. */
  runPasses?: PassRunner;
  /** Frames done and total over all passes, and the pass running. */
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface PcaResult {
  /** Eigenvalues of A^T A / (P - 1) (the explained variance), descending: k of them, or min(P, Q) with fullSpectrum. */
  eigenvalues: Float64Array;
  /** eigenvalues / totalVariance. */
  explainedRatio: Float64Array;
  /** P x k, row-major: the projections A V (sklearn's transform); column j over the scan is loading map j. */
  scores: Float32Array;
  /** k x Q, row-major: the unit eigen-patterns V^T; the largest-magnitude pixel of each is positive. */
  components: Float32Array;
  /** The mean pattern (Q), when mean-centred. */
  mean?: Float32Array;
  /** Sum of all eigenvalues: ||A||_F^2 / (P - 1). */
  totalVariance: number;
  /** Milliseconds per stage: the first pass (column sums and sparse sketch), the first adjoint pass, the
   * sketch-and-adjoint passes (two products with the data each: 4 P Q l operations), the last sketch (2 P Q l),
   * orthonormalisation, the Rayleigh-Ritz step. */
  timings: Record<string, number>;
  /** Number of components k. */
  k: number;
  navShape: number[];
  sigShape: [number, number];
  meanCentered: boolean;
  /** Passes made over the frames. */
  passes: number;
  /** Dimension of the subspace of the Rayleigh-Ritz step. */
  subspace: number;
  /** The arithmetic of the products with the data: 16-bit integers (integer data of a small range) or float32. */
  arithmetic: "int16" | "float32";
  /** The method used, its block width (columns per pass) and number of blocks. */
  method: "krylov" | "subspace";
  block: number;
  blocks: number;
}

export interface PcaPlan {
  k: number;
  method: "krylov" | "subspace";
  /** Columns per pass. */
  b: number;
  /** Blocks: Krylov blocks, or subspace iterations + 1. */
  d: number;
  passes: number;
}

/** Checks the options against the dataset and chooses the block width and number of blocks. */
export function pcaPlan(dataset: Dataset, o: PcaOptions): PcaPlan {
  const P = frameCount(dataset), Q = framePixels(dataset);
  const k = o.components, limit = Math.min(P, Q);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`components: expected a positive integer, got ${k}`);
  if (k > limit) throw new RangeError(`components: ${k} is more than min(P, Q) = min(${P} probe positions, ${Q} detector pixels) = ${limit}`);
  const krylov = (o.method ?? "krylov") === "krylov";
  const q = o.powerIterations ?? (krylov ? 5 : 2);
  if (o.oversample !== undefined && !(Number.isInteger(o.oversample) && o.oversample >= 0)) throw new RangeError(`oversample: expected a non-negative integer, got ${o.oversample}`);
  if (!Number.isInteger(q) || q < 0) throw new RangeError(`powerIterations: expected a non-negative integer, got ${q}`);
  if (o.method !== undefined && o.method !== "krylov" && o.method !== "subspace") throw new RangeError(`method: expected "krylov" or "subspace", got ${JSON.stringify(o.method)}`);
  if (o.fullSpectrum && Q > MAX_SPECTRUM_PIXELS) throw new RangeError(`fullSpectrum: the detector has ${Q} pixels; the full spectrum supports at most ${MAX_SPECTRUM_PIXELS} (bin the detector first)`);
  const extra = o.fullSpectrum ? 1 : 0;
  // Widths that are multiples of 8 use the products' fastest path; widen when the data allow it.
  const round8 = (n: number) => (n % 8 && Math.ceil(n / 8) * 8 <= limit ? Math.ceil(n / 8) * 8 : n);
  if (krylov) {
    // q + 2 blocks of a quarter of the width (at least 16 columns where 16 fit: narrower blocks converge slowly and
    // spend their passes on little arithmetic), when they fit in min(P, Q); otherwise subspace iteration (a Krylov
    // space cut short by a small detector is less accurate than subspace iteration with the same passes).
    const d = q + 2, b = Math.max(round8(Math.ceil((k + (o.oversample ?? 0)) / 4)), Math.min(16, Math.floor(limit / d / 8) * 8));
    if (b * d <= limit) return { k, method: "krylov", b, d, passes: d + 2 + extra };
  }
  const l = round8(Math.min(k + (o.oversample ?? 16), limit));
  // The first pass, the first adjoint, a sketch-and-adjoint per further block and the last block's sketch.
  return { k, method: "subspace", b: l, d: q + 1, passes: q + 3 + extra };
}

export async function pca(core: Core, dataset: Dataset, options: PcaOptions): Promise<PcaResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => { timings[name] = (timings[name] ?? 0) + performance.now() - since; };
  const plan = pcaPlan(dataset, options);
  const { k, b: l, d: depth, passes } = plan;
  const krylov = plan.method === "krylov";
  const P = frameCount(dataset), Q = framePixels(dataset);
  const meanCenter = options.meanCenter ?? false;

  let pass = 0;
  const runPasses = options.runPasses ?? localPasses(core, dataset);
  const progress = (stage: string) => (done: number) => options.onProgress?.(pass * P + done, passes * P, stage);

  // Pass 1: Y0 = D Omega for a sparse sign Omega (as cheap as reading the data), with the column sums and the range.
  let t = performance.now();
  const omega = sparseSign(Q, l, options.seed ?? 0);
  const tile = firstPassTile(Q * dtypeSize(dataset.dtype));
  const [{ sums, Y: Y0, range }] = (await runPasses([passSpecs.firstPass(omega, l, tile)], progress("sketch"))) as [FirstPassResult];
  pass++;
  lap("pass.first", t);
  checkFinite(sums, dataset);
  const kcp = options.integerProducts === false ? 0 : integerPairs(range);

  // The float32 centre m (the mean; rounded for integer products), the target centre c (0 or the mean), and in
  // float64 e = m - c, s - P m and the mean less m.
  const mean64 = Float64Array.from(sums, (s) => s / P);
  const m = kcp ? Float32Array.from(mean64, Math.round) : Float32Array.from(mean64);
  const e = mean64.map((v, j) => m[j]! - (meanCenter ? v : 0));
  const sMinusPm = Float64Array.from(sums, (v, j) => v - P * m[j]!), meanMinusM = mean64.map((v, j) => v - m[j]!);
  // A Omega = D Omega - 1 (c^T Omega).
  if (meanCenter) {
    const cO = new Float64Array(l);
    for (let j = 0; j < Q; j++) for (let i = 0; i < omega.s; i++) cO[omega.idx[j * omega.s + i]!]! += mean64[j]! * omega.val[j * omega.s + i]!;
    addRowVector(Y0, P, l, negate(cO));
  }

  // The passes give D_m Z and D_m^T (Y_m - 1 g^T) (D_m = D - 1 m^T) for any g: Y's column means, known in advance
  // for a sketch (the column sums give them), so that the float32 products do not add large multiples of the nearly
  // zero column sums of D_m and the 16-bit values of Y do not spend their range on an offset. With Y = Y_m + 1 f^T:
  //   A^T Y = D_m^T (Y_m - 1 g^T) + (s - P m)(g + f)^T + P e ybar^T,   ybar = Y's column means.
  const adjointOf = (Wc: Float32Array, Yfull: Float32Array, gPlusF: ArrayLike<number>) => {
    addOuter(Wc, Q, l, sMinusPm, gPlusF);
    addOuter(Wc, Q, l, e, columnMeans(Yfull, P, l).map((v) => P * v));
    return Wc;
  };
  // The first adjoint (with the centred sums of squares): W = A^T Y for the first sketch Y.
  let sumSquares: Float64Array | undefined;
  const adjoint = async (Yin: Float32Array) => {
    const ybar = columnMeans(Yin, P, l);
    const [adj] = (await runPasses([passSpecs.adjoint(Yin, l, m, Float32Array.from(ybar), true, kcp)], progress("adjoint"))) as [AdjointResult];
    pass++;
    sumSquares = adj.sumSquares;
    return adjointOf(adj.Z, Yin, ybar);
  };
  // Y = A Z = D_m Z + 1 f^T with f = Z^T e; for integer products Z is first rounded to Z' (the block kept). With
  // `andAdjoint`, the same pass also gives W = A^T Y.
  const sketch = async (Zin: Float32Array, andAdjoint: boolean): Promise<{ Y: Float32Array; Z: Float32Array; W?: Float32Array }> => {
    const integer: IntegerProducts | undefined = kcp ? { scale: powerOfTwoScales(Zin, l), kcp } : undefined;
    const Z = integer ? roundToScale(Zin, l, integer.scale) : Zin;
    const f = transposeTimes(e, Z, Q, l), g = transposeTimes(meanMinusM, Z, Q, l);
    const spec = andAdjoint ? passSpecs.sketchAdjoint(Z, l, m, Float32Array.from(g), integer) : passSpecs.sketch(Z, l, m, integer);
    const [out] = await runPasses([spec], progress(andAdjoint ? "sketch and adjoint" : "sketch"));
    pass++;
    const { Y, W } = andAdjoint ? (out as SketchAdjointResult) : { Y: out as Float32Array, W: undefined };
    addRowVector(Y, P, l, f);
    return { Y, Z, W: W && adjointOf(W, Y, g.map((v, j) => v + f[j]!)) };
  };

  // Blocks: Z_1 = orth(A^T Y0); then Y_i = A Z_i and W_(i+1) = A^T Y_i in one pass, Z_(i+1) = orth(W_(i+1)), for
  // Krylov made orthogonal to every earlier block first (subspace iteration keeps only the last block); the last
  // block's pass is a sketch alone.
  const Zs: Float32Array[] = [], Ys: Float32Array[] = [];
  t = performance.now();
  let W = await adjoint(Y0);
  lap("pass.adjoint", t);
  for (let i = 0; i < depth; i++) {
    t = performance.now();
    // (Rounded earlier blocks are orthonormal to about 1e-4 only: projectOut's two rounds leave 1e-8.)
    if (krylov) W = await projectOut(core, W, Zs, Q, l);
    const Z = await orthonormalize(core, W, Q, l);
    lap("orthonormalize", t);
    t = performance.now();
    const last = i === depth - 1, next = await sketch(Z, !last);
    lap(last ? "pass.sketch" : "pass.sketchAdjoint", t);
    if (!krylov) Zs.length = Ys.length = 0;
    Zs.push(next.Z);
    Ys.push(next.Y);
    if (next.W) W = next.W;
  }

  // Rayleigh-Ritz on span(K), K = [Z_1 .. Z_d] (orthonormal, Q x L) with A K = [Y_1 .. Y_d]:
  // (A K)^T (A K) = W Sigma^2 W^T, V = K W, scores A V = (A K) W.
  t = performance.now();
  const L = l * Zs.length;
  // A rounded basis K: the step works on the orthonormal K R^-1, whose Gram matrix with A is R^-T (A K)^T (A K) R^-1,
  // and whose eigenvectors W give V = K (R^-1 W) and scores (A K)(R^-1 W).
  const Rinv = kcp ? await whitening(core, Zs, Q, l) : undefined;
  // The blocks of A K are placed in the core once, for their Gram matrix and for the scores.
  const { values, components, scores } = await withBlocks(core, Ys, async (ys) => {
    let G: Float64Array = await blockGramAt(core, ys, P, l);
    if (Rinv) G = await multiplyF64(core, transposed(Rinv, L), L, L, await multiplyF64(core, G, L, L, Rinv, L), L);
    const eig = await symmetricEigenCore(core, G, L, k);
    let Wk: Float64Array = eig.vectors; // L x k: the leading k eigenvectors
    if (Rinv) Wk = await multiplyF64(core, Rinv, L, L, Wk, k);
    const W32 = Float32Array.from(Wk);
    const V = await blockMultiply(core, Zs, Q, l, W32, k); // Q x k
    // Each component's sign is set by W's column before the scores are made, so they need no second sweep.
    orient(V, W32, k);
    const scoring = blockMultiplyAt(core, ys, P, l, W32, k); // P x k, on the workers while this thread transposes V
    // Components are V's columns: transposed in strips of 64 pixels, so that V's rows stay in cache across the columns.
    const components = new Float32Array(k * Q);
    for (let j0 = 0; j0 < Q; j0 += 64) {
      const j1 = Math.min(Q, j0 + 64);
      for (let i = 0; i < k; i++) for (let j = j0; j < j1; j++) components[i * Q + j] = V[j * k + i]!;
    }
    return { values: eig.values, components, scores: await scoring };
  });
  lap("rayleighRitz", t);

  // The full spectrum from the Gram matrix (one more pass), when asked for.
  let spectrum: Awaited<ReturnType<typeof pcaSpectrum>> | undefined;
  if (options.fullSpectrum) {
    t = performance.now();
    spectrum = await pcaSpectrum(core, dataset, { meanCenter, sums, onProgress: (d, _n, stage) => stage === "gram" && progress("gram")(d) });
    pass++;
    for (const [name, ms] of Object.entries(spectrum.timings)) timings[`spectrum.${name}`] = ms;
    lap("spectrum", t);
  }

  const dof = Math.max(1, P - 1);
  let total = 0;
  for (let j = 0; j < Q; j++) {
    // Sum over frames of (d - c)^2 = sum (d - m)^2 + 2 e (s - P m) + P e^2.
    total += sumSquares![j]! + 2 * e[j]! * sMinusPm[j]! + P * e[j]! * e[j]!;
  }
  const totalVariance = spectrum ? spectrum.totalVariance : total / dof;
  const eigenvalues = spectrum ? spectrum.eigenvalues : Float64Array.from(values.subarray(0, k), (v) => Math.max(0, v) / dof);
  const explainedRatio = eigenvalues.map((v) => (totalVariance > 0 ? v / totalVariance : 0));
  timings.total = performance.now() - t0;
  return {
    eigenvalues, explainedRatio, scores, components,
    mean: meanCenter ? Float32Array.from(mean64) : undefined,
    totalVariance, timings,
    k,
    navShape: navShape(dataset), sigShape: sigShape(dataset),
    meanCentered: meanCenter, passes: pass, subspace: L, arithmetic: kcp ? "int16" : "float32", method: plan.method,
    block: l, blocks: Zs.length,
  };
}

/** Omega (Q x l) with s = min(4, l) non-zeros +-1/sqrt(s) per row in distinct random columns: only the start of
 * the iteration, so a few non-zeros per row suffice. */
export function sparseSign(Q: number, l: number, seed: number): SparseSign {
  const g = new Gaussian(seed);
  const s = Math.min(4, l);
  const idx = new Int32Array(Q * s), val = new Float32Array(Q * s);
  const used = new Uint8Array(l);
  for (let j = 0; j < Q; j++) {
    for (let t = 0; t < s; t++) {
      let c: number;
      do c = Math.min(l - 1, Math.floor(g.uniform() * l)); while (used[c]);
      used[c] = 1;
      idx[j * s + t] = c;
      val[j * s + t] = (g.uniform() < 0.5 ? -1 : 1) / Math.sqrt(s);
    }
    for (let t = 0; t < s; t++) used[idx[j * s + t]!] = 0;
  }
  return { s, idx, val };
}

/** Pairs of 16-bit products summed in 32 bits at a time (see IntegerProducts) when the data are integers whose values
 * less their rounded mean (at most hi - lo) allow at least 16 pairs per sum, that is hi - lo <= 2048; 0 (float32
 * products) otherwise. */
export function integerPairs(range: ValueRange): number {
  const span = range.hi - range.lo;
  if (!(range.frac === 0) || !(span >= 0)) return 0;
  const pairs = Math.floor((2 ** 31 - 1) / (2 * Math.max(1, span) * 32767));
  return pairs >= 16 ? Math.min(256, pairs) : 0;
}

/** Per column of M (rows x l), the power of two s with max |M[:, j]| s <= 32767 (1 for a zero column). */
function powerOfTwoScales(M: Float32Array, l: number): Float32Array {
  const most = new Float64Array(l);
  for (let i = 0; i < M.length; i += l) for (let j = 0; j < l; j++) most[j] = Math.max(most[j]!, Math.abs(M[i + j]!));
  return Float32Array.from(most, (x) => (x > 0 ? 2 ** Math.floor(Math.log2(32767 / x)) : 1));
}

/** M (rows x l) with column j rounded to a multiple of 1 / scale[j] (exactly representable: scales are powers of 2):
 * the basis block the integer products multiply by. */
function roundToScale(M: Float32Array, l: number, scale: Float32Array): Float32Array {
  const inv = scale.map((s) => 1 / s), out = new Float32Array(M.length);
  for (let i = 0; i < M.length; i += l) for (let j = 0; j < l; j++) out[i + j] = Math.round(M[i + j]! * scale[j]!) * inv[j]!;
  return out;
}

/** R^-1 (L x L, upper triangular, float64) for K^T K = R^T R, K the blocks side by side (Q x l each): K R^-1 has
 * orthonormal columns. */
async function whitening(core: Core, blocks: Float32Array[], Q: number, l: number): Promise<Float64Array> {
  const L = blocks.length * l, R = cholesky(await blockGramF64(core, blocks, Q, l), L);
  if (!R) throw new Error(`PCA: the rounded basis (${Q} x ${L}) is not of full rank; run with integerProducts false`);
  return invertUpper(R, L);
}

/** The transpose of a square n x n float64 matrix. */
function transposed(M: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = M[i * n + j]!;
  return out;
}

function checkFinite(sums: Float64Array, ds: Dataset): void {
  const cols = sigShape(ds)[1];
  for (let j = 0; j < sums.length; j++) {
    if (!Number.isFinite(sums[j]!)) {
      throw new Error(`${ds.source.name}: the data contain NaN or infinite values (detector pixel row ${Math.floor(j / cols)}, column ${j % cols}); PCA needs finite values`);
    }
  }
}

/** x^T M for x (n) and M (n x l row-major), in float64. */
function transposeTimes(x: ArrayLike<number>, M: Float32Array, n: number, l: number): Float64Array {
  const out = new Float64Array(l);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    for (let j = 0; j < l; j++) out[j]! += xi * M[i * l + j]!;
  }
  return out;
}

function negate(v: Float64Array): Float64Array {
  return v.map((x) => -x);
}

/** M[i, :] += v for every row i of M (rows x l). */
function addRowVector(M: Float32Array, rows: number, l: number, v: ArrayLike<number>): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) M[i * l + j]! += v[j]!;
}

/** M += a b^T for M (rows x l), a (rows), b (l). */
function addOuter(M: Float32Array, rows: number, l: number, a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (let i = 0; i < rows; i++) {
    const ai = a[i]!;
    if (ai === 0) continue;
    for (let j = 0; j < l; j++) M[i * l + j]! += ai * b[j]!;
  }
}

function columnMeans(M: Float32Array, rows: number, l: number): Float64Array {
  const out = new Float64Array(l);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) out[j]! += M[i * l + j]!;
  return out.map((x) => x / rows);
}

/** Flips each column of V (Q x k, the components) and of W (L x k, whose product with A K gives the scores) so
 * that the component's largest-magnitude pixel is positive: a deterministic sign. */
function orient(V: Float32Array, W: Float32Array, k: number): void {
  const best = new Float32Array(k);
  for (let j = 0; j < V.length; j += k) for (let i = 0; i < k; i++) if (Math.abs(V[j + i]!) > Math.abs(best[i]!)) best[i] = V[j + i]!;
  if (!best.some((b) => b < 0)) return;
  for (const M of [V, W]) for (let j = 0; j < M.length; j += k) for (let i = 0; i < k; i++) if (best[i]! < 0) M[j + i] = -M[j + i]!;
}
