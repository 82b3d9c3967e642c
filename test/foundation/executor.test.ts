// The reduction contract: results do not depend on the number of workers, and partial states over any partition
// of the frames merge into the one-pass result.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import {
  Core, memoryDataset, residentDataset, runReduction, runPartials, mergeStates, finishState, virtualImages, patternStats, simulateTwoPhase, type Reduction,
} from "../../bindings/index.js";
import { Rng } from "../../bindings/simulate.js";
import { randomArray } from "../helpers/data.js";

const cores: Record<number, Core> = {};
beforeAll(async () => { for (const w of [0, 1, 2, 4]) cores[w] = await Core.create({ workers: w }); });
afterAll(async () => { for (const c of Object.values(cores)) await c.close(); });

describe("worker pool", () => {
  it("uses the shared-memory build when workers are requested", () => {
    expect(cores[0]!.build).toBe("simd");
    expect(cores[2]!.build).toBe("threads");
    expect(cores[4]!.workerCount).toBe(4);
  });

  it("gives bit-identical float results for 0, 1, 2 and 4 workers", async () => {
    const data = randomArray("f32", 37 * 13 * 11, 5);
    const ds = memoryDataset(data, [37, 1, 13, 11]);
    const mask = randomArray("f32", 143, 6) as Float32Array;
    const runs = await Promise.all([0, 1, 2, 4].map(async (w) => {
      const [v, s] = [await runReduction(cores[w]!, ds, virtualImages([mask]), { tileFrames: 3 }), await runReduction(cores[w]!, ds, patternStats(), { tileFrames: 3 })];
      return { img: Array.from(v.images[0]!), sum: Array.from(s.sum), max: Array.from(s.max) };
    }));
    for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
  });

  it("gives the same result whatever the block size, as tiles are fixed", async () => {
    const ds = memoryDataset(randomArray("f32", 50 * 64, 8), [50, 1, 8, 8]);
    const a = await runReduction(cores[2]!, ds, patternStats(), { tileFrames: 5, blockBytes: 1 });
    const b = await runReduction(cores[2]!, ds, patternStats(), { tileFrames: 5, blockBytes: 1 << 20 });
    expect(Array.from(a.sum)).toEqual(Array.from(b.sum));
  });

  it("reports a kernel failure as an error, not a hang", async () => {
    const bad: Reduction<void> = {
      name: "bad", buffers: () => ({}),
      process: () => [[{ fn: "noSuchKernel", args: [] }]], finish: () => undefined,
    };
    const ds = memoryDataset(new Uint8Array(4 * 4), [4, 1, 2, 2]);
    await expect(runReduction(cores[2]!, ds, bad)).rejects.toThrow(/noSuchKernel/);
    await expect(runReduction(cores[0]!, ds, bad)).rejects.toThrow(/noSuchKernel/);
  });
});

describe("a tile's second step", () => {
  // Step 1: four lanes each copy their quarter of the tile's frames into nav buffer A. Step 2: each lane copies the
  // mirror quarter of A (written by another lane) into B. B is right only if step 2 starts after all of step 1.
  const per = 6, rows = 2, cols = 3;
  const mirrored: Reduction<{ A: Float32Array; B: Float32Array }> = {
    name: "mirror",
    buffers: () => ({ A: { kind: "nav", type: "f32", per }, B: { kind: "nav", type: "f32", per } }),
    tileFrames: () => 8,
    prepare(ctx) { zero = ctx.input(new Float32Array(per)); },
    process: (tile, ptr) => lanes(tile.count).map(([r0, r1]) => [{ fn: "pcaRowsF32", args: [tile.ptr + r0 * per * 4, r1 - r0, per, 0, per, zero, ptr.A! + r0 * per * 4, per] }]),
    processAfter: (tile, ptr) => lanes(tile.count).map(([r0, r1]) => {
      const m = tile.count - r1; // the mirror rows [m, m + r1 - r0)
      return [{ fn: "pcaRowsF32", args: [ptr.A! + m * per * 4, r1 - r0, per, 0, per, zero, ptr.B! + r0 * per * 4, per] }];
    }),
    finish: (b) => ({ A: b.A as Float32Array, B: b.B as Float32Array }),
  };
  let zero = 0;
  const lanes = (n: number) => [0, 1, 2, 3].map((i) => [Math.floor((i * n) / 4), Math.floor(((i + 1) * n) / 4)]).filter(([a, b]) => b > a) as [number, number][];

  it("starts when every task of the first step has finished, for any workers and block size", async () => {
    const frames = 4 * 8 + 4, data = randomArray("f32", frames * per, 31) as Float32Array;
    const ds = memoryDataset(data, [frames, 1, rows, cols]);
    for (const w of [0, 1, 2, 4]) {
      for (const blockBytes of [1, 1 << 20]) {
        const { A, B } = await runReduction(cores[w]!, ds, mirrored, { blockBytes });
        expect(Array.from(A), `${w} workers`).toEqual(Array.from(data));
        for (let t0 = 0; t0 < frames; t0 += 8) {
          const n = Math.min(8, frames - t0);
          for (const [r0, r1] of lanes(n)) {
            const m = t0 + n - r1;
            expect(Array.from(B.subarray((t0 + r0) * per, (t0 + r1) * per)), `${w} workers, blocks of ${blockBytes} B, tile ${t0}`)
              .toEqual(Array.from(data.subarray(m * per, (m + r1 - r0) * per)));
          }
        }
      }
    }
  });
});

describe("workers reading files themselves", () => {
  it("give the same result as main-thread reads, for little- and big-endian files", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { npyHeader, openDataset } = await import("../../bindings/node.js");
    const dir = mkdtempSync(join(tmpdir(), "stem4d-exec-"));
    const data = randomArray("u16", 23 * 7 * 9, 12) as Uint16Array;
    const le = join(dir, "le.npy"), be = join(dir, "be.npy");
    writeFileSync(le, Buffer.concat([npyHeader("u16", [23, 1, 7, 9]), Buffer.from(data.buffer)]));
    const swapped = Buffer.from(Uint16Array.from(data, (v) => ((v & 255) << 8) | (v >> 8)).buffer);
    const beHead = Buffer.from(npyHeader("u16", [23, 1, 7, 9])).toString("latin1").replace("<u2", ">u2");
    writeFileSync(be, Buffer.concat([Buffer.from(beHead, "latin1"), swapped]));
    const mask = randomArray("f32", 63, 13) as Float32Array;
    const ref = await runReduction(cores[0]!, memoryDataset(data, [23, 1, 7, 9]), virtualImages([mask]), { tileFrames: 4 });
    for (const path of [le, be]) {
      const ds = await openDataset(path);
      expect(ds.source.locate?.(0, 1)?.path).toBe(path);
      expect(cores[2]!.readsFiles).toBe(true);
      const got = await runReduction(cores[2]!, ds, virtualImages([mask]), { tileFrames: 4, blockBytes: 1000 });
      const stats = await runReduction(cores[2]!, ds, patternStats(), { tileFrames: 4 });
      await ds.source.close?.();
      expect(Array.from(got.images[0]!)).toEqual(Array.from(ref.images[0]!));
      expect(stats.max[0]).toBe(Math.max(...Array.from({ length: 23 }, (_, f) => data[f * 63]!)));
    }
  });
});

describe("resident datasets", () => {
  it("run the kernels on frames in place and give the same results as any other source", async () => {
    const data = randomArray("u16", 29 * 6 * 5, 21);
    const mask = randomArray("f32", 30, 22) as Float32Array;
    const ref = await runReduction(cores[0]!, memoryDataset(data, [29, 1, 6, 5]), virtualImages([mask]), { tileFrames: 3 });
    for (const w of [0, 2]) {
      const ds = residentDataset(cores[w]!, data, [29, 1, 6, 5]);
      const before = cores[w]!.arena.usage.live;
      const got = await runReduction(cores[w]!, ds, virtualImages([mask]), { tileFrames: 3 });
      expect(Array.from(got.images[0]!)).toEqual(Array.from(ref.images[0]!));
      expect(cores[w]!.arena.usage.live).toBe(before);
      // Another core reads copies, as from any source.
      const other = await runReduction(cores[w === 0 ? 2 : 0]!, ds, virtualImages([mask]), { tileFrames: 3 });
      expect(Array.from(other.images[0]!)).toEqual(Array.from(ref.images[0]!));
      await ds.source.close?.();
      expect(cores[w]!.arena.usage.live).toBe(before - Math.ceil(data.byteLength / 16) * 16);
      await expect(ds.source.readFrames(0, 1, new Uint8Array(60))).rejects.toThrow(/closed/);
    }
  });
});

describe("partial states", () => {
  it("merge in any grouping of random partitions to the one-pass result (exact for integer data)", async () => {
    const { dataset } = simulateTwoPhase({ scan: [9, 7], detector: [12, 10], dose: 500, seed: 4 });
    const core = cores[2]!;
    const reductions = [patternStats(), virtualImages([new Float32Array(120).fill(1)])] as Reduction<unknown>[];
    const whole = await Promise.all(reductions.map((r) => runReduction(core, dataset, r)));
    const rng = new Rng(99);
    for (let trial = 0; trial < 5; trial++) {
      const cuts = new Set<number>([0, 63]);
      while (cuts.size < 2 + 1 + Math.floor(rng.next() * 6)) cuts.add(1 + Math.floor(rng.next() * 62));
      const edges = [...cuts].sort((a, b) => a - b);
      for (const [ri, r] of reductions.entries()) {
        const parts = [];
        for (let i = 0; i + 1 < edges.length; i++) parts.push((await runPartials(core, dataset, [r], { range: [edges[i]!, edges[i + 1]!] }))[0]!);
        // Merge in a shuffled order: the merge is associative and commutative for disjoint ranges.
        parts.sort(() => rng.next() - 0.5);
        const merged = parts.reduce((a, b) => mergeStates(core, dataset, r, a, b));
        expect(merged.range).toEqual([0, 63]);
        expect(finishState(core, dataset, r, merged)).toEqual(whole[ri]);
      }
    }
  });

  it("rejects a range outside the dataset", async () => {
    const ds = memoryDataset(new Uint8Array(4 * 4), [4, 1, 2, 2]);
    await expect(runPartials(cores[0]!, ds, [patternStats()], { range: [2, 9] })).rejects.toThrow(/outside the dataset's 4 frames/);
  });
});
