// The codec in a browser: test/codec/fixtures/browser-entry.ts bundled by Vite and run in headless Chromium. The
// default zstd backend (our build/zstd.wasm) must load there and give what Node gives; the Node-only zstd-codec
// backend is refused with a clear error there, and works in Node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { runCodec } from "./fixtures/browser-entry.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";
import { bundleFixture, bundledJs, pageResult, repoRoot, serveFixture } from "../helpers/web-bundle.js";

const wasmBuilt = existsSync(join(repoRoot, "build/stem4d.simd.wasm"));

let server: Awaited<ReturnType<typeof serveFixture>> | undefined, browser: Browser, dir = "";

describe.skipIf(!chromiumPath || !wasmBuilt)("the codec in headless Chromium", () => {
  beforeAll(async () => {
    dir = await bundleFixture("test/codec/fixtures/browser-entry.ts", "codec");
    server = await serveFixture(dir, "codec", "runCodec");
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("bundles with no Node module left in it", () => {
    const js = bundledJs(dir);
    expect(js).not.toMatch(/from\s+["']node:/);
    expect(js).not.toMatch(/import\(\s*["']node:(fs|worker_threads)/);
  });

  it("encodes and decodes with the default zstd backend as in Node; zstd-codec is refused as Node-only", async () => {
    const { result: inBrowser, errors } = await pageResult<unknown>(browser, `${server!.base}/index.html`);
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
