// `stem4d simulate --model probe`, `dpc` and `ptycho` end to end (needs the build: npm run build, as scripts/test.sh
// does): calibration carried by the .s4d file, parameters found when a .npy file does not say them, and bad input.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stem4d, cliBuilt } from "../helpers/cli.js";

describe.skipIf(!cliBuilt)("stem4d simulate --model probe, dpc, ptycho", () => {
  let dir = "";
  const sim = (name: string, ...extra: string[]) => {
    const r = stem4d("simulate", "--model", "probe", "-o", join(dir, name), "--scan", "40,40", "--detector", "48,48", "-q",
      ...extra);
    expect(r.status, r.stderr).toBe(0);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "stem4d-ptycho-cli-"));
    sim("cal.s4d", "--rotation", "12", "--defocus", "25");
    sim("bare.npy", "--rotation", "-40", "--flip");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("simulate writes the data, the true phase and every parameter", () => {
    expect(readdirSync(dir).sort()).toEqual(
      ["bare.npy", "bare.phase.npy", "bare.probe.json", "cal.phase.npy", "cal.probe.json", "cal.s4d"]);
    const p = JSON.parse(readFileSync(join(dir, "cal.probe.json"), "utf8"));
    expect(p.calibration.probe).toMatchObject({ kv: 300, alphaMrad: 20, defocusA: 25, rotationDeg: 12, flip: false });
    expect(p.calibration.axes[0]).toEqual({ name: "scan_y", step: 0.2, unit: "A" });
  });

  it("simulate --phases 1 gives one lattice; other counts are refused", () => {
    const r = stem4d("simulate", "--model", "probe", "-o", join(dir, "one", "one.npy"), "--scan", "8,8",
      "--detector", "48,48", "--phases", "1", "-q");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "one", "one.probe.json"), "utf8")).parameters.phases).toHaveLength(1);
    const bad = stem4d("simulate", "--model", "probe", "-o", join(dir, "one", "x.npy"), "--phases", "3");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--phases: expected 1 or 2, got '3'");
  });

  it("ptycho reads every parameter from the .s4d calibration and beats bright field", () => {
    const out = join(dir, "ssb");
    const r = stem4d("ptycho", join(dir, "cal.s4d"), "-o", out, "--truth", join(dir, "cal.phase.npy"), "--json", "-q");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ kv: 300, alphaMrad: 20, defocusA: 25, rotationDeg: 12, rotationFound: false });
    expect(s.mradFrom).toBe("file");
    expect(s.phasePearsonWithTruth).toBeGreaterThanOrEqual(0.9);
    expect(s.frcHalfCrossing.ssb).toBeGreaterThan(s.frcHalfCrossing.brightField);
    for (const f of ["phase.npy", "phase.png", "amplitude.npy", "object.npy", "bright_field.png"]) {
      expect(existsSync(join(out, f))).toBe(true);
    }
  });

  it("ptycho --bin 2 bins the detector as it reads, with a quarter of the trotter pixels and the phase kept", () => {
    const run = (...extra: string[]) => {
      const r = stem4d("ptycho", join(dir, "cal.s4d"), "-o", join(dir, `bin${extra.length}`),
        "--truth", join(dir, "cal.phase.npy"), "--json", "-q", ...extra);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const full = run(), binned = run("--bin", "2");
    expect(binned).toMatchObject({ detectorBin: 2, mradPerPixel: 2, center: { cy: 11.75, cx: 11.75 } });
    expect(binned.trotterPixels / full.trotterPixels).toBeGreaterThan(0.2);
    expect(binned.trotterPixels / full.trotterPixels).toBeLessThan(0.3);
    expect(binned.phasePearsonWithTruth).toBeGreaterThanOrEqual(0.9);
  });

  it("on a bare .npy: fits centre and pixel size from the disk and finds rotation and flip by minimum curl", () => {
    const r = stem4d("ptycho", join(dir, "bare.npy"), "-o", join(dir, "bare"), "--kv", "300", "--alpha", "20",
      "--step", "0.2",
      "--truth", join(dir, "bare.phase.npy"), "--json", "-q");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.mradFrom).toBe("fitted disk");
    expect(Math.abs(s.mradPerPixel - 1)).toBeLessThan(0.02);
    expect(s.rotationFound).toBe(true);
    expect(s.flip).toBe(true);
    expect(Math.abs(s.rotationDeg + 40)).toBeLessThan(1);
    expect(s.phasePearsonWithTruth).toBeGreaterThanOrEqual(0.9);
  });

  it("ptycho --method wdd deconvolves over the whole disk and correlates with the truth; other methods are refused", () => {
    const out = join(dir, "wdd");
    const r = stem4d("ptycho", join(dir, "cal.s4d"), "-o", out, "--method", "wdd", "--truth", join(dir, "cal.phase.npy"),
      "--json", "-q");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ method: "wdd", rotationDeg: 12, defocusA: 25 });
    expect(s.phasePearsonWithTruth).toBeGreaterThanOrEqual(0.9);
    // Every frequency within 2 alpha keeps the whole disk.
    expect(s.trotterPixels).toBe(s.frequencies * s.bfPixels);
    expect(existsSync(join(out, "phase.png"))).toBe(true);
    const bad = stem4d("ptycho", join(dir, "cal.s4d"), "-o", out, "--method", "epie");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--method: expected ssb or wdd, got 'epie'");
  });

  it("dpc writes COM, curl, divergence and iCoM, and finds the rotation", () => {
    const out = join(dir, "dpc");
    const r = stem4d("dpc", join(dir, "bare.npy"), "-o", out, "--kv", "300", "--step", "0.2", "--mrad-per-pixel", "1",
      "--truth", join(dir, "bare.phase.npy"), "--json", "-q");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.frameFound).toBe(true);
    expect(s.flip).toBe(true);
    expect(Math.abs(s.rotationDeg + 40)).toBeLessThan(1);
    expect(s.icomPearsonWithTruth).toBeGreaterThanOrEqual(0.9);
    for (const f of ["com_y", "com_x", "curl", "divergence", "icom"]) {
      expect(existsSync(join(out, `${f}.npy`))).toBe(true);
    }
  });

  it("names missing parameters and what they mean, in one line", () => {
    const r = stem4d("ptycho", join(dir, "bare.npy"), "-o", join(dir, "x"), "--kv", "300");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--alpha, the probe's convergence semi-angle in mrad");
    expect(r.stderr).toContain("--step, the scan step in angstrom");
  });

  it("refuses an alpha outside the detector and warns of an aliasing step, with the numbers", () => {
    const big = stem4d("ptycho", join(dir, "cal.s4d"), "-o", join(dir, "x"), "--alpha", "30");
    expect(big.status).toBe(2);
    expect(big.stderr).toMatch(/alpha 30 mrad is 30\.0 detector pixels .* only 23\.0 pixels from the detector's edge/);
    const coarse = stem4d("ptycho", join(dir, "cal.s4d"), "-o", join(dir, "y"), "--step", "0.3", "-q");
    expect(coarse.status, coarse.stderr).toBe(0);
    expect(coarse.stderr).toMatch(/warning: .*scan step 0.3 A exceeds lambda \/ \(4 alpha\) = 0.2461 A/);
  });
});
