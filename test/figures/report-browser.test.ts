// The analysis report as a reader sees it: rendered by headless Chromium at 2x device pixel density, and checked
// from the page itself. Every map has a colour bar and a scale bar; a calibrated input (the real NanoMegas
// blockfile, 12.8 nm per scan step) shows a scale bar of the right length in screen pixels; the colour of every
// probe position in each cluster map is its cluster's colour in the legend, in the dendrogram's branches and in the
// mean patterns' captions; with --truth the 2-cluster map wears the true labels' colours. Screenshots of the two
// reports are saved as test artifacts in out/. Maps are shown without smoothing: each value a uniform block.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { decodeNpyArray } from "../../bindings/npy.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";
import { decodePng } from "../helpers/png-decode.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BLOCKFILE = join(root, "../shared/data/real/blockfile/test1.blo");
const dir = mkdtempSync(join(tmpdir(), "stem4d-report-"));
const artifacts = join(root, "out");

let browser: Browser;

async function open(report: string, screenshot: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 }, deviceScaleFactor: 2 });
  await page.goto(pathToFileURL(report).href);
  await page.evaluate(() => Promise.all([...document.querySelectorAll("svg image")].map((i) => (i as SVGImageElement).decode?.().catch(() => {}))));
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, screenshot), fullPage: true });
  return page;
}

const labelsOf = (out: string, tag: string) => Array.from(decodeNpyArray(readFileSync(join(out, `labels_${tag}.npy`)), tag).data);

/** In the page: the colour of every probe position in a section's cluster map (the centre of its block of pixels
 * in the embedded image), the legend's colours, the mean patterns' caption swatches. */
function clusterMapColors(page: Page, section: string) {
  return page.evaluate(async (id) => {
    const svg = document.querySelector(`section#${id}-map svg`)!;
    const g = svg.querySelector("g.map")!;
    const rows = Number(g.getAttribute("data-rows")), cols = Number(g.getAttribute("data-cols"));
    const img = new Image();
    img.src = g.querySelector("image")!.getAttribute("href")!;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width; canvas.height = img.height;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    const positions: string[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const x = Math.floor(((c + 0.5) * img.width) / cols), y = Math.floor(((r + 0.5) * img.height) / rows), at = (y * img.width + x) * 4;
        positions.push(`rgb(${px[at]},${px[at + 1]},${px[at + 2]})`);
      }
    }
    const legend = [...svg.querySelectorAll("g.colorbar rect")].map((r) => r.getAttribute("fill")!);
    const captions = [...document.querySelectorAll(`section#${id}-patterns figcaption .sw`)].map((s) => getComputedStyle(s).backgroundColor.replace(/ /g, ""));
    return { positions, legend, captions };
  }, section);
}

/** Dendrogram branches coloured at a level: cluster -> stroke. */
function branchColors(page: Page, level: number) {
  return page.evaluate((n) => [...document.querySelectorAll(`section#dendrogram path[data-level="${n}"]`)]
    .map((p) => [Number(p.getAttribute("data-cluster")), p.getAttribute("stroke")!] as [number, string]), level);
}

describe.skipIf(!chromiumPath || !cliBuilt)("the analyze report in headless Chromium", () => {
  const demo = join(dir, "demo"), demoOut = join(dir, "demo-analyze"), bloOut = join(dir, "blo-analyze");
  let demoPage: Page, bloPage: Page;

  beforeAll(async () => {
    let r = stem4d("demo", "-o", demo, "--scan", "40,40", "--detector", "48,48", "-q");
    expect(r.status, r.stderr).toBe(0);
    r = stem4d("analyze", join(demo, "simulated.npy"), "-o", demoOut, "--components", "24", "--k", "12", "--cuts", "6,2", "--replicates", "3",
      "--truth", join(demo, "truth_phase.json"), "-q");
    expect(r.status, r.stderr).toBe(0);
    r = stem4d("analyze", BLOCKFILE, "-o", bloOut, "-q");
    expect(r.status, r.stderr).toBe(0);
    browser = await launchChromium();
    demoPage = await open(join(demoOut, "report.html"), "report-demo.png");
    bloPage = await open(join(bloOut, "report.html"), "report-blockfile.png");
  }, 300_000);

  afterAll(async () => { await browser?.close(); });

  it("gives every map a colour bar and a scale bar, and shows no bare image", async () => {
    for (const page of [demoPage, bloPage]) {
      const r = await page.evaluate(() => ({
        imgs: document.querySelectorAll("img").length,
        maps: [...document.querySelectorAll("svg")].filter((s) => s.querySelector("g.map")).map((s) => ({
          colorbar: !!s.querySelector("g.colorbar rect, g.colorbar image"),
          ticks: s.querySelectorAll("g.colorbar text").length,
          scalebar: !!s.querySelector("g.scalebar rect") && !!s.querySelector("g.scalebar text")?.textContent,
          title: s.querySelector("g.title text")?.textContent ?? "",
          width: s.querySelector("g.map image")!.getBoundingClientRect().width,
        })),
      }));
      expect(r.imgs).toBe(0);
      expect(r.maps.length).toBeGreaterThan(20);
      for (const m of r.maps) {
        expect(m.colorbar && m.scalebar, m.title).toBe(true);
        expect(m.ticks, m.title).toBeGreaterThanOrEqual(2);
        expect(m.title.length).toBeGreaterThan(3);
      }
    }
    // Scan maps, however small the scan, are at least 320 CSS pixels on their longer side.
    const scanMaps = await bloPage.evaluate(() => [...document.querySelectorAll("section#virtual-detectors svg g.map image, section#cut2-map g.map image")]
      .map((i) => { const b = i.getBoundingClientRect(); return Math.max(b.width, b.height); }));
    for (const w of scanMaps) expect(w).toBeGreaterThanOrEqual(320);
    // On a 2x screen each value of a map is a uniform block of device pixels in its own colour: the browser
    // upscales the embedded image (one pixel per value) without smoothing.
    const map = bloPage.locator("section#virtual-detectors g.map image").first();
    const info = await map.evaluate(async (i) => {
      const img = new Image(); img.src = i.getAttribute("href")!; await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width; canvas.height = img.height;
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(img, 0, 0);
      const g = i.closest("g.map")!;
      return { width: img.width, height: img.height, rows: Number(g.getAttribute("data-rows")), cols: Number(g.getAttribute("data-cols")),
        pixels: Array.from(ctx.getImageData(0, 0, img.width, img.height).data) };
    });
    expect([info.width, info.height]).toEqual([info.cols, info.rows]);
    const shot = decodePng(await map.screenshot());
    const bw = shot.width / info.cols, bh = shot.height / info.rows;
    expect(bw).toBeGreaterThan(10);
    let worst = 0;
    for (let r = 0; r < info.rows; r++) {
      for (let c = 0; c < info.cols; c++) {
        // Each block's inside: four device pixels from its edges (which may fall between device pixels, and where
        // the frame's line runs).
        for (let y = Math.ceil(r * bh + 4); y < Math.floor((r + 1) * bh - 4); y++) {
          for (let x = Math.ceil(c * bw + 4); x < Math.floor((c + 1) * bw - 4); x++) {
            for (let ch = 0; ch < 3; ch++) {
              worst = Math.max(worst, Math.abs(shot.rgba[(y * shot.width + x) * 4 + ch]! - info.pixels[(r * info.cols + c) * 4 + ch]!));
            }
          }
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("shows the blockfile's 12.8 nm scan step as a scale bar of the right length in pixels", async () => {
    const bars = await bloPage.evaluate(() => [...document.querySelectorAll("section#virtual-detectors svg")].map((s) => {
      const g = s.querySelector("g.scalebar")!, map = s.querySelector("g.map")!;
      return {
        length: Number(g.getAttribute("data-length")), unit: g.getAttribute("data-unit"), text: g.querySelector("text")!.textContent,
        bar: g.querySelector("rect")!.getBoundingClientRect().width, map: map.querySelector("image")!.getBoundingClientRect().width,
        cols: Number(map.getAttribute("data-cols")),
      };
    }));
    expect(bars).toHaveLength(2);
    for (const b of bars) {
      expect(b.cols).toBe(2);
      expect(b.unit).toBe("nm");
      expect(b.text).toBe(`${b.length} nm`);
      // 12.8 nm per probe position, from the file's header (SOURCES.md), independent of what the figure says.
      expect(b.bar).toBeCloseTo((b.length / 12.8) * (b.map / b.cols), 1);
    }
    // The detector's pixel size, binned 2 x 2 by the analysis, is shown in the unit the file gives.
    expect(await bloPage.textContent("section#summary")).toContain("scan 12.8 nm per pixel");
  });

  for (const [name, tags] of [["demo", ["k12", "cut6", "cut2"]], ["blockfile", ["k3", "cut2"]]] as const) {
    it(`colours each cluster alike in its map, legend, dendrogram branches and pattern captions (${name})`, async () => {
      const page = name === "demo" ? demoPage : bloPage, out = name === "demo" ? demoOut : bloOut;
      for (const tag of tags) {
        const labels = labelsOf(out, tag);
        const { positions, legend, captions } = await clusterMapColors(page, tag);
        expect(positions).toHaveLength(labels.length);
        positions.forEach((color, p) => expect(color, `${tag} position ${p}`).toBe(legend[labels[p]!]));
        expect(captions).toEqual(legend);
        if (tag.startsWith("cut")) {
          const branches = await branchColors(page, Number(tag.slice(3)));
          for (const [cluster, stroke] of branches) expect(stroke).toBe(legend[cluster]);
        }
      }
    });
  }

  it("with --truth, colours the 2-cluster map like the true labels wherever they agree", async () => {
    const truth = JSON.parse(readFileSync(join(demo, "truth_phase.json"), "utf8")).phase as number[];
    const cut = labelsOf(demoOut, "cut2");
    const same = cut.filter((c, p) => c === truth[p]).length / cut.length;
    const best = Math.max(same, 1 - same); // the better of the two ways to pair 2 clusters with 2 labels
    const map = (await clusterMapColors(demoPage, "cut2")).positions;
    const truthMap = await demoPage.evaluate(async () => {
      const svg = [...document.querySelectorAll("section#agreement-with-the-ground-truth svg")][0]!;
      return [...svg.querySelectorAll("g.colorbar rect")].map((r) => r.getAttribute("fill"));
    });
    const colorOfTruth = (t: number) => truthMap[t];
    const agree = map.filter((c, p) => c === colorOfTruth(truth[p]!)).length / map.length;
    expect(agree).toBeCloseTo(best, 10);
    expect(best).toBeGreaterThan(0.9);
  });

  it("lists every stage with its wall time and peak RSS, and the peaks as a table", async () => {
    const rows = await demoPage.evaluate(() => [...document.querySelectorAll("section#stages tr")].slice(1).map((tr) => [...tr.children].map((c) => c.textContent)));
    // The demo's counts (some above 127) are held in memory as u16 (see resident-copy.ts) before PCA.
    expect(rows.map((r) => r[0])).toEqual(["copy of the frames in memory (u16)", "PCA (reads and bins the frames)", "Fourier analysis (passes over the frames)", "k-means", "linkage and cuts", "virtual images and mean patterns", "agreement with the true labels", "writing the arrays", "figures", "Fourier figures"]);
    for (const r of rows) { expect(Number(r[1])).toBeGreaterThanOrEqual(0); expect(Number(r[2])).toBeGreaterThan(10); }
    const head = await demoPage.evaluate(() => [...document.querySelectorAll("section#fourier-peak-table th")].map((t) => t.textContent));
    expect(head).toContain("period (scan px)");
    expect(await demoPage.textContent("section#fourier")).toContain("Hann window");
  });
});
