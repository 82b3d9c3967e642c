// The in-memory copy of counted frames: the smallest unsigned type that holds them, every value checked (a single
// value out of range or not an integer anywhere drops the copy), the copy's frames equal to the file's, and the
// passes on the copy giving the results of the passes on the file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../bindings/node.js";
import { Core, memoryDataset, openDataset, runReduction, saveNpy, virtualImages } from "../../bindings/node.js";
import { countType, residentCopy } from "../../bindings/resident-copy.js";
import { dtypeSize, typedArray } from "../../bindings/dtype.js";
import { pca } from "../../bindings/analyses/pca.js";
import { Rng } from "../../bindings/simulate.js";

let core: Core, dir: string;
beforeAll(async () => {
  core = await Core.create({ workers: 2 });
  dir = mkdtempSync(join(tmpdir(), "stem4d-copy-"));
});
afterAll(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Poisson-like counts up to `most` as float32, scan 12 x 10, detector 9 x 7 (an odd size: tails in the kernels). */
function counts(most: number, seed = 1): Float32Array {
  const rng = new Rng(seed), out = new Float32Array(12 * 10 * 9 * 7);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rng.next() * (most + 1));
  out[5] = most;
  return out;
}
const SHAPE = [12, 10, 9, 7];

async function fileOf(data: Float32Array, name: string) {
  const path = join(dir, name);
  await saveNpy(path, data, "f32", SHAPE);
  return openDataset(path);
}

async function framesOf(ds: Awaited<ReturnType<typeof fileOf>>): Promise<number[]> {
  const n = 12 * 10 * 63, bytes = new Uint8Array(n * dtypeSize(ds.dtype));
  await ds.source.readFrames(0, 12 * 10, bytes);
  return Array.from(typedArray(ds.dtype, bytes.buffer, 0, n));
}

describe("in-memory copy of counted frames", () => {
  it("holds float32 counts below 128 as u8 and up to 65535 as u16, every frame equal to the file's", async () => {
    for (const [most, type] of [[127, "u8"], [128, "u16"], [65535, "u16"]] as const) {
      const data = counts(most), ds = await fileOf(data, `c${most}.npy`);
      const copy = await residentCopy(core, ds, { maxBytes: 1 << 30 });
      expect(copy?.dtype).toBe(type);
      expect(copy!.shape).toEqual(SHAPE);
      expect(copy!.source.resident).toBeDefined();
      expect(await framesOf(copy!)).toEqual(Array.from(data));
      await copy!.source.close?.();
      await ds.source.close?.();
    }
  });

  it("drops the copy when one value anywhere is not an integer in range, though the sampled frames were", async () => {
    // In the last frame but one (not a sampled frame), and the very last value (the kernel's scalar tail).
    const cases = [[2.5, "a fraction", 20], [-1, "a negative", 20], [256, "above u8", 20], [NaN, "NaN", 20], [70000, "above u16", 200]] as const;
    for (const [[bad, kind, most], at] of cases.flatMap((c) => [[c, 12 * 10 * 63 - 66], [c, 12 * 10 * 63 - 1]] as const)) {
      const data = counts(most), what = `${kind} at ${at}`;
      data[at] = bad;
      const ds = memoryDataset(data, SHAPE);
      expect(await countType(ds), what).toBe(most < 128 ? "u8" : "u16");
      const live = core.arena.usage.live;
      expect(await residentCopy(core, ds, { maxBytes: 1 << 30 }), what).toBeUndefined();
      expect(core.arena.usage.live, what).toBe(live);
    }
  });

  it("makes no copy of data that are not counts, of a copy larger than allowed, or of resident frames", async () => {
    const floats = counts(20).map((v) => v + 0.25);
    expect(await residentCopy(core, memoryDataset(floats, SHAPE), { maxBytes: 1 << 30 })).toBeUndefined();
    expect(await residentCopy(core, memoryDataset(counts(20), SHAPE), { maxBytes: 12 * 10 * 63 - 1 })).toBeUndefined();
    const copy = await residentCopy(core, memoryDataset(counts(20), SHAPE), { maxBytes: 12 * 10 * 63 });
    expect(copy?.dtype).toBe("u8");
    expect(await residentCopy(core, copy!, { maxBytes: 1 << 30 })).toBeUndefined();
    await copy!.source.close?.();
  });

  it("gives the passes the results they give on the file: virtual images exactly, PCA to float rounding", async () => {
    const data = counts(30, 4), ds = await fileOf(data, "pca.npy");
    const copy = (await residentCopy(core, ds, { maxBytes: 1 << 30 }))!;
    const mask = Float32Array.from({ length: 63 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const [a, b] = [await runReduction(core, ds, virtualImages([mask])), await runReduction(core, copy, virtualImages([mask]))];
    expect(Array.from(b.images[0]!)).toEqual(Array.from(a.images[0]!));
    const [p, q] = [await pca(core, ds, { components: 6 }), await pca(core, copy, { components: 6 })];
    expect(q.arithmetic).toBe("int16");
    for (let i = 0; i < 6; i++) expect(Math.abs(q.eigenvalues[i]! - p.eigenvalues[i]!) / p.eigenvalues[i]!).toBeLessThan(1e-6);
    await copy.source.close?.();
    await ds.source.close?.();
  });
});
