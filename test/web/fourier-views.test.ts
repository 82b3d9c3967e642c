// The explorer's scan-FFT views in headless Chromium, on a probe-model simulation (a crystal lattice, so the
// spectrum has peaks): the power spectrum and its peaks must equal Node's scanPowerSpectrum and findPeaks (what
// `stem4d fft` writes), and the CBED amplitude and phase at a frequency clicked on the spectrum must equal Node's
// cbedAt there. A page error fails the test; the screenshot goes to out/web/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, cbedAt, findPeaks, openDataset, scanPowerSpectrum, type Dataset } from "../../bindings/node.js";
import { built, chooseFiles, chromiumPath, openExplorer, root, settled, type ExplorerSession } from
  "../../bench/web-page.js";

const shots = join(root, "out/web");
let s: ExplorerSession, core: Core, tmp: string, file: string, ds: Dataset;

const pageFourier = () => s.page.evaluate(() => {
  const f = (globalThis as any).explorer.fourier;
  return { power: Array.from(f.power as Float64Array), peaks: f.peaks.map((p: any) => [p.ky, p.kx]),
    cbed: f.cbed && { ky: f.cbed.ky, kx: f.cbed.kx, amplitude: Array.from(f.cbed.amplitude as Float32Array),
      phase: Array.from(f.cbed.phase as Float32Array) } };
});

describe.skipIf(!chromiumPath || !built)("the scan-FFT views of the explorer page", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), "stem4d-fft-"));
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

  it("shows Node's power spectrum and peaks, and the CBED at the first peak", async () => {
    expect(await chooseFiles(s.page, [file])).toMatch(/ready in/);
    await s.page.click("#fft-run");
    await settled(s.page);
    expect(await s.page.textContent("#fft-status")).toMatch(/^scan FFT in \d+ ms; peaks: \(/);
    const got = await pageFourier();
    const want = await scanPowerSpectrum(core, ds, { window: "hann" });
    expect(got.power).toEqual(Array.from(want.power));
    const peaks = findPeaks(want.power, 32, 32, { count: 4 });
    expect(peaks.length).toBeGreaterThan(0);
    expect(got.peaks).toEqual(peaks.map((p) => [p.ky, p.kx]));
    const [first] = await cbedAt(core, ds, [{ ky: peaks[0]!.ky, kx: peaks[0]!.kx }]);
    expect(got.cbed.amplitude).toEqual(Array.from(first!.amplitude));
    expect(got.cbed.phase).toEqual(Array.from(first!.phase));
    expect(s.errors).toEqual([]);
  }, 90_000);

  it("shows Node's CBED amplitude and phase at a frequency clicked on the spectrum", async () => {
    const [ky, kx] = [2, -5];
    await s.page.locator("#fft-power").scrollIntoViewIfNeeded();
    const at = await s.page.evaluate(({ ky, kx }) => {
      const p = (globalThis as any).explorer.fourier.powerAt, el = document.getElementById("fft-power")!;
      const box = el.getBoundingClientRect(), k = box.width / (el as HTMLCanvasElement).width;
      return { x: box.left + (p.x0 + (kx + 16 + 0.5) * p.scale) * k,
        y: box.top + (p.y0 + (ky + 16 + 0.5) * p.scale) * k };
    }, { ky, kx });
    await s.page.mouse.click(at.x, at.y);
    await settled(s.page);
    const got = (await pageFourier()).cbed;
    expect([got.ky, got.kx]).toEqual([ky, kx]);
    const [want] = await cbedAt(core, ds, [{ ky, kx }]);
    expect(got.amplitude).toEqual(Array.from(want!.amplitude));
    expect(got.phase).toEqual(Array.from(want!.phase));
    await s.page.screenshot({ path: join(shots, "scan-fft.png"), fullPage: true });
    expect(s.errors).toEqual([]);
  }, 60_000);
});
