// Electron counting: the kernel against a plain JS reading of stempy's rule, the threshold fit against known
// Gaussians, precision and recall on simulated frames with known electron positions, and independence from the
// number of workers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, DTYPES, type Dtype, memoryDataset, type TypedArrayOf, allocTyped } from "../../bindings/index.js";
import { Rng } from "../../bindings/simulate.js";
import { sampleIndices } from "../../bindings/pipeline.js";
import { middleDeviation } from "../../codec/gaussian-fit.js";
import { type SparseEvents, concatEvents, countElectrons, countingThresholds, fitGaussian, GaussianFitter, simulateElectronFrames } from "../../bindings/index.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

/** stempy's rule, literally: corrected value kept when bg < v < xray; a kept pixel above all existing neighbours. */
function countRef(frame: ArrayLike<number>, rows: number, cols: number, dark: Float32Array, gain: Float32Array | undefined, bg: number, xray: number): number[] {
  const v = new Float32Array(rows * cols);
  for (let q = 0; q < rows * cols; q++) {
    let x = Math.fround(frame[q]! - dark[q]!);
    if (gain) x = Math.fround(x * gain[q]!);
    v[q] = x > bg && x < xray ? x : 0;
  }
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = v[r * cols + c]!;
      if (!(x > 0)) continue;
      let max = true;
      for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr, cc = c + dc;
        if ((dr || dc) && rr >= 0 && rr < rows && cc >= 0 && cc < cols && !(x > v[rr * cols + cc]!)) max = false;
      }
      if (max) out.push(r * cols + c);
    }
  }
  return out;
}

async function countAll(ds: ReturnType<typeof memoryDataset>, o: Parameters<typeof countElectrons>[2], c = core): Promise<SparseEvents> {
  const blocks: SparseEvents[] = [];
  await countElectrons(c, ds, o, (ev) => { blocks.push(ev); }, undefined);
  return concatEvents(blocks);
}

describe("counting kernel", () => {
  for (const dtype of DTYPES) {
    for (const [rows, cols] of [[1, 1], [1, 6], [5, 1], [7, 9], [16, 16], [33, 17]] as const) {
      it(`matches stempy's rule for ${dtype} ${rows}x${cols}, with dark, gain and ties`, async () => {
        const rng = new Rng(rows * 100 + cols, dtype.length);
        const frames = 5, q = rows * cols;
        const data: TypedArrayOf = allocTyped(dtype, frames * q);
        // Small integers so neighbours tie often; a few large values play X-rays.
        for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.02 ? 200 : Math.floor(rng.next() * 6) + 10;
        const dark = Float32Array.from({ length: q }, () => 10 + Math.floor(rng.next() * 2));
        const gain = Float32Array.from({ length: q }, () => 0.5 + rng.next());
        const ev = await countAll(memoryDataset(data, [frames, 1, rows, cols]), { dark, gain, threshold: 0.9, xrayThreshold: 100, blockBytes: 2 * q });
        for (let f = 0; f < frames; f++) {
          const ref = countRef(data.subarray(f * q, (f + 1) * q), rows, cols, dark, gain, Math.fround(0.9), 100);
          expect(Array.from(ev.pixels.subarray(ev.offsets[f]!, ev.offsets[f + 1]!)), `frame ${f}`).toEqual(ref);
        }
      });
    }
  }
});

describe("threshold fit", () => {
  it("recovers mean and sigma of a Gaussian under an electron tail", () => {
    const rng = new Rng(5, 5);
    const v = new Float32Array(400000);
    for (let i = 0; i < v.length; i++) v[i] = rng.next() < 0.03 ? 30 + 20 * rng.next() : 3.2 + 4.7 * rng.normal();
    const fit = fitGaussian(v);
    expect(fit.mean).toBeCloseTo(3.2, 1);
    expect(Math.abs(fit.sigma / 4.7 - 1)).toBeLessThan(0.02);
  });

  it("handles integer-valued data with integer bins", () => {
    const rng = new Rng(6, 6);
    const v = new Float32Array(300000);
    for (let i = 0; i < v.length; i++) v[i] = Math.round(100 + 2.5 * rng.normal());
    const fit = fitGaussian(v);
    expect(Math.abs(fit.mean - 100)).toBeLessThan(0.05);
    // Rounding adds 1/12 to the variance.
    expect(Math.abs(fit.sigma / Math.sqrt(2.5 ** 2 + 1 / 12) - 1)).toBeLessThan(0.02);
  });

  it("puts the background threshold at the fit's mean + 4 sigma, the X-ray one at the plain mean + 10 std", async () => {
    const sim = simulateElectronFrames({ scan: [4, 4], detector: [64, 64], seed: 3 });
    const th = await countingThresholds(core, sim.dataset, { dark: sim.dark, sampleFrames: 16 });
    // Noise sigma 5 plus rounding to integers; the dark map is the true one, so the mean is ~0.
    const sigma = Math.sqrt(25 + 1 / 12);
    expect(Math.abs(th.fit!.sigma / sigma - 1)).toBeLessThan(0.03);
    expect(Math.abs(th.fit!.mean)).toBeLessThan(0.2);
    expect(th.background).toBeCloseTo(th.fit!.mean + 4 * th.fit!.sigma, 6);
    expect(th.xray).toBeCloseTo(th.sample!.mean + 10 * th.sample!.std, 6);
    expect(th.sample!.std).toBeGreaterThan(th.fit!.sigma); // the electrons widen the plain spread
  });

  it("fits values given in blocks (two passes) exactly as the whole array, for any split", () => {
    const rng = new Rng(8, 8);
    for (const integer of [false, true]) {
      const v = new Float32Array(700001);
      for (let i = 0; i < v.length; i++) { const x = rng.next() < 0.02 ? 40 * rng.next() : 2 + 3 * rng.normal(); v[i] = integer ? Math.round(x) : x; }
      const whole = fitGaussian(v);
      for (const cuts of [[1], [262143, 262144, 5], [100000, 333333, 333331]]) {
        const blocks: Float32Array[] = [];
        let at = 0;
        for (const n of [...cuts, v.length]) { blocks.push(v.subarray(at, Math.min(v.length, at + n))); at = Math.min(v.length, at + n); }
        const fitter = new GaussianFitter(v.length);
        blocks.forEach((b) => fitter.sample(b));
        blocks.forEach((b) => fitter.count(b));
        expect(fitter.fit()).toEqual(whole);
      }
    }
  });

  it("finds the median absolute deviation of sorted values as sorting the deviations does (ties, NaN, f32 or f64)", () => {
    const rng = new Rng(9, 9);
    for (const [n, nans] of [[1, 0], [2, 0], [7, 0], [1000, 0], [1001, 3], [9, 5], [4, 4]] as const) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = i < nans ? NaN : rng.next() < 0.3 ? Math.round(4 * rng.normal()) : 4 * rng.normal();
      for (const sorted of [Float64Array.from(v).sort(), Float32Array.from(v).sort()]) {
        const median = sorted[n >> 1]!;
        const dev = Float64Array.from(sorted, (x) => Math.abs(x - median)).sort();
        expect(middleDeviation(sorted, median)).toBe(dev[n >> 1]!);
      }
    }
  });

  it("fits f32 values as the same values in f64 (the sample is kept in the values' precision)", () => {
    const rng = new Rng(10, 10);
    const v = Float32Array.from({ length: 300001 }, () => (rng.next() < 0.02 ? 40 * rng.next() : 2 + 3 * rng.normal()));
    expect(fitGaussian(v)).toEqual(fitGaussian(Float64Array.from(v)));
  });

  it("fits the thresholds of the whole sample, read a few frames at a time (the sample is never held whole)", async () => {
    const sim = simulateElectronFrames({ scan: [6, 8], detector: [64, 64], seed: 4 });
    const big = await countingThresholds(core, sim.dataset, { dark: sim.dark, sampleFrames: 24 });
    // The X-ray rule in straight JS over every sampled corrected value (float64 sums in frame order).
    const frames = new Uint16Array(24 * 64 * 64);
    const picks = sampleIndices(48, 24);
    const all = new Uint8Array(48 * 64 * 64 * 2);
    await sim.dataset.source.readFrames(0, 48, all);
    const src = new Uint16Array(all.buffer);
    picks.forEach((f, k) => frames.set(src.subarray(f * 4096, (f + 1) * 4096), k * 4096));
    const values = Float32Array.from(frames, (x, i) => Math.fround(x - sim.dark[i % 4096]!));
    let sum = 0, ss = 0;
    values.forEach((x) => { sum += x; });
    const mean = sum / values.length;
    values.forEach((x) => { ss += (x - mean) ** 2; });
    expect(big.sample).toEqual({ mean, std: Math.sqrt(ss / values.length), values: values.length });
  });
});

/** Precision and recall over electrons with no other electron within 2 pixels (Chebyshev distance). */
function score(truth: Uint32Array, found: Uint32Array, cols: number): { tp: number; fp: number; fn: number } {
  const rc = (q: number) => [Math.floor(q / cols), q % cols] as const;
  const near = (a: number, b: number, d: number) => { const [r1, c1] = rc(a), [r2, c2] = rc(b); return Math.abs(r1 - r2) <= d && Math.abs(c1 - c2) <= d; };
  const isolated = Array.from(truth, (t, i) => !Array.from(truth).some((u, j) => j !== i && near(t, u, 2)));
  const used = new Uint8Array(found.length);
  let tp = 0, fn = 0;
  truth.forEach((t, i) => {
    if (!isolated[i]) return;
    const k = Array.from(found).findIndex((f, j) => !used[j] && near(t, f, 1));
    if (k >= 0) { used[k] = 1; tp++; } else fn++;
  });
  // Detections near a crowded electron are not judged; every other unmatched detection is a false positive.
  let fp = 0;
  found.forEach((f, j) => {
    if (used[j]) return;
    if (Array.from(truth).some((t, i) => !isolated[i] && near(t, f, 2))) return;
    fp++;
  });
  return { tp, fp, fn };
}

describe("counting simulated frames at 0.01 electrons per pixel", () => {
  it("has precision and recall of at least 0.98 on isolated electrons", async () => {
    const sim = simulateElectronFrames({ scan: [6, 6], detector: [96, 96], dose: 0.01, seed: 11 });
    const blocks: SparseEvents[] = [];
    const r = await countElectrons(core, sim.dataset, { dark: sim.dark }, (ev) => { blocks.push(ev); });
    const ev = concatEvents(blocks);
    let tp = 0, fp = 0, fn = 0;
    for (let f = 0; f < 36; f++) {
      const s = score(sim.electrons(f), ev.pixels.subarray(ev.offsets[f]!, ev.offsets[f + 1]!), 96);
      tp += s.tp; fp += s.fp; fn += s.fn;
    }
    const precision = tp / (tp + fp), recall = tp / (tp + fn);
    expect(tp).toBeGreaterThan(2000);
    expect(precision).toBeGreaterThanOrEqual(0.98);
    expect(recall).toBeGreaterThanOrEqual(0.98);
    expect(r.electrons).toBe(ev.pixels.length);
  });

  it("ignores X-rays (above the X-ray threshold)", async () => {
    const sim = simulateElectronFrames({ scan: [2, 8], detector: [64, 64], dose: 0.001, xrays: 3, seed: 4 });
    const ev = await countAll(sim.dataset as ReturnType<typeof memoryDataset>, { dark: sim.dark });
    let hits = 0, total = 0;
    for (let f = 0; f < 16; f++) {
      const found = new Set(ev.pixels.subarray(ev.offsets[f]!, ev.offsets[f + 1]!));
      for (const x of sim.xrays(f)) { total++; if (found.has(x)) hits++; }
    }
    expect(total).toBeGreaterThan(20);
    expect(hits).toBe(0);
  });

  it("gives the same events with 2 workers as on the main thread", async () => {
    const sim = simulateElectronFrames({ scan: [3, 5], detector: [48, 40], seed: 8 });
    const a = await countAll(sim.dataset as ReturnType<typeof memoryDataset>, { dark: sim.dark, blockBytes: 5 * 48 * 40 * 2 });
    const pool = await Core.create({ workers: 2 });
    try {
      const b = await countAll(sim.dataset as ReturnType<typeof memoryDataset>, { dark: sim.dark }, pool);
      expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
      expect(Array.from(b.pixels)).toEqual(Array.from(a.pixels));
    } finally {
      await pool.close();
    }
  });
});

export type { Dtype };
