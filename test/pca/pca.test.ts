// PCA against an exact dense decomposition (float64 covariance, cyclic Jacobi) on small data of every dtype, raw and
// mean-centred: eigenvalues, the subspace of the components (principal angles), scores = projections, totals;
// determinism over worker counts and seeds; and the errors for bad requests and bad data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, DTYPES, allocTyped, memoryDataset, pca, pcaPlan, principalCosines, type PcaResult } from "../../bindings/index.js";
import { denseCovariance, jacobiEigen, lowRankData } from "./reference.js";

let core: Core, core2: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); core2 = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); await core2.close(); });

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Components as a Q x k matrix (columns), for principal angles. */
function columnsOf(r: PcaResult, Q: number): Float64Array {
  const out = new Float64Array(Q * r.k);
  for (let i = 0; i < r.k; i++) for (let q = 0; q < Q; q++) out[q * r.k + i] = r.components[i * Q + q]!;
  return out;
}

describe("PCA against a dense Jacobi decomposition", () => {
  const shape = [9, 10, 6, 7], P = 90, Q = 42;
  for (const dtype of DTYPES) {
    for (const meanCenter of [false, true]) {
      it(`${dtype}, ${meanCenter ? "mean-centred" : "raw"}: eigenvalues, subspace, scores and total variance`, async () => {
        const data = lowRankData(P, Q, 8, 6, 7, allocTyped(dtype, P * Q), dtype === "u8" ? 60 : 300);
        const k = 6;
        const r = await pca(core, memoryDataset(data, shape), { components: k, meanCenter, oversample: 10, powerIterations: 6, seed: 3 });
        const ref = jacobiEigen(denseCovariance(data, P, Q, meanCenter), Q);
        for (let i = 0; i < k; i++) expect(relErr(r.eigenvalues[i]!, ref.values[i]!), `eigenvalue ${i}`).toBeLessThan(2e-5);
        const trace = ref.values.reduce((a, b) => a + b, 0);
        expect(relErr(r.totalVariance, trace)).toBeLessThan(1e-6);
        for (let i = 0; i < k; i++) expect(r.explainedRatio[i]).toBeCloseTo(r.eigenvalues[i]! / r.totalVariance, 12);
        // Principal angles between the computed and the exact leading subspaces (the eigenvalues are distinct here,
        // so every angle must be small), and each component against its own eigenvector.
        const refK = new Float64Array(Q * k);
        for (let q = 0; q < Q; q++) for (let i = 0; i < k; i++) refK[q * k + i] = ref.vectors[q * Q + i]!;
        const cos = principalCosines(columnsOf(r, Q), refK, Q, k, k);
        expect(Math.min(...cos)).toBeGreaterThan(1 - 1e-5);
        for (let i = 0; i < k; i++) {
          let dot = 0;
          for (let q = 0; q < Q; q++) dot += r.components[i * Q + q]! * ref.vectors[q * Q + i]!;
          expect(Math.abs(dot), `component ${i}`).toBeGreaterThan(1 - 1e-4);
        }
        // Scores are the projections of the (centred) frames on the components.
        const mean = new Float64Array(Q);
        if (meanCenter) for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) mean[q]! += data[p * Q + q]! / P;
        let worst = 0, scale = 0;
        for (let p = 0; p < P; p++) for (let i = 0; i < k; i++) {
          let s = 0;
          for (let q = 0; q < Q; q++) s += (data[p * Q + q]! - mean[q]!) * r.components[i * Q + q]!;
          worst = Math.max(worst, Math.abs(s - r.scores[p * k + i]!));
          scale = Math.max(scale, Math.abs(s));
        }
        expect(worst / scale).toBeLessThan(1e-5);
        if (meanCenter) for (let q = 0; q < Q; q++) expect(relErr(r.mean![q]!, mean[q]!)).toBeLessThan(1e-6);
        else expect(r.mean).toBeUndefined();
      });
    }
  }

  it("leading 50 eigenvalues within 1e-3 when 128 components are computed with the default iterations", async () => {
    // As in the paper's use: many more components than are looked at closely; a slowly decaying spectrum.
    const P = 300, Q = 200;
    const data = lowRankData(P, Q, 90, 4, 11, new Float32Array(P * Q));
    for (const meanCenter of [false, true]) {
      const r = await pca(core2, memoryDataset(data, [15, 20, 10, 20]), { components: 128, meanCenter });
      const ref = jacobiEigen(denseCovariance(data, P, Q, meanCenter), Q);
      let worst = 0;
      for (let i = 0; i < 50; i++) worst = Math.max(worst, relErr(r.eigenvalues[i]!, ref.values[i]!));
      expect(worst).toBeLessThan(1e-3);
    }
  });

  it("block Krylov and subspace iteration both reach the exact leading eigenvalues; Krylov is more accurate per pass", async () => {
    const P = 400, Q = 240;
    const data = lowRankData(P, Q, 120, 4, 13, new Float32Array(P * Q));
    const ref = jacobiEigen(denseCovariance(data, P, Q, true), Q);
    const ds = memoryDataset(data, [20, 20, 12, 20]);
    const worst = (r: PcaResult, n: number) => Math.max(...Array.from({ length: n }, (_, i) => relErr(r.eigenvalues[i]!, ref.values[i]!)));
    const kr = await pca(core2, ds, { components: 40, meanCenter: true, method: "krylov" });
    expect([kr.method, kr.block, kr.blocks, kr.subspace, kr.passes]).toEqual(["krylov", 16, 7, 112, 9]);
    const sub = await pca(core2, ds, { components: 40, meanCenter: true, method: "subspace" });
    expect([sub.method, sub.block, sub.blocks, sub.passes]).toEqual(["subspace", 56, 1, 5]);
    // Nine strong components, then a slowly decaying noise floor where randomized methods converge slowly.
    expect(worst(kr, 9)).toBeLessThan(1e-5);
    expect(worst(sub, 9)).toBeLessThan(1e-5);
    // In the floor, Krylov's 14 products with 16 columns (cheaper than subspace iteration's 6 with 56) land far closer.
    expect(worst(kr, 30)).toBeLessThan(worst(sub, 30) / 3);
    // Krylov's blocks are mutually orthogonal, so its components are orthonormal too.
    for (let i = 0; i < 40; i += 13) for (let j = 0; j < 40; j += 7) {
      let d = 0;
      for (let q = 0; q < Q; q++) d += kr.components[i * Q + q]! * kr.components[j * Q + q]!;
      expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-4);
    }
    const again = await pca(core, ds, { components: 40, meanCenter: true, method: "krylov" });
    expect(Array.from(again.scores)).toEqual(Array.from(kr.scores));
  });

  it("plans q + 2 Krylov blocks of a quarter of k + oversample columns, at least 16 where 16 fit, else subspace iteration", () => {
    const plan = (scan: number[], det: number[], o: Parameters<typeof pcaPlan>[1]) => {
      const p = pcaPlan(memoryDataset(new Uint16Array(scan[0]! * scan[1]! * det[0]! * det[1]!), [...scan, ...det]), o);
      return [p.method, p.b, p.d, p.passes];
    };
    // The paper's size: 7 blocks of 64 (a Krylov space of 448 = 1.75 k), 9 passes; oversample widens the blocks.
    expect(plan([192, 192], [96, 96], { components: 256 })).toEqual(["krylov", 64, 7, 9]);
    expect(plan([192, 192], [96, 96], { components: 256, oversample: 16 })).toEqual(["krylov", 72, 7, 9]);
    // A quarter of 30 rounds to 8 columns; 16 fit in min(P, Q) = 480 (7 x 16 = 112), so blocks take 16.
    expect(plan([24, 20], [48, 48], { components: 30 })).toEqual(["krylov", 16, 7, 9]);
    // 72 pixels: 6 blocks of 16 would not fit, 6 of 8 do.
    expect(plan([12, 15], [8, 9], { components: 6, powerIterations: 4 })).toEqual(["krylov", 8, 6, 8]);
    // 7 blocks of 8 do not fit in 42 pixels: subspace iteration on k + 16 = 36 columns, widened to 40 (a multiple of 8
    // that fits), with Krylov's q = 5.
    expect(plan([9, 10], [6, 7], { components: 20 })).toEqual(["subspace", 40, 6, 8]);
    expect(plan([24, 20], [48, 48], { components: 30, method: "subspace" })).toEqual(["subspace", 48, 3, 5]);
  });

  it("gives bit-identical results on 0 and 2 workers, and for the same seed", async () => {
    const data = lowRankData(120, 60, 5, 3, 5, new Uint16Array(120 * 60));
    const ds = memoryDataset(data, [10, 12, 6, 10]);
    const a = await pca(core, ds, { components: 5, seed: 9 });
    const b = await pca(core2, ds, { components: 5, seed: 9 });
    expect(Array.from(b.eigenvalues)).toEqual(Array.from(a.eigenvalues));
    expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
    expect(Array.from(b.components)).toEqual(Array.from(a.components));
    const c = await pca(core, ds, { components: 5, seed: 10 });
    expect(Array.from(c.scores)).not.toEqual(Array.from(a.scores));
    for (let i = 0; i < 3; i++) expect(relErr(c.eigenvalues[i]!, a.eigenvalues[i]!)).toBeLessThan(1e-5);
  });

  it("orients every component so that its largest-magnitude pixel is positive", async () => {
    const data = lowRankData(60, 30, 4, 2, 3, new Float32Array(60 * 30));
    const r = await pca(core, memoryDataset(data, [6, 10, 5, 6]), { components: 4 });
    for (let i = 0; i < 4; i++) {
      const row = Array.from(r.components.subarray(i * 30, (i + 1) * 30));
      const big = row.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it("handles data of lower rank than the subspace: the extra eigenvalues are zero", async () => {
    // Exactly rank 3 (no noise), 8 components asked for.
    const P = 40, Q = 24, data = new Float32Array(P * Q);
    for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) data[p * Q + q] = (p % 5) * Math.sin(q) + (p % 3) * Math.cos(2 * q) + 1;
    const r = await pca(core, memoryDataset(data, [5, 8, 4, 6]), { components: 8 });
    const ref = jacobiEigen(denseCovariance(data, P, Q, false), Q);
    for (let i = 0; i < 3; i++) expect(relErr(r.eigenvalues[i]!, ref.values[i]!)).toBeLessThan(1e-5);
    for (let i = 3; i < 8; i++) expect(r.eigenvalues[i]!).toBeLessThan(1e-6 * r.eigenvalues[0]!);
    // The components still form an orthonormal set.
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
      let d = 0;
      for (let q = 0; q < Q; q++) d += r.components[i * Q + q]! * r.components[j * Q + q]!;
      expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-4);
    }
  });

  it("allows k = min(P, Q): every direction of a 12 x 20 matrix", async () => {
    const data = lowRankData(12, 20, 12, 5, 2, new Float32Array(240));
    const r = await pca(core, memoryDataset(data, [3, 4, 4, 5]), { components: 12, meanCenter: false });
    const ref = jacobiEigen(denseCovariance(data, 12, 20, false), 20);
    for (let i = 0; i < 12; i++) expect(relErr(r.eigenvalues[i]!, ref.values[i]!)).toBeLessThan(1e-3);
    expect(r.explainedRatio.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe("PCA errors", () => {
  const ds = memoryDataset(lowRankData(20, 12, 3, 1, 1, new Float32Array(240)), [4, 5, 3, 4]);

  it("rejects more components than min(P, Q), and non-positive or fractional counts", async () => {
    await expect(pca(core, ds, { components: 13 })).rejects.toThrow(/13 is more than min\(P, Q\) = min\(20 probe positions, 12 detector pixels\) = 12/);
    await expect(pca(core, ds, { components: 0 })).rejects.toThrow(/components: expected a positive integer, got 0/);
    await expect(pca(core, ds, { components: 2.5 })).rejects.toThrow(RangeError);
    await expect(pca(core, ds, { components: 2, powerIterations: -1 })).rejects.toThrow(/powerIterations/);
    await expect(pca(core, ds, { components: 2, oversample: 1.5 })).rejects.toThrow(/oversample/);
    await expect(pca(core, ds, { components: 2, method: "lanczos" as "krylov" })).rejects.toThrow(/method: expected "krylov" or "subspace"/);
  });

  it("names the detector pixel when the data contain NaN or infinity", async () => {
    const data = lowRankData(20, 12, 3, 1, 1, new Float32Array(240));
    data[7 * 12 + 6] = NaN; // frame 7, pixel (row 1, column 2) of a 3 x 4 detector
    await expect(pca(core, memoryDataset(data, [4, 5, 3, 4], "bad.npy"), { components: 2 })).rejects.toThrow(/bad\.npy: the data contain NaN or infinite values \(detector pixel row 1, column 2\)/);
    data[7 * 12 + 6] = Infinity;
    await expect(pca(core, memoryDataset(data, [4, 5, 3, 4]), { components: 2 })).rejects.toThrow(/NaN or infinite/);
  });
});
