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
  seed?: number;
  replicates?: number;
  distance?: KMeansDistance;
  method?: LinkageMethod;
  /** Runs the passes over the frames (PCA's and the cluster patterns'); default: on `core`, in this process. The
   * shard engine (bindings/scale/sharded-analyze.ts) runs them on other machines; k-means, the linkage and the
   * dense steps of PCA stay here (they work on the scores, not the frames). */
  runner?: ViewPassRunner;
  /** Progress of the running stage (frames or steps done of total). */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Called as each stage ends (for logs). */
  onStage?: (stage: StageReport) => void;
  /** Peak memory of the process so far, in bytes (Node: resourceUsage().maxRSS * 1024); recorded per stage. */
  peakMemory?: () => number;
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
  options: { components: number; dims: number; k: number; cuts: number[]; meanCenter: boolean; fullSpectrum: boolean; seed: number; replicates: number; distance: KMeansDistance; method: LinkageMethod };
  pca: PcaResult;
  kmeans: KMeansResult;
  linkage: Linkage;
  /** The k-means level first, then each cut in the order given. */
  levels: ClusterLevel[];
  virtual: { bf: Float32Array; adf: Float32Array; center: { cy: number; cx: number }; bfRadius: number; adfRadii: [number, number] };
  stages: StageReport[];
}

/** Probe positions the analysis clusters: all of them, or the scan-binned grid (floor of each axis / scanBin). */
export function analyzedPositions(ds: Dataset, scanBin = 1): number {
  const nav = ds.shape.slice(0, -2);
  return scanBin > 1 && nav.length === 2 ? Math.floor(nav[0]! / scanBin) * Math.floor(nav[1]! / scanBin) : frameCount(ds);
}

/** Resolves the options against the dataset, with clear errors for impossible requests. */
export function analyzePlan(ds: Dataset, o: AnalyzeOptions): AnalyzeResult["options"] & { bin: number; scanBin: number } {
  const bin = o.bin ?? binFactorFor(ds, 96), scanBin = o.scanBin ?? 1;
  if (!Number.isInteger(bin) || bin < 1) throw new RangeError(`bin: expected a positive integer, got ${o.bin}`);
  if (!Number.isInteger(scanBin) || scanBin < 1) throw new RangeError(`scan bin: expected a positive integer, got ${o.scanBin}`);
  const [rows, cols] = sigShape(ds);
  const nav = ds.shape.slice(0, -2);
  if (scanBin > 1 && (nav.length !== 2 || scanBin > nav[0]! || scanBin > nav[1]!)) throw new RangeError(`scan bin: a factor of ${scanBin} needs a 2D scan of at least ${scanBin} x ${scanBin}; this one is [${nav.join(", ")}]`);
  const P = analyzedPositions(ds, scanBin);
  const Q = Math.floor(rows / bin) * Math.floor(cols / bin);
  if (Q < 1) throw new RangeError(`bin: a factor of ${bin} leaves no pixel of the ${rows} x ${cols} detector`);
  if (o.fullSpectrum && Q > MAX_SPECTRUM_PIXELS) throw new RangeError(`full spectrum: the binned detector has ${Q} pixels; at most ${MAX_SPECTRUM_PIXELS} (bin more)`);
  const components = o.components ?? Math.min(256, P, Q);
  const dims = o.dims ?? Math.min(256, components);
  if (!Number.isInteger(dims) || dims < 1 || dims > components) throw new RangeError(`dims: expected an integer in [1, ${components}] (the number of components), got ${dims}`);
  const k = o.k ?? Math.min(36, P);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k: expected a positive integer, got ${k}`);
  if (k > P) throw new RangeError(`k: ${k} clusters exceed the ${P} probe positions`);
  const cuts = o.cuts ?? [16, 4].filter((c) => c < k);
  for (const c of cuts) if (!Number.isInteger(c) || c < 1 || c > k) throw new RangeError(`cuts: each must be an integer in [1, ${k}] (k), got ${c}`);
  return {
    bin, scanBin, components, dims, k, cuts,
    meanCenter: o.meanCenter ?? false, fullSpectrum: o.fullSpectrum ?? false, seed: o.seed ?? 0, replicates: o.replicates ?? 10,
    distance: o.distance ?? "sqeuclidean", method: o.method ?? "ward",
  };
}

export async function analyze(core: Core, input: Dataset, o: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const plan = analyzePlan(input, o);
  const { bin, scanBin, ...options } = plan;
  const stages: StageReport[] = [];
  let t = performance.now();
  const endStage = (stage: string) => {
    const now = performance.now();
    const r: StageReport = { stage, seconds: (now - t) / 1000, coreBytes: core.memory.buffer.byteLength };
    if (o.peakMemory) r.peakBytes = o.peakMemory();
    stages.push(r);
    o.onStage?.(r);
    t = now;
  };
  const progress = (stage: string) => (done: number, total: number) => o.onProgress?.(stage, done, total);

  // The binned view reads and bins frames block by block: the full-size data are never held.
  const ds = bin > 1 || scanBin > 1 ? binDataset(core, input, { detector: bin, scan: scanBin }) : input;
  try {
    const [rows, cols] = sigShape(ds);
    const P = frameCount(ds), Q = framePixels(ds);
    const runPasses = o.runner?.({ detector: bin, scan: scanBin }, ds) ?? localPasses(core, ds);

    const p = await pca(core, ds, { runPasses, components: options.components, meanCenter: options.meanCenter, fullSpectrum: options.fullSpectrum, seed: options.seed, onProgress: (d, n) => o.onProgress?.("pca", d, n) });
    endStage("pca");

    const km = await kmeans(core, p.scores, [P, options.components], { k: options.k, dims: options.dims, seed: options.seed, replicates: options.replicates, distance: options.distance });
    endStage("kmeans");

    const link = linkage(km.centroids, options.k, { method: options.method, weights: km.counts });
    const groups = options.cuts.map((c) => cutTree(link, c));
    endStage("hcluster");

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
    endStage("patterns");

    return {
      input: { shape: [...input.shape], dtype: input.dtype },
      shape: [...ds.shape], bin, scanBin, options, pca: p, kmeans: km, linkage: link, levels,
      virtual: { bf: images.images[0]!, adf: images.images[1]!, center: { cy: disk.cy, cx: disk.cx }, bfRadius: disk.radius, adfRadii },
      stages,
    };
  } finally {
    // The binned view owns scratch memory in the core; closing it leaves the caller's dataset open.
    if (ds !== input) await ds.source.close?.();
  }
}
