// The same kernels, executor and simulator in headless Chromium (Debian's package, driven by playwright-core):
// results must equal Node's bit for bit, single-threaded and on a pool of Web Workers over shared memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { startWebServer, type WebServer } from "../../cli/web-server.js";
import { Core, runReductions, virtualImages, patternStats, diskMask, annulusMask, simulateTwoPhase } from "../../bindings/index.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist/bindings/core.js"));

let server: WebServer | undefined, browser: Browser, base = "";

async function nodeCase(workers: number) {
  const core = await Core.create({ workers });
  const { dataset, truth } = simulateTwoPhase({ scan: [12, 9], detector: [40, 40], dose: 3000, seed: 7 });
  const c = truth.center, r = truth.bfRadius;
  const [v, s] = await runReductions(core, dataset, [virtualImages([diskMask(40, 40, c, r), annulusMask(40, 40, c, 1.5 * r, 20)]), patternStats()], { tileFrames: 4 });
  await core.close();
  return { bf: Array.from(v.images[0]!), adf: Array.from(v.images[1]!), sum: Array.from(s.sum) };
}

describe.skipIf(!chromiumPath || !built)("the core in headless Chromium", () => {
  beforeAll(async () => {
    server = await startWebServer({ mounts: [["/", root]] });
    base = server.url;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const workers of [0, 2]) {
    it(`computes the same virtual images and pattern sums as Node with ${workers} workers`, async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${base}/test/browser/page.html`);
      await page.waitForFunction(() => (window as any).ready === true, undefined, { timeout: 30_000 });
      const got = await page.evaluate((w) => (window as any).runCase(w), workers);
      await page.close();
      expect(errors).toEqual([]);
      expect(got.isolated).toBe(true);
      expect(got.build).toBe(workers > 0 ? "threads" : "simd");
      expect(got.workers).toBe(workers);
      const want = await nodeCase(workers);
      expect({ bf: got.bf, adf: got.adf, sum: got.sum }).toEqual(want);
    });
  }

  it("the explorer page simulates a dataset and draws the mean pattern, a virtual image and COM", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 560 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/web/index.html?workers=2`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    await page.click("#simulate");
    await page.waitForFunction(() => /ready in \d+ ms/.test(document.getElementById("status")!.textContent ?? ""), undefined, { timeout: 60_000 });
    expect(await page.textContent("#status")).toMatch(/shape \[64, 64, 96, 96\] u16/);
    expect(await page.textContent("#threads")).toMatch(/^2 Web Workers on shared memory \(threads build\)/);
    // The virtual image is a real picture: not blank.
    const spread = await page.evaluate(() => {
      const c = document.getElementById("image") as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let min = 255, max = 0;
      for (let i = 0; i < d.length; i += 4) { min = Math.min(min, d[i]!); max = Math.max(max, d[i]!); }
      return max - min;
    });
    expect(spread).toBeGreaterThan(100);
    mkdirSync(join(root, "out"), { recursive: true });
    await page.screenshot({ path: join(root, "out/web-viewer.png") });
    await page.close();
    expect(errors).toEqual([]);
  });
});
