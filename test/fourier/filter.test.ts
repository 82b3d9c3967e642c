// Peak finding on power spectra, the FFT of virtual images, and Bragg filtering against brute-force references.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset } from "../../bindings/index.js";
import { findPeaks, fftShift, subpixelOffset } from "../../bindings/analyses/fourier-peaks.js";
import { braggFilter, diskBins } from "../../bindings/analyses/fourier-bragg.js";
import { virtualImageSpectrum } from "../../bindings/analyses/fourier-virtual.js";
import { runReduction } from "../../bindings/executor.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

function data(n: number, seed: number, max: number): Uint16Array {
  let s = seed;
  return new Uint16Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 8) % max; });
}

describe("peak finding", () => {
  // Gaussian peaks (and their mates) on a small background: the log-parabola recovers Gaussian centres exactly.
  const ny = 40, nx = 36;
  const truth = [{ y: 5.3, x: -7.2, a: 100 }, { y: 7.25, x: 4.1, a: 60 }, { y: 0, x: 9.4, a: 30 }];
  const power = new Float64Array(ny * nx);
  for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) {
    let v = 0.01;
    for (const t of truth) for (const s of [1, -1]) {
      // Distance on the periodic grid.
      const dy = ((((iy - s * t.y) % ny) + ny + ny / 2) % ny) - ny / 2, dx = ((((ix - s * t.x) % nx) + nx + nx / 2) % nx) - nx / 2;
      v += t.a * Math.exp(-(dy * dy + dx * dx) / 1.5);
    }
    power[iy * nx + ix] = v;
  }
  power[0] = 1e6; // DC dominates, as in real data, and is never a peak

  it("finds the strongest peaks once per +-k pair, at sub-pixel positions, with their mates", () => {
    const peaks = findPeaks(power, ny, nx, { count: 3 });
    expect(peaks).toHaveLength(3);
    peaks.forEach((p, i) => {
      const t = truth[i]!;
      const sgn = Math.sign(p.y - 0) === Math.sign(t.y) || (p.y === 0 && t.y === 0) ? 1 : -1;
      const want = t.y === 0 ? (p.x > 0 ? 1 : -1) * Math.sign(t.x) : sgn;
      expect(p.y).toBeCloseTo(want * t.y, 1);
      expect(p.x).toBeCloseTo(want * t.x, 1);
      expect(p.mate.y).toBeCloseTo(-p.y, 1);
      expect(p.mate.x).toBeCloseTo(-p.x, 1);
      expect(p.mate.power).toBe(p.power);
      expect(p.period).toBeCloseTo(1 / Math.hypot(p.y / ny, p.x / nx), 6);
    });
    // Upper half plane: ky > 0, or ky = 0 and kx > 0.
    for (const p of peaks) expect(p.ky > 0 || (p.ky === 0 && p.kx > 0)).toBe(true);
  });

  it("groups peaks of equal |k| into families and honours count and minRadius", () => {
    const sq = new Float64Array(32 * 32).fill(1);
    for (const [y, x] of [[4, 0], [0, 4], [-4, 0], [0, -4], [6, 6], [-6, -6]]) sq[((y + 32) % 32) * 32 + ((x + 32) % 32)] = y === 6 || y === -6 ? 50 : 100;
    const p = findPeaks(sq, 32, 32, { count: 10 });
    expect(p.map((q) => [q.ky, q.kx])).toEqual([[0, 4], [4, 0], [6, 6]]);
    expect(p.map((q) => q.family)).toEqual([0, 0, 1]);
    expect(findPeaks(sq, 32, 32, { count: 10, minRadius: 5 }).map((q) => [q.ky, q.kx])).toEqual([[6, 6]]);
    expect(findPeaks(sq, 32, 32, { count: 1 })).toHaveLength(1);
  });

  it("sub-pixel offsets: exact for a Gaussian, a parabola when a sample is not positive", () => {
    const g = (d: number) => Math.exp(-((d - 0.3) ** 2) / 2);
    expect(subpixelOffset(g(-1), g(0), g(1))).toBeCloseTo(0.3, 10);
    expect(subpixelOffset(0, 1, 0)).toBeCloseTo(0, 12);
    expect(subpixelOffset(-1, 1, 0)).toBeCloseTo(1 / 6, 10);
    expect(subpixelOffset(1, 1, 1)).toBeCloseTo(0, 12);
  });

  it("fftShift puts DC in the middle, as numpy", () => {
    const a = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(Array.from(fftShift(a, 3, 5))).toEqual([13, 14, 10, 11, 12, 3, 4, 0, 1, 2, 8, 9, 5, 6, 7]);
  });

  it("rejects a spectrum of the wrong size", () => {
    expect(() => findPeaks(new Float64Array(5), 2, 3)).toThrow(/needs 6 values/);
  });
});

describe("FFT of a virtual image", () => {
  it("equals the naive DFT of the JS virtual image", async () => {
    const [ny, nx, R, C] = [6, 10, 4, 4];
    const S = data(ny * nx * R * C, 3, 500);
    const mask = new Float32Array(R * C).map((_, i) => (i % 3 === 0 ? 1 : 0.5));
    const r = await virtualImageSpectrum(core, memoryDataset(S, [ny, nx, R, C]), mask);
    const img = new Float64Array(ny * nx);
    for (let f = 0; f < ny * nx; f++) for (let q = 0; q < R * C; q++) img[f] += S[f * R * C + q]! * mask[q]!;
    let err = 0, max = 0;
    for (let ky = 0; ky < ny; ky++) for (let kx = 0; kx < nx; kx++) {
      let re = 0, im = 0;
      for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
        const t = -2 * Math.PI * (ky * y / ny + kx * x / nx);
        re += img[y * nx + x]! * Math.cos(t); im += img[y * nx + x]! * Math.sin(t);
      }
      const k = ky * nx + kx;
      err = Math.max(err, Math.hypot(r.spectrum[2 * k]! - re, r.spectrum[2 * k + 1]! - im));
      max = Math.max(max, Math.hypot(re, im));
      const p2 = r.spectrum[2 * k]! ** 2 + r.spectrum[2 * k + 1]! ** 2;
      expect(Math.abs(r.power[k]! - p2)).toBeLessThanOrEqual(1e-6 * p2);
    }
    expect(err / max).toBeLessThan(1e-5);
  });
});

describe("Bragg filtering", () => {
  it("disk bins are the integer bins within the radius, wrapped and signed", () => {
    expect(diskBins({ ky: 0, kx: 0, radius: 1 }, 8, 8)).toEqual([{ ky: -1, kx: 0 }, { ky: 0, kx: -1 }, { ky: 0, kx: 0 }, { ky: 0, kx: 1 }, { ky: 1, kx: 0 }]);
    expect(diskBins({ ky: 3.5, kx: 0, radius: 0.6 }, 8, 8)).toEqual([{ ky: 3, kx: 0 }, { ky: -4, kx: 0 }]);
    expect(diskBins({ ky: 0, kx: 0, radius: 5 }, 3, 3)).toHaveLength(9);
  });

  it("equals masking the full transform, inverting it and summing |.|^2 over the detector or a region", async () => {
    const [ny, nx, R, C] = [8, 6, 2, 3];
    const Q = R * C, P = ny * nx;
    const S = data(P * Q, 17, 300);
    const filters = [{ ky: 2, kx: 1, radius: 1.2 }, { ky: -3, kx: 0, radius: 0.5 }];
    const region = new Float32Array([1, 0, 1, 0, 0.5, 1]);
    const r = await runReduction(core, memoryDataset(S, [ny, nx, R, C]), braggFilter(filters, { regions: [new Float32Array(Q).fill(1), region] }), { tileFrames: 5 });
    for (const [fi, f] of filters.entries()) {
      const keep = new Set(diskBins(f, ny, nx).map((b) => `${(b.ky + ny) % ny},${(b.kx + nx) % nx}`));
      for (const [ri, w] of [new Float32Array(Q).fill(1), region].entries()) {
        const ref = new Float64Array(P);
        for (let q = 0; q < Q; q++) {
          // Brute force: DFT of pixel q over the scan, mask, inverse DFT.
          const F: [number, number][] = [];
          for (let ky = 0; ky < ny; ky++) for (let kx = 0; kx < nx; kx++) {
            let re = 0, im = 0;
            if (keep.has(`${ky},${kx}`)) {
              for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
                const t = -2 * Math.PI * (ky * y / ny + kx * x / nx);
                re += S[(y * nx + x) * Q + q]! * Math.cos(t); im += S[(y * nx + x) * Q + q]! * Math.sin(t);
              }
            }
            F.push([re, im]);
          }
          for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
            let re = 0, im = 0;
            for (let ky = 0; ky < ny; ky++) for (let kx = 0; kx < nx; kx++) {
              const [a, b] = F[ky * nx + kx]!;
              const t = 2 * Math.PI * (ky * y / ny + kx * x / nx), c = Math.cos(t), s = Math.sin(t);
              re += a * c - b * s; im += a * s + b * c;
            }
            ref[y * nx + x] += w[q]! * ((re / P) ** 2 + (im / P) ** 2);
          }
        }
        const ours = r[fi]!.maps[ri]!;
        const top = Math.max(...ref.map(Math.sqrt));
        for (let i = 0; i < P; i++) expect(Math.abs(ours[i]! - Math.sqrt(ref[i]!)) / top).toBeLessThan(1e-4);
      }
    }
  });

  it("rejects empty disks, bad radii and regions of the wrong size", async () => {
    const ds = memoryDataset(new Uint16Array(4 * 4 * 2 * 2), [4, 4, 2, 2]);
    expect(() => braggFilter([])).toThrow(/no filters/);
    expect(() => braggFilter([{ ky: 1, kx: 1, radius: -1 }])).toThrow(/radius -1/);
    await expect(runReduction(core, ds, braggFilter([{ ky: 0.5, kx: 0.5, radius: 0.2 }]))).rejects.toThrow(/holds no integer bin/);
    await expect(runReduction(core, ds, braggFilter([{ ky: 1, kx: 1, radius: 1 }], { regions: [new Float32Array(3)] }))).rejects.toThrow(/region 0 has 3 pixels/);
  });
});

describe("the whole analysis and its figures", () => {
  it("autoFilters: 0.45 of the distance to the nearest other frequency, mate or DC, within 1..3 bins", async () => {
    const { autoFilters } = await import("../../bindings/analyses/fourier-analysis.js");
    expect(autoFilters([{ ky: 0, kx: 10 }, { ky: 0, kx: 12 }]).map((f) => f.radius)).toEqual([1, 1]);
    expect(autoFilters([{ ky: 0, kx: 4 }]).map((f) => f.radius)).toEqual([1.8]);
    expect(autoFilters([{ ky: 20, kx: 0 }]).map((f) => f.radius)).toEqual([3]);
  });

  it("fourierFigures names one figure per output, indexed --at first, then peaks; phases cyclic", async () => {
    const { fourierAnalysis, fourierFigures } = await import("../../bindings/analyses/fourier-analysis.js");
    const ds = memoryDataset(data(12 * 10 * 3 * 3, 5, 100), [12, 10, 3, 3]);
    const a = await fourierAnalysis(core, ds, { peaks: 2, at: [{ ky: 1, kx: 1 }] });
    expect(a.frequencies.map((f) => f.source)).toEqual(["at", "peak", "peak"]);
    expect(a.cbed).toHaveLength(3);
    expect(a.filters).toHaveLength(3);
    const figs = await fourierFigures(core, ds, { analysis: a });
    expect(Object.keys(figs).sort()).toEqual(["cbed_amp_0", "cbed_amp_1", "cbed_amp_2", "cbed_phase_0", "cbed_phase_1", "cbed_phase_2", "filtered_0", "filtered_1", "filtered_2", "power"]);
    const { mapFigurePng } = await import("../../bindings/figures/map-figure.js");
    for (const f of Object.values(figs)) {
      expect(Array.from((await mapFigurePng(f.figure)).subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(f.caption.length).toBeGreaterThan(20);
      expect(f.figure.title.length).toBeGreaterThan(10);
    }
    expect(figs.cbed_phase_0!.figure.kind).toBe("phase");
    expect(figs.power!.figure.title).toContain("Hann");
    expect(figs.power!.caption).toMatch(/Peaks: \(/);
  });
});
