// The paper's pipeline in one call (Jesse et al. 2016, Figures 3 and 4): bin the detector (lazily, while reading),
// PCA of the unfolded data, k-means on the first scores, agglomerative clustering of the centroids, cuts of the
// dendrogram, and one last pass over the (binned) frames for the virtual bright-field / annular dark-field images
// and the mean pattern of every cluster. Isomorphic: the caller writes files (cli/commands/analyze.ts).
import type { Core } from "../core.js";
import { type Dataset, frameCount, framePixels, sigShape } from "../dataset.js";
import { binDataset, binFactorFor } from "./bin.js";
import { estimateCenter } from "./center.js";
import { type ClusterSums, meanPatterns } from "./cluster-means.js";
import { cutTree, linkage, mapLabels, type Linkage, type LinkageMethod } from "./hcluster.js";
import { kmeans, type KMeansDistance, type KMeansResult } from "./kmeans.js";
import { annulusMask, diskMask } from "./masks.js";
import type { VirtualImages } from "./virtual.js";
import { type ViewPassRunner, localPasses, passes } from "./pass-specs.js";
import { pca, type PcaResult } from "./pca.js";
import { MAX_SPECTRUM_PIXELS } from "./pca-spectrum.js";

export interface AnalyzeOptions {
  /** Detector bin factor (1 = none); default: the smallest that brings the detector to at most 96 x 96. */
  bin?: number;
  /** Scan bin factor (1 = none, the default): s x s probe positions summed into one (needs a 2D scan). Useful when
   * the scan samples each unit cell finely and the phases, not the positions in the cell, are wanted. */
  scanBin?: number;
  /** PCA components (default min(256, P, Q)). */
  components?: number;
  /** Scores k-means uses (default min(256, components)). */
  dims?: number;
  /** k-means clusters (default min(36, P)). */
  k?: number;
  /** Dendrogram cuts, in numbers of clusters (default 16 and 4, those below k). */
  cuts?: number[];
  meanCenter?: boolean;
  /** Every eigenvalue too, from the Gram matrix (the paper's scree of all components; the binned detector must have
   * at most 16384 pixels): one more pass and a dense eigensolve. */
  fullSpectrum?: boolean;
  /** PCA's products in 16-bit integers when the data are integers of a small range (default true; see pca.ts). */
  integerProducts?: boolean;
  seed?: number;
  replicates?: number;
  distance?: KMeansDistance;
  method?: LinkageMethod;
  /** Runs the passes over the frames (PCA's and the cluster patterns'); default: on `core`, in this process. The
   * shard engine (bindings/scale/sharded-analyze.ts) runs them on other machines; k-means, the linkage and the
   * dense steps of PCA stay here (they work on the scores, not the frames). */
  runner?: ViewPassRunner;
  /** Work that needs PCA's results but not the clusters (the CLI's Fourier analysis of the frames): run right after
   * PCA, while this thread is free to keep the workers fed (later it draws the figures), and timed as a stage of
   * its own named `stage`. */
  afterPca?: { stage: string; run: (pca: PcaResult) => Promise<void> };
  /** Progress of the running stage (frames or steps done of total). */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Called as each stage ends (for logs). */
  onStage?: (stage: StageReport) => void;
  /** Peak memory of the process since the last resetPeakMemory, in bytes; recorded per stage. */
  peakMemory?: () => number;
  /** Starts a new peak-memory window (called as each stage begins), so each stage reports its own peak. */
  resetPeakMemory?: () => void;
}

/** An option the data could not take at its default, and the value used instead. */
export interface AdaptedOption {
  option: "components" | "dims" | "k" | "cuts";
  value: string;
  /** The default as the documentation states it. */
  default: string;
  reason: string;
}

/** An option that cannot work on this dataset; `option` names it (AnalyzeOptions key), the message says why. */
export class AnalyzeOptionError extends RangeError {
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
    this.reason = message;
  }
  readonly reason: string;
}

export interface StageReport {
  stage: string;
  seconds: number;
  /** Process peak memory after the stage (when peakMemory was given), bytes. */
  peakBytes?: number;
  /** Size of the core's WebAssembly memory after the stage, bytes. */
  coreBytes: number;
}

export interface ClusterLevel {
  /** Number of clusters at this level. */
  clusters: number;
  /** "k" for the k-means level, "cut" for a dendrogram cut. */
  kind: "k" | "cut";
  /** Cluster of every probe position (scan-shaped, flattened). */
  labels: Int32Array;
  /** clusters x rows x cols float32: mean pattern of each cluster, from the (binned) frames. */
  means: Float32Array;
  /** Probe positions in each cluster. */
  counts: Float64Array;
  /** For a cut: the group of each k-means cluster. */
  groupOfCluster?: Int32Array;
}

export interface AnalyzeResult {
  /** The input as given. */
  input: { shape: number[]; dtype: string };
  /** The dataset analysed (after binning). */
  shape: number[];
  bin: number;
  scanBin: number;
  options: { components: number; dims: number; k: number; cuts: number[]; meanCenter: boolean; fullSpectrum: boolean; integerProducts: boolean; seed: number; replicates: number; distance: KMeansDistance; method: LinkageMethod };
  pca: PcaResult;
  kmeans: KMeansResult;
  linkage: Linkage;
  /** The k-means level first, then each cut in the order given. */
  levels: ClusterLevel[];
  virtual: { bf: Float32Array; adf: Float32Array; center: { cy: number; cx: number }; bfRadius: number; adfRadii: [number, number] };
  stages: StageReport[];
  /** Defaults lowered to fit the data (one entry each). */
  adapted: AdaptedOption[];
  /** Results that say little (e.g. clusters of a single probe position). */
  warnings: string[];
}

/** Probe positions the analysis clusters: all of them, or the scan-binned grid (floor of each axis / scanBin). */
export function analyzedPositions(ds: Dataset, scanBin = 1): number {
  const nav = ds.shape.slice(0, -2);
  return scanBin > 1 && nav.length === 2 ? Math.floor(nav[0]! / scanBin) * Math.floor(nav[1]! / scanBin) : frameCount(ds);
}

/** Defaults of the options that depend on the data. */
export const ANALYZE_DEFAULTS = { components: 256, dims: 256, k: 36, cuts: [16, 4], positionsPerCluster: 2 } as const;

/** The default k for P probe positions: 36, or fewer so that a cluster averages at least two positions. */
export function defaultK(positions: number): number {
  return Math.max(1, Math.min(ANALYZE_DEFAULTS.k, Math.floor(positions / ANALYZE_DEFAULTS.positionsPerCluster)));
}

/** The default cuts for k clusters: 16 and 4, those below k; 2 when none is (and k > 2). */
export function defaultCuts(k: number): number[] {
  const cuts = ANALYZE_DEFAULTS.cuts.filter((c) => c < k);
  return cuts.length ? cuts : k > 2 ? [2] : [];
}

export type AnalyzePlan = AnalyzeResult["options"] & { bin: number; scanBin: number; adapted: AdaptedOption[] };

/** Resolves the options against the dataset: defaults adapted to the data (each listed in `adapted`), and an
 * AnalyzeOptionError naming the option and its default for an explicit request that cannot work. */
export function analyzePlan(ds: Dataset, o: AnalyzeOptions): AnalyzePlan {
  const fail = (option: string, message: string) => new AnalyzeOptionError(option, message);
  const bin = o.bin ?? binFactorFor(ds, 96), scanBin = o.scanBin ?? 1;
  if (!Number.isInteger(bin) || bin < 1) throw fail("bin", `expected a positive integer, got ${o.bin}`);
  if (!Number.isInteger(scanBin) || scanBin < 1) throw fail("scanBin", `expected a positive integer, got ${o.scanBin}`);
  const [rows, cols] = sigShape(ds);
  const nav = ds.shape.slice(0, -2);
  if (scanBin > 1 && (nav.length !== 2 || scanBin > nav[0]! || scanBin > nav[1]!)) throw fail("scanBin", `a factor of ${scanBin} needs a 2D scan of at least ${scanBin} x ${scanBin}; this one is [${nav.join(", ")}] (default: 1)`);
  const P = analyzedPositions(ds, scanBin);
  const Q = Math.floor(rows / bin) * Math.floor(cols / bin);
  if (Q < 1) throw fail("bin", `a factor of ${bin} leaves no pixel of the ${rows} x ${cols} detector (default: ${binFactorFor(ds, 96)})`);
  if (o.fullSpectrum && Q > MAX_SPECTRUM_PIXELS) throw fail("fullSpectrum", `the binned detector has ${Q} pixels; at most ${MAX_SPECTRUM_PIXELS} (bin more)`);
  const adapted: AdaptedOption[] = [];
  const D = ANALYZE_DEFAULTS;

  const rank = Math.min(P, Q);
  const components = o.components ?? Math.min(D.components, rank);
  if (o.components === undefined && components < D.components) adapted.push({ option: "components", value: String(components), default: String(D.components), reason: `the data have ${P} probe positions and ${Q} detector pixels, so at most ${rank} components` });
  if (!Number.isInteger(components) || components < 1 || components > rank) throw fail("components", `expected an integer in [1, ${rank}] (at most the ${P} probe positions and the ${Q} detector pixels), got ${components} (default: ${Math.min(D.components, rank)} here)`);
  const dims = o.dims ?? Math.min(D.dims, components);
  if (o.dims === undefined && dims < D.dims) adapted.push({ option: "dims", value: String(dims), default: String(D.dims), reason: `k-means can use at most the ${components} components` });
  if (!Number.isInteger(dims) || dims < 1 || dims > components) throw fail("dims", `expected an integer in [1, ${components}] (the number of components), got ${dims} (default: ${Math.min(D.dims, components)} here)`);
  const k = o.k ?? defaultK(P);
  if (o.k === undefined && k < D.k) adapted.push({ option: "k", value: String(k), default: String(D.k), reason: `${P} probe positions allow at most ${k} clusters of ${D.positionsPerCluster} positions on average` });
  if (!Number.isInteger(k) || k < 1) throw fail("k", `expected a positive integer, got ${k} (default: ${defaultK(P)} here)`);
  if (k > P) throw fail("k", `${k} clusters exceed the ${P} probe positions (default: ${defaultK(P)} here)`);
  const cuts = o.cuts ?? defaultCuts(k);
  if (o.cuts === undefined && cuts.join() !== D.cuts.join()) adapted.push({ option: "cuts", value: cuts.join(",") || "none", default: D.cuts.join(","), reason: `a cut must have fewer clusters than k = ${k}` });
  for (const c of cuts) if (!Number.isInteger(c) || c < 1 || c > k) throw fail("cuts", `each must be an integer in [1, ${k}] (k), got ${c} (default: ${defaultCuts(k).join(",") || "none"} here)`);
  return {
    bin, scanBin, components, dims, k, cuts, adapted,
    meanCenter: o.meanCenter ?? false, fullSpectrum: o.fullSpectrum ?? false, integerProducts: o.integerProducts ?? true, seed: o.seed ?? 0, replicates: o.replicates ?? 10,
    distance: o.distance ?? "sqeuclidean", method: o.method ?? "ward",
  };
}

/** Warnings about a clustering that says little: clusters of one probe position, or no spread at all. */
export function degenerateWarnings(km: Pick<KMeansResult, "k" | "counts" | "inertia">, positions: number): string[] {
  const singles = Array.from(km.counts).filter((n) => n <= 1).length;
  const out: string[] = [];
  if (singles > 0) {
    const hold = singles === 1 ? "holds" : "hold", their = singles === 1 ? "its mean pattern is a single frame" : "their mean patterns are single frames";
    out.push(`degenerate clustering: ${singles} of the ${km.k} k-means clusters ${hold} a single probe position (${positions} positions in all); ${their}`);
  }
  if (km.inertia === 0 && positions > 1) out.push("degenerate clustering: inertia 0 (every position sits on its centroid), so the clusters say nothing about their spread");
  return out;
}

export async function analyze(core: Core, input: Dataset, o: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const plan = analyzePlan(input, o);
  const { bin, scanBin, adapted, ...options } = plan;
  const stages: StageReport[] = [];
  o.resetPeakMemory?.();
  let t = performance.now();
  const endStage = (stage: string) => {
    const now = performance.now();
    const r: StageReport = { stage, seconds: (now - t) / 1000, coreBytes: core.memory.buffer.byteLength };
    if (o.peakMemory) r.peakBytes = o.peakMemory();
    stages.push(r);
    o.onStage?.(r);
    o.resetPeakMemory?.();
    t = performance.now();
  };
  const progress = (stage: string) => (done: number, total: number) => o.onProgress?.(stage, done, total);

  // The binned view reads and bins frames block by block: the full-size data are never held.
  const ds = bin > 1 || scanBin > 1 ? binDataset(core, input, { detector: bin, scan: scanBin }) : input;
  try {
    const [rows, cols] = sigShape(ds);
    const P = frameCount(ds), Q = framePixels(ds);
    const runPasses = o.runner?.({ detector: bin, scan: scanBin }, ds) ?? localPasses(core, ds);

    const p = await pca(core, ds, { runPasses, components: options.components, meanCenter: options.meanCenter, fullSpectrum: options.fullSpectrum, integerProducts: options.integerProducts, seed: options.seed, onProgress: (d, n) => o.onProgress?.("pca", d, n) });
    endStage("PCA (reads and bins the frames)");
    if (o.afterPca) {
      await o.afterPca.run(p);
      endStage(o.afterPca.stage);
    }

    const km = await kmeans(core, p.scores, [P, options.components], { k: options.k, dims: options.dims, seed: options.seed, replicates: options.replicates, distance: options.distance });
    endStage("k-means");

    const link = linkage(km.centroids, options.k, { method: options.method, weights: km.counts });
    const groups = options.cuts.map((c) => cutTree(link, c));
    endStage("linkage and cuts");

    // One more pass: virtual BF/ADF (centre and disk from a sample of frames) and per-cluster sums.
    const disk = await estimateCenter(ds);
    const adfRadii: [number, number] = [disk.radius * 1.5, Math.max(disk.radius * 1.5, Math.min(rows, cols) / 2)];
    const masks = [diskMask(rows, cols, disk, disk.radius), annulusMask(rows, cols, disk, adfRadii[0], adfRadii[1])];
    const [images, sums] = (await runPasses([passes.virtual(masks, "virtual BF/ADF"), passes.clusterSums(km.labels, options.k)], progress("patterns"))) as [VirtualImages, ClusterSums];
    const levels: ClusterLevel[] = [];
    const own = meanPatterns(sums);
    levels.push({ clusters: options.k, kind: "k", labels: km.labels, means: own.means, counts: own.counts });
    for (const [i, c] of options.cuts.entries()) {
      const m = meanPatterns(sums, groups[i]!);
      levels.push({ clusters: c, kind: "cut", labels: mapLabels(km.labels, groups[i]!), means: m.means, counts: m.counts, groupOfCluster: groups[i]! });
    }
    endStage("virtual images and mean patterns");

    return {
      input: { shape: [...input.shape], dtype: input.dtype },
      shape: [...ds.shape], bin, scanBin, options, pca: p, kmeans: km, linkage: link, levels,
      virtual: { bf: images.images[0]!, adf: images.images[1]!, center: { cy: disk.cy, cx: disk.cx }, bfRadius: disk.radius, adfRadii },
      stages, adapted, warnings: degenerateWarnings(km, P),
    };
  } finally {
    // The binned view owns scratch memory in the core; closing it leaves the caller's dataset open.
    if (ds !== input) await ds.source.close?.();
  }
}
