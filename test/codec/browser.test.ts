// The codec in a browser: test/codec/fixtures/browser-entry.ts bundled by Vite and run in headless Chromium. The
// default zstd backend (our build/zstd.wasm) must load there and give what Node gives; the Node-only zstd-codec
// backend is refused with a clear error there, and works in Node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { runCodec } from "./fixtures/browser-entry.js";
import { chromiumPath } from "../helpers/browser.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wasmBuilt = existsSync(join(root, "build/stem4d.simd.wasm"));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

let server: Server, browser: Browser, base = "", dir = "";

describe.skipIf(!chromiumPath || !wasmBuilt)("the codec in headless Chromium", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "codec-web-"));
    const { build } = await import("vite");
    await build({
      root, logLevel: "error", configFile: false,
      build: { outDir: join(dir, "out"), emptyOutDir: true, target: "es2022", minify: false, lib: { entry: join(root, "test/codec/fixtures/browser-entry.ts"), formats: ["es"], fileName: "codec" } },
    });
    // The core finds its wasm at ../build/ from the bundle, as it does from dist/bindings/.
    cpSync(join(root, "build"), join(dir, "build"), { recursive: true });
    writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module">
      import { runCodec } from "./out/codec.js";
      window.result = runCodec().then((r) => r, (e) => ({ error: String(e && e.stack || e) }));
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

  it("bundles with no Node module left in it", () => {
    const js = readdirSync(join(dir, "out")).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(dir, "out", f), "utf8")).join("\n");
    expect(js).not.toMatch(/from\s+["']node:/);
    expect(js).not.toMatch(/import\(\s*["']node:(fs|worker_threads)/);
  });

  it("encodes and decodes with the default zstd backend as in Node; zstd-codec is refused as Node-only", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/index.html`);
    const inBrowser = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    await page.close();
    expect(errors).toEqual([]);
    const inNode = await runCodec();
    expect(inNode.zstdCodec).toBe("zstd-codec");
    expect((inBrowser as { zstdCodec: string }).zstdCodec).toMatch(/"zstd-codec" runs only in Node/);
    expect({ ...(inBrowser as object), zstdCodec: "zstd-codec" }).toEqual(inNode);
    const names = ["auto", "stem4d"];
    for (const a of names) for (const b of names) expect(inNode[`lossless ${a} -> ${b}`], `${a} -> ${b}`).toBe(true);
    expect(inNode.backends).toEqual(["stem4d", "stem4d"]);
  }, 120_000);
});
