// The library as users bundle it. The browser entry (dist/bindings/index.js), imported by a small web app, is
// bundled by esbuild and by Vite (Rolldown) with nothing left external; each bundle must hold no Node-only module
// (Node built-ins, zeromq, bullmq, h5wasm, zstd-codec, zarrita) and, run in headless Chromium, must find every
// reader of the entry, open a file with one and round-trip the default zstd backend. The Node entry bundled by
// esbuild for Node must keep every reader and writer: the lists are data, so "sideEffects": false drops nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import type { Metafile } from "esbuild";
import { startWebServer, type WebServer } from "../../cli/web-server.js";
import { readers } from "../../bindings/index.js";
import { nodeReaders, writers } from "../../bindings/node.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const out = join(root, "out/bundle-test");
const fixture = (name: string) => join(root, "test/bundle/fixtures", name);
const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const built = existsSync(join(root, "dist/bindings/index.js")) && existsSync(join(root, "build/zstd.wasm"));
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A module id (a path or a bare or node: specifier) that must never reach a browser bundle. */
const NODE_ONLY = /^node:|^(fs|path|os|url|worker_threads|child_process|net|http)$|node_modules\/(zeromq|bullmq|ioredis|h5wasm|zstd-codec|zarrita|@zarrita)\//;

type Probe = { readers: string[]; npy: { shape: number[]; same: boolean }; zstd: { backend: string; same: boolean } };

let esbuildMeta: Metafile, viteModules: string[] = [];

async function bundleWithEsbuild(): Promise<void> {
  const esbuild = await import("esbuild");
  const r = await esbuild.build({
    entryPoints: [fixture("browser-app.js")], bundle: true, format: "esm", platform: "browser", target: "es2022",
    outfile: join(out, "esbuild/app.js"), metafile: true, logLevel: "silent",
  });
  esbuildMeta = r.metafile;
}

async function bundleWithVite(): Promise<void> {
  const { build } = await import("vite");
  const result = await build({
    root, logLevel: "error", configFile: false,
    build: {
      outDir: join(out, "vite"), emptyOutDir: true, target: "es2022", minify: false,
      lib: { entry: fixture("browser-app.js"), formats: ["es"], fileName: () => "app.js" },
    },
  });
  const outputs = [result].flat() as { output?: { type: string; moduleIds?: string[] }[] }[];
  viteModules = outputs.flatMap((o) => o.output ?? []).flatMap((c) => (c.type === "chunk" ? c.moduleIds ?? [] : []));
}

let server: WebServer | undefined, browser: Browser | undefined, base = "";

describe.skipIf(!built)("bundling the library", () => {
  beforeAll(async () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    await bundleWithEsbuild();
    await bundleWithVite();
    // The browser entry finds its wasm at ../build/ from the bundle, as it does from dist/bindings/.
    cpSync(join(root, "build"), join(out, "build"), { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("esbuild's browser bundle has no Node-only module and nothing external", () => {
    const inputs = Object.keys(esbuildMeta.inputs);
    expect(inputs).toContain("dist/bindings/formats/index.js");
    expect(inputs.filter((p) => NODE_ONLY.test(p))).toEqual([]);
    const imports = Object.values(esbuildMeta.inputs).flatMap((i) => i.imports);
    expect(imports.filter((i) => i.external || NODE_ONLY.test(i.path))).toEqual([]);
  });

  it("Vite's browser bundle has no Node-only module", () => {
    expect(viteModules.some((m) => m.endsWith("dist/bindings/formats/index.js"))).toBe(true);
    expect(viteModules.filter((m) => NODE_ONLY.test(m.replace(/^\0/, "")))).toEqual([]);
    const code = readFileSync(join(out, "vite/app.js"), "utf8");
    expect(code).not.toMatch(/from\s*["']node:|require\(\s*["'](node:)?(fs|path|worker_threads)["']\)/);
  });

  it.skipIf(!chromiumPath)("each browser bundle, in headless Chromium, finds every reader and runs one", async () => {
    writeFileSync(join(out, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module">
      const run = (path) => import(path).then((m) => m.probe()).catch((e) => ({ error: String(e && e.stack || e) }));
      window.results = Promise.all([run("./esbuild/app.js"), run("./vite/app.js")]);
    </script>`);
    server = await startWebServer({ mounts: [["/", out]] });
    base = server.url;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/index.html`);
    const results = await page.evaluate(() => (window as unknown as { results: Promise<Probe[]> }).results);
    await page.close();
    expect(errors).toEqual([]);
    const want: Probe = {
      readers: readers.map((r) => r.name),
      npy: { shape: [2, 3, 4, 5], same: true },
      zstd: { backend: "stem4d", same: true },
    };
    expect(results).toEqual([want, want]);
  }, 120_000);

  it("esbuild's Node bundle of the Node entry keeps every reader and writer", async () => {
    const esbuild = await import("esbuild");
    const file = join(out, "node/app.js");
    await esbuild.build({
      entryPoints: [fixture("node-app.js")], bundle: true, format: "esm", platform: "node", target: "node20",
      packages: "external", outfile: file, logLevel: "silent",
    });
    const { probe } = await import(pathToFileURL(file).href) as { probe(): { readers: string[]; writers: string[] } };
    expect(probe()).toEqual({ readers: nodeReaders.map((r) => r.name), writers: writers.map((w) => w.name) });
  }, 60_000);
});
