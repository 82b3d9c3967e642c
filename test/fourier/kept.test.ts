// The spectrum's passes keep the plain scan transform at chosen bins, so the Fourier analysis takes its CBED patterns
// and Bragg maps from them instead of a pass of its own; when the peaks were not among the bins kept, one more pass
// gives the same result. The peaks to expect come from a low-rank model of the data (PCA's scores).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset, simulateTwoPhase } from "../../bindings/index.js";
import { scanPowerSpectrum } from "../../bindings/analyses/fourier-scan.js";
import { scanDft } from "../../bindings/analyses/fourier-cbed.js";
import { fourierAnalysis, type FourierAnalysis } from "../../bindings/analyses/fourier-analysis.js";
import { findPeaks } from "../../bindings/analyses/fourier-peaks.js";
import { modelPeaks } from "../../bindings/analyses/fourier-model.js";
import { runReduction } from "../../bindings/executor.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let err = 0, max = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); max = Math.max(max, Math.abs(b[i]!)); }
  return err / max;
};

describe("bins kept by the spectrum's passes", () => {
  it("equal the scan DFT of every pixel, in one pass or several, with an odd number of pixels", async () => {
    const [ny, nx, rows, cols] = [6, 10, 3, 5];
    const ds = memoryDataset(Float32Array.from({ length: ny * nx * rows * cols }, (_, i) => Math.sin(i * 0.37) + (i % 7)), [ny, nx, rows, cols]);
    const bins = [{ ky: 1, kx: 2 }, { ky: -2, kx: 3 }, { ky: 0, kx: 0 }, { ky: 3, kx: -5 }, { ky: 1, kx: 2 }];
    const ref = await runReduction(core, ds, scanDft(bins.slice(0, 4)));
    for (const [memoryBytes, passes] of [[1 << 20, 1], [ny * nx * 8 * 3, 3]] as const) {
      let partial: Float64Array | undefined;
      const sp = await scanPowerSpectrum(core, ds, { memoryBytes, keep: (p) => { partial = p; return bins; } });
      expect(sp.passes).toBe(passes);
      expect(sp.kept!.bins).toEqual(bins.slice(0, 4)); // the repeated bin once
      expect(worst(sp.kept!.dft, ref)).toBeLessThan(1e-6);
      // The partial power is the whole spectrum when one pass covers the detector, and less otherwise.
      const total = sp.power.reduce((a, b) => a + b), part = partial!.reduce((a, b) => a + b);
      if (passes === 1) expect(part).toBeCloseTo(total, 6);
      else expect(part).toBeLessThan(total);
    }
  });

  it("rejects a fractional bin", async () => {
    const ds = memoryDataset(new Float32Array(4 * 4 * 2 * 2).fill(1), [4, 4, 2, 2]);
    await expect(scanPowerSpectrum(core, ds, { keep: () => [{ ky: 0.5, kx: 1 }] })).rejects.toThrow(/kept bin must be integer, got \(0.5, 1\)/);
  });
});

describe("Fourier analysis without a pass of its own", () => {
  const sim = simulateTwoPhase({ scan: [40, 40], detector: [12, 12], seed: 5 });
  const memoryBytes = 40 * 40 * 8 * 24; // 24 pixel pairs per pass: 3 passes over the 144 pixels
  const same = (a: FourierAnalysis, b: FourierAnalysis) => {
    expect(a.frequencies).toEqual(b.frequencies);
    a.cbed.forEach((c, i) => {
      expect(worst(c.re, b.cbed[i]!.re)).toBeLessThan(1e-5);
      expect(worst(c.im, b.cbed[i]!.im)).toBeLessThan(1e-5);
    });
    a.filters.forEach((f, i) => expect(worst(f.maps[0]!, b.filters[i]!.maps[0]!)).toBeLessThan(1e-5));
  };

  it("takes the patterns and maps from the spectrum when the peaks were expected, equal to the extra pass's", async () => {
    const at = [{ ky: 2, kx: -3 }];
    // One pass: the first pass's share of the spectrum is all of it, so its peaks are the peaks.
    const one = await fourierAnalysis(core, sim.dataset, { at, peaks: 4 });
    expect([one.patterns, one.passes]).toEqual(["spectrum", 1]);
    // Three passes, the peaks expected (as a model of the data would predict them).
    const likely = one.peaks.map((p) => ({ ky: p.ky, kx: p.kx }));
    const kept = await fourierAnalysis(core, sim.dataset, { memoryBytes, at, peaks: 4, likely });
    expect([kept.patterns, kept.passes]).toEqual(["spectrum", 3]);
    // Nothing expected: the patterns need their own pass.
    const pass = await fourierAnalysis(core, sim.dataset, { memoryBytes, at, peaks: 4, likely: [] });
    expect([pass.patterns, pass.passes]).toEqual(["pass", 4]);
    expect(pass.cbed).toHaveLength(5);
    same(kept, pass);
    same(one, pass);
  });

  it("uses a kept bin's mate for a frequency asked as -k, and given filters' bins", async () => {
    const base = await fourierAnalysis(core, sim.dataset, { memoryBytes, peaks: 1, likely: [] });
    const p = base.peaks[0]!;
    const filters = [{ ky: p.ky + 0.3, kx: p.kx, radius: 1.5 }];
    const a = await fourierAnalysis(core, sim.dataset, { memoryBytes, peaks: 0, at: [{ ky: -p.ky, kx: -p.kx }], filters, likely: [{ ky: p.ky, kx: p.kx }] });
    const b = await fourierAnalysis(core, sim.dataset, { memoryBytes, peaks: 0, at: [{ ky: -p.ky, kx: -p.kx }], filters, likely: [] });
    expect(a.patterns).toBe("spectrum"); // -k from +k's disk; the filter's own bins kept as given
    expect(b.patterns).toBe("spectrum"); // the filter's bins and the --at bin itself are always kept
    same(a, b);
    // F(-k) = conj F(k) for real data.
    const k = base.cbed[0]!, mate = a.cbed[0]!;
    expect(worst(mate.re, k.re)).toBeLessThan(1e-5);
    expect(worst(mate.im.map((v) => -v), k.im)).toBeLessThan(1e-5);
  });
});

describe("peaks a low-rank model predicts", () => {
  it("are the data's peaks when the data are the model: scores times orthonormal components", async () => {
    // D = S V^T with V a rotation of 3 pixels: the summed scan spectrum of D is that of the 3 score maps.
    const [ny, nx, k] = [16, 12, 3];
    const S = Float32Array.from({ length: ny * nx * k }, (_, i) => {
      const p = Math.floor(i / k), y = Math.floor(p / nx), x = p % nx, j = i % k;
      return Math.cos((2 * Math.PI * (j + 1) * y) / ny + j) * (3 - j) + Math.sin((2 * Math.PI * (2 * j + 1) * x) / nx) * (j + 1) + ((i * 7919) % 13) / 13;
    });
    const a = 0.6, b = 0.8; // V = [[1, 0, 0], [0, a, -b], [0, b, a]]
    const V = [[1, 0, 0], [0, a, -b], [0, b, a]];
    const D = new Float32Array(ny * nx * 3);
    for (let p = 0; p < ny * nx; p++) for (let q = 0; q < 3; q++) for (let j = 0; j < k; j++) D[p * 3 + q]! += S[p * k + j]! * V[q]![j]!;
    const { power } = await scanPowerSpectrum(core, memoryDataset(D, [ny, nx, 1, 3]), { window: "hann" });
    const expected = findPeaks(power, ny, nx, { count: 5 }).map((p) => ({ ky: p.ky, kx: p.kx }));
    expect(await modelPeaks(core, S, ny, nx, k, 5)).toEqual(expected);
    await expect(modelPeaks(core, S, ny, nx + 1, k, 5)).rejects.toThrow(/576 scores, expected 16 x 13 positions x 3/);
  });
});
