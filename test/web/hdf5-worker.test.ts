// HDF5 in the explorer page without a copy: h5wasm runs in the page's HDF5 worker and reads chosen files lazily
// (Emscripten's WORKERFS). The worker counts what it fetches from each file; a generated EMD stack must be read in
// pieces of at most 8 MiB, little more than its metadata when opened, each byte about once, and the image must equal
// Node's. The real EMD file and ARINA set go through the same worker (their images against Node's are in
// explorer.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Core, annulusMask, openDataset, runReduction, virtualImages } from "../../bindings/node.js";
import { closeExplorerFixture, openExplorerFixture } from "../helpers/explorer-fixture.js";
import { built, chooseFiles, chromiumPath, root, type ExplorerSession } from "../../bench/web-page.js";
import type { FileReads } from "../../web/hdf5-remote.js";

const cli = (...args: string[]) => execFileSync(process.execPath, [join(root, "dist/cli/main.js"), ...args, "-q"]);
const real = (p: string) => join(root, "../shared/data/real", p);

let s: ExplorerSession, core: Core, tmp: string;

const workerReads = async (): Promise<FileReads[]> =>
  (await s.page.evaluate(() => (globalThis as any).explorer.hdf5Reads())).files;

describe.skipIf(!chromiumPath || !built)("HDF5 read lazily by the page's worker", () => {
  beforeAll(async () => {
    ({ session: s, core, tmp } = await openExplorerFixture("stem4d-h5worker-"));
  }, 120_000);

  afterAll(() => closeExplorerFixture({ session: s, core, tmp }));

  it("opens a generated EMD stack reading its metadata only, then frames in pieces, each byte about once", async () => {
    cli("simulate", "--scan", "32,32", "--detector", "128,128", "-o", join(tmp, "sim.npy"));
    const file = join(tmp, "sim.emd");
    cli("convert", join(tmp, "sim.npy"), file);
    const size = statSync(file).size, frameBytes = 128 * 128 * 2;
    expect(await chooseFiles(s.page, [file])).toMatch(/^sim\.emd: shape \[32, 32, 128, 128\] u16, .*ready in/);
    const reads = (await workerReads()).find((r) => r.name === "sim.emd")!;
    expect(reads.size).toBe(size);
    expect(reads.atOpen).toBeGreaterThan(0);
    // Opening reads the metadata's 1 MiB blocks, not the frames; the frames come in runs of at most 8 blocks, each
    // byte once.
    expect(reads.atOpen).toBeLessThanOrEqual(2 << 20);
    expect(reads.largest).toBeLessThanOrEqual(8 << 20);
    expect(reads.reads).toBeGreaterThanOrEqual(Math.ceil(size / (8 << 20)));
    expect(reads.bytes).toBeGreaterThanOrEqual(32 * 32 * frameBytes);
    expect(reads.bytes).toBeLessThan(size * 1.02);

    const page = await s.page.evaluate(() => {
      const v = (globalThis as any).explorer.views;
      return { image: Array.from(v.image as Float32Array), detector: v.detector };
    });
    const ds = await openDataset(file);
    const d = page.detector;
    const mask = annulusMask(128, 128, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
    expect(page.image).toEqual(Array.from((await runReduction(core, ds, virtualImages([mask]))).images[0]!));
    await ds.source.close?.();
    expect(s.errors).toEqual([]);
  }, 120_000);

  it("shows the CLI's one-line message for a truncated or broken HDF5 file, from the worker", async () => {
    const emd = readFileSync(real("emd/py4DSTEM_size2x3x4x5.h5"));
    writeFileSync(join(tmp, "trunc.emd"), emd.subarray(0, 2000));
    writeFileSync(join(tmp, "bad.h5"), Buffer.concat([emd.subarray(0, 8), Buffer.alloc(40, 0x78)]));
    for (const file of ["trunc.emd", "bad.h5"]) {
      let line = "";
      try {
        execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "info", file], { cwd: tmp, stdio: "pipe" });
      } catch (e) {
        line = String((e as { stderr: Buffer }).stderr).trim();
      }
      expect(line).toMatch(new RegExp(`^stem4d info: error: ${file.replace(".", "\\.")}: `));
      expect(await chooseFiles(s.page, [join(tmp, file)])).toBe(line.replace(/^stem4d info: /, ""));
    }
    expect(s.errors).toEqual([]);
  }, 60_000);

  it("opens the real EMD file and the ARINA master's metadata through the worker's lazy reads", async () => {
    for (const set of [["emd/py4DSTEM_size2x3x4x5.h5"],
      ["arina/test_00_master.h5", "arina/test_00_data_000001.h5", "arina/test_00.h5"]]) {
      expect(await chooseFiles(s.page, set.map(real))).toMatch(/ready in/);
      const name = set[0]!.split("/").pop()!;
      const reads = (await workerReads()).find((r) => r.name === name)!;
      expect(reads.reads).toBeGreaterThan(0);
    }
    expect(s.errors).toEqual([]);
  }, 120_000);
});
