// Single-side-band ptychography: against a straightforward numpy SSB (ssb_reference.py: the whole 4D FFT in
// memory) on small simulated scans, independent of how the frames are split into ranges, and on the physical
// simulator against the true phase: correlation >= 0.9 and a finer FRC resolution than the bright-field image.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "../../bindings/node.js";
import {
  Core, finishState, memoryDataset, mergeStates, runPartials, runReductions, writeDatasetNpy,
} from "../../bindings/node.js";
import { simulateProbe, type ProbeSimulationOptions } from "../../bindings/simulate-probe.js";
import { singleSideBand, ssbReduction } from "../../bindings/analyses/ssb.js";
import { checkSsbParameters, ssbTables, type SsbParameters } from "../../bindings/analyses/ssb-plan.js";
import { fourierRingCorrelation, pearson } from "../../bindings/analyses/ssb-metrics.js";
import { probeParameters } from "../../bindings/electron-optics.js";
import { decodeNpyArray } from "../../bindings/npy.js";
import { hasPython } from "../helpers/python.js";

const REFERENCE = fileURLToPath(new URL("./ssb_reference.py", import.meta.url));

let core: Core, dir: string;
beforeAll(async () => { core = await Core.create({ workers: 2 }); dir = mkdtempSync(join(tmpdir(), "stem4d-ssb-")); });
afterAll(async () => { await core.close(); rmSync(dir, { recursive: true, force: true }); });

function simulated(o: ProbeSimulationOptions) {
  const sim = simulateProbe(core, o);
  const p = probeParameters(sim.dataset, {}, "test");
  const center = (sim.dataset.calibration!.probe as { center: { cy: number; cx: number } }).center;
  return { sim, params: { ...p, center } as SsbParameters };
}

/** numpy's object (complex128 as re, im pairs) for the dataset written to DIR/name.npy. */
async function reference(name: string, sim: ReturnType<typeof simulateProbe>, p: SsbParameters): Promise<Float64Array> {
  const data = join(dir, `${name}.npy`), params = join(dir, `${name}.json`), out = join(dir, `${name}.ref.npy`);
  await writeDatasetNpy(sim.dataset, data);
  writeFileSync(params, JSON.stringify({ ...p, center: [p.center.cy, p.center.cx] }));
  execFileSync("/usr/bin/python3", [REFERENCE, data, params, out]);
  return decodeNpyArray(readFileSync(out), out).data;
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

describe.skipIf(!hasPython(["numpy"]))("SSB equals a numpy SSB on small cases", () => {
  it("focused probe, rotated odd-sided scan, Poisson counts (u16)", async () => {
    // Odd scan sides: numpy's frequency order for odd n, and a prime row length (a Bluestein FFT in the kernel).
    const { sim, params } = simulated({ scan: [19, 17], detector: [40, 40], alphaMrad: 15, stepA: 0.25, rotationDeg: 17,
      dose: 2e4 });
    const ours = await singleSideBand(core, sim.dataset, params);
    const ref = await reference("focused", sim, params);
    expect(maxRelative(ours.object, ref)).toBeLessThan(1e-4);
    sim.close();
  });

  it("defocus and C3 corrected, flipped scan, Wiener filter (f32)", async () => {
    const { sim, params } = simulated({ scan: [16, 20], detector: [36, 36], alphaMrad: 12, stepA: 0.3, defocusA: 40,
      c3mm: 0.5,
      flip: true, rotationDeg: -30, dose: Infinity });
    const p = { ...params, wiener: 0.05 };
    const ours = await singleSideBand(core, sim.dataset, p);
    const ref = await reference("aberrated", sim, p);
    expect(maxRelative(ours.object, ref)).toBeLessThan(1e-4);
    sim.close();
  });
});

describe("SSB as a reduction", () => {
  it("gives the same object from two frame ranges merged as from one pass", async () => {
    const { sim, params } = simulated({ scan: [12, 10], detector: [32, 32], alphaMrad: 12, stepA: 0.3, dose: 5e3 });
    const t = ssbTables(sim.dataset.shape, params);
    const whole = await singleSideBand(core, sim.dataset, params);
    const r = ssbReduction(params, t);
    // 37 is not a row boundary: the kernel handles a part row at either end of a range.
    const [a] = await runPartials(core, sim.dataset, [r], { range: [0, 37] });
    const [b] = await runPartials(core, sim.dataset, [r], { range: [37, 120] });
    const merged = finishState(core, sim.dataset, r, mergeStates(core, sim.dataset, r, a!, b!));
    expect(maxRelative(merged.object, whole.object)).toBeLessThan(1e-6);
    sim.close();
  });
});

describe("SSB's partials", () => {
  it("a pass of many tiles, their partials reused block after block without a reset, equals one tile", async () => {
    // The kernel stores its tile's first rows instead of adding to them (the executor does not clear SSB's partial):
    // a stale sum left in a reused slot would show here.
    const { sim, params } = simulated({ scan: [24, 20], detector: [32, 32], alphaMrad: 12, stepA: 0.3, dose: 5e3 });
    const r = ssbReduction(params, ssbTables(sim.dataset.shape, params));
    const [one] = await runReductions(core, sim.dataset, [{ ...r, tileFrames: () => 480 }]);
    const [many] = await runReductions(core, sim.dataset, [{ ...r, tileFrames: () => 50 }], { blockBytes: 100 * 32 * 32 });
    expect(maxRelative(many!.object, one!.object)).toBeLessThan(1e-6);
    expect(pearson(many!.phase, sim.phase)).toBeGreaterThan(0.5);
    sim.close();
  });
});

describe("SSB of every dtype", () => {
  it("u8 and u32 frames give the object of the same counts as float32", async () => {
    const { sim, params } = simulated({ scan: [10, 12], detector: [32, 32], alphaMrad: 12, stepA: 0.3, dose: 2e3,
      dtype: "u8" });
    const P = 120, Q = 32 * 32, bytes = new Uint8Array(P * Q);
    await sim.dataset.source.readFrames(0, P, bytes);
    const asF32 = await singleSideBand(core, memoryDataset(Float32Array.from(bytes), sim.dataset.shape), params);
    for (const data of [bytes, Uint32Array.from(bytes)]) {
      const r = await singleSideBand(core, memoryDataset(data, sim.dataset.shape), params);
      expect(maxRelative(r.object, asF32.object)).toBeLessThan(1e-6);
    }
    sim.close();
  });
});

describe("SSB on the physical simulator", () => {
  it("correlates with the true phase at >= 0.9 and resolves finer than bright field (FRC at 0.5)", async () => {
    const { sim, params } = simulated({ scan: [48, 48], detector: [48, 48], alphaMrad: 20, stepA: 0.2, dose: 1e5,
      defocusA: 30, absorption: 0.05 });
    expect(checkSsbParameters(sim.dataset.shape, params, "test")).toEqual([]);
    const r = await singleSideBand(core, sim.dataset, params);
    const corr = pearson(r.phase, sim.phase);
    const frcSsb = fourierRingCorrelation(r.phase, sim.phase, 48, 48).crossing;
    // Bright field may show the phase with either sign: compare it at its better one.
    const sign = pearson(r.brightField, sim.phase) < 0 ? -1 : 1;
    const frcBf = fourierRingCorrelation(r.brightField.map((v) => sign * v), sim.phase, 48, 48).crossing;
    expect(corr).toBeGreaterThanOrEqual(0.9);
    expect(frcSsb).toBeGreaterThan(frcBf);
    sim.close();
  });
});
