// The drawn mask in the explorer, in headless Chromium: switch the detector to the brush, paint a stroke and erase
// part of it with the mouse, then fill a polygon clicked on the pattern; the page's virtual image must equal Node's virtualImages with the same weights, and
// the mask saved as .npy must be those weights. A page error fails the test; the screenshot goes to out/web/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Core, decodeNpyArray, openDataset, runReduction, simulateTwoPhase, virtualImages, writeDatasetNpy } from
  "../../bindings/node.js";
import { closeExplorerFixture, openExplorerFixture } from "../helpers/explorer-fixture.js";
import { built, chooseFiles, chromiumPath, pointOf, root, settled, type ExplorerSession } from
  "../../bench/web-page.js";

const shots = join(root, "out/web");
let s: ExplorerSession, core: Core, tmp: string, file: string;

const pageMask = () => s.page.evaluate(() => {
  const v = (globalThis as any).explorer.views;
  return { mask: Array.from(v.currentMask() as Float32Array), image: Array.from(v.image as Float32Array),
    note: document.getElementById("detector-note")!.textContent };
});

/** Drags the mouse on the pattern from detector pixel `a` to `b` in small steps. */
async function stroke(a: [number, number], b: [number, number]): Promise<void> {
  const from = await pointOf(s.page, "pattern", "patternAt", ...a);
  const to = await pointOf(s.page, "pattern", "patternAt", ...b);
  await s.page.mouse.move(from.x, from.y);
  await s.page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await s.page.mouse.move(from.x + ((to.x - from.x) * i) / 8, from.y + ((to.y - from.y) * i) / 8);
  }
  await s.page.mouse.up();
  await settled(s.page);
}

describe.skipIf(!chromiumPath || !built)("the drawn mask in the explorer page", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    ({ session: s, core, tmp } = await openExplorerFixture("stem4d-mask-"));
    file = join(tmp, "two-phase.npy");
    await writeDatasetNpy(simulateTwoPhase({ scan: [16, 16], detector: [32, 32], seed: 4 }).dataset, file);
  }, 120_000);
  afterAll(() => closeExplorerFixture({ session: s, core, tmp }));

  it("paints and erases with the mouse, and the image equals Node's virtualImages with that mask", async () => {
    expect(await chooseFiles(s.page, [file])).toMatch(/ready in/);
    await s.page.selectOption("#detector-mode", "mask");
    await s.page.click("#clear-mask");
    await settled(s.page);
    const empty = await pageMask();
    expect(empty.mask.every((w) => w === 0)).toBe(true);
    expect(empty.note).toMatch(/^drawn mask of 0 pixels \(empty: paint on the pattern\)/);
    await s.page.fill("#brush", "2");
    await stroke([5, 4], [5, 26]);
    const painted = await pageMask();
    const at = (m: number[], r: number, c: number) => m[r * 32 + c];
    for (const c of [4, 10, 15, 20, 26]) expect(at(painted.mask, 5, c)).toBe(1);
    expect(at(painted.mask, 20, 15)).toBe(0);
    expect(new Set(painted.mask)).toEqual(new Set([0, 1]));
    // Erase the middle of the stroke: its ends stay.
    await s.page.check("#erase");
    await stroke([2, 13], [9, 17]);
    const erased = await pageMask();
    expect(at(erased.mask, 5, 15)).toBe(0);
    expect(at(erased.mask, 5, 4)).toBe(1);
    expect(at(erased.mask, 5, 26)).toBe(1);
    const pixels = erased.mask.filter((w) => w > 0).length;
    expect(erased.note).toMatch(new RegExp(`^drawn mask of ${pixels} pixels: image in`));
    const ds = await openDataset(file);
    const want = await runReduction(core, ds, virtualImages([Float32Array.from(erased.mask)]));
    await ds.source.close?.();
    expect(erased.image).toEqual(Array.from(want.images[0]!));
    // The mask as .npy: the same weights, detector-shaped.
    await s.page.selectOption("#export-view", "mask");
    const [npy] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#save-npy")]);
    const saved = decodeNpyArray(readFileSync(await npy.path()), "mask.npy");
    expect(saved.shape).toEqual([32, 32]);
    expect(Array.from(saved.data)).toEqual(erased.mask);
    await s.page.screenshot({ path: join(shots, "drawn-mask.png"), fullPage: true });
    // The polygon tool: corners clicked between pixel centres, a double click fills rows 20-27, columns 5-24.
    await s.page.uncheck("#erase");
    await s.page.selectOption("#mask-tool", "polygon");
    await s.page.click("#clear-mask");
    const corners = [[19.5, 4.5], [19.5, 24.5], [27.5, 24.5], [27.5, 4.5]] as const;
    for (const [i, [r, c]] of corners.entries()) {
      const at = await pointOf(s.page, "pattern", "patternAt", r, c);
      if (i < corners.length - 1) await s.page.mouse.click(at.x, at.y);
      else await s.page.mouse.dblclick(at.x, at.y);
    }
    await settled(s.page);
    const filled = await pageMask();
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) expect(at(filled.mask, r, c)).toBe(r >= 20 && r <= 27 && c >= 5 && c <= 24 ? 1 : 0);
    }
    const ds2 = await openDataset(file);
    const want2 = await runReduction(core, ds2, virtualImages([Float32Array.from(filled.mask)]));
    await ds2.source.close?.();
    expect(filled.image).toEqual(Array.from(want2.images[0]!));
    await s.page.screenshot({ path: join(shots, "polygon-mask.png"), fullPage: true });
    // Back to the disk: the image is the disk's again.
    await s.page.selectOption("#detector-mode", "annulus");
    await settled(s.page);
    expect(await s.page.textContent("#detector-note")).toMatch(/^detector at/);
    expect(s.errors).toEqual([]);
  }, 90_000);
});
