// Driving the explorer page (web/) in headless Chromium for the tests (test/web/) and the benchmark (bench/web.ts):
// serve the repository with the cross-origin isolation headers, open the page, choose files, wait for the views.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { startWebServer, type ServedFile } from "../cli/web-server.js";

/** The repository: this file runs from bench/ (vitest) or dist/bench/ (npm run bench). */
const inSource = existsSync(fileURLToPath(new URL("../package.json", import.meta.url)));
export const root = fileURLToPath(new URL(inSource ? "../" : "../../", import.meta.url));
export const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
export const built = existsSync(`${root}/dist/web/main.js`) && existsSync(`${root}/dist/build/stem4d.threads.wasm`);
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface ExplorerSession {
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page (each fails a test). */
  errors: string[];
  /** The server's base URL and the data files it serves. */
  url: string;
  files: ServedFile[];
  close(): Promise<void>;
}

/** Opens the page; `workers` sets the size of its pool (default: the page's choice); `isolated: false` serves it
 * without the cross-origin isolation headers; `files` are served for the page to open (as `stem4d serve` does). */
export async function openExplorer(workers?: number, isolated = true, files: string[] = []):
  Promise<ExplorerSession> {
  const web = await startWebServer({ root, isolated, files });
  const session = await openPage(`${web.url}/web/${workers === undefined ? "" : `?workers=${workers}`}`);
  return {
    ...session, url: web.url, files: web.files,
    async close() {
      await session.close();
      await web.close();
    },
  };
}

/** Opens the explorer page at `pageUrl` (served by anyone) in headless Chromium and waits until it is ready. */
export async function openPage(pageUrl: string): Promise<Omit<ExplorerSession, "url" | "files">> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e.stack ?? e)));
  await page.goto(pageUrl);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  return { browser, page, errors, close: () => browser.close() };
}

/** Waits until the page has opened the files its server offers (or said why not); returns the status line. */
export async function servedOpened(page: Page): Promise<string> {
  await page.waitForFunction(() => /ready in|^error/.test(document.getElementById("status")!.textContent ?? ""),
    undefined, { timeout: 60_000 });
  await page.evaluate(() => (globalThis as any).explorer.settled());
  return (await page.textContent("#status")) ?? "";
}

/** Chooses `paths` in the file input together and waits until the page has drawn them (or said why not). */
export async function chooseFiles(page: Page, paths: string[]): Promise<string> {
  await page.setInputFiles("#files", paths);
  await page.waitForFunction(() => !/^opening/.test(document.getElementById("status")!.textContent ?? ""));
  await page.evaluate(() => (globalThis as any).explorer.settled());
  return (await page.textContent("#status")) ?? "";
}

/** Waits until the pipeline's status line matches `pattern`. */
export async function pipelineStatus(page: Page, pattern: RegExp, timeout = 60_000): Promise<string> {
  const matches = (source: string) =>
    new RegExp(source).test(document.getElementById("pipeline-status")!.textContent ?? "");
  await page.waitForFunction(matches, pattern.source, { timeout });
  return (await page.textContent("#pipeline-status")) ?? "";
}

/** Waits for every update the page started. */
export const settled = (page: Page) => page.evaluate(() => (globalThis as any).explorer.settled());

/** The page position of a pixel (row, col) of a view drawn by canvas-figure.ts. */
export async function pointOf(page: Page, canvas: string, placement: "patternAt" | "imageAt", row: number,
  col: number): Promise<{ x: number; y: number }> {
  return page.evaluate(({ canvas, placement, row, col }) => {
    const p = (globalThis as any).explorer.views[placement];
    const el = document.getElementById(canvas)!, box = el.getBoundingClientRect();
    const k = box.width / (el as HTMLCanvasElement).width;
    return { x: box.left + (p.x0 + (col + 0.5) * p.scale) * k, y: box.top + (p.y0 + (row + 0.5) * p.scale) * k };
  }, { canvas, placement, row, col });
}
