// The simulator: deterministic by seed, independent of how frames are read, physically sensible.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, simulateTwoPhase, runReduction, patternStats, brightFieldDisk, virtualImages, diskMask, annulusMask, cropDataset, memoryDataset } from "../../bindings/index.js";

async function frames(ds: ReturnType<typeof simulateTwoPhase>["dataset"], start: number, count: number) {
  const q = ds.shape[2]! * ds.shape[3]!;
  const out = new Uint16Array(count * q);
  await ds.source.readFrames(start, count, new Uint8Array(out.buffer));
  return out;
}

describe("two-phase simulator", () => {
  it("renders the same frames for the same seed whatever the block size, and others for another seed", async () => {
    const a = simulateTwoPhase({ scan: [6, 5], detector: [20, 24], seed: 3 }).dataset;
    const whole = await frames(a, 0, 30);
    const parts = [...(await frames(a, 0, 7)), ...(await frames(a, 7, 1)), ...(await frames(a, 8, 22))];
    expect(parts).toEqual(Array.from(whole));
    const b = simulateTwoPhase({ scan: [6, 5], detector: [20, 24], seed: 4 }).dataset;
    expect(Array.from(await frames(b, 0, 30))).not.toEqual(Array.from(whole));
  });

  it("delivers the requested dose on average and a bright-field disk at the centre", async () => {
    const { dataset, truth } = simulateTwoPhase({ scan: [8, 8], detector: [48, 48], dose: 5000, seed: 1 });
    const core = await Core.create({ workers: 0 });
    const s = await runReduction(core, dataset, patternStats());
    await core.close();
    const total = s.mean.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 5000) / 5000).toBeLessThan(0.02);
    const disk = brightFieldDisk(s.mean, 48, 48);
    expect(Math.hypot(disk.cy - truth.center.cy, disk.cx - truth.center.cx)).toBeLessThan(0.5);
    expect(Math.abs(disk.radius - truth.bfRadius)).toBeLessThan(1.5);
  });

  it("puts the two phases either side of the interface with distinct diffraction", async () => {
    const { dataset, truth } = simulateTwoPhase({ scan: [16, 32], detector: [48, 48], dose: 20000, seed: 2, dtype: "f32", noiseless: true });
    expect(truth.phase[0]).toBe(0);
    expect(truth.phase[31]).toBe(1);
    const counts = [0, 0];
    for (const p of truth.phase) counts[p]!++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
    // Mean pattern of each phase: the Bragg disks sit at different places, so the patterns differ clearly.
    const core = await Core.create({ workers: 0 });
    const left = await runReduction(core, cropDataset(dataset, { scanCols: [0, 10] }), patternStats());
    const right = await runReduction(core, cropDataset(dataset, { scanCols: [22, 32] }), patternStats());
    await core.close();
    let diff = 0, norm = 0;
    for (let i = 0; i < left.mean.length; i++) { diff += Math.abs(left.mean[i]! - right.mean[i]!); norm += left.mean[i]!; }
    expect(diff / norm).toBeGreaterThan(0.2);
  });

  it("shows atomic columns: ADF is brighter and BF darker on the columns", async () => {
    const { dataset, truth } = simulateTwoPhase({ scan: [24, 10], detector: [48, 48], dose: 20000, seed: 5, dtype: "f32", noiseless: true });
    const core = await Core.create({ workers: 0 });
    const c = truth.center, r = truth.bfRadius;
    // High-angle annular dark field, beyond the strong low-order Bragg disks (first order at 10.7 px).
    const { images } = await runReduction(core, dataset, virtualImages([diskMask(48, 48, c, r), annulusMask(48, 48, c, 22, 34)]));
    await core.close();
    // Correlate with column proximity computed from the ground-truth cell position, within phase 0 (the phases'
    // Bragg disks fall differently on the annulus, an offset between them that is not column contrast).
    const inPhase0 = [...truth.phase.keys()].filter((i) => truth.phase[i] === 0);
    const prox = inPhase0.map((i) => (1 - Math.cos(2 * Math.PI * truth.cell[2 * i]!)) * (1 - Math.cos(2 * Math.PI * truth.cell[2 * i + 1]!)));
    const corr = (image: ArrayLike<number>) => {
      const a = inPhase0.map((i) => image[i]!);
      const n = prox.length, ma = a.reduce((s, v) => s + v, 0) / n, mp = prox.reduce((s, v) => s + v, 0) / n;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < n; i++) { sab += (a[i]! - ma) * (prox[i]! - mp); saa += (a[i]! - ma) ** 2; sbb += (prox[i]! - mp) ** 2; }
      return sab / Math.sqrt(saa * sbb);
    };
    expect(corr(images[1]!)).toBeGreaterThan(0.5);
    expect(corr(images[0]!)).toBeLessThan(-0.5);
  });

  it("refuses impossible options", () => {
    expect(() => simulateTwoPhase({ scan: [0, 4], detector: [8, 8] })).toThrow(/scan must be two positive integers/);
    expect(() => simulateTwoPhase({ scan: [4, 4], detector: [8, 8], dose: -1 })).toThrow(/dose/);
    expect(() => simulateTwoPhase({ scan: [4, 4], detector: [8, 8], noiseless: true })).toThrow(/float32|f32/);
  });
});

describe("cropping", () => {
  it("keeps exactly the chosen scan and detector window", async () => {
    const data = Uint16Array.from({ length: 4 * 5 * 3 * 6 }, (_, i) => i);
    const view = cropDataset(memoryDataset(data, [4, 5, 3, 6]), { scanRows: [1, 3], scanCols: [2, 5], detRows: [1, 3], detCols: [0, 4] });
    expect(view.shape).toEqual([2, 3, 2, 4]);
    const out = new Uint16Array(6 * 8);
    await view.source.readFrames(0, 6, new Uint8Array(out.buffer));
    const ref: number[] = [];
    for (let y = 1; y < 3; y++) for (let x = 2; x < 5; x++) for (let i = 1; i < 3; i++) for (let j = 0; j < 4; j++) ref.push(data[((y * 5 + x) * 3 + i) * 6 + j]!);
    expect(Array.from(out)).toEqual(ref);
    const part = new Uint16Array(2 * 8);
    await view.source.readFrames(2, 2, new Uint8Array(part.buffer));
    expect(Array.from(part)).toEqual(ref.slice(16, 32));
    expect(() => cropDataset(memoryDataset(data, [4, 5, 3, 6]), { detRows: [2, 9] })).toThrow(/detector row range \[2, 9\) is not inside \[0, 3\)/);
  });
});
