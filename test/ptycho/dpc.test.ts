// DPC: Fourier integration against a closed-form periodic phase, the minimum-curl scan frame against known
// rotations and flips (synthetic fields and the physical simulator, within 1 degree), and iCoM against the
// simulator's true phase (Pearson >= 0.9).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import "../../bindings/node.js";
import { Core } from "../../bindings/index.js";
import { curlFreeFrame, differentialPhaseContrast, integrateCom } from "../../bindings/analyses/dpc.js";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import { scanToDetector, wavelengthA } from "../../bindings/electron-optics.js";
import { simulateProbe } from "../../bindings/simulate-probe.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

/** A periodic phase on a 40 x 48 grid and its exact deflection (mrad): theta = lambda grad(phi) / (2 pi). */
function periodicPhase(kv: number, step: number) {
  const [ny, nx] = [40, 48], lambda = wavelengthA(kv);
  const phi = new Float32Array(ny * nx), ty = new Float32Array(ny * nx), tx = new Float32Array(ny * nx);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const a = (2 * Math.PI * 3 * y) / ny, b = (2 * Math.PI * 5 * x) / nx, i = y * nx + x;
      phi[i] = 0.3 * Math.sin(a) * Math.cos(b) + 0.1 * Math.cos(b);
      const dy = (0.3 * Math.cos(a) * Math.cos(b) * 2 * Math.PI * 3) / (ny * step);
      const dx = (-(0.3 * Math.sin(a) + 0.1) * Math.sin(b) * 2 * Math.PI * 5) / (nx * step);
      ty[i] = ((lambda * dy) / (2 * Math.PI)) * 1e3;
      tx[i] = ((lambda * dx) / (2 * Math.PI)) * 1e3;
    }
  }
  return { ny, nx, phi, ty, tx };
}

describe("iCoM", () => {
  it("integrates the deflection of a periodic phase back to that phase (radians)", () => {
    const { ny, nx, phi, ty, tx } = periodicPhase(200, 0.3);
    const got = integrateCom(core, ty, tx, ny, nx, { kv: 200, stepA: [0.3, 0.3] });
    const mean = phi.reduce((s, v) => s + v, 0) / phi.length;
    for (let i = 0; i < phi.length; i++) expect(got[i]!).toBeCloseTo(phi[i]! - mean, 4);
  });

  it("a high-pass damps the low frequencies only", () => {
    const { ny, nx, ty, tx } = periodicPhase(200, 0.3);
    const plain = integrateCom(core, ty, tx, ny, nx, { kv: 200, stepA: [0.3, 0.3] });
    const damped = integrateCom(core, ty, tx, ny, nx, { kv: 200, stepA: [0.3, 0.3], highpass: 0.2 });
    // The phase holds frequencies (3/12, 5/14.4) 1/A and (0, 5/14.4): each scaled by |q|^2 / (|q|^2 + 0.04).
    const q2 = (3 / 12) ** 2 + (5 / 14.4) ** 2;
    const ratio = pearson(damped, plain);
    expect(ratio).toBeGreaterThan(0.99);
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms(damped) / rms(plain)).toBeGreaterThan(q2 / (q2 + 0.04) - 0.05);
    expect(rms(damped) / rms(plain)).toBeLessThan(1);
  });
});

describe("scan frame by minimum curl", () => {
  for (const [rotationDeg, flip] of [[25, false], [-70, true], [160, false]] as const) {
    it(`finds a rotation of ${rotationDeg} degrees${flip ? " with a flip" : ""} in a synthetic gradient field`, () => {
      // A field of atom-like phase bumps (positive, sharp): its gradient, seen in detector axes.
      const [ny, nx] = [32, 32], dy = new Float32Array(ny * nx), dx = new Float32Array(ny * nx);
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const u = (2 * Math.PI * y) / 8, v = (2 * Math.PI * x) / 8;
          // phi = exp(cos u + cos v): peaked on a lattice.
          const e = Math.exp(Math.cos(u) + Math.cos(v));
          const [a, b] = scanToDetector(-Math.sin(u) * e, -Math.sin(v) * e, { rotationDeg, flip });
          dy[y * nx + x] = a; dx[y * nx + x] = b;
        }
      }
      const f = curlFreeFrame(dy, dx, ny, nx);
      expect(f.flip).toBe(flip);
      expect(Math.abs(((f.rotationDeg - rotationDeg + 540) % 360) - 180)).toBeLessThan(1);
    });
  }
});

describe("DPC on the physical simulator", () => {
  for (const [rotationDeg, flip] of [[25, false], [-110, true]] as const) {
    it(`finds the scan rotation (${rotationDeg} degrees${flip ? ", flipped" : ""}) within 1 degree; iCoM correlates with the true phase >= 0.9`, async () => {
      const sim = simulateProbe(core, { scan: [40, 40], detector: [48, 48], alphaMrad: 20, stepA: 0.2, rotationDeg, flip, dose: 1e5 });
      const r = await differentialPhaseContrast(core, sim.dataset, { kv: 300, stepA: [0.2, 0.2], mradPerPixel: 1, center: { cy: 24, cx: 24 } });
      expect(r.frame.flip).toBe(flip);
      expect(Math.abs(((r.frame.rotationDeg - rotationDeg + 540) % 360) - 180)).toBeLessThan(1);
      expect(pearson(r.phase, sim.phase)).toBeGreaterThanOrEqual(0.9);
      sim.close();
    });
  }
});
