// The explorer's Ptychography view in headless Chromium, on a small probe-model simulation written by the CLI (.s4d
// keeps the calibration): the parameters default to the file's, the SSB phase and bright field equal Node's
// singleSideBand with the same parameters (also after changing the defocus in the page), the phase follows the
// simulator's true phase, and a parameter the file does not give is named in one line. A page error fails the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, decodeNpyArray, openDataset, saveNpy, type Dataset } from "../../bindings/node.js";
import { singleSideBand } from "../../bindings/analyses/ssb.js";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import type { SsbParameters } from "../../bindings/analyses/ssb-plan.js";
import { built, chooseFiles, chromiumPath, openExplorer, root, settled, type ExplorerSession } from
  "../../bench/web-page.js";

const shots = join(root, "out/web");
let s: ExplorerSession, core: Core, tmp: string, file: string, ds: Dataset;

const pagePtycho = () => s.page.evaluate(() => {
  const v = (globalThis as any).explorer.ptycho;
  return { phase: Array.from(v.result.phase as Float32Array),
    brightField: Array.from(v.result.brightField as Float32Array),
    parameters: v.parameters, status: document.getElementById("ssb-status")!.textContent };
});

const simulated: SsbParameters = { kv: 300, alphaMrad: 20, stepA: [0.2, 0.2], mradPerPixel: 1, rotationDeg: 0,
  flip: false, defocusA: 0, c3mm: 0, center: { cy: 24, cx: 24 }, wiener: 0 };

describe.skipIf(!chromiumPath || !built)("the Ptychography view of the explorer page", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), "stem4d-ssb-"));
    file = join(tmp, "probe.s4d");
    execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "simulate", "--model", "probe", "--scan", "32,32",
      "--detector", "48,48", "-o", file, "-q"]);
    core = await Core.create({ workers: 2 });
    ds = await openDataset(file);
    s = await openExplorer(2);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await ds?.source.close?.();
    await core?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("takes the file's parameters and shows Node's SSB phase, which follows the true phase", async () => {
    expect(await chooseFiles(s.page, [file])).toMatch(/ready in/);
    const fields = await s.page.evaluate(() => ["kv", "alpha", "step", "rotation", "defocus"].map((id) =>
      (document.getElementById(`ssb-${id}`) as HTMLInputElement).value));
    expect(fields).toEqual(["300", "20", "0.2,0.2", "0", "0"]);
    await s.page.click("#ssb-run");
    await settled(s.page);
    const got = await pagePtycho();
    expect(got.status).toMatch(/^SSB in \d+ ms: 300 kV, alpha 20 mrad, step 0.2 x 0.2 A, rotation 0 deg/);
    expect(got.parameters).toEqual(simulated);
    const want = await singleSideBand(core, ds, simulated);
    expect(got.phase).toEqual(Array.from(want.phase));
    expect(got.brightField).toEqual(Array.from(want.brightField));
    const truth = decodeNpyArray(readFileSync(join(tmp, "probe.phase.npy")), "truth");
    expect(pearson(Float32Array.from(got.phase), truth.data as Float32Array)).toBeGreaterThan(0.9);
    await s.page.locator("#ssb-phase").scrollIntoViewIfNeeded();
    await s.page.screenshot({ path: join(shots, "ptychography.png"), fullPage: true });
    expect(s.errors).toEqual([]);
  }, 90_000);

  it("uses a defocus typed in the page, as Node does with the same defocus", async () => {
    await s.page.fill("#ssb-defocus", "-30");
    await s.page.click("#ssb-run");
    await settled(s.page);
    const got = await pagePtycho();
    const want = await singleSideBand(core, ds, { ...simulated, defocusA: -30 });
    expect(got.parameters.defocusA).toBe(-30);
    expect(got.phase).toEqual(Array.from(want.phase));
    expect(s.errors).toEqual([]);
  }, 60_000);

  it("names the parameter a file without calibration lacks, in one line", async () => {
    const bare = join(tmp, "bare.npy");
    const frames = new Uint16Array(4 * 4 * 16 * 16).fill(3);
    await saveNpy(bare, frames, "u16", [4, 4, 16, 16]);
    expect(await chooseFiles(s.page, [bare])).toMatch(/ready in/);
    await s.page.click("#ssb-run");
    await settled(s.page);
    expect(await s.page.textContent("#ssb-status")).toBe("error: bare.npy does not say --kv, the accelerating " +
      "voltage in kV; --alpha, the probe's convergence semi-angle in mrad; --step, the scan step in angstrom (give " +
      "them as options)");
    expect(s.errors).toEqual([]);
  }, 60_000);
});
