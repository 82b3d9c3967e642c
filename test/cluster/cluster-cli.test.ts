// analyze, kmeans and hcluster end to end through the built CLI: the files the issue names, summary.json, a
// self-contained report, single steps that reproduce analyze's outputs, and usage errors with exit status 2.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeNpyArray } from "../../bindings/npy.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";
import { adjustedRandIndex } from "../../bindings/analyses/cluster-agreement.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-cluster-cli-"));
const data = join(dir, "sim.npy"), out = join(dir, "analysis");
const npy = (name: string) => decodeNpyArray(readFileSync(join(out, name)), name);

describe.skipIf(!cliBuilt)("stem4d analyze / kmeans / hcluster", () => {
  beforeAll(() => {
    const s = stem4d("simulate", "-o", data, "--scan", "16,14", "--detector", "40,40", "--seed", "3", "-q");
    expect(s.status, s.stderr).toBe(0);
    const r = stem4d("analyze", data, "-o", out, "--components", "20", "--k", "10", "--cuts", "5,2", "--bin", "2", "--seed", "1", "--replicates", "3", "-q", "--json", "--truth", join(dir, "sim.truth.json"));
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it("scores every cluster level against --truth labels in summary.json and the report", () => {
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    const phase = JSON.parse(readFileSync(join(dir, "sim.truth.json"), "utf8")).phase as number[];
    expect(Object.keys(s.truth.adjustedRandIndex)).toEqual(["k10", "cut5", "cut2"]);
    for (const level of ["k10", "cut5", "cut2"]) {
      expect(s.truth.adjustedRandIndex[level]).toBeCloseTo(adjustedRandIndex(npy(`labels_${level}.npy`).data, phase), 12);
    }
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("Agreement with the ground truth");
  });

  it("writes every array the issue names, with the right shapes", () => {
    expect(npy("eigenvalues.npy").shape).toEqual([20]);
    expect(npy("scores.npy").shape).toEqual([224, 20]);
    expect(npy("components.npy").shape).toEqual([20, 400]);
    expect(npy("centroids.npy").shape).toEqual([10, 20]);
    expect(npy("linkage.npy").shape).toEqual([9, 4]);
    for (const name of ["labels_k10.npy", "labels_cut5.npy", "labels_cut2.npy"]) expect(npy(name).shape).toEqual([16, 14]);
    expect(npy("mean_patterns_cut2.npy").shape).toEqual([2, 20, 20]);
    expect(npy("mean_patterns_cut5.npy").shape).toEqual([5, 20, 20]);
    expect(new Set(npy("labels_cut2.npy").data)).toEqual(new Set([0, 1]));
  });

  it("writes summary.json with shape, options, explained variance, inertia and per-stage time and memory", () => {
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(s.input).toMatchObject({ shape: [16, 14, 40, 40], dtype: "u16" });
    expect(s.analysed).toEqual({ shape: [16, 14, 20, 20], bin: 2, scanBin: 1 });
    expect(s.options).toMatchObject({ components: 20, dims: 20, k: 10, cuts: [5, 2], meanCenter: false, seed: 1 });
    expect(s.pca.explainedRatio).toHaveLength(20);
    expect(s.kmeans.inertia).toBeGreaterThan(0);
    // The simulated counts, binned 2 x 2, are held in memory as u16 (see resident-copy.ts) before PCA.
    expect(s.inMemory).toBe("u16");
    expect(s.stages.map((x: { stage: string }) => x.stage)).toEqual(["binned copy of the frames in memory (u16)", "PCA (reads and bins the frames)", "Fourier analysis (passes over the frames)", "k-means", "linkage and cuts", "virtual images and mean patterns", "agreement with the true labels", "writing the arrays", "figures", "Fourier figures"]);
    for (const st of s.stages) { expect(st.seconds).toBeGreaterThanOrEqual(0); expect(st.peakMemoryBytes).toBeGreaterThan(1e6); }
    for (const f of s.files) expect(existsSync(join(out, f))).toBe(true);
  });

  it("writes one self-contained report with every figure inlined", () => {
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/|file:)/);
    expect(html).not.toMatch(/<script/);
    for (const t of ["Virtual detectors", "Scree plots", "Eigen-patterns", "Loading maps", "Dendrogram", "k-means: 10 clusters", "Dendrogram cut: 5 clusters", "Dendrogram cut: 2 clusters"]) expect(html).toContain(t);
    // Every figure is inline SVG. Maps: BF + ADF, 12 eigen-patterns and loading maps at most (here 12 of 20), a map and
    // the patterns per level; then the true labels (--truth); the Fourier section: the power spectrum, and CBED
    // amplitude, phase and Bragg map at each peak. Each map has a colour bar and a scale bar.
    const maps = html.match(/<g class="map"/g)!.length;
    const fourier = html.slice(html.indexOf('<section id="fourier">'));
    expect(fourier).toContain("Fourier analysis over the scan axes");
    const fourierMaps = fourier.match(/<g class="map"/g)!.length;
    expect((fourierMaps - 1) % 3).toBe(0);
    expect(maps).toBe(2 + 12 + 12 + (1 + 10) + (1 + 5) + (1 + 2) + 1 + fourierMaps);
    expect(html.match(/<g class="colorbar"/g)!.length).toBe(maps);
    expect(html.match(/<g class="scalebar"/g)!.length).toBe(maps);
    expect(html.match(/<svg /g)!.length).toBe(maps + 3); // and two scree plots and the dendrogram
    expect(fourier).toContain("<th>period (scan px)</th>"); // the peak table is a table
  });

  it("--no-fourier leaves the Fourier section and its stage out and changes nothing else", () => {
    const lean = join(dir, "lean");
    const r = stem4d("analyze", data, "-o", lean, "--components", "20", "--k", "10", "--cuts", "5,2", "--bin", "2", "--seed", "1", "--replicates", "3", "-q", "--no-fourier");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(lean, "summary.json"), "utf8"));
    expect(s.stages.map((x: { stage: string }) => x.stage).filter((x: string) => x.startsWith("Fourier"))).toEqual([]);
    const html = readFileSync(join(lean, "report.html"), "utf8");
    expect(html).not.toContain('<section id="fourier">');
    expect(html).toContain("Dendrogram cut: 2 clusters");
    for (const name of ["labels_k10.npy", "labels_cut2.npy", "eigenvalues.npy", "mean_patterns_cut5.npy"]) {
      expect(Array.from(decodeNpyArray(readFileSync(join(lean, name)), name).data)).toEqual(Array.from(npy(name).data));
    }
  });

  it("--no-copy reads the file at every pass instead of a copy in memory: the same clusters and eigenvalues", () => {
    const streamed = join(dir, "streamed");
    const r = stem4d("analyze", data, "-o", streamed, "--components", "20", "--k", "10", "--cuts", "5,2", "--bin", "2", "--seed", "1", "--replicates", "3", "-q", "--no-fourier", "--no-copy");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(streamed, "summary.json"), "utf8"));
    expect(s.inMemory).toBeUndefined();
    expect(s.stages[0].stage).toBe("PCA (reads and bins the frames)");
    const file = (name: string) => Array.from(decodeNpyArray(readFileSync(join(streamed, name)), name).data);
    // The passes' tiles follow the frames' byte size, so sums may round differently: labels equal, values close.
    for (const name of ["labels_k10.npy", "labels_cut5.npy", "labels_cut2.npy"]) expect(file(name)).toEqual(Array.from(npy(name).data));
    const [a, b] = [file("eigenvalues.npy"), Array.from(npy("eigenvalues.npy").data)];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!) / b[i]!).toBeLessThan(1e-6);
  });

  it("kmeans and hcluster as single steps reproduce analyze's labels, linkage and mean patterns", () => {
    const step = join(dir, "steps");
    let r = stem4d("kmeans", join(out, "scores.npy"), "-o", step, "--k", "10", "--seed", "1", "--replicates", "3", "--json");
    expect(r.status, r.stderr).toBe(0);
    const step1 = (n: string) => decodeNpyArray(readFileSync(join(step, n)), n);
    expect(step1("labels_k10.npy").shape).toEqual([16, 14]); // scan shape from summary.json beside the scores
    expect(Array.from(step1("labels_k10.npy").data)).toEqual(Array.from(npy("labels_k10.npy").data));
    r = stem4d("hcluster", join(step, "centroids.npy"), "-o", step, "--labels", join(step, "labels_k10.npy"), "--cuts", "5,2", "--data", data, "--bin", "2", "-q", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(Array.from(step1("linkage.npy").data)).toEqual(Array.from(npy("linkage.npy").data));
    expect(Array.from(step1("labels_cut2.npy").data)).toEqual(Array.from(npy("labels_cut2.npy").data));
    const a = step1("mean_patterns_cut5.npy").data, b = npy("mean_patterns_cut5.npy").data;
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 3);
    expect(readFileSync(join(step, "dendrogram.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it("rejects impossible requests with one line and exit status 2", () => {
    const cases: [string[], RegExp][] = [
      [["analyze", data, "-o", join(dir, "x"), "--k", "500"], /k: 500 clusters exceed the 224 probe positions/],
      [["analyze", data, "-o", join(dir, "x"), "--k", "8", "--cuts", "9"], /cuts: each must be an integer in \[1, 8\]/],
      [["analyze", data, "-o", join(dir, "x"), "--method", "single"], /--method: expected one of ward, average, complete, centroid/],
      [["analyze", data, "-o", join(dir, "x"), "--truth", join(out, "eigenvalues.npy")], /--truth: .*eigenvalues\.npy has 20 labels; the analysis clusters 224 probe positions/],
      [["analyze", data, "-o", join(dir, "x"), "--truth", join(out, "summary.json")], /--truth: .*summary\.json: expected an object with a 'phase' array/],
      [["kmeans", join(out, "scores.npy"), "-o", join(dir, "x"), "--k", "300"], /--k 300 exceeds the 224 probe positions/],
      [["kmeans", join(out, "eigenvalues.npy"), "-o", join(dir, "x")], /eigenvalues\.npy has shape \[20\]; expected a 2D array/],
      [["hcluster", join(out, "centroids.npy"), "-o", join(dir, "x"), "--cuts", "11"], /--cuts: 11 is outside \[1, 10\]/],
    ];
    for (const [args, msg] of cases) {
      const r = stem4d(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
