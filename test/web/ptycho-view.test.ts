// The explorer's Ptychography view in headless Chromium, on a small probe-model simulation written by the CLI (.s4d
// keeps the calibration): the parameters default to the file's, the SSB phase and bright field equal Node's
// singleSideBand with the same parameters (also after changing the defocus in the page), the phase follows the
// simulator's true phase, and a parameter the file does not give is named in one line. A page error fails the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNpyArray, saveNpy } from "../../bindings/node.js";
import { singleSideBand } from "../../bindings/analyses/ssb.js";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import type { SsbParameters } from "../../bindings/analyses/ssb-plan.js";
import { built, chooseFiles, chromiumPath, settled } from "../../bench/web-page.js";
import { probePage, shots } from "../helpers/probe-page.js";

const page = probePage("stem4d-ssb-");
const { fixture: f } = page;

const pagePtycho = () => f.s.page.evaluate(() => {
  const v = (globalThis as any).explorer.ptycho;
  return { phase: Array.from(v.result.phase as Float32Array),
    brightField: Array.from(v.result.brightField as Float32Array),
    parameters: v.parameters, status: document.getElementById("ssb-status")!.textContent };
});

const simulated: SsbParameters = { kv: 300, alphaMrad: 20, stepA: [0.2, 0.2], mradPerPixel: 1, rotationDeg: 0,
  flip: false, defocusA: 0, c3mm: 0, center: { cy: 24, cx: 24 }, wiener: 0 };

describe.skipIf(!chromiumPath || !built)("the Ptychography view of the explorer page", () => {
  beforeAll(() => page.setUp(), 120_000);
  afterAll(() => page.tearDown());

  it("takes the f.file's parameters and shows Node's SSB phase, which follows the true phase", async () => {
    expect(await chooseFiles(f.s.page, [f.file])).toMatch(/ready in/);
    const fields = await f.s.page.evaluate(() => ["kv", "alpha", "step", "rotation", "defocus"].map((id) =>
      (document.getElementById(`ssb-${id}`) as HTMLInputElement).value));
    expect(fields).toEqual(["300", "20", "0.2,0.2", "0", "0"]);
    await f.s.page.click("#ssb-run");
    await settled(f.s.page);
    const got = await pagePtycho();
    expect(got.status).toMatch(/^SSB in \d+ ms: 300 kV, alpha 20 mrad, step 0.2 x 0.2 A, rotation 0 deg/);
    expect(got.parameters).toEqual(simulated);
    const want = await singleSideBand(f.core, f.ds, simulated);
    expect(got.phase).toEqual(Array.from(want.phase));
    expect(got.brightField).toEqual(Array.from(want.brightField));
    const truth = decodeNpyArray(readFileSync(join(f.tmp, "probe.phase.npy")), "truth");
    expect(pearson(Float32Array.from(got.phase), truth.data as Float32Array)).toBeGreaterThan(0.9);
    await f.s.page.locator("#ssb-phase").scrollIntoViewIfNeeded();
    await f.s.page.screenshot({ path: join(shots, "ptychography.png"), fullPage: true });
    expect(f.s.errors).toEqual([]);
  }, 90_000);

  it("uses a defocus typed in the page, as Node does with the same defocus", async () => {
    await f.s.page.fill("#ssb-defocus", "-30");
    await f.s.page.click("#ssb-run");
    await settled(f.s.page);
    const got = await pagePtycho();
    const want = await singleSideBand(f.core, f.ds, { ...simulated, defocusA: -30 });
    expect(got.parameters.defocusA).toBe(-30);
    expect(got.phase).toEqual(Array.from(want.phase));
    expect(f.s.errors).toEqual([]);
  }, 60_000);

  it("names the parameter a f.file without calibration lacks, in one line", async () => {
    const bare = join(f.tmp, "bare.npy");
    const frames = new Uint16Array(4 * 4 * 16 * 16).fill(3);
    await saveNpy(bare, frames, "u16", [4, 4, 16, 16]);
    expect(await chooseFiles(f.s.page, [bare])).toMatch(/ready in/);
    await f.s.page.click("#ssb-run");
    await settled(f.s.page);
    expect(await f.s.page.textContent("#ssb-status")).toBe("error: bare.npy does not say --kv, the accelerating " +
      "voltage in kV; --alpha, the probe's convergence semi-angle in mrad; --step, the scan step in angstrom (give " +
      "them as options)");
    expect(f.s.errors).toEqual([]);
  }, 60_000);
});
