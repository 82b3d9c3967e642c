// PCA's 16-bit integer products: the kernels (gemmI16, the packing of B, the integer conversions, the first pass)
// against JS loops at shapes off the SIMD blocks, and PCA with integer products against PCA with float32 products
// and against the exact decomposition; when the integer path is taken and when it is not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset, pca, principalCosines, type PcaResult } from "../../bindings/index.js";
import { integerPairs } from "../../bindings/analyses/pca.js";
import { Rng } from "../../bindings/simulate.js";
import { denseCovariance, jacobiEigen, lowRankData } from "./reference.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

const ints = (n: number, lo: number, hi: number, rng: Rng) => Int16Array.from({ length: n }, () => lo + Math.floor(rng.next() * (hi - lo + 1)));

/** Places a typed array in the core's memory; returns its pointer. */
const put = (a: ArrayBufferView) => core.arena.put(a);

/** B (rows x n, 16-bit) as gemmI16's words: pairs of rows, the second zero past the last row. */
function packPairs(B: Int16Array, rows: number, n: number): Int32Array {
  const out = new Int32Array(Math.ceil(rows / 2) * n);
  for (let p = 0; p < rows; p += 2) for (let j = 0; j < n; j++) {
    const lo = B[p * n + j]!, hi = p + 1 < rows ? B[(p + 1) * n + j]! : 0;
    out[(p / 2) * n + j] = (lo & 0xffff) | (hi << 16);
  }
  return out;
}

describe("gemmI16", () => {
  for (const [m, k, n, kcp] of [[1, 1, 1, 256], [5, 3, 9, 256], [7, 300, 17, 5], [4, 256, 8, 256], [13, 513, 30, 64], [70, 40, 33, 1], [3, 0, 5, 256]] as const) {
    it(`C (=, +=) A B exactly for ${m} x ${k} times ${k} x ${n}, ${kcp} pairs per 32-bit sum`, () => {
      const rng = new Rng(m * 1000 + k + n);
      const kp = Math.ceil(k / 2), lda = 2 * kp;
      // Sums stay below 2^24, so every partial sum and float32 addition is exact.
      const A = ints(m * k, -60, 60, rng), B = ints(k * n, -200, 200, rng);
      const Apad = new Int16Array(m * lda);
      for (let i = 0; i < m; i++) Apad.set(A.subarray(i * k, (i + 1) * k), i * lda);
      const C0 = Float32Array.from({ length: m * n }, () => Math.round(rng.next() * 100));
      const pa = put(Apad), pb = put(packPairs(B, k, n)), pc = put(C0);
      try {
        for (const accumulate of [0, 1]) {
          core.arena.f32(pc, m * n).set(C0);
          core.call("gemmI16", m, n, kp, pa, lda, pb, n, pc, n, accumulate, kcp);
          const C = core.arena.f32(pc, m * n);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let s = accumulate ? C0[i * n + j]! : 0;
            for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
            expect(C[i * n + j], `(${i}, ${j}), accumulate ${accumulate}`).toBe(s);
          }
        }
      } finally {
        for (const p of [pa, pb, pc]) core.arena.release(p);
      }
    });
  }

  it("sums the full 16-bit range without overflow when the pairs per sum respect the bound", () => {
    const rng = new Rng(9), m = 4, k = 64, n = 8, span = 2047;
    const kcp = integerPairs({ hi: span, lo: 0, frac: 0 });
    const A = ints(m * k, -span, span, rng), B = ints(k * n, -32767, 32767, rng);
    A.fill(span, 0, k); B.fill(32767); // row 0: the largest possible sum
    const pa = put(A), pb = put(packPairs(B, k, n)), pc = put(new Float32Array(m * n));
    try {
      core.call("gemmI16", m, n, k / 2, pa, k, pb, n, pc, n, 0, kcp);
      const C = core.arena.f32(pc, m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
        expect(Math.abs(C[i * n + j]! - s)).toBeLessThanOrEqual(Math.abs(s) * 2 ** -23 * Math.ceil(k / 2 / kcp));
      }
      expect(C[0]).toBeGreaterThan(0);
    } finally {
      for (const p of [pa, pb, pc]) core.arena.release(p);
    }
  });
});

describe("gemmI16Scaled and gemmI16PackCentredB", () => {
  it("pack each column less its centre with the largest power-of-two scale that fits, and return its reciprocal", () => {
    const rng = new Rng(21);
    for (const [rows, cols] of [[1, 1], [6, 7], [9, 8], [13, 19]] as const) {
      const B = Float32Array.from({ length: rows * cols }, (_, i) => (i % cols === 2 ? 5 : (rng.next() * 2 - 1) * 10 ** ((i % cols) - 3)));
      const centre = Float32Array.from({ length: cols }, (_, j) => (j === 2 ? 5 : rng.next() - 0.5));
      const pb = put(B), pc = put(centre), ps = put(new Float32Array(cols)), po = put(new Int32Array(Math.ceil(rows / 2) * cols));
      try {
        core.call("gemmI16PackCentredB", pb, rows, cols, cols, pc, ps, po);
        const inv = Array.from(core.arena.f32(ps, cols));
        for (let j = 0; j < cols; j++) {
          let most = 0;
          for (let i = 0; i < rows; i++) most = Math.max(most, Math.abs(Math.fround(B[i * cols + j]! - centre[j]!)));
          // The largest power of two s with most * s <= 32767 (1 for a constant column).
          const s = most > 0 ? 2 ** Math.floor(Math.log2(32767 / most)) : 1;
          expect(1 / inv[j]!, `column ${j}`).toBe(most * s > 32767 ? s / 2 : s);
        }
        const rounded = Int16Array.from(B, (v, i) => Math.round(Math.fround(v - centre[i % cols]!) / inv[i % cols]!));
        expect(Array.from(core.arena.i32(po, Math.ceil(rows / 2) * cols))).toEqual(Array.from(packPairs(rounded, rows, cols)));
      } finally {
        for (const p of [pb, pc, ps, po]) core.arena.release(p);
      }
    }
  });

  for (const [m, k, n] of [[5, 3, 9], [9, 300, 17], [4, 8, 8]] as const) {
    it(`gemmI16Scaled adds (A B) diag(scale) for ${m} x ${k} times ${k} x ${n}`, () => {
      const rng = new Rng(m + k + n);
      const kp = Math.ceil(k / 2), lda = 2 * kp;
      const A = ints(m * k, -60, 60, rng), B = ints(k * n, -200, 200, rng);
      const Apad = new Int16Array(m * lda);
      for (let i = 0; i < m; i++) Apad.set(A.subarray(i * k, (i + 1) * k), i * lda);
      // Powers of two: every scaled sum is exact.
      const scale = Float32Array.from({ length: n }, (_, j) => 2 ** ((j % 7) - 3));
      const C0 = Float32Array.from({ length: m * n }, () => Math.round(rng.next() * 100));
      const pa = put(Apad), pb = put(packPairs(B, k, n)), pc = put(C0), ps = put(scale);
      try {
        core.call("gemmI16Scaled", m, n, kp, pa, lda, pb, n, pc, n, 32, ps);
        const C = core.arena.f32(pc, m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
          expect(C[i * n + j], `(${i}, ${j})`).toBe(C0[i * n + j]! + s * scale[j]!);
        }
      } finally {
        for (const p of [pa, pb, pc, ps]) core.arena.release(p);
      }
    });
  }
});

describe("integer conversions", () => {
  it("gemmI16PackB rounds B times each column's scale into pairs of rows", () => {
    const rng = new Rng(4);
    for (const [rows, cols] of [[1, 1], [7, 5], [8, 8], [13, 19]] as const) {
      const B = Float32Array.from({ length: rows * cols }, () => rng.next() * 2 - 1);
      const scale = Float32Array.from({ length: cols }, (_, j) => 2 ** (10 + (j % 5)));
      const pb = put(B), ps = put(scale), po = put(new Int32Array(Math.ceil(rows / 2) * cols));
      try {
        core.call("gemmI16PackB", pb, rows, cols, cols, ps, po);
        const rounded = Int16Array.from(B, (v, i) => Math.round(v * scale[i % cols]!));
        expect(Array.from(core.arena.i32(po, Math.ceil(rows / 2) * cols))).toEqual(Array.from(packPairs(rounded, rows, cols)));
      } finally {
        for (const p of [pb, ps, po]) core.arena.release(p);
      }
    }
  });

  // Blocks of 8 x 8 with frames and pixels left over; values near 0, and (wider dtypes) near 40000 with a centre
  // there too: the 16-bit differences wrap, exact as the difference fits.
  for (const dtype of ["U8", "U16", "U32", "F32"] as const) for (const [n, q, c0, c1, offset] of [[9, 23, 2, 17, 0], [17, 37, 3, 36, dtype === "U8" ? 0 : 40000]] as const) {
    it(`pcaRowsI16${dtype} and pcaColsI16${dtype} give the float32 conversion's values, with a zero after odd lengths (${n} frames, values from ${offset})`, () => {
      const rng = new Rng(dtype.length + n), w = c1 - c0;
      const values = Array.from({ length: n * q }, () => offset + Math.floor(rng.next() * 200));
      const src = dtype === "U8" ? Uint8Array.from(values) : dtype === "U16" ? Uint16Array.from(values) : dtype === "U32" ? Uint32Array.from(values) : Float32Array.from(values);
      const centre = Float32Array.from({ length: q }, () => offset + Math.round(rng.next() * 100));
      const ld = w + 3, even = (n + 1) & ~1;
      // The integer conversions take the centre modulo 2^16 (as pca-passes.ts places it), the float32 one as it is.
      const ps = put(src), pc = put(Int16Array.from(centre)), pcF = put(centre), pr = put(new Int16Array(n * ld).fill(-1)), pt = put(new Int16Array(w * even).fill(-1));
      const pss = put(new Float64Array(q)), pssF = put(new Float64Array(q)), ptF = put(new Float32Array(w * n));
      try {
        core.call(`pcaRowsI16${dtype}`, ps, n, q, c0, c1, pc, pr, ld);
        core.call(`pcaColsI16${dtype}`, ps, n, q, c0, c1, pc, pt, pss);
        core.call(`pcaCols${dtype}`, ps, n, q, c0, c1, pcF, ptF, pssF);
        const i16 = (ptr: number, length: number) => new Int16Array(core.arena.bytes(ptr, 2 * length).buffer, ptr, length);
        const rowsOut = i16(pr, n * ld), colsOut = i16(pt, w * even);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < w; j++) {
            const x = values[r * q + c0 + j]! - centre[c0 + j]!;
            expect(rowsOut[r * ld + j]).toBe(x);
            expect(colsOut[j * even + r]).toBe(x);
          }
          if (w % 2) expect(rowsOut[r * ld + w], "pad after an odd row").toBe(0);
        }
        if (n % 2) for (let j = 0; j < w; j++) expect(colsOut[j * even + n], "pad after an odd column").toBe(0);
        expect(Array.from(core.arena.f64(pss, q))).toEqual(Array.from(core.arena.f64(pssF, q)));
      } finally {
        for (const p of [ps, pc, pcF, pr, pt, pss, pssF, ptF]) core.arena.release(p);
      }
    });
  }

  /** pcaFirstPass on n frames of q pixels: the sketch with a sparse Omega (s non-zeros per pixel), the column sums
   * (added to `sums0`) and the range (widened from hi0, lo0, frac0). */
  function firstPass(dtype: "U8" | "U16" | "U32" | "F32", data: ArrayBufferView & { length: number }, n: number, q: number,
    omega: { s: number; idx: Int32Array; val: Float32Array }, l: number, sums0 = new Float64Array(q)) {
    const pd = put(data), pi = put(omega.idx), pv = put(omega.val), py = put(new Float32Array(n * l).fill(NaN));
    const pw = put(new Float32Array(4 * l).fill(NaN)), psum = put(sums0), pst = put(Float32Array.of(-Infinity, Infinity, 0));
    try {
      core.call(`pcaFirstPass${dtype}`, pd, n, q, pi, pv, omega.s, l, py, pw, psum, pst, pst + 4, pst + 8);
      return { Y: Array.from(core.arena.f32(py, n * l)), sums: Array.from(core.arena.f64(psum, q)), range: Array.from(core.arena.f32(pst, 3)) };
    } finally {
      for (const p of [pd, pi, pv, py, pw, psum, pst]) core.arena.release(p);
    }
  }

  it("pcaFirstPass gives the sparse sketch, the column sums and the range of any dtype, any frame count and width", () => {
    const rng = new Rng(41);
    for (const dtype of ["U8", "U16", "U32", "F32"] as const) {
      for (const [n, q, l, s] of [[1, 1, 3, 1], [3, 5, 4, 2], [4, 8, 7, 3], [7, 23, 9, 4], [9, 16, 8, 4]] as const) {
        // Small integers with many zeros (every product and sum exact), one value 7.5 in float32 data.
        const values = Array.from({ length: n * q }, () => (rng.next() < 0.4 ? 0 : Math.floor(rng.next() * 200)));
        if (dtype === "F32") values[Math.floor(rng.next() * values.length)] = 7.5;
        const data = dtype === "U8" ? Uint8Array.from(values) : dtype === "U16" ? Uint16Array.from(values) : dtype === "U32" ? Uint32Array.from(values) : Float32Array.from(values);
        const idx = new Int32Array(q * s), val = new Float32Array(q * s);
        for (let j = 0; j < q; j++) {
          const cols = [...Array(l).keys()].sort(() => rng.next() - 0.5).slice(0, s);
          cols.forEach((c, t) => { idx[j * s + t] = c; val[j * s + t] = rng.next() < 0.5 ? -0.5 : 0.5; });
        }
        const sums0 = Float64Array.from({ length: q }, () => Math.floor(rng.next() * 10));
        const got = firstPass(dtype, data, n, q, { s, idx, val }, l, sums0);
        const Y = new Array(n * l).fill(0), sums = Array.from(sums0);
        for (let r = 0; r < n; r++) for (let j = 0; j < q; j++) {
          sums[j] += values[r * q + j]!;
          for (let t = 0; t < s; t++) Y[r * l + idx[j * s + t]!] += values[r * q + j]! * val[j * s + t]!;
        }
        const what = `${dtype}, ${n} frames of ${q} pixels`;
        expect(got.Y, what).toEqual(Y);
        expect(got.sums, what).toEqual(sums);
        expect(got.range, what).toEqual([Math.max(...values), Math.min(...values), dtype === "F32" ? 0.5 : 0]);
      }
    }
  });

  it("pcaFirstPass's range says how far any value is from an integer, NaN for values that are not finite", () => {
    const omega = { s: 1, idx: new Int32Array(5), val: new Float32Array(5).fill(1) };
    const range = (data: Float32Array) => firstPass("F32", data, 1, data.length, omega, 1).range;
    expect(range(Float32Array.of(1, 2, -3, 4, 5))).toEqual([5, -3, 0]);
    expect(range(Float32Array.of(1, 2, 3, 4, 5.25))).toEqual([5.25, 1, 0.25]);
    expect(range(Float32Array.of(1, 2.5, 3, 4, 5))[2]).toBe(0.5);
    expect(range(Float32Array.of(1, 2, NaN, 4, 5))[2]).toBeNaN();
    expect(range(Float32Array.of(1, 2, 3, 4, Infinity))[2]).toBeNaN();
  });

  it("integerPairs allows integer products only for integer data of a range up to 2048", () => {
    expect(integerPairs({ hi: 26, lo: 0, frac: 0 })).toBe(256);
    expect(integerPairs({ hi: 2048, lo: 0, frac: 0 })).toBe(16);
    expect(integerPairs({ hi: 2049, lo: 0, frac: 0 })).toBe(0);
    expect(integerPairs({ hi: 1000, lo: -1049, frac: 0 })).toBe(0);
    expect(integerPairs({ hi: 26, lo: 0, frac: 0.5 })).toBe(0);
    expect(integerPairs({ hi: 26, lo: 0, frac: NaN })).toBe(0);
    // The bound: no 32-bit sum of kcp pairs of products can overflow.
    for (const span of [1, 26, 255, 1000, 2048]) expect(2 * integerPairs({ hi: span, lo: 0, frac: 0 }) * span * 32767).toBeLessThan(2 ** 31);
  });
});

describe("PCA with integer products", () => {
  const shape = [12, 15, 8, 9], P = 180, Q = 72, k = 6;
  const columnsOf = (r: PcaResult) => {
    const out = new Float64Array(Q * r.k);
    for (let i = 0; i < r.k; i++) for (let q = 0; q < Q; q++) out[q * r.k + i] = r.components[i * Q + q]!;
    return out;
  };

  for (const meanCenter of [false, true]) {
    it(`${meanCenter ? "mean-centred" : "raw"}: matches the float32 products and the exact decomposition`, async () => {
      const data = lowRankData(P, Q, 8, 6, 11, new Uint16Array(P * Q), 40);
      const ds = memoryDataset(data, shape);
      const o = { components: k, meanCenter, oversample: 10, powerIterations: 4, seed: 2 };
      const int = await pca(core, ds, o), flt = await pca(core, ds, { ...o, integerProducts: false });
      expect(int.arithmetic).toBe("int16");
      expect(flt.arithmetic).toBe("float32");
      const ref = jacobiEigen(denseCovariance(data, P, Q, meanCenter), Q);
      for (let i = 0; i < k; i++) {
        expect(Math.abs(int.eigenvalues[i]! - ref.values[i]!) / ref.values[i]!).toBeLessThan(1e-5);
        expect(Math.abs(int.eigenvalues[i]! - flt.eigenvalues[i]!) / flt.eigenvalues[i]!).toBeLessThan(1e-5);
      }
      // The integer path's total is exact; the float32 path's carries its float32 centring (about 1e-9 here).
      expect(Math.abs(int.totalVariance - flt.totalVariance) / flt.totalVariance).toBeLessThan(1e-7);
      for (const c of principalCosines(columnsOf(int), columnsOf(flt), Q, k, k)) expect(c).toBeGreaterThan(1 - 1e-6);
      // Scores are the projections of the (centred) data on the components.
      const mean = meanCenter ? int.mean! : new Float32Array(Q);
      for (const p of [0, 77, P - 1]) for (let i = 0; i < k; i++) {
        let s = 0;
        for (let q = 0; q < Q; q++) s += (data[p * Q + q]! - mean[q]!) * int.components[i * Q + q]!;
        expect(Math.abs(int.scores[p * k + i]! - s)).toBeLessThan(1e-4 * Math.sqrt(int.eigenvalues[0]! * P));
      }
    });
  }

  it("multiplies in float32 when the data are not integers, span more than 2048, or integer products are turned off", async () => {
    const rng = new Rng(3);
    const cases: [string, ArrayBufferView & ArrayLike<number>, "int16" | "float32"][] = [
      ["small u8 counts", Uint8Array.from({ length: P * Q }, () => Math.floor(rng.next() * 5)), "int16"],
      ["integer-valued float32", Float32Array.from({ length: P * Q }, () => Math.floor(rng.next() * 30) - 10), "int16"],
      ["float32 with fractions", Float32Array.from({ length: P * Q }, () => rng.next() * 30), "float32"],
      ["u16 spanning 3000", Uint16Array.from({ length: P * Q }, () => Math.floor(rng.next() * 3000)), "float32"],
    ];
    for (const [name, data, expected] of cases) {
      const r = await pca(core, memoryDataset(data as Uint8Array, shape), { components: 3 });
      expect(r.arithmetic, name).toBe(expected);
    }
    const off = await pca(core, memoryDataset(cases[0]![1] as Uint8Array, shape), { components: 3, integerProducts: false });
    expect(off.arithmetic).toBe("float32");
  });
});
