// `stem4d serve`: the server itself (Range answers, isolation headers, only the page and the given files reachable)
// and the page opening the served files in headless Chromium over HTTP Range requests: the virtual image must equal
// Node's on the same file, a large file must come in ranges (never the whole file in one answer), and a page served
// without cross-origin isolation must say it runs single-threaded. Screenshots go to out/web/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Core, annulusMask, openDataset, runReduction, simulateTwoPhase, virtualImages, writeDatasetNpy,
  type Dataset } from "../../bindings/node.js";
import { httpByteSource } from "../../bindings/http-bytes.js";
import { startWebServer, type WebServer } from "../../cli/web-server.js";
import { built, chromiumPath, openExplorer, openPage, root, servedOpened } from "../../bench/web-page.js";

const real = (p: string) => join(root, "../shared/data/real", p);
const shots = join(root, "out/web");
const MERLIN = ["merlin/001_4x2_6bit.mib", "merlin/001_4x2_6bit.hdr"].map(real);
const ARINA = ["arina/test_00_master.h5", "arina/test_00_data_000001.h5", "arina/test_00.h5"].map(real);
const EMD = ["emd/py4DSTEM_size2x3x4x5.h5"].map(real);

let core: Core, tmp: string;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "stem4d-serve-"));
  core = await Core.create({ workers: 2 });
});
afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Node's virtual image of `ds` for the detector the page shows. */
async function nodeImage(ds: Dataset, d: { cy: number; cx: number; inner: number; outer: number }) {
  const [rows, cols] = ds.shape.slice(-2) as [number, number];
  const mask = annulusMask(rows, cols, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
  return Array.from((await runReduction(core, ds, virtualImages([mask]))).images[0]!);
}

const pageImage = (page: import("playwright-core").Page) => page.evaluate(() => {
  const v = (globalThis as any).explorer.views;
  return { shape: v.data.ds.shape as number[], image: Array.from(v.image as Float32Array), detector: v.detector };
});

/** `stem4d serve FILES --port 0 --json`: the process and its first line. */
async function cliServe(files: string[], extra: string[] = []): Promise<{ child: ChildProcess; url: string;
  files: { name: string; size: number; url: string }[] }> {
  const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "serve", ...files, "--port", "0", "--json",
    ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const line = await new Promise<string>((ok, fail) => {
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.once("exit", (code) => fail(new Error(`stem4d serve exited with ${code}: ${err}`)));
    createInterface({ input: child.stdout! }).once("line", ok);
  });
  return { child, ...JSON.parse(line) };
}

/** The page's requests for served files: URL, HTTP status and body bytes (Resource Timing). */
const fileRequests = (page: import("playwright-core").Page) => page.evaluate(async () => [
  ...performance.getEntriesByType("resource").filter((e) => e.name.includes("/files/")).map((e) => {
    const t = e as PerformanceResourceTiming & { responseStatus: number };
    return { url: t.name, status: t.responseStatus, bytes: t.encodedBodySize };
  }),
  // HDF5 sets are read by the page's HDF5 worker, which keeps its own Resource Timing.
  ...(await (globalThis as any).explorer.hdf5Reads()).requests as { url: string; status: number; bytes: number }[],
]);

const stop = (child: ChildProcess) => new Promise<void>((ok) => {
  child.once("exit", () => ok());
  child.kill("SIGINT");
});

describe("the explorer's server", () => {
  let web: WebServer;
  beforeAll(async () => { web = await startWebServer({ files: MERLIN }); });
  afterAll(() => web?.close());

  it("lists the files and answers Range requests with exactly those bytes", async () => {
    const list = await (await fetch(`${web.url}/files.json`)).json();
    expect(list.files.map((f: { name: string }) => f.name)).toEqual(["001_4x2_6bit.mib", "001_4x2_6bit.hdr"]);
    const whole = readFileSync(MERLIN[0]!), url = `${web.url}${list.files[0].url}`;
    for (const [range, from, to] of [["bytes=100-355", 100, 356], ["bytes=-64", whole.length - 64, whole.length],
      [`bytes=${whole.length - 10}-`, whole.length - 10, whole.length]] as const) {
      const res = await fetch(url, { headers: { Range: range } });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${from}-${to - 1}/${whole.length}`);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(whole.subarray(from, to));
    }
    const past = await fetch(url, { headers: { Range: `bytes=${whole.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${whole.length}`);
    const all = await fetch(url);
    expect(all.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(all.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(Buffer.from(await all.arrayBuffer())).toEqual(whole);
  });

  it("serves the page and what it loads, and nothing else", async () => {
    const status = async (path: string) => {
      const res = await fetch(`${web.url}${path}`);
      await res.arrayBuffer();
      return res.status;
    };
    for (const path of ["/web/", "/dist/web/main.js", "/dist/build/stem4d.simd.wasm",
      "/node_modules/h5wasm/dist/esm/hdf5_hl.js"]) expect(await status(path)).toBe(200);
    for (const path of ["/package.json", "/web/../package.json", "/dist/../README.md", "/files/2/x", "/src/"]) {
      expect(await status(path)).toBe(404);
    }
  });

  it("gives the HTTP byte source the same bytes as the file, small and large reads alike", async () => {
    const whole = readFileSync(MERLIN[0]!);
    const src = httpByteSource(`${web.url}/files/0/x.mib`, whole.length, { rangeBytes: 100_000 });
    for (const [offset, length] of [[0, 10], [65_530, 20], [1000, 300_000], [whole.length - 70_000, 70_000]]) {
      const dest = new Uint8Array(length!);
      await src.read(offset!, dest);
      expect(Buffer.from(dest)).toEqual(whole.subarray(offset!, offset! + length!));
    }
    await expect(src.read(whole.length - 5, new Uint8Array(10))).rejects.toThrow(
      `x.mib: read of 10 bytes at offset ${whole.length - 5} runs past the end (${whole.length} bytes)`);
  });

  it("says in one line when a file to serve is missing", async () => {
    const missing = join(tmp, "none.mib");
    await expect(startWebServer({ files: [missing] })).rejects.toThrow(`${missing}: no such file`);
  });
});

describe.skipIf(!chromiumPath || !built)("the page opening what stem4d serve offers", () => {
  for (const [name, set] of [["merlin", MERLIN], ["arina", ARINA], ["emd", EMD]] as const) {
    it(`opens ${name} given to the CLI and shows Node's virtual image, reading by ranges`, async () => {
      const served = await cliServe(set);
      const session = await openPage(served.url);
      try {
        expect(served.files.map((f) => f.name)).toEqual(set.map((p) => p.split("/").pop()));
        expect(await servedOpened(session.page)).toMatch(/held in WebAssembly memory; ready in/);
        expect(await session.page.textContent("#threads")).toMatch(/^\d+ Web Workers on shared memory/);
        const got = await pageImage(session.page);
        const ds = await openDataset(set[0]!);
        expect(got.shape).toEqual([...ds.shape]);
        expect(got.image).toEqual(await nodeImage(ds, got.detector));
        await ds.source.close?.();
        // The frames came in ranges: the .mib, the ARINA data file (read by our HDF5 parser in the HDF5 worker), the
        // EMD file (read by h5wasm in that worker through synchronous Range requests, as is the ARINA master).
        const framesFile = name === "arina" ? "/files/1/" : "/files/0/";
        const main = (await fileRequests(session.page)).filter((r) => r.url.includes(framesFile));
        expect(main.length).toBeGreaterThan(0);
        for (const r of main) expect(r.status).toBe(206);
        await session.page.screenshot({ path: join(shots, `served-${name}.png`), fullPage: true });
        expect(session.errors).toEqual([]);
      } finally {
        await session.close();
        await stop(served.child);
      }
    }, 90_000);
  }

  it("reads a 19 MB file in ranges of at most 8 MiB, each byte about once, never the whole file", async () => {
    const file = join(tmp, "big.npy");
    await writeDatasetNpy(simulateTwoPhase({ scan: [64, 64], detector: [48, 48], seed: 2 }).dataset, file);
    const size = readFileSync(file).length;
    const s = await openExplorer(2, true, [file]);
    try {
      const status = await servedOpened(s.page);
      expect(status).toMatch(/ready in/);
      const requests = await fileRequests(s.page);
      for (const r of requests) expect(r.status).toBe(206);
      const entries = requests.map((r) => r.bytes);
      expect(entries.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...entries)).toBeLessThanOrEqual(8 << 20);
      const total = entries.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(size - 200);
      expect(total).toBeLessThan(size + (256 << 10));
      const got = await pageImage(s.page);
      const ds = await openDataset(file);
      expect(got.image).toEqual(await nodeImage(ds, got.detector));
      await ds.source.close?.();
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 90_000);

  it("shows the CLI's one-line message for a bad served file", async () => {
    const bad = join(tmp, "bad.mib");
    writeFileSync(bad, "garbage\n");
    let cli = "";
    try {
      execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "info", "bad.mib"], { cwd: tmp, stdio: "pipe" });
    } catch (e) {
      cli = String((e as { stderr: Buffer }).stderr).trim();
    }
    expect(cli).toMatch(/^stem4d info: error: bad\.mib: /);
    const s = await openExplorer(undefined, true, [bad]);
    try {
      expect(await servedOpened(s.page)).toBe(cli.replace(/^stem4d info: /, ""));
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);

  it("says it runs single-threaded without isolation and still opens the served file", async () => {
    const served = await cliServe([real("blockfile/test1.blo")], ["--no-isolation"]);
    const session = await openPage(served.url);
    try {
      expect(await session.page.textContent("#threads")).toMatch(/^single-threaded: this page is not cross-origin/);
      expect(await servedOpened(session.page)).toMatch(/ready in/);
      const got = await pageImage(session.page);
      const ds = await openDataset(real("blockfile/test1.blo"));
      expect(got.image).toEqual(await nodeImage(ds, got.detector));
      await ds.source.close?.();
      expect(session.errors).toEqual([]);
    } finally {
      await session.close();
      await stop(served.child);
    }
  }, 90_000);
});
