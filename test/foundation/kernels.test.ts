// The core's kernels through the reductions that use them, against plain JS loops, for every dtype and for shapes
// that are not multiples of the SIMD width (including 1-pixel detectors).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import {
  Core, memoryDataset, residentDataset, runReduction, virtualImages, patternStats, centerOfMass, binDataset, diskMask, annulusMask, activeRows,
} from "../../bindings/index.js";
import { DTYPES, expectClose, maskedSumsRef, randomArray } from "../helpers/data.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

const SHAPES: [number, number, number, number][] = [[3, 5, 7, 9], [2, 2, 1, 1], [1, 7, 1, 13], [4, 3, 16, 16], [2, 3, 5, 33]];

describe("virtual detector kernel", () => {
  for (const dtype of DTYPES) {
    for (const shape of SHAPES) {
      it(`matches a JS loop for ${dtype} ${shape.join("x")} with three masks`, async () => {
        const [a, b, r, c] = shape, P = a * b, Q = r * c;
        const data = randomArray(dtype, P * Q, Q + P);
        const masks = [randomArray("f32", Q, 7) as Float32Array, new Float32Array(Q).fill(1), diskMask(r, c, { cy: r / 2, cx: c / 2 }, Math.max(r, c) / 3)];
        const out = await runReduction(core, memoryDataset(data, shape), virtualImages(masks), { tileFrames: 2 });
        const ref = maskedSumsRef(data, P, Q, masks);
        ref.forEach((img, m) => expectClose(out.images[m]!, img, 2e-5, `mask ${m}`));
      });
    }
  }

  it("reads only the rows a mask touches and still sums exactly those pixels", async () => {
    const data = randomArray("u16", 4 * 40 * 40, 3);
    const mask = diskMask(40, 40, { cy: 10, cx: 20 }, 4);
    expect(activeRows([mask], 40, 40)).toEqual([6, 15]);
    const out = await runReduction(core, memoryDataset(data, [2, 2, 40, 40]), virtualImages([mask]));
    expectClose(out.images[0]!, maskedSumsRef(data, 4, 1600, [mask])[0]!, 1e-6, "disk");
  });
});

describe("pattern statistics", () => {
  for (const dtype of DTYPES) {
    it(`sum, mean and max match JS for ${dtype}`, async () => {
      const shape = [3, 5, 7, 9], P = 15, Q = 63;
      const data = randomArray(dtype, P * Q, 11);
      const s = await runReduction(core, memoryDataset(data, shape), patternStats(), { tileFrames: 4 });
      const sum = new Float64Array(Q), max = new Float32Array(Q).fill(-Infinity);
      for (let f = 0; f < P; f++) for (let q = 0; q < Q; q++) { sum[q]! += Math.fround(data[f * Q + q]!); max[q] = Math.max(max[q]!, Math.fround(data[f * Q + q]!)); }
      expectClose(s.sum, sum, 1e-12, "sum");
      expect(Array.from(s.max)).toEqual(Array.from(max));
      expectClose(s.mean, sum.map((v) => v / P), 1e-6, "mean");
    });
  }
});

describe("centre of mass", () => {
  it("recovers a single bright pixel's offset from the centre, and NaN for an empty pattern", async () => {
    const rows = 9, cols = 11, data = new Float32Array(3 * rows * cols);
    data[0 * rows * cols + 2 * cols + 7] = 5; // frame 0: pixel (2, 7)
    data[1 * rows * cols + 6 * cols + 1] = 1; // frame 1: pixel (6, 1); frame 2 empty
    const r = await runReduction(core, memoryDataset(data, [3, 1, rows, cols]), centerOfMass(rows, cols, { cy: 4, cx: 5 }));
    expect(Array.from(r.comY.subarray(0, 2))).toEqual([-2, 2]);
    expect(Array.from(r.comX.subarray(0, 2))).toEqual([2, -4]);
    expect(Number.isNaN(r.comY[2]!)).toBe(true);
  });
});

describe("masks", () => {
  it("disk and annulus follow the d^2 <= r^2 and r1^2 <= d^2 <= r2^2 rules exactly", () => {
    const d = diskMask(5, 5, { cy: 2, cx: 2 }, 1);
    expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const a = annulusMask(5, 5, { cy: 2, cx: 2 }, 1, 1);
    expect(a[12]).toBe(0);
    expect(a[7]).toBe(1);
    expect(() => annulusMask(5, 5, { cy: 2, cx: 2 }, 3, 1)).toThrow(/inner radius 3 exceeds/);
    expect(() => diskMask(5, 5, { cy: 2, cx: 2 }, -1)).toThrow(/radius must be/);
  });
});

describe("binning", () => {
  for (const dtype of DTYPES) for (const [b, rows, cols] of [[2, 9, 21], [3, 7, 10], [3, 8, 29], [4, 9, 14], [5, 11, 23], [8, 17, 16]] as const) {
    it(`detector binning sums ${b} x ${b} blocks and drops the remainder for ${dtype} (${rows} x ${cols})`, async () => {
      const P = 6, oR = Math.floor(rows / b), oC = Math.floor(cols / b), oQ = oR * oC;
      const data = randomArray(dtype, P * rows * cols, 5);
      const view = binDataset(core, memoryDataset(data, [2, 3, rows, cols]), { detector: b });
      expect(view.shape).toEqual([2, 3, oR, oC]);
      const out = new Float32Array(P * oQ);
      await view.source.readFrames(0, P, new Uint8Array(out.buffer));
      await view.source.close?.();
      const ref = new Float64Array(P * oQ), abs = new Float64Array(P * oQ);
      for (let f = 0; f < P; f++) for (let y = 0; y < oR * b; y++) for (let x = 0; x < oC * b; x++) {
        const i = f * oQ + Math.floor(y / b) * oC + Math.floor(x / b), v = Math.fround(data[f * rows * cols + y * cols + x]!);
        ref[i]! += v;
        abs[i]! += Math.abs(v);
      }
      // float32 sums of b * b terms (integers are exact): within a few roundings of the sum of magnitudes.
      for (let i = 0; i < P * oQ; i++) expect(Math.abs(out[i]! - ref[i]!), `bin ${i}`).toBeLessThanOrEqual(b * b * 2 ** -24 * abs[i]!);
    });
  }

  it("scan binning sums neighbouring probe positions", async () => {
    const data = randomArray("u16", 4 * 6 * 2 * 2, 9);
    const view = binDataset(core, memoryDataset(data, [4, 6, 2, 2]), { scan: 2, detector: 2 });
    expect(view.shape).toEqual([2, 3, 1, 1]);
    const out = new Float32Array(6);
    await view.source.readFrames(0, 6, new Uint8Array(out.buffer));
    await view.source.close?.();
    const ref = new Float64Array(6);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) for (let q = 0; q < 4; q++) ref[Math.floor(y / 2) * 3 + Math.floor(x / 2)]! += data[(y * 6 + x) * 4 + q]!;
    expect(Array.from(out)).toEqual(Array.from(ref));
  });

  it("bins frames in the core's memory in place and writes straight into the executor's tiles, with the same sums", async () => {
    const data = randomArray("u16", 3 * 5 * 12 * 12, 4);
    const mask = new Float32Array(36).fill(1);
    const results = [];
    for (const ds of [memoryDataset(data, [3, 5, 12, 12]), residentDataset(core, data, [3, 5, 12, 12])]) {
      const view = binDataset(core, ds, { detector: 2 });
      const frames = new Float32Array(15 * 36);
      await view.source.readFrames(0, 15, new Uint8Array(frames.buffer)); // a destination outside the core
      const { images } = await runReduction(core, view, virtualImages([mask])); // tiles inside the core
      await view.source.close?.();
      results.push({ frames: Array.from(frames), sums: Array.from(images[0]!) });
    }
    expect(results[1]).toEqual(results[0]);
    for (let f = 0; f < 15; f++) expect(results[0]!.sums[f]).toBe(results[0]!.frames.slice(f * 36, (f + 1) * 36).reduce((a, v) => a + v, 0));
  });

  it("refuses factors that do not fit", () => {
    const ds = memoryDataset(new Uint8Array(2 * 2 * 4 * 4), [2, 2, 4, 4]);
    expect(() => binDataset(core, ds, { detector: 5 })).toThrow(/exceeds the detector/);
    expect(() => binDataset(core, ds, { detector: 0 })).toThrow(/positive integer/);
  });
});
