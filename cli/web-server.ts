// The explorer's HTTP server (`stem4d serve`, `npm run web`, the browser tests): the built page (web/index.html,
// dist/, h5wasm's ESM build) with the cross-origin isolation headers that give the page shared memory, and the data
// files given on the command line under /files/<i>/<name> with HTTP Range support, listed in /files.json, so that the
// page reads them in pieces as it needs them. Nothing else on disk is reachable.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png", ".map": "application/json",
};

/** The package's root folder (this file runs from cli/ under vitest, dist/cli/ when built). */
export const packageRoot = fileURLToPath(new URL(existsSync(new URL("../package.json", import.meta.url)) ? "../" :
  "../../", import.meta.url));

export interface ServedFile {
  name: string;
  size: number;
  /** Path of its URL on the server, e.g. /files/0/scan.mib. */
  url: string;
}

export interface WebServerOptions {
  port?: number;
  host?: string;
  /** Leave out the COOP/COEP headers (to test a page without shared memory). */
  isolated?: boolean;
  /** Data files the page opens (one set: e.g. an ARINA master and its data files). */
  files?: readonly string[];
  /** The package to serve the page from (default: this one). */
  root?: string;
  /** URL prefixes and the folders they serve, instead of the page (tests: a bundler's output folder). */
  mounts?: readonly [string, string][];
}

export interface WebServer {
  server: Server;
  /** Base URL, e.g. http://127.0.0.1:8080; the page is at `${url}/web/`. */
  url: string;
  files: ServedFile[];
  close(): Promise<void>;
}

/** The folder h5wasm's package sits in: node_modules/h5wasm of the package or of a folder above it (npm's layout). */
function h5wasmFolder(root: string): string | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "h5wasm");
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** One byte range of a Range header ("bytes=a-b", "bytes=a-", "bytes=-n"), or "bad" when it is not satisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | "bad" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // several ranges or another unit: send it all
  let start: number, end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  return start > end || start >= size ? "bad" : { start, end };
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, headers: Record<string, string>): void {
  const size = statSync(path).size;
  const common = { ...headers, "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
    "Accept-Ranges": "bytes", "Cache-Control": "no-store" };
  const range = req.headers.range === undefined ? undefined : parseRange(req.headers.range, size);
  if (range === "bad") {
    res.writeHead(416, { ...common, "Content-Range": `bytes */${size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, { ...common, "Content-Length": String(end - start + 1),
    ...(range ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  createReadStream(path, { start, end }).on("error", () => res.destroy()).pipe(res);
}

/** Starts the server; the page and the files are checked first (a missing file is one line, before listening). */
export async function startWebServer(o: WebServerOptions = {}): Promise<WebServer> {
  const root = resolve(o.root ?? packageRoot);
  for (const need of o.mounts ? [] : ["web/index.html", "dist/web/main.js", "dist/build/stem4d.simd.wasm"]) {
    const path = join(root, need);
    if (!existsSync(path)) throw new Error(`${path}: missing; build the page first (npm run build)`);
  }
  const paths = (o.files ?? []).map((f) => resolve(f));
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`${p}: no such file`);
    if (!statSync(p).isFile()) {
      throw new Error(`${p}: is not a file; expected a data file (e.g. .mib, .blo, .h5, .npy)`);
    }
  }
  const files: ServedFile[] = paths.map((p, i) => ({ name: basename(p), size: statSync(p).size,
    url: `/files/${i}/${encodeURIComponent(basename(p))}` }));
  // URL prefixes and the folders they map to: only the page and what it loads.
  const h5 = h5wasmFolder(root);
  const mounts: [string, string][] = o.mounts?.map(([prefix, dir]) => [prefix, resolve(dir)]) ??
    [["/web/", join(root, "web")], ["/dist/", join(root, "dist")], ...(h5 ? [["/node_modules/h5wasm/", h5] as [string, string]] : [])];
  const isolation: Record<string, string> = o.isolated === false ? {} :
    { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

  const server = createServer((req, res) => {
    const notFound = () => res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    let path: string;
    try {
      path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    } catch {
      return notFound();
    }
    if (!o.mounts && (path === "/" || path === "/web")) {
      res.writeHead(302, { Location: "/web/" }).end();
      return;
    }
    if (path === "/files.json") {
      const body = JSON.stringify({ files });
      res.writeHead(200, { ...isolation, "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    const served = /^\/files\/(\d+)\//.exec(path);
    if (served) {
      const i = Number(served[1]);
      return i < paths.length ? sendFile(req, res, paths[i]!, isolation) : notFound();
    }
    if (path.endsWith("/")) path += "index.html";
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    if (!mount) return notFound();
    const file = join(mount[1], path.slice(mount[0].length));
    if (!file.startsWith(mount[1] + sep) || !existsSync(file) || !statSync(file).isFile()) return notFound();
    sendFile(req, res, file, isolation);
  });
  // Idle keep-alive connections stay open a minute (Node's default, 5 s, races clients reusing them under load).
  server.keepAliveTimeout = 60_000;
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      fail(new Error(e.code === "EADDRINUSE" ? `port ${o.port}: already in use on ${host}` : e.message)));
    server.listen(o.port ?? 0, host, ok);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    server, url: `http://${shown}:${port}`, files,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
