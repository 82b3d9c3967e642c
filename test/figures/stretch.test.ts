// The contrast stretch of every figure: its limits are the 0.5th and 99.5th percentiles of the finite values,
// exactly the order statistics a full sort gives (checked against one), found without sorting; and the pixels a map
// is drawn with.
import { describe, expect, it } from "vitest";
import { colorOf, renderMap, stretch, stretchOf } from "../../bindings/png.js";

/** The reference: sort the finite values and take the rounded ranks. */
function sorted(values: number[], p: number): number {
  const f = Float32Array.from(values.filter(Number.isFinite)).sort();
  return f[Math.min(f.length - 1, Math.max(0, Math.round((p / 100) * (f.length - 1))))]!;
}

function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("figure contrast limits", () => {
  it("equal the sorted values' percentiles on random, tied, skewed and NaN-holed maps", () => {
    const rnd = random(7);
    const maps: number[][] = [
      Array.from({ length: 10_001 }, () => rnd() * 100 - 50),
      Array.from({ length: 4096 }, () => Math.floor(rnd() * 5)), // many ties
      Array.from({ length: 3000 }, () => Math.exp(10 * rnd())), // skewed, as diffraction patterns are
      Array.from({ length: 777 }, (_, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : rnd())),
      [3], [2, 1], [5, 5, 5, 5],
    ];
    for (const m of maps) {
      for (const [low, high] of [[0.5, 99.5], [0, 100], [2, 98], [50, 50]] as const) {
        const s = stretchOf(m, { lowPercentile: low, highPercentile: high });
        const lo = sorted(m, low), hi = sorted(m, high);
        if (hi > lo) expect([s.lo, s.hi]).toEqual([lo, hi]);
        else expect([s.lo, s.hi]).toEqual([lo - 0.5, lo + 0.5]); // a flat map sits mid-scale
      }
    }
  });
});

describe("renderMap", () => {
  it("draws each value as an s x s block of its colour, opaque", () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => (i * 7) % 12);
    for (const [colormap, scale] of [["viridis", 1], ["magma", 3], ["gray", 2]] as const) {
      const t = stretch(values, { colormap });
      const { rgba, width, height } = renderMap(values, 3, 4, { colormap, scale });
      expect([width, height]).toEqual([4 * scale, 3 * scale]);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
        const p = (y * width + x) * 4;
        expect(Array.from(rgba.subarray(p, p + 4))).toEqual([...colorOf(t[Math.floor(y / scale) * 4 + Math.floor(x / scale)]!, colormap), 255]);
      }
    }
  });

  it("colours every value as its stretched value's colour, linear or log, with NaN, infinities and a fixed range", () => {
    const rnd = random(11);
    const values = Float64Array.from({ length: 400 }, (_, i) =>
      i % 37 === 0 ? NaN : i % 41 === 0 ? Infinity : i % 43 === 0 ? -Infinity : Math.exp(8 * rnd()) - 20);
    for (const o of [{ colormap: "viridis" }, { colormap: "magma", log: true }, { colormap: "gray", range: [0, 100] },
      { colormap: "coolwarm", log: true, range: [1, 1e3] }] as const) {
      const t = stretch(values, o), s = stretchOf(values, o);
      const { rgba } = renderMap(values, 20, 20, { ...o, scale: 1 }, s);
      for (let i = 0; i < values.length; i++) {
        expect(Array.from(rgba.subarray(4 * i, 4 * i + 4))).toEqual([...colorOf(t[i]!, o.colormap), 255]);
      }
    }
  });
});
