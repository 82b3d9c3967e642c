// The explorer page's progressive read in headless Chromium: a file of several 32 MiB blocks shows a preview (the
// mean of the frames read so far and its virtual image) before the views of every frame, and those views still equal
// Node's (statistics, detector and image as if read in one piece).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { type Core, annulusMask, brightFieldDisk, openDataset, patternStats, runReduction,
  virtualImages } from "../../bindings/node.js";
import { closeExplorerFixture, openExplorerFixture } from "../helpers/explorer-fixture.js";
import { built, chooseFiles, chromiumPath, root, type ExplorerSession } from "../../bench/web-page.js";

let s: ExplorerSession, core: Core, tmp: string;

describe.skipIf(!chromiumPath || !built)("the page's progressive read", () => {
  beforeAll(async () => {
    ({ session: s, core, tmp } = await openExplorerFixture("stem4d-progressive-"));
  }, 120_000);

  afterAll(() => closeExplorerFixture({ session: s, core, tmp }));

  it("previews the first blocks, then shows Node's mean pattern, detector and image over every frame", async () => {
    const file = join(tmp, "three-blocks.npy"); // 2400 frames of 32 KiB: 75 MiB, three blocks
    execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "simulate", "--scan", "48,50", "--detector",
      "128,128", "-o", file, "-q"]);
    // Previews are drawn at most once a second: ask for every block.
    await s.page.evaluate(() => { (globalThis as any).explorer.previewMs = 0; });
    expect(await chooseFiles(s.page, [file])).toMatch(/held in WebAssembly memory; ready in/);
    const page = await s.page.evaluate(() => {
      const e = (globalThis as any).explorer, v = e.views;
      return { timeline: e.timeline as Record<string, number>, mean: Array.from(v.data.stats.mean as Float32Array),
        detector: v.detector, image: Array.from(v.image as Float32Array) };
    });
    expect(page.timeline.preview).toBeGreaterThan(page.timeline.chosen!);
    expect(page.timeline.preview).toBeLessThan(page.timeline.image!);
    const ds = await openDataset(file);
    const stats = await runReduction(core, ds, patternStats());
    expect(page.mean).toEqual(Array.from(stats.mean));
    const disk = brightFieldDisk(stats.mean, 128, 128);
    expect(page.detector).toEqual({ cy: +disk.cy.toFixed(1), cx: +disk.cx.toFixed(1), inner: 0,
      outer: +disk.radius.toFixed(1) });
    const d = page.detector, mask = annulusMask(128, 128, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
    expect(page.image).toEqual(Array.from((await runReduction(core, ds, virtualImages([mask]))).images[0]!));
    await ds.source.close?.();
    expect(s.errors).toEqual([]);
  }, 120_000);
});
