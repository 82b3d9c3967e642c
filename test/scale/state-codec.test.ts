// Partial states through JSON and back (what BullMQ stores): exact round trips, per-frame buffers cut to the
// state's range, and clear errors for states that do not fit the reduction.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset, mergeStates, patternStats, runPartials, runReductions, virtualImages } from "../../bindings/node.js";
import { decodeState, encodeState, packStates, unpackStates } from "../../bindings/scale/state-codec.js";
import { buildPass, localPasses, passes } from "../../bindings/analyses/pass-specs.js";
import { shardRanges } from "../../bindings/scale/shards.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

describe("partial state codec", () => {
  it("round-trips through JSON, carrying only the range's frames, and merges to the one-pass result", async () => {
    const shape = [6, 5, 8, 8];
    const data = new Uint16Array(shape.reduce((a, b) => a * b)).map((_, i) => (i * 37) % 1001);
    const ds = memoryDataset(data, shape);
    const mask = new Float32Array(64).fill(0.5);
    const reductions = [virtualImages([mask]), patternStats()];
    const ranges = shardRanges(30, 4);
    expect(ranges).toEqual([[0, 8], [8, 16], [16, 24], [24, 30]]);
    let acc: Awaited<ReturnType<typeof runPartials>> | undefined;
    for (const range of ranges) {
      const states = await runPartials(core, ds, reductions, { range });
      const wire = JSON.parse(JSON.stringify(states.map((s, i) => encodeState(reductions[i]!, ds, s))));
      // The virtual image's buffer carries the range's frames only: 4 bytes per frame, as base64.
      expect(Buffer.from(wire[0].buffers.sums.base64, "base64").length).toBe((range[1] - range[0]) * 4);
      const back = wire.map((w: never, i: number) => decodeState(reductions[i]!, ds, w, `range ${range}`));
      acc = acc ? acc.map((a, i) => mergeStates(core, ds, reductions[i]!, a, back[i]!)) : back;
    }
    const want = await runReductions(core, ds, reductions);
    const got = acc!.map((s, i) => reductions[i]!.finish(s.buffers, { core, shape, dtype: "u16", input: () => 0 }));
    expect(got[0]).toEqual(want[0]);
    expect((got[1] as { sum: Float64Array }).sum).toEqual((want[1] as { sum: Float64Array }).sum);
    // Independent check: pixel 3 summed over all frames in plain JS.
    let s3 = 0;
    for (let f = 0; f < 30; f++) s3 += data[f * 64 + 3]!;
    expect((got[1] as { sum: Float64Array }).sum[3]).toBe(s3);
  });

  it("names the buffer and the sender when a state does not fit", () => {
    const ds = { shape: [4, 4, 8, 8], dtype: "u16" as const };
    const r = patternStats();
    const ok = encodeState(r, ds, { range: [0, 16], buffers: { sum: new Float64Array(64), max: new Float32Array(64) } });
    expect(() => decodeState(r, ds, { ...ok, buffers: { max: ok.buffers.max! } }, "shard 3")).toThrow(/shard 3: pattern statistics state has no buffer sum/);
    const short = { ...ok, buffers: { ...ok.buffers, sum: { ...ok.buffers.sum!, base64: Buffer.alloc(8 * 65).toString("base64") } } };
    expect(() => decodeState(r, ds, short, "shard 3")).toThrow(/shard 3: pattern statistics buffer sum: 520 bytes at value 0 do not fit 64 f64 values/);
    expect(() => decodeState(r, { shape: [4, 4, 9, 9], dtype: "u16" }, ok, "shard 3")).toThrow(/buffer sum is 64 f64 values; expected 81 f64/);
    expect(() => shardRanges(10, 0)).toThrow(/shards: expected a positive integer/);
  });

  it("packs several states into one binary value and back, exactly, with the range's rows of per-frame buffers only", async () => {
    const shape = [5, 4, 6, 6];
    const data = new Uint16Array(shape.reduce((a, b) => a * b)).map((_, i) => (i * 53) % 997);
    const ds = memoryDataset(data, shape);
    const labels = Int32Array.from({ length: 20 }, (_, i) => i % 3);
    // The passes as plain data, rebuilt into reductions: what a shard worker does with a job.
    const specs = [passes.virtual([new Float32Array(36).fill(1), new Float32Array(36).fill(0.25)]), passes.clusterSums(labels, 3), passes.patternStats()];
    const reductions = specs.map(buildPass);
    const states = await runPartials(core, ds, reductions, { range: [7, 13] });
    const packed = packStates(reductions, ds, states);
    // 6 frames x 2 masks of f32, 3 x 36 f64 sums, 36 f64 sums and 36 f32 maxima, plus a small header.
    expect(packed.length).toBeLessThan(6 * 2 * 4 + 3 * 36 * 8 + 36 * 12 + 1024);
    const back = unpackStates(reductions, ds, packed, "shard 1");
    for (const [i, st] of states.entries()) {
      expect(back[i]!.range).toEqual([7, 13]);
      for (const [name, buf] of Object.entries(st.buffers)) expect(back[i]!.buffers[name], name).toEqual(buf);
    }
    expect(() => unpackStates(reductions, ds, packed.subarray(0, 40), "shard 1")).toThrow(/^shard 1: /);
    // The default runner gives what the reductions give run directly; the cluster sums of cluster 1, checked by hand.
    const [, sums] = (await localPasses(core, ds)(specs)) as [unknown, { sums: Float64Array }];
    let s0 = 0;
    for (let f = 0; f < 20; f++) if (labels[f] === 1) s0 += data[f * 36]!;
    expect(sums.sums[36]).toBe(s0);
  });
});
