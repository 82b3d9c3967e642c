// The explorer's scan-FFT views in headless Chromium, on a probe-model simulation (a crystal lattice, so the
// spectrum has peaks): the power spectrum and its peaks must equal Node's scanPowerSpectrum and findPeaks (what
// `stem4d fft` writes), and the CBED amplitude and phase at a frequency clicked on the spectrum must equal Node's
// cbedAt there; the Bragg-filtered map at that frequency must equal Node's braggFilter with the radius the CLI gives
// it, and the CLI's own map (fourierAnalysis, what `stem4d fft` reports) to float rounding. A page error fails the
// test; the screenshot goes to out/web/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { autoFilters, braggFilter, cbedAt, findPeaks, fourierAnalysis, runReduction, scanPowerSpectrum,
  type BraggMap } from "../../bindings/node.js";
import { built, chooseFiles, chromiumPath, settled } from "../../bench/web-page.js";
import { probePage, shots } from "../helpers/probe-page.js";

const page = probePage("stem4d-fft-");
const { fixture: f } = page;

const pageFourier = () => f.s.page.evaluate(() => {
  const f = (globalThis as any).explorer.fourier;
  return { power: Array.from(f.power as Float64Array), peaks: f.peaks.map((p: any) => [p.ky, p.kx]),
    cbed: f.cbed && { ky: f.cbed.ky, kx: f.cbed.kx, amplitude: Array.from(f.cbed.amplitude as Float32Array),
      phase: Array.from(f.cbed.phase as Float32Array) },
    bragg: f.bragg && { ky: f.bragg.ky, kx: f.bragg.kx, radius: f.bragg.radius,
      map: Array.from(f.bragg.maps[0] as Float32Array) } };
});

/** The page's Bragg map equals `exact` (same filter, same reduction) and the CLI's map `cli` to float rounding. */
function expectBragg(got: { ky: number; kx: number; radius: number; map: number[] }, exact: BraggMap, cli: BraggMap) {
  expect([got.ky, got.kx, got.radius]).toEqual([cli.ky, cli.kx, cli.radius]);
  expect(got.map).toEqual(Array.from(exact.maps[0]!));
  const want = cli.maps[0]!, scale = Math.max(...want);
  expect(scale).toBeGreaterThan(0);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got.map[i]! - want[i]!)).toBeLessThan(1e-5 * scale);
}

describe.skipIf(!chromiumPath || !built)("the scan-FFT views of the explorer page", () => {
  beforeAll(() => page.setUp(), 120_000);
  afterAll(() => page.tearDown());

  it("shows Node's power spectrum and peaks, and the CBED at the first peak", async () => {
    expect(await chooseFiles(f.s.page, [f.file])).toMatch(/ready in/);
    await f.s.page.click("#fft-run");
    await settled(f.s.page);
    expect(await f.s.page.textContent("#fft-status")).toMatch(/^scan FFT in \d+ ms; peaks: \(/);
    const got = await pageFourier();
    const want = await scanPowerSpectrum(f.core, f.ds, { window: "hann" });
    expect(got.power).toEqual(Array.from(want.power));
    const peaks = findPeaks(want.power, 32, 32, { count: 4 });
    expect(peaks.length).toBeGreaterThan(0);
    expect(got.peaks).toEqual(peaks.map((p) => [p.ky, p.kx]));
    const [first] = await cbedAt(f.core, f.ds, [{ ky: peaks[0]!.ky, kx: peaks[0]!.kx }]);
    expect(got.cbed.amplitude).toEqual(Array.from(first!.amplitude));
    expect(got.cbed.phase).toEqual(Array.from(first!.phase));
    const [exact] = await runReduction(f.core, f.ds, braggFilter([autoFilters(peaks)[0]!]));
    expectBragg(got.bragg, exact!, (await fourierAnalysis(f.core, f.ds)).filters[0]!);
    expect(f.s.errors).toEqual([]);
  }, 90_000);

  it("shows Node's CBED amplitude and phase at a frequency clicked on the spectrum", async () => {
    const [ky, kx] = [2, -5];
    await f.s.page.locator("#fft-power").scrollIntoViewIfNeeded();
    const at = await f.s.page.evaluate(({ ky, kx }) => {
      const p = (globalThis as any).explorer.fourier.powerAt, el = document.getElementById("fft-power")!;
      const box = el.getBoundingClientRect(), k = box.width / (el as HTMLCanvasElement).width;
      return { x: box.left + (p.x0 + (kx + 16 + 0.5) * p.scale) * k,
        y: box.top + (p.y0 + (ky + 16 + 0.5) * p.scale) * k };
    }, { ky, kx });
    await f.s.page.mouse.click(at.x, at.y);
    await settled(f.s.page);
    const got = (await pageFourier()).cbed;
    expect([got.ky, got.kx]).toEqual([ky, kx]);
    const [want] = await cbedAt(f.core, f.ds, [{ ky, kx }]);
    expect(got.amplitude).toEqual(Array.from(want!.amplitude));
    expect(got.phase).toEqual(Array.from(want!.phase));
    // Not a peak: the CLI analyses it with `--at 2,-5`, first among the frequencies.
    const cli = await fourierAnalysis(f.core, f.ds, { at: [{ ky, kx }] });
    expect(cli.peaks.some((p) => p.ky === ky && p.kx === kx)).toBe(false);
    const [exact] = await runReduction(f.core, f.ds, braggFilter([cli.filters[0]!]));
    expectBragg((await pageFourier()).bragg, exact!, cli.filters[0]!);
    await f.s.page.screenshot({ path: join(shots, "scan-fft.png"), fullPage: true });
    expect(f.s.errors).toEqual([]);
  }, 60_000);
});
