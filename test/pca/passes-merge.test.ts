// PCA's passes under the reduction contract: the same bits for any number of workers and any block size, and states
// over any split of the frames (shards, a live stream) merge to the one-pass result: exactly where the arithmetic is
// exact (small integers), to float32 rounding otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import {
  Core, type Dataset, type Reduction, finishState, memoryDataset, mergeStates, runPartials, runReduction,
} from "../../bindings/index.js";
import { adjointPass, gramPass, sketchAdjointPass, sketchPass } from "../../bindings/analyses/pca-passes.js";
import { Rng } from "../../bindings/simulate.js";

const cores: Record<number, Core> = {};
beforeAll(async () => { for (const w of [0, 1, 2, 4]) cores[w] = await Core.create({ workers: w }); });
afterAll(async () => { for (const c of Object.values(cores)) await c.close(); });

const P = 301, rows = 9, cols = 7, Q = rows * cols, l = 5;

/** Frames of small integers and factors of -1, 0, 1: every product and sum is an integer below 2^24, so exact. */
function exactCase(seed: number) {
  const rng = new Rng(seed);
  const frames = Uint8Array.from({ length: P * Q }, () => Math.floor(rng.next() * 4));
  const sign = () => Math.floor(rng.next() * 3) - 1;
  return {
    ds: memoryDataset(frames, [P, 1, rows, cols]),
    Z: Float32Array.from({ length: Q * l }, sign), Y: Float32Array.from({ length: P * l }, sign), centre: new Float32Array(Q),
    yCentre: new Float32Array(l),
  };
}

function floatCase(seed: number) {
  const rng = new Rng(seed);
  const frames = Float32Array.from({ length: P * Q }, () => rng.next() * 100 - 20);
  return {
    ds: memoryDataset(frames, [P, 1, rows, cols]),
    Z: Float32Array.from({ length: Q * l }, () => rng.next() - 0.5), Y: Float32Array.from({ length: P * l }, () => rng.next() - 0.5),
    centre: Float32Array.from({ length: Q }, () => rng.next() * 30),
    yCentre: Float32Array.from({ length: l }, () => rng.next() - 0.5),
  };
}

function passes(c: ReturnType<typeof exactCase>): [string, Reduction<unknown>][] {
  return [
    ["sketch", sketchPass(c.Z, l, c.centre)],
    ["sketch, one tile per 50 frames", sketchPass(c.Z, l, c.centre, 50)],
    ["adjoint with sums of squares", adjointPass(c.Y, l, c.centre, c.yCentre, true)],
    ["sketch and adjoint", sketchAdjointPass(c.Z, l, c.centre, c.yCentre)],
    ["Gram (float64)", gramPass(c.centre, "f64")],
    ["Gram (float32)", gramPass(c.centre, "f32")],
  ] as [string, Reduction<unknown>][];
}

/** The 16-bit integer products of the same passes (integer data and integer factors: Z with scale 1), each with the
 * name of its float32 counterpart. */
function integerPasses(c: ReturnType<typeof exactCase>): [string, Reduction<unknown>, string][] {
  const integer = { scale: new Float32Array(l).fill(1), kcp: 256 };
  return [
    ["sketch, integer products", sketchPass(c.Z, l, c.centre, undefined, integer), "sketch"],
    ["sketch, integer products, one tile per 50 frames", sketchPass(c.Z, l, c.centre, 50, integer), "sketch, one tile per 50 frames"],
    ["adjoint, integer products, with sums of squares", adjointPass(c.Y, l, c.centre, c.yCentre, true, 256), "adjoint with sums of squares"],
    ["sketch and adjoint, integer products", sketchAdjointPass(c.Z, l, c.centre, c.yCentre, integer), "sketch and adjoint"],
  ];
}

/** The states of `r` over a random split of the frames, merged in a random order. */
async function merged(core: Core, ds: Dataset, r: Reduction<unknown>, rng: Rng): Promise<unknown> {
  const cuts = new Set<number>([0, P]);
  while (cuts.size < 5) cuts.add(1 + Math.floor(rng.next() * (P - 1)));
  const edges = [...cuts].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i + 1 < edges.length; i++) parts.push((await runPartials(core, ds, [r], { range: [edges[i]!, edges[i + 1]!] }))[0]!);
  parts.sort(() => rng.next() - 0.5);
  return finishState(core, ds, r, parts.reduce((a, b) => mergeStates(core, ds, r, a, b)));
}

const flat = (v: unknown): number[] =>
  ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : Object.values(v as object).flatMap((x) => (x === undefined ? [] : flat(x)));

describe("PCA passes", () => {
  it("give the same bits for 0, 1, 2 and 4 workers and for any block size", async () => {
    const c = floatCase(3);
    for (const [name, r] of passes(c)) {
      const ref = flat(await runReduction(cores[0]!, c.ds, r));
      for (const w of [1, 2, 4]) expect(flat(await runReduction(cores[w]!, c.ds, r)), `${name}, ${w} workers`).toEqual(ref);
      expect(flat(await runReduction(cores[2]!, c.ds, r, { blockBytes: 1 })), `${name}, small blocks`).toEqual(ref);
    }
  });

  it("merge states over random splits to exactly the one-pass result when the arithmetic is exact", async () => {
    const rng = new Rng(5);
    const c = exactCase(4);
    for (const [name, r] of passes(c)) {
      const one = flat(await runReduction(cores[2]!, c.ds, r));
      for (let trial = 0; trial < 3; trial++) expect(flat(await merged(cores[2]!, c.ds, r, rng)), name).toEqual(one);
    }
  });

  it("with integer products: the float32 products' exact results, for any workers, block size and split", async () => {
    const rng = new Rng(8);
    const c = exactCase(9);
    const float = passes(c);
    for (const [name, r, counterpart] of integerPasses(c)) {
      const same = float.find(([n]) => n === counterpart)!;
      const one = flat(await runReduction(cores[0]!, c.ds, r));
      expect(one, `${name} = ${same[0]}`).toEqual(flat(await runReduction(cores[0]!, c.ds, same[1])));
      for (const w of [1, 2, 4]) expect(flat(await runReduction(cores[w]!, c.ds, r)), `${name}, ${w} workers`).toEqual(one);
      expect(flat(await runReduction(cores[2]!, c.ds, r, { blockBytes: 1 })), `${name}, small blocks`).toEqual(one);
      for (let trial = 0; trial < 3; trial++) expect(flat(await merged(cores[2]!, c.ds, r, rng)), `${name}, split`).toEqual(one);
    }
  });

  it("merge states over random splits to the one-pass result within float32 rounding", async () => {
    const rng = new Rng(6);
    const c = floatCase(7);
    for (const [name, r] of passes(c)) {
      const oneRaw = await runReduction(cores[2]!, c.ds, r), gotRaw = await merged(cores[2]!, c.ds, r, rng);
      const one = flat(oneRaw), got = flat(gotRaw);
      const scale = Math.max(...one.map(Math.abs));
      const worst = Math.max(...got.map((v, i) => Math.abs(v - one[i]!)));
      expect(worst / scale, name).toBeLessThan(1e-5);
      const perFrame = (v: unknown) => flat(name.startsWith("sketch and") ? (v as { Y: unknown }).Y : v);
      if (name.startsWith("sketch")) expect(perFrame(gotRaw), `${name}: per-frame values do not depend on the split`).toEqual(perFrame(oneRaw));
    }
  });
});
