// The edge side of a live stream (encode with raw, lossless, events or pca, then the sending protocol: ring,
// resume, acknowledgements) in headless Chromium, bundled by Vite from test/scale/fixtures/stream-edge.ts: it needs
// no Node API, and the chunks it sends are byte for byte the ones Node sends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import "../../bindings/node.js";
import { runEdge } from "./fixtures/stream-edge.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";
import { bundleFixture, bundledJs, pageResult, repoRoot, serveFixture } from "../helpers/web-bundle.js";

const wasmBuilt = existsSync(join(repoRoot, "build/stem4d.simd.wasm"));
let server: Awaited<ReturnType<typeof serveFixture>> | undefined, browser: Browser, dir = "";

describe.skipIf(!chromiumPath || !wasmBuilt)("the stream's edge side in headless Chromium", () => {
  beforeAll(async () => {
    dir = await bundleFixture("test/scale/fixtures/stream-edge.ts", "edge");
    server = await serveFixture(dir, "edge", "runEdge");
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("bundles with no Node module in it", () => {
    const js = bundledJs(dir);
    expect(js).not.toMatch(/from\s+["']node:/);
    expect(js).not.toMatch(/["']zeromq["']/);
  });

  it("sends the same chunks as Node for raw, lossless, events and pca", async () => {
    const { result: inBrowser, errors } = await pageResult<unknown>(browser, `${server!.base}/index.html`);
    expect(errors).toEqual([]);
    const inNode = await runEdge();
    expect(inBrowser).toEqual(inNode);
    expect(Object.keys(inNode)).toEqual(["raw", "lossless", "events", "pca"]);
    expect((inNode.events as { chunks: number }).chunks).toBeGreaterThan(1);
  }, 120_000);
});
