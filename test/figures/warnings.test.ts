// The checks behind the CLI's warnings: a disk that reaches past the frame, pixels at the counter's maximum (against a
// plain count over the frames), and clusterings that say little.
import { describe, expect, it } from "vitest";
import { counterMax, maskSaturation, outsideFrame } from "../../bindings/analyses/detector-checks.js";
import { degenerateWarnings } from "../../bindings/analyses/analyze.js";
import { diskMask } from "../../bindings/analyses/masks.js";
import { memoryDataset } from "../../bindings/index.js";

describe("detector checks", () => {
  it("says when a disk reaches past the frame, and by how much", () => {
    expect(outsideFrame(96, 96, { cy: 47.5, cx: 47.5 }, 48, "disk")).toBeUndefined(); // touches the outer pixel edges
    expect(outsideFrame(96, 96, { cy: 47.5, cx: 47.5 }, 500, "disk")).toMatch(/^disk of radius 500 around \(47.5, 47.5\) reaches 452 px past/);
    expect(outsideFrame(96, 96, { cy: 10, cx: 50 }, 12, "disk")).toMatch(/reaches 1.5 px past the edge of the 96 x 96 detector/);
  });

  it("knows the counter's maximum from the counter depth, else from the dtype", () => {
    expect(counterMax({ dtype: "u8", metadata: { counterDepth: 6 } })).toBe(63);
    expect(counterMax({ dtype: "u16", metadata: { counterDepth: 12 } })).toBe(4095);
    expect(counterMax({ dtype: "u16" })).toBe(65535);
    expect(counterMax({ dtype: "f32" })).toBeUndefined();
  });

  it("counts saturated pixels inside the mask as a plain loop over the sampled frames does", async () => {
    const P = 30, rows = 9, cols = 8, Q = rows * cols;
    const frames = Uint8Array.from({ length: P * Q }, (_, i) => ((i * 37) % 7 === 0 ? 255 : (i * 13) % 200));
    const ds = memoryDataset(frames, [5, 6, rows, cols]);
    const mask = diskMask(rows, cols, { cy: 4, cx: 3.5 }, 3);
    for (const samples of [30, 7]) {
      const s = (await maskSaturation(ds, mask, samples))!;
      // The same frames, picked the way sampledFrames spreads them, counted directly.
      const picked = samples >= P ? Array.from({ length: P }, (_, i) => i) : Array.from({ length: samples }, (_, i) => Math.floor(((i + 0.5) * P) / samples));
      let hits = 0, hitFrames = 0, inside = 0;
      for (let q = 0; q < Q; q++) if (mask[q]) inside++;
      for (const f of picked) {
        let h = 0;
        for (let q = 0; q < Q; q++) if (mask[q] && frames[f * Q + q] === 255) h++;
        hits += h;
        if (h) hitFrames++;
      }
      expect(s).toEqual({ max: 255, frames: picked.length, framesHit: hitFrames, fraction: hits / (inside * picked.length) });
    }
    expect(await maskSaturation(memoryDataset(new Float32Array(P * Q), [P, rows, cols]), mask)).toBeUndefined();
  });
});

describe("degenerate clusterings", () => {
  it("warns on clusters of one position and on zero inertia, and not otherwise", () => {
    expect(degenerateWarnings({ k: 3, counts: Float64Array.from([4, 1, 1]), inertia: 5 }, 6)).toEqual([
      "degenerate clustering: 2 of the 3 k-means clusters hold a single probe position (6 positions in all); their mean patterns are single frames",
    ]);
    expect(degenerateWarnings({ k: 2, counts: Float64Array.from([3, 3]), inertia: 0 }, 6)[0]).toMatch(/inertia 0/);
    expect(degenerateWarnings({ k: 2, counts: Float64Array.from([3, 3]), inertia: 1 }, 6)).toEqual([]);
  });
});
