// A test fixture bundled by Vite into one ES module beside a copy of build/ (the core finds its wasm at ../build/
// from the bundle, as from dist/bindings/), optionally served over HTTP with a page that runs one exported function
// and keeps its promise in window.result: what the browser and runtime tests run.
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { startWebServer } from "../../cli/web-server.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Bundles `entry` (relative to the repository) as out/NAME.js in a fresh folder; returns the folder. */
export async function bundleFixture(entry: string, name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `stem4d-${name}-`));
  const { build } = await import("vite");
  await build({
    root: repoRoot, logLevel: "error", configFile: false,
    build: { outDir: join(dir, "out"), emptyOutDir: true, target: "es2022", minify: false, lib: { entry: join(repoRoot, entry), formats: ["es"], fileName: name } },
  });
  cpSync(join(repoRoot, "build"), join(dir, "build"), { recursive: true });
  return dir;
}

/** The bundle's JavaScript (every file of out/), to check what went into it. */
export function bundledJs(dir: string): string {
  return readdirSync(join(dir, "out")).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(dir, "out", f), "utf8")).join("\n");
}

/** Serves `dir` with an index.html that runs `fn` of out/NAME.js; returns the base URL and a close function. */
export async function serveFixture(dir: string, name: string, fn: string): Promise<{ base: string; close(): Promise<void> }> {
  writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module">
    import { ${fn} } from "./out/${name}.js";
    window.result = ${fn}().then((r) => r, (e) => ({ error: String(e && e.stack || e) }));
  </script>`);
  const server = await startWebServer({ mounts: [["/", dir]], isolated: false });
  return { base: server.url, close: () => server.close() };
}

/** Opens `url` in a new page of `browser`, waits for the page's window.result and closes the page: the result and
 * the page errors seen meanwhile. */
export async function pageResult<T>(browser: Browser, url: string): Promise<{ result: T; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    const result = (await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as T;
    return { result, errors };
  } finally {
    await page.close();
  }
}
