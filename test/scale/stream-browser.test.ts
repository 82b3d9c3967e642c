// The edge side of a live stream (encode with raw, lossless, events or pca, then the sending protocol: ring,
// resume, acknowledgements) in headless Chromium, bundled by Vite from test/scale/fixtures/stream-edge.ts: it needs
// no Node API, and the chunks it sends are byte for byte the ones Node sends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { runEdge } from "./fixtures/stream-edge.js";
import { chromiumPath } from "../helpers/browser.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wasmBuilt = existsSync(join(root, "build/stem4d.simd.wasm"));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
let server: Server, browser: Browser, base = "", dir = "";

describe.skipIf(!chromiumPath || !wasmBuilt)("the stream's edge side in headless Chromium", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stream-web-"));
    const { build } = await import("vite");
    await build({
      root, logLevel: "error", configFile: false,
      build: { outDir: join(dir, "out"), emptyOutDir: true, target: "es2022", minify: false, lib: { entry: join(root, "test/scale/fixtures/stream-edge.ts"), formats: ["es"], fileName: "edge" } },
    });
    cpSync(join(root, "build"), join(dir, "build"), { recursive: true });
    writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module">
      import { runEdge } from "./out/edge.js";
      window.result = runEdge().then((r) => r, (e) => ({ error: String(e && e.stack || e) }));
    </script>`);
    server = createServer((req, res) => {
      const file = join(dir, normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
      if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
  });

  it("bundles with no Node module in it", () => {
    const js = readdirSync(join(dir, "out")).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(dir, "out", f), "utf8")).join("\n");
    expect(js).not.toMatch(/from\s+["']node:/);
    expect(js).not.toMatch(/["']zeromq["']/);
  });

  it("sends the same chunks as Node for raw, lossless, events and pca", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/index.html`);
    const inBrowser = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    await page.close();
    expect(errors).toEqual([]);
    const inNode = await runEdge();
    expect(inBrowser).toEqual(inNode);
    expect(Object.keys(inNode)).toEqual(["raw", "lossless", "events", "pca"]);
    expect((inNode.events as { chunks: number }).chunks).toBeGreaterThan(1);
  }, 120_000);
});
