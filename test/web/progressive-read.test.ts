// The explorer's progressive read, in Node: a file copied into the core's memory block by block (blocks that are not
// whole tiles) with its pattern statistics reduced on the way must give the same frames and bit-identical statistics
// as one pass over the file, on a core with shared memory (frames read in place) and one without (copied in); the
// previews on the way must show the frames read so far: their mean, and the virtual image of the preview's detector
// over them, NaN beyond.
import { afterAll, describe, expect, it } from "vitest";
import { Core, annulusMask, frameBytes, patternStats, runReduction, simulateTwoPhase, virtualImages,
  type Dataset } from "../../bindings/node.js";
import { frameSubset } from "../../bindings/pipeline.js";
import { readIntoCore, type Preview } from "../../web/progressive-read.js";

const cores: Core[] = [];
afterAll(async () => { for (const c of cores) await c.close(); });

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function allFrames(ds: Dataset): Promise<Uint8Array> {
  const frames = ds.shape[0]! * ds.shape[1]!, bytes = new Uint8Array(frames * frameBytes(ds));
  await ds.source.readFrames(0, frames, bytes);
  return bytes;
}

describe("reading a file into the core with its statistics on the way", () => {
  for (const workers of [2, 0]) {
    it(`gives the file's frames and one pass's statistics, with previews of the frames read (${workers} workers)`,
      async () => {
        const core = await Core.create({ workers });
        cores.push(core);
        const file = simulateTwoPhase({ scan: [24, 24], detector: [128, 128], seed: 4 }).dataset; // 64-frame tiles
        const previews: Preview[] = [];
        const { ds, stats } = await readIntoCore(core, file, {
          blockBytes: 48 * frameBytes(file), previewMs: 0,
          onPreview: (p) => { previews.push({ ...p, image: p.image.slice() }); },
        });
        expect(ds.source.resident?.core).toBe(core);
        expect(Buffer.from(await allFrames(ds)).equals(Buffer.from(await allFrames(file)))).toBe(true);
        const once = await runReduction(core, file, patternStats());
        expect(stats.sum).toEqual(once.sum);
        expect(stats.mean).toEqual(once.mean);
        expect(stats.max).toEqual(once.max);

        // Blocks of 48 frames, reduced up to the last whole tile of 64 that arrived; no preview after the last block.
        expect(previews.map((p) => p.frames)).toEqual([64, 128, 192, 256, 320, 384, 448, 512]);
        const d = previews[0]!.detector;
        const mask = annulusMask(128, 128, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
        const image = (await runReduction(core, file, virtualImages([mask]))).images[0]!;
        for (const p of previews) {
          expect(p.detector).toEqual(d);
          expect(Array.from(p.image.subarray(0, p.frames))).toEqual(Array.from(image.subarray(0, p.frames)));
          expect(p.image.subarray(p.frames).every(Number.isNaN)).toBe(true);
          const first = await runReduction(core, frameSubset(file, range(p.frames)), patternStats());
          expect(p.stats.mean).toEqual(first.mean);
        }
        await ds.source.close?.();
      }, 60_000);
  }
});
