// `stem4d stream receive --ptycho`: single-side-band ptychography accumulated as a simulated probe series arrives
// over 127.0.0.1 (`stream send`, paced), with the running object written while it arrives, ends with the files
// `stem4d ptycho` writes for the received container; parameters come from the series' calibration or the options,
// and missing ones are named in one line (the sender is refused with the same line).
import { describe, expect, it, afterAll } from "vitest";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pearson } from "../../bindings/analyses/ssb-metrics.js";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-ptycho-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Done { status: number | null; stdout: string; stderr: string }

function run(args: string[]): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => { stdout += d.toString(); });
  child.stderr!.on("data", (d) => { stderr += d.toString(); });
  return { child, done: new Promise((r) => child.on("exit", (status) => r({ status, stdout, stderr }))) };
}

/** A receiver with `extra` options and a sender of `file`, both on a free port; their ends. */
async function stream(file: string, out: string, extra: string[], sendExtra: string[] = []): Promise<[Done, Done]> {
  const port = await freePort();
  const rx = run(["stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "-o", out, "--json", "--timeout", "30", ...extra]);
  const tx = run(["stream", "send", file, "--to", `tcp://127.0.0.1:${port}`, "--encode", "lossless", "--json", "--timeout", "20",
    ...sendExtra]);
  return Promise.all([tx.done, rx.done]);
}

/** The values of a version-1 .npy of float32 or complex64 (re, im pairs). */
function npy(f: string): Float32Array {
  const b = readFileSync(f), at = 10 + b.readUInt16LE(8);
  expect(b.toString("latin1", 10, at)).toMatch(/'descr': '<[fc][48]'/);
  return new Float32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + b.length));
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

describe.skipIf(!cliBuilt)("stem4d stream receive --ptycho", () => {
  it("accumulates SSB as the frames arrive, writes the running phase, and ends equal to ptycho on the container", async () => {
    const data = join(dir, "probe.s4d");
    const sim = stem4d("simulate", "--model", "probe", "-o", data, "--scan", "64,64", "--detector", "48,48",
      "--rotation", "12", "--defocus", "25", "-q");
    expect(sim.status, sim.stderr).toBe(0);
    const out = join(dir, "rx");
    // Paced at 2000 frames/s: the 4096 frames take about 2 s, and the running phase is due every 0.2 s (it is written
    // when a new whole tile of 1024 frames has been reduced).
    const [s, r] = await stream(data, out, ["--ptycho", "--ptycho-every", "0.2", "--wiener", "0.01"], ["--rate", "2000"]);
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    // Every parameter from the series' calibration (the simulator's), the centre included.
    expect(got.ptychography).toMatchObject({ kv: 300, alphaMrad: 20, stepA: [0.2, 0.2], mradPerPixel: 1, rotationDeg: 12,
      flip: false, defocusA: 25, center: { cy: 24, cx: 24 }, wiener: 0.01, warnings: [] });
    expect(got.ptychography.runningWrites).toBeGreaterThanOrEqual(1);
    expect(got.ptychography.lastRunningFrames).toBeGreaterThan(0);
    expect(got.ptychography.lastRunningFrames).toBeLessThan(4096);

    const off = join(dir, "off");
    const o = stem4d("ptycho", join(out, "stream.s4d"), "-o", off, "--wiener", "0.01", "--json", "-q");
    expect(o.status, o.stderr).toBe(0);
    for (const f of ["object.npy", "phase.npy", "amplitude.npy", "bright_field.npy"]) {
      expect(maxRelative(npy(join(out, "ptycho", f)), npy(join(off, f))), f).toBeLessThan(1e-5);
    }
    for (const f of ["phase.png", "bright_field.png", "running_phase.png"]) expect(existsSync(join(out, "ptycho", f))).toBe(true);
    // The running phase ends as the final one, and the final one is the object (not a partial one).
    expect(maxRelative(npy(join(out, "ptycho", "running_phase.npy")), npy(join(off, "phase.npy")))).toBeLessThan(1e-5);
    expect(pearson(npy(join(off, "phase.npy")), npy(join(dir, "probe.phase.npy"))))
      .toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it("--ptycho wdd ends equal to ptycho --method wdd on the container", async () => {
    const data = join(dir, "small.s4d");
    const sim = stem4d("simulate", "--model", "probe", "-o", data, "--scan", "24,24", "--detector", "40,40",
      "--alpha", "16", "--rotation", "-30", "--flip", "-q");
    expect(sim.status, sim.stderr).toBe(0);
    const out = join(dir, "rx-wdd");
    const [s, r] = await stream(data, out, ["--ptycho", "wdd", "--epsilon", "0.01"]);
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ptychography).toMatchObject({ method: "wdd", epsilon: 0.01, rotationDeg: -30, flip: true });
    const off = join(dir, "off-wdd");
    const o = stem4d("ptycho", join(out, "stream.s4d"), "-o", off, "--method", "wdd", "--epsilon", "0.01", "-q");
    expect(o.status, o.stderr).toBe(0);
    for (const f of ["object.npy", "phase.npy", "bright_field.npy"]) {
      expect(maxRelative(npy(join(out, "ptycho", f)), npy(join(off, f))), f).toBeLessThan(1e-5);
    }
  }, 120_000);

  it("names missing parameters in one line, to the receiver's user and to the sender", async () => {
    const bare = join(dir, "bare.npy");
    expect(stem4d("simulate", "--model", "probe", "-o", bare, "--scan", "8,8", "--detector", "48,48", "-q").status).toBe(0);
    const [s, r] = await stream(bare, join(dir, "bare"), ["--ptycho", "--alpha", "20"]);
    const line = /series "[^"]+" does not say --kv, the accelerating voltage in kV; --step, the scan step in angstrom \(give them as options\)/;
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`stem4d stream receive: error: ${line.source}`));
    expect(s.status).not.toBe(0);
    expect(s.stderr).toMatch(new RegExp(`refused series "[^"]+": ${line.source}`));

    const [, rot] = await stream(bare, join(dir, "bare2"), ["--ptycho", "--alpha", "20", "--kv", "300", "--step", "0.2",
      "--mrad-per-pixel", "1"]);
    expect(rot.status).toBe(2);
    expect(rot.stderr).toMatch(/series "[^"]+" does not say the scan rotation: give --rotation/);
    const [, pix] = await stream(bare, join(dir, "bare3"), ["--ptycho", "--alpha", "20", "--kv", "300", "--step", "0.2",
      "--rotation", "0"]);
    expect(pix.status).toBe(2);
    expect(pix.stderr).toMatch(/series "[^"]+" does not say the detector pixel size: give --mrad-per-pixel/);
  }, 120_000);
});
