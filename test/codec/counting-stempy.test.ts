// Electron counting as stempy does it, checked against a plain numpy reading of stempy's calculateThresholds and
// electronCount on frames with known electron positions: deposits of ~160 ADU shared over 3 x 3 pixels, read noise
// sigma 3 ADU, a per-pixel dark offset and rare X-rays. The X-ray threshold is the sample's plain mean + 10 std
// (far above the electrons); the background threshold is the fitted noise Gaussian's mean + 4 sigma.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../bindings/node.js";
import { Core, memoryDataset, type SparseEvents, concatEvents, countElectrons, countingThresholds } from "../../bindings/index.js";
import { saveNpy } from "../../bindings/node-files.js";
import { Rng } from "../../bindings/simulate.js";
import { hasPython, runPython } from "../helpers/python.js";

const ROWS = 96, COLS = 96, FRAMES = 240, Q = ROWS * COLS;

/** Frames with electrons at known pixels: each deposits E ~ N(160, 8) ADU, half of it in the pixel it hits and
 * the rest over its 8 neighbours at random weights; 0.2 X-rays of 2000 ADU per frame. */
function electronFrames(seed: number, dose: number) {
  const rng = new Rng(seed, 1);
  const dark = Float32Array.from({ length: Q }, () => 100 + 6 * rng.normal());
  const data = new Uint16Array(FRAMES * Q);
  const truth: number[][] = [];
  for (let f = 0; f < FRAMES; f++) {
    const signal = new Float64Array(Q), hits: number[] = [];
    const n = rng.poisson(dose * Q);
    for (let k = 0; k < n; k++) {
      const r = 1 + Math.floor(rng.next() * (ROWS - 2)), c = 1 + Math.floor(rng.next() * (COLS - 2));
      const energy = 160 + 8 * rng.normal(), centre = 0.5 + 0.05 * rng.next();
      const w = Array.from({ length: 8 }, () => rng.next()), s = w.reduce((a, b) => a + b);
      signal[r * COLS + c]! += centre * energy;
      let j = 0;
      for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) {
        if (dr || dc) signal[(r + dr) * COLS + c + dc]! += ((1 - centre) * energy * w[j++]!) / s;
      }
      hits.push(r * COLS + c);
    }
    if (rng.next() < 0.2) signal[Math.floor(rng.next() * Q)]! += 2000;
    for (let q = 0; q < Q; q++) data[f * Q + q] = Math.max(0, Math.round(dark[q]! + signal[q]! + 3 * rng.normal()));
    truth.push(hits);
  }
  return { data, dark, truth };
}

/** stempy's calculateThresholds and electronCount in numpy: X-ray threshold from the plain mean and std of all
 * sampled dark-subtracted values, background from a Gaussian fitted (scipy curve_fit) to their histogram up to the
 * X-ray threshold; a pixel counts when it lies between the thresholds and exceeds all 8 neighbours. */
const STEMPY_NUMPY = `
import sys, json, numpy as np
from scipy.optimize import curve_fit
frames = np.load(sys.argv[1]).astype(np.float32); dark = np.load(sys.argv[2]).astype(np.float32)
sample_idx = [int(x) for x in sys.argv[3].split(",")]
values = (frames[sample_idx] - dark).ravel().astype(np.float64)
mean, std = values.mean(), values.std()
xray = mean + 10 * std
hi = min(values.max(), xray)
hist, edges = np.histogram(values, bins=int(np.ceil(hi - values.min())), range=(values.min(), hi))
centres = (edges[:-1] + edges[1:]) / 2
g = lambda x, a, m, s: a * np.exp(-0.5 * ((x - m) / s) ** 2)
(a, fm, fs), _ = curve_fit(g, centres, hist, p0=[hist.max(), centres[hist.argmax()], 3.0])
bg = fm + 4 * abs(fs)
events = []
for f in frames:
    v = f - dark
    v = np.where((v > bg) & (v < xray), v, 0).astype(np.float32)
    p = np.pad(v, 1, constant_values=0)
    ok = v > 0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                ok &= v > p[1 + dr:1 + dr + v.shape[0], 1 + dc:1 + dc + v.shape[1]]
    events.append(np.flatnonzero(ok).tolist())
print(json.dumps({"mean": mean, "std": std, "xray": xray, "fitMean": fm, "fitSigma": abs(fs), "background": bg, "events": events}))
`;

/** Precision and recall over isolated electrons (no other electron within 3 pixels), matching within 1 pixel. */
function isolatedScore(truth: number[][], found: (f: number) => ArrayLike<number>) {
  const near = (a: number, b: number, d: number) => Math.abs(Math.floor(a / COLS) - Math.floor(b / COLS)) <= d && Math.abs((a % COLS) - (b % COLS)) <= d;
  let tp = 0, fp = 0, fn = 0;
  truth.forEach((hits, f) => {
    const got = Array.from(found(f));
    const isolated = hits.filter((t, i) => !hits.some((u, j) => j !== i && near(t, u, 3)));
    const crowded = hits.filter((t) => !isolated.includes(t));
    const used = new Set<number>();
    for (const t of isolated) {
      const k = got.findIndex((g, j) => !used.has(j) && near(t, g, 1));
      if (k >= 0) { used.add(k); tp++; } else fn++;
    }
    got.forEach((g, j) => { if (!used.has(j) && !crowded.some((t) => near(t, g, 3))) fp++; });
  });
  return { precision: tp / (tp + fp), recall: tp / (tp + fn), tp };
}

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

describe.skipIf(!hasPython(["numpy", "scipy"]))("counting as stempy does it (numpy reference)", () => {
  it("takes the X-ray threshold from the plain mean + 10 std and the background from the fitted Gaussian", async () => {
    const { data, dark, truth } = electronFrames(7, 0.004);
    const ds = memoryDataset(data, [20, 12, ROWS, COLS]);
    const dir = mkdtempSync(join(tmpdir(), "stem4d-stempy-"));
    await saveNpy(join(dir, "frames.npy"), data, "u16", [FRAMES, ROWS, COLS]);
    await saveNpy(join(dir, "dark.npy"), dark, "f32", [ROWS, COLS]);
    const th = await countingThresholds(core, ds, { dark, sampleFrames: 40 });
    const sampled = Array.from({ length: 40 }, (_, i) => Math.floor(((i + 0.5) * FRAMES) / 40));
    const ref = JSON.parse(runPython(STEMPY_NUMPY, [join(dir, "frames.npy"), join(dir, "dark.npy"), sampled.join(",")]));

    // X-ray threshold: the same statistic (float32 values summed in float64 both sides).
    expect(th.sample!.mean).toBeCloseTo(ref.mean, 6);
    expect(th.sample!.std / ref.std).toBeCloseTo(1, 6);
    expect(th.xray / ref.xray).toBeCloseTo(1, 6);
    // The electrons' brightest pixels (~80-90 ADU) lie below it, and the noise peak's 4 sigma far under them.
    expect(th.xray).toBeGreaterThan(100);
    expect(Math.abs(th.fit!.sigma / ref.fitSigma - 1)).toBeLessThan(0.03);
    expect(Math.abs(th.background - ref.background)).toBeLessThan(0.5);

    const blocks: SparseEvents[] = [];
    await countElectrons(core, ds, { dark }, (ev) => { blocks.push(ev); }, undefined, th);
    const ev = concatEvents(blocks);
    const ours = isolatedScore(truth, (f) => ev.pixels.subarray(ev.offsets[f]!, ev.offsets[f + 1]!));
    const theirs = isolatedScore(truth, (f) => ref.events[f]);
    const electrons = truth.reduce((a, h) => a + h.length, 0);
    const refEvents = ref.events.reduce((a: number, e: number[]) => a + e.length, 0);
    console.log(`stempy's method: ${electrons} electrons; ours ${ev.pixels.length} events (precision ${ours.precision.toFixed(4)}, recall ${ours.recall.toFixed(4)}), numpy ${refEvents} (precision ${theirs.precision.toFixed(4)}, recall ${theirs.recall.toFixed(4)}); thresholds ${th.background.toFixed(2)} / ${th.xray.toFixed(2)}`);
    expect(ours.tp).toBeGreaterThan(5000);
    expect(ours.precision).toBeGreaterThanOrEqual(0.99);
    expect(ours.recall).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(ev.pixels.length / electrons - 1)).toBeLessThan(0.02);
    expect(Math.abs(ev.pixels.length / refEvents - 1)).toBeLessThan(0.005);
  });
});
