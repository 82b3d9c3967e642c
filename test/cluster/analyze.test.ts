import { describe, it, expect, beforeAll, afterAll } from "vitest";
import "../../bindings/node.js";
import { Core, frameBytes, frameCount, memoryDataset, simulateTwoPhase, type Dataset } from "../../bindings/index.js";
import { analyze, analyzePlan } from "../../bindings/analyses/analyze.js";
import { adjustedRandIndex } from "./helpers.js";

/** Renders a simulated dataset once into memory (the simulator renders frames on every read). */
async function materialize(ds: Dataset): Promise<Dataset> {
  const bytes = new Uint8Array(frameCount(ds) * frameBytes(ds));
  await ds.source.readFrames(0, frameCount(ds), bytes);
  return memoryDataset(new Float32Array(bytes.buffer), ds.shape);
}

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

describe("analyze on simulated two-phase data", () => {
  // Every (simulator seed, analysis seed) pair, raw and mean-centred, unbinned: the dendrogram's 2-cluster cut of the
  // 36 k-means centroids is the phase map. (With the simulator's within-cell contrast turned up - pattern shifts of
  // 0.4 bright-field radii, 60% of the dose moving into the halo on a column - the top split follows the position in
  // the unit cell instead, for stem4d and for scikit-learn + SciPy alike; summing 3 x 3 probe positions recovers the
  // phases there: the last case.)
  const [sr, sc] = [72, 72];
  const cases: [number, number, boolean][] = [[1, 0, false], [2, 1, false], [3, 2, true], [4, 3, true]];

  it.each(cases)("the 2-cluster cut is the phase map (simulator seed %i, seed %i, mean-centred %s)", async (simSeed, seed, meanCenter) => {
    const sim = simulateTwoPhase({ scan: [sr, sc], detector: [32, 32], seed: simSeed, dtype: "f32" });
    const r = await analyze(core, await materialize(sim.dataset), { components: 64, k: 36, cuts: [8, 2], seed, meanCenter });
    const cut2 = r.levels.find((l) => l.clusters === 2)!.labels;
    expect(adjustedRandIndex(cut2, sim.truth.phase)).toBeGreaterThanOrEqual(0.98);
  }, 60_000);

  it("with strong within-cell contrast, 3 x 3 scan binning recovers the phases", async () => {
    const scan = 3;
    const sim = simulateTwoPhase({ scan: [sr, sc], detector: [32, 32], seed: 1, dtype: "f32", maxShift: 1, haloFraction: 0.1, columnContrast: 0.6, braggBeating: 0.3 });
    const r = await analyze(core, await materialize(sim.dataset), { scanBin: scan, components: 64, k: 36, cuts: [8, 2], seed: 0 });
    expect(r.shape).toEqual([24, 24, 32, 32]);
    const [R, C] = [sr / scan, sc / scan];
    const truth: number[] = [], fraction: number[] = [];
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let a = 0; a < scan; a++) for (let b = 0; b < scan; b++) s += sim.truth.phase[(i * scan + a) * sc + j * scan + b]!;
        fraction.push(s / (scan * scan));
        truth.push(s / (scan * scan) > 0.5 ? 1 : 0);
      }
    }
    const cut2 = r.levels.find((l) => l.clusters === 2)!.labels;
    const pure = fraction.map((f, i) => (f === 0 || f === 1 ? i : -1)).filter((i) => i >= 0);
    expect(adjustedRandIndex(pure.map((i) => cut2[i]!), pure.map((i) => truth[i]!))).toBeGreaterThanOrEqual(0.98);
    expect(adjustedRandIndex(cut2, truth)).toBeGreaterThanOrEqual(0.95);
  }, 60_000);
});

describe("analyze: the pieces fit together", () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await materialize(simulateTwoPhase({ scan: [20, 18], detector: [24, 24], seed: 4, dtype: "f32", dose: 4000 }).dataset);
  });

  it("cut labels, mean patterns and virtual images agree with the frames and the k-means labels", async () => {
    const r = await analyze(core, ds, { components: 12, k: 9, cuts: [4, 2], seed: 1, replicates: 3 });
    const P = 360, Q = 576;
    const frames = new Float32Array(P * Q);
    await ds.source.readFrames(0, P, new Uint8Array(frames.buffer));
    expect(r.levels.map((l) => [l.kind, l.clusters])).toEqual([["k", 9], ["cut", 4], ["cut", 2]]);
    for (const level of r.levels) {
      if (level.kind === "cut") for (let i = 0; i < P; i++) expect(level.labels[i]).toBe(level.groupOfCluster![r.kmeans.labels[i]!]);
      for (let c = 0; c < level.clusters; c++) {
        const members = [...level.labels.keys()].filter((i) => level.labels[i] === c);
        expect(level.counts[c]).toBe(members.length);
        for (const q of [0, 100, 287, 575]) {
          let s = 0;
          for (const i of members) s += frames[i * Q + q]!;
          expect(level.means[c * Q + q]).toBeCloseTo(s / members.length, 2);
        }
      }
    }
    // Virtual bright field: the frame sums inside the disk found.
    const { cy, cx } = r.virtual.center, rad = r.virtual.bfRadius;
    for (const i of [0, 77, 359]) {
      let s = 0;
      for (let q = 0; q < Q; q++) if ((Math.floor(q / 24) - cy) ** 2 + ((q % 24) - cx) ** 2 <= rad * rad) s += frames[i * Q + q]!;
      expect(r.virtual.bf[i]).toBeCloseTo(s, 0);
    }
    expect(r.stages.map((s) => s.stage)).toEqual(["PCA (reads and bins the frames)", "k-means", "linkage and cuts", "virtual images and mean patterns"]);
    expect(r.linkage.matrix.length).toBe(8 * 4);
  });

  it("gives the same clusters with and without workers", async () => {
    const o = { components: 12, k: 9, cuts: [3], seed: 2, replicates: 2 };
    const a = await analyze(core, ds, o);
    const serial = await Core.create({ workers: 0 });
    try {
      const b = await analyze(serial, ds, o);
      expect(Array.from(b.kmeans.labels)).toEqual(Array.from(a.kmeans.labels));
      expect(Array.from(b.linkage.matrix)).toEqual(Array.from(a.linkage.matrix));
    } finally {
      await serial.close();
    }
  });

  it("with the full spectrum keeps every eigenvalue, led by the components it clusters", async () => {
    const o = { components: 12, k: 9, cuts: [3], seed: 2, replicates: 2 };
    const [a, full] = [await analyze(core, ds, o), await analyze(core, ds, { ...o, fullSpectrum: true })];
    expect(full.pca.eigenvalues.length).toBe(360); // min(P, Q) = min(360, 576)
    for (let i = 0; i < 12; i++) expect(full.pca.eigenvalues[i]! / a.pca.eigenvalues[i]!).toBeCloseTo(1, 3);
    for (let i = 1; i < 360; i++) expect(full.pca.eigenvalues[i]!).toBeLessThanOrEqual(full.pca.eigenvalues[i - 1]!);
    expect(full.pca.scores.length).toBe(360 * 12);
    expect(Array.from(full.kmeans.labels)).toEqual(Array.from(a.kmeans.labels));
    expect(() => analyzePlan(memoryDataset(new Float32Array(4 * 4 * 130 * 130), [4, 4, 130, 130]), { bin: 1, fullSpectrum: true })).toThrow(/fullSpectrum: the binned detector has 16900 pixels; at most 16384/);
  });

  it("resolves defaults against the data and rejects impossible options", () => {
    expect(analyzePlan(ds, {})).toMatchObject({ bin: 1, components: 256, dims: 256, k: 36, cuts: [16, 4], method: "ward", distance: "sqeuclidean" });
    const small = memoryDataset(new Float32Array(3 * 4 * 8 * 8), [3, 4, 8, 8]);
    // 12 positions: every data-dependent default is lowered, and each says so once.
    const plan = analyzePlan(small, {});
    expect(plan).toMatchObject({ components: 12, dims: 12, k: 6, cuts: [4] });
    expect(plan.adapted.map((a) => [a.option, a.value, a.default])).toEqual([["components", "12", "256"], ["dims", "12", "256"], ["k", "6", "36"], ["cuts", "4", "16,4"]]);
    expect(analyzePlan(ds, {}).adapted).toEqual([]);
    // Explicit values that cannot work name the option and the default for this data.
    expect(() => analyzePlan(small, { k: 13 })).toThrow(/^k: 13 clusters exceed the 12 probe positions \(default: 6 here\)$/);
    expect(() => analyzePlan(small, { k: 3, cuts: [16] })).toThrow(/cuts: each must be an integer in \[1, 3\] \(k\), got 16 \(default: 2 here\)/);
    expect(() => analyzePlan(small, { components: 13 })).toThrow(/components: expected an integer in \[1, 12\].*\(default: 12 here\)/);
    const big = memoryDataset(new Uint8Array(2 * 1 * 200 * 190), [2, 1, 200, 190]);
    expect(analyzePlan(big, {}).bin).toBe(3);
    expect(() => analyzePlan(ds, { k: 361 })).toThrow(/k: 361 clusters exceed the 360 probe positions/);
    expect(() => analyzePlan(ds, { components: 10, dims: 11 })).toThrow(/dims: expected an integer in \[1, 10\]/);
    expect(() => analyzePlan(ds, { k: 9, cuts: [10] })).toThrow(/cuts: each must be an integer in \[1, 9\]/);
    expect(() => analyzePlan(ds, { bin: 25 })).toThrow(/leaves no pixel/);
    expect(analyzePlan(ds, { scanBin: 3, k: 36 })).toMatchObject({ scanBin: 3, k: 36 }); // 6 x 6 positions
    expect(() => analyzePlan(ds, { scanBin: 4, k: 21 })).toThrow(/k: 21 clusters exceed the 20 probe positions/); // 5 x 4
    expect(() => analyzePlan(ds, { scanBin: 19 })).toThrow(/needs a 2D scan of at least 19 x 19/);
  });

  it("reports NaN in the data clearly", async () => {
    const data = new Float32Array(6 * 6 * 8 * 8).fill(1);
    data[5 * 64 + 9] = NaN;
    await expect(analyze(core, memoryDataset(data, [6, 6, 8, 8]), { components: 4, k: 3, cuts: [2] })).rejects.toThrow(/NaN/);
  });
});
