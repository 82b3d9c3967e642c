// Every exit status of the command line, and the lines a user reads on stderr: usage errors (unknown options, a
// missing -o, unknown commands, bad values) exit 2 with one line naming the problem and where the help is; bad
// data exits 1 naming the path; defaults that do not fit a small real scan are lowered with one notice line each;
// virtual detectors that reach past the frame or sit on saturated pixels are warned about.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REAL = join(root, "../shared/data/real");
const BLOCKFILE = join(REAL, "blockfile/test1.blo"), MIB = join(REAL, "merlin/001_4x2_6bit.mib");
const dir = mkdtempSync(join(tmpdir(), "stem4d-usage-"));
const data = join(dir, "sim.npy");

const lines = (s: string) => s.split("\n").filter(Boolean);

describe.skipIf(!cliBuilt)("stem4d exit statuses and messages", () => {
  beforeAll(() => {
    const r = stem4d("simulate", "-o", data, "--scan", "6,6", "--detector", "96,96", "--seed", "3", "-q");
    expect(r.status, r.stderr).toBe(0);
  });

  it.each([
    [["virtual", "sim", "--bf", "3", "-o", "x.npy", "--bogus"], "stem4d virtual: error: unknown option '--bogus'; see 'stem4d virtual --help'"],
    [["virtual", "sim", "--bf", "3"], "stem4d virtual: error: required option '-o, --output <image.npy>' not specified; see 'stem4d virtual --help'"],
    [["frobnicate", "sim"], "stem4d: error: unknown command 'frobnicate'; see 'stem4d --help'"],
    [["virtual", "sim", "extra", "--bf", "3", "-o", "x.npy"], "stem4d virtual: error: too many arguments for 'virtual'. Expected 1 argument but got 2; see 'stem4d virtual --help'"],
    [["virtual", "sim", "--bf", "-2", "-o", "x.npy"], "stem4d virtual: error: --bf: radius must be positive, got -2; see 'stem4d virtual --help'"],
    [["fft", "sim", "-o", "f", "--window", "kaiser"], "stem4d fft: error: --window: expected hann or none, got 'kaiser' (default: hann); see 'stem4d fft --help'"],
  ])("usage error %j: exit 2 and one line", (args, line) => {
    const r = stem4d(...args.map((a) => (a === "sim" ? data : a === "x.npy" ? join(dir, a) : a)));
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([line]);
    expect(r.stdout).toBe("");
  });

  it("bad data: exit 1 and one line naming the path (a directory, a missing file)", () => {
    let r = stem4d("info", dir);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([`stem4d info: error: ${dir}: is a directory; expected a data file (e.g. .npy, .mib, .blo, .h5)`]);
    r = stem4d("virtual", join(dir, "nope.npy"), "--bf", "3", "-o", join(dir, "x.npy"));
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("nope.npy");
  });

  it("help and version: exit 0; the help says -o creates folders", () => {
    for (const args of [["--help"], ["--version"], ["virtual", "--help"], ["analyze", "--help"], ["help", "fft"]]) {
      const r = stem4d(...args);
      expect(r.status, args.join(" ")).toBe(0);
    }
    expect(stem4d("virtual", "--help").stdout).toContain("they are created, parents included");
    expect(stem4d("analyze", "--help").stdout).toContain("created with its parents if missing");
  });

  it("analyze on the real 3 x 2 blockfile: adapts every default with one notice each, warns on degenerate clusters", () => {
    const r = stem4d("analyze", BLOCKFILE, "-o", join(dir, "blo"), "-q", "--json");
    expect(r.status, r.stderr).toBe(0);
    const err = lines(r.stderr);
    expect(err.filter((l) => l.startsWith("stem4d analyze: notice: "))).toEqual([
      "stem4d analyze: notice: --components 6 instead of the default 256: the data have 6 probe positions and 5184 detector pixels, so at most 6 components",
      "stem4d analyze: notice: --dims 6 instead of the default 256: k-means can use at most the 6 components",
      "stem4d analyze: notice: --k 3 instead of the default 36: 6 probe positions allow at most 3 clusters of 2 positions on average",
      "stem4d analyze: notice: --cuts 2 instead of the default 16,4: a cut must have fewer clusters than k = 3",
    ]);
    const s = JSON.parse(r.stdout);
    expect(s.options).toMatchObject({ components: 6, dims: 6, k: 3, cuts: [2] });
    // Clusters of a single probe position are said to be degenerate, on stderr and in the summary.
    const singles = s.kmeans.clusterSizes.filter((n: number) => n === 1).length;
    expect(err.some((l) => l.startsWith("stem4d analyze: warning: degenerate clustering"))).toBe(singles > 0);
    expect(s.warnings.length > 0).toBe(singles > 0);
  });

  it("analyze on the real Merlin file (4 x 2 scan given with --scan) adapts the same way", () => {
    const r = stem4d("analyze", MIB, "--scan", "4,2", "-o", join(dir, "mib"), "-q", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stderr).filter((l) => l.includes(": notice: "))).toHaveLength(4);
    expect(JSON.parse(r.stdout).options).toMatchObject({ components: 8, k: 4, cuts: [2] });
  });

  it("analyze: an explicit option that cannot work is an error naming it and its default", () => {
    let r = stem4d("analyze", BLOCKFILE, "-o", join(dir, "x"), "--k", "50");
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(["stem4d analyze: error: --k: 50 clusters exceed the 6 probe positions (default: 3 here); see 'stem4d analyze --help'"]);
    r = stem4d("analyze", BLOCKFILE, "-o", join(dir, "x"), "--cuts", "16,4");
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(["stem4d analyze: error: --cuts: each must be an integer in [1, 3] (k), got 16 (default: 2 here); see 'stem4d analyze --help'"]);
    r = stem4d("analyze", BLOCKFILE, "-o", join(dir, "x"), "--components", "7");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--components: expected an integer in [1, 6]");
  });

  it("virtual: warns when the disk reaches past the frame, and on saturated pixels (Merlin 6-bit: 63)", () => {
    let r = stem4d("virtual", data, "--bf", "500", "-o", join(dir, "bf.npy"), "-q");
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^stem4d virtual: warning: --bf: the disk of radius 500 around \([\d.]+, [\d.]+\) reaches [\d.]+ px past the edge of the 96 x 96 detector/);
    r = stem4d("virtual", data, "--bf", "5", "-o", join(dir, "bf.npy"), "-q");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    r = stem4d("virtual", MIB, "--bf", "10", "-o", join(dir, "mib_bf.npy"), "-q", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^stem4d virtual: warning: saturation: [\d.]+% of the pixels inside the bright field \(disk of radius 10 px\) sit at the counter's maximum \(63\) in 8 of 8 frames sampled/);
    expect(JSON.parse(r.stdout).warnings).toHaveLength(1);
  });

  it("output piped into a reader that has stopped (| head): exit 0, nothing on stderr", async () => {
    const child = spawn(process.execPath, [CLI, "analyze", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    // The reading end closes before the help is written: every write fails with EPIPE.
    child.stdout.destroy();
    const status = await new Promise<number | null>((done) => child.on("close", done));
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });
});
