// The explorer page in real headless Chromium: every real instrument file opened through the file input (file sets
// chosen together), the detector dragged with the mouse, probe positions clicked, the pipeline run; the page's
// images and arrays must equal Node's for the same parameters, bad files must show the CLI's one-line message,
// and any uncaught page error fails the test. Screenshots go to out/web/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Core, analyze, annulusMask, centerOfMass, decodeNpyArray, openDataset, runReduction, saveNpy, simulateTwoPhase,
  dtypeSize, typedArray, virtualImages, type Dataset,
} from "../../bindings/node.js";
import {
  built, chooseFiles, chromiumPath, openExplorer, pipelineStatus, pointOf, root, settled, type ExplorerSession,
} from "../../bench/web-page.js";

const real = (p: string) => join(root, "../shared/data/real", p);
const shots = join(root, "out/web");
const FILE_SETS: Record<string, string[]> = {
  merlin: ["merlin/001_4x2_6bit.mib", "merlin/001_4x2_6bit.hdr"],
  arina: ["arina/test_00_master.h5", "arina/test_00_data_000001.h5", "arina/test_00.h5"],
  emd: ["emd/py4DSTEM_size2x3x4x5.h5"],
  blockfile: ["blockfile/test1.blo"],
  tia: ["tia/128x128x5-diffraction_preview.emi", "tia/128x128x5-diffraction_preview_1.ser"],
  dm4: ["dm/test-10.dm4"],
  dm3: ["dm/test-6.dm3"],
};

interface Detector { cy: number; cx: number; inner: number; outer: number }
type PageState = { shape: number[]; detector: Detector; image: number[]; probe?: number[]; probeIndex?: number;
  comY: number[]; comX: number[] };

let s: ExplorerSession, core: Core, tmp: string;

const pageState = (): Promise<PageState> => s.page.evaluate(() => {
  const v = (globalThis as any).explorer.views;
  return { shape: v.data.ds.shape, detector: v.detector, image: Array.from(v.image),
    probe: v.probePattern && Array.from(v.probePattern), probeIndex: v.probeIndex,
    comY: Array.from(v.com.comY), comX: Array.from(v.com.comX) };
});

/** Node's virtual image of `ds` for the page's detector. */
async function nodeImage(c: Core, ds: Dataset, d: Detector): Promise<number[]> {
  const [rows, cols] = ds.shape.slice(-2) as [number, number];
  const mask = annulusMask(rows, cols, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
  return Array.from((await runReduction(c, ds, virtualImages([mask]))).images[0]!);
}

/** What Node computes for the page's detector on the file itself. */
async function nodeViews(ds: Dataset, d: Detector) {
  const [rows, cols] = ds.shape.slice(-2) as [number, number];
  const com = await runReduction(core, ds, centerOfMass(rows, cols, { cy: d.cy, cx: d.cx }));
  return { image: await nodeImage(core, ds, d), comY: Array.from(com.comY), comX: Array.from(com.comX) };
}

/** Frame `index` of the file as Node reads it. */
async function frameOf(ds: Dataset, index: number): Promise<number[]> {
  const [rows, cols] = ds.shape.slice(-2) as [number, number];
  const bytes = new Uint8Array(rows * cols * dtypeSize(ds.dtype));
  await ds.source.readFrames(index, 1, bytes);
  return Array.from(typedArray(ds.dtype, bytes.buffer, 0, rows * cols));
}

describe.skipIf(!chromiumPath || !built)("the explorer page in headless Chromium", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), "stem4d-web-"));
    core = await Core.create({ workers: 2 });
    s = await openExplorer();
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await core?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("runs on Web Workers over shared memory (the page is cross-origin isolated)", async () => {
    expect(await s.page.textContent("#threads")).toMatch(/^\d+ Web Workers on shared memory \(threads build\)/);
  });

  for (const [name, set] of Object.entries(FILE_SETS)) {
    it(`opens ${name} (${set.join(" + ")}) and shows Node's virtual image, COM and pattern`, async () => {
      const status = await chooseFiles(s.page, set.map(real));
      expect(status).toMatch(/held in WebAssembly memory; ready/);
      const ds = await openDataset(real(set[0]!));
      const got = await pageState();
      expect(got.shape).toEqual([...ds.shape]);
      const want = await nodeViews(ds, got.detector);
      expect(got.image).toEqual(want.image);
      expect(got.comY).toEqual(want.comY);
      expect(got.comX).toEqual(want.comX);
      expect(got.probe).toEqual(await frameOf(ds, got.probeIndex!));
      await ds.source.close?.();
      await s.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      expect(s.errors).toEqual([]);
    }, 60_000);
  }

  it("drags the detector with the mouse, clicks a probe position, and matches Node after each", async () => {
    await chooseFiles(s.page, FILE_SETS.blockfile!.map(real));
    const before = (await pageState()).detector;
    const from = await pointOf(s.page, "pattern", "patternAt", before.cy, before.cx);
    await s.page.mouse.move(from.x, from.y);
    await s.page.mouse.down();
    for (let step = 1; step <= 5; step++) await s.page.mouse.move(from.x + 8 * step, from.y + 4 * step);
    await s.page.mouse.up();
    await settled(s.page);
    const moved = await pageState();
    expect(moved.detector.cx).toBeGreaterThan(before.cx + 5);
    expect(moved.detector.cy).toBeGreaterThan(before.cy + 2);
    const ds = await openDataset(real(FILE_SETS.blockfile![0]!));
    expect(moved.image).toEqual((await nodeViews(ds, moved.detector)).image);
    // Resize: grab the outer ring on its right and pull it outwards.
    const { cy, cx, outer } = moved.detector;
    const ring = await pointOf(s.page, "pattern", "patternAt", cy, cx + outer - 0.5);
    await s.page.mouse.move(ring.x, ring.y);
    await s.page.mouse.down();
    await s.page.mouse.move(ring.x + 30, ring.y);
    await s.page.mouse.up();
    await settled(s.page);
    const resized = await pageState();
    expect(resized.detector.outer).toBeGreaterThan(moved.detector.outer + 5);
    expect(resized.image).toEqual((await nodeViews(ds, resized.detector)).image);
    // Click the probe position in row 2, column 1: its pattern is shown.
    const probe = await pointOf(s.page, "image", "imageAt", 2, 1);
    await s.page.mouse.click(probe.x, probe.y);
    await settled(s.page);
    await s.page.waitForFunction(() => (globalThis as any).explorer.views.probeIndex === 5);
    expect((await pageState()).probe).toEqual(await frameOf(ds, 5));
    await ds.source.close?.();
    // Save the virtual image as .npy and as PNG: the file holds the page's array.
    await s.page.selectOption("#export-view", "image");
    const [npy] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#save-npy")]);
    const saved = decodeNpyArray(readFileSync(await npy.path()), "image.npy");
    expect(saved.shape).toEqual([3, 2]);
    expect(Array.from(saved.data)).toEqual(resized.image);
    const [png] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#save-png")]);
    expect(readFileSync(await png.path()).subarray(1, 4).toString()).toBe("PNG");
    await s.page.screenshot({ path: join(shots, "dragged.png"), fullPage: true });
    expect(s.errors).toEqual([]);
  }, 60_000);

  it("says why an inner radius above the outer one makes no detector, without a page error", async () => {
    await chooseFiles(s.page, FILE_SETS.blockfile!.map(real));
    await s.page.fill("#inner", "20");
    await s.page.fill("#outer", "10");
    await settled(s.page);
    expect(await s.page.textContent("#detector-note")).toBe(
      "detector: inner radius 20 must be smaller than the outer radius 10; the image shows the last valid detector");
    expect(s.errors).toEqual([]);
  });

  it("shows the CLI's one-line message for a bad file", async () => {
    writeFileSync(join(tmp, "bad.mib"), "garbage\n");
    writeFileSync(join(tmp, "short.npy"), Buffer.from("\x93NUMPY\x01\x00", "latin1"));
    for (const file of ["bad.mib", "short.npy"]) {
      let cli = "";
      try {
        execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "info", file], { cwd: tmp, stdio: "pipe" });
      } catch (e) {
        cli = String((e as { stderr: Buffer }).stderr).trim();
      }
      expect(cli).toMatch(/^stem4d info: error: /);
      expect(await chooseFiles(s.page, [join(tmp, file)])).toBe(cli.replace(/^stem4d info: /, ""));
    }
    await s.page.screenshot({ path: join(shots, "bad-file.png") });
    expect(s.errors).toEqual([]);
  });

  it("runs the pipeline with the CLI's numbers, recuts at a clicked height, and cancels", async () => {
    const { dataset } = simulateTwoPhase({ scan: [24, 24], detector: [32, 32], seed: 3 });
    const frames = new Uint16Array(24 * 24 * 32 * 32);
    await dataset.source.readFrames(0, 24 * 24, new Uint8Array(frames.buffer));
    const file = join(tmp, "two-phase.npy");
    await saveNpy(file, frames, "u16", dataset.shape);
    await chooseFiles(s.page, [file]);
    await s.page.fill("#k", "12");
    await s.page.fill("#cuts", "6,3");
    await s.page.fill("#seed", "5");
    await s.page.click("#run");
    await pipelineStatus(s.page, /^pipeline done/);
    const got = await s.page.evaluate(() => {
      const r = (globalThis as any).explorer.panel.result;
      return {
        eigenvalues: Array.from(r.pca.eigenvalues as Float64Array),
        labels: r.levels.map((l: any) => Array.from(l.labels)),
        linkage: Array.from(r.linkage.matrix as Float64Array), shown: (globalThis as any).explorer.panel.shown.clusters,
      };
    });
    const ds = await openDataset(file);
    const want = await analyze(core, ds, { k: 12, cuts: [6, 3], seed: 5 });
    await ds.source.close?.();
    expect(got.eigenvalues).toEqual(Array.from(want.pca.eigenvalues));
    expect(got.labels).toEqual(want.levels.map((l) => Array.from(l.labels)));
    expect(got.linkage).toEqual(Array.from(want.linkage.matrix));
    expect(got.shown).toBe(6);
    // Click just above the last merge but one: two clusters.
    const heights = Array.from({ length: 11 }, (_, i) => want.linkage.matrix[i * 4 + 2]!);
    await s.page.locator(".dendrogram svg").scrollIntoViewIfNeeded();
    const box = (await s.page.locator(".dendrogram svg").boundingBox())!;
    const top = Math.max(...heights) * 1.05, plot = 300 - 14 - 44;
    const h = (heights[9]! + heights[10]!) / 2;
    await s.page.mouse.click(box.x + box.width / 2, box.y + ((14 + plot * (1 - h / top)) * box.height) / 300);
    expect(await s.page.evaluate(() => (globalThis as any).explorer.panel.shown.clusters)).toBe(2);
    const labels2 = await s.page.evaluate(() =>
      Array.from((globalThis as any).explorer.panel.shown.labels as number[]));
    expect(new Set(labels2)).toEqual(new Set([0, 1]));
    await s.page.screenshot({ path: join(shots, "pipeline.png"), fullPage: true });
    const [report] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#save-report")]);
    expect(report.suggestedFilename()).toBe("report.html");
    const html = readFileSync(await report.path(), "utf8");
    expect(html).toMatch(/^<!doctype html>[\s\S]*two-phase\.npy[\s\S]*<\/html>\s*$/i);
    // Cancel: the run stops at its next block of frames and says so.
    await s.page.click("#run");
    await s.page.click("#cancel");
    expect(await pipelineStatus(s.page, /^pipeline (cancelled|done)/)).toBe("pipeline cancelled");
    expect(s.errors).toEqual([]);
  }, 180_000);
});

describe.skipIf(!chromiumPath || !built)("the explorer page without cross-origin isolation", () => {
  it("says it runs single-threaded and still shows Node's virtual image", async () => {
    const plain = await openExplorer(undefined, false);
    const core = await Core.create({ workers: 0 });
    try {
      expect(await plain.page.textContent("#threads")).toMatch(/^single-threaded: this page is not cross-origin/);
      expect(await chooseFiles(plain.page, FILE_SETS.blockfile!.map(real))).toMatch(/ready in/);
      const got = await plain.page.evaluate(() => {
        const v = (globalThis as any).explorer.views;
        return { image: Array.from(v.image as Float32Array), detector: v.detector };
      });
      const ds = await openDataset(real(FILE_SETS.blockfile![0]!));
      const want = await nodeImage(core, ds, got.detector);
      await ds.source.close?.();
      expect(got.image).toEqual(want);
      expect(plain.errors).toEqual([]);
    } finally {
      await plain.close();
      await core.close();
    }
  }, 60_000);
});
