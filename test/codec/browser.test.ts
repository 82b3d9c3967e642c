// The codec in a browser: test/codec/fixtures/browser-entry.ts bundled by Vite and run in headless Chromium. The
// default zstd backend (our build/zstd.wasm) must load there and give what Node gives; the Node-only zstd-codec
// backend is refused with a clear error there, and works in Node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { runCodec } from "./fixtures/browser-entry.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";
import { bundleFixture, repoRoot, serveFixture } from "../helpers/web-bundle.js";

const wasmBuilt = existsSync(join(repoRoot, "build/stem4d.simd.wasm"));

let server: Server, browser: Browser, base = "", dir = "";

describe.skipIf(!chromiumPath || !wasmBuilt)("the codec in headless Chromium", () => {
  beforeAll(async () => {
    dir = await bundleFixture("test/codec/fixtures/browser-entry.ts", "codec");
    ({ base, server } = await serveFixture(dir, "codec", "runCodec"));
    browser = await launchChromium();
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
