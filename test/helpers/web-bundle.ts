// A test fixture bundled by Vite into one ES module beside a copy of build/ (the core finds its wasm at ../build/
// from the bundle, as from dist/bindings/), optionally served over HTTP with a page that runs one exported function
// and keeps its promise in window.result: what the browser and runtime tests run.
import { createServer, type Server } from "node:http";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

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

/** Serves `dir` with an index.html that runs `fn` of out/NAME.js; returns the base URL and a close function. */
export async function serveFixture(dir: string, name: string, fn: string): Promise<{ base: string; server: Server }> {
  writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module">
    import { ${fn} } from "./out/${name}.js";
    window.result = ${fn}().then((r) => r, (e) => ({ error: String(e && e.stack || e) }));
  </script>`);
  const server = createServer((req, res) => {
    const file = join(dir, normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const addr = server.address();
  return { base: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, server };
}
