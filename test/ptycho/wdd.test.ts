// Wigner distribution deconvolution: against a straightforward numpy WDD (wdd_reference.py: the whole 4D FFT in
// memory, the inverse transform over the detector and the division by the probe's ambiguity function per scan
// frequency) on a small simulated scan, independent of how the frames are split into ranges, and on the physical
// simulator against the true phase (correlation >= 0.9).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "../../bindings/node.js";
import { Core, finishState, mergeStates, runPartials, writeDatasetNpy } from "../../bindings/node.js";
import { simulateProbe, type ProbeSimulationOptions } from "../../bindings/simulate-probe.js";
import { ptychoReduction, wignerDeconvolution, type WddParameters } from "../../bindings/analyses/wdd.js";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import { probeParameters } from "../../bindings/electron-optics.js";
import { decodeNpyArray } from "../../bindings/npy.js";
import { hasPython } from "../helpers/python.js";

const REFERENCE = fileURLToPath(new URL("./wdd_reference.py", import.meta.url));

let core: Core, dir: string;
beforeAll(async () => { core = await Core.create({ workers: 2 }); dir = mkdtempSync(join(tmpdir(), "stem4d-wdd-")); });
afterAll(async () => { await core.close(); rmSync(dir, { recursive: true, force: true }); });

function simulated(o: ProbeSimulationOptions) {
  const sim = simulateProbe(core, o);
  const p = probeParameters(sim.dataset, {}, "test");
  const center = (sim.dataset.calibration!.probe as { center: { cy: number; cx: number } }).center;
  return { sim, params: { ...p, center } as WddParameters };
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

describe.skipIf(!hasPython(["numpy"]))("WDD equals a numpy WDD", () => {
  it("defocus and C3, rotated and flipped odd-sided scan, Poisson counts (u16)", async () => {
    const { sim, params } = simulated({ scan: [13, 11], detector: [32, 32], alphaMrad: 15, stepA: 0.25, rotationDeg: 17,
      flip: true, defocusA: 40, c3mm: 0.5, dose: 2e4 });
    const p = { ...params, epsilon: 0.01 };
    const ours = await wignerDeconvolution(core, sim.dataset, p);
    const data = join(dir, "wdd.npy"), json = join(dir, "wdd.json"), out = join(dir, "wdd.ref.npy");
    await writeDatasetNpy(sim.dataset, data);
    writeFileSync(json, JSON.stringify({ ...p, center: [p.center.cy, p.center.cx] }));
    execFileSync("/usr/bin/python3", [REFERENCE, data, json, out], { cwd: fileURLToPath(new URL(".", import.meta.url)) });
    const ref = decodeNpyArray(readFileSync(out), out).data;
    expect(maxRelative(ours.object, ref)).toBeLessThan(1e-4);
    sim.close();
  });
});

describe("WDD as a reduction", () => {
  it("gives the same object from two frame ranges merged as from one pass", async () => {
    const { sim, params } = simulated({ scan: [12, 10], detector: [32, 32], alphaMrad: 12, stepA: 0.3, dose: 5e3 });
    const { reduction: r } = ptychoReduction("wdd", params, sim.dataset.shape);
    const whole = await wignerDeconvolution(core, sim.dataset, params);
    const [a] = await runPartials(core, sim.dataset, [r], { range: [0, 37] });
    const [b] = await runPartials(core, sim.dataset, [r], { range: [37, 120] });
    const merged = finishState(core, sim.dataset, r, mergeStates(core, sim.dataset, r, a!, b!));
    expect(maxRelative(merged.object, whole.object)).toBeLessThan(1e-6);
    sim.close();
  });
});

describe("WDD on the physical simulator", () => {
  it("correlates with the true phase at >= 0.9 (defocused probe, weak absorption, Poisson counts)", async () => {
    const { sim, params } = simulated({ scan: [40, 40], detector: [48, 48], alphaMrad: 20, stepA: 0.2, dose: 1e5,
      defocusA: 30, absorption: 0.05 });
    const r = await wignerDeconvolution(core, sim.dataset, params);
    expect(pearson(r.phase, sim.phase)).toBeGreaterThanOrEqual(0.9);
    sim.close();
  });
});
