import type { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { binDataset, binFactorFor } from "../../bindings/analyses/bin.js";
import { decodeNpyArray } from "../../bindings/npy.js";
import { frameBytes, frameCount, framePixels, sigShape, type Dataset } from "../../bindings/dataset.js";
import { MAX_REGION } from "../../bindings/arena.js";
import { residentCopy } from "../../bindings/resident-copy.js";
import type { Core } from "../../bindings/core.js";
import { cbedAt } from "../../bindings/analyses/fourier-cbed.js";
import { fourierAnalysis, type FourierAnalysis } from "../../bindings/analyses/fourier-analysis.js";
import { modelPeaks } from "../../bindings/analyses/fourier-model.js";
import { scanFftGrid } from "../../bindings/analyses/fourier-scan.js";
import { agreementSection, levelAgreement } from "../../bindings/figures/report-agreement.js";
import { analyze, analyzedPositions, analyzePlan, AnalyzeOptionError, type AnalyzeOptions, type AnalyzeResult, type StageReport } from "../../bindings/analyses/analyze.js";
import { LINKAGE_METHODS, type LinkageMethod } from "../../bindings/analyses/hcluster.js";
import type { PcaResult } from "../../bindings/analyses/pca.js";
import { clusterColors, type ClusterColors } from "../../bindings/figures/cluster-colors.js";
import { dendrogramSvg } from "../../bindings/figures/dendrogram.js";
import { analyzeReportPage, analyzeReportSections, dendrogramOptions } from "../../bindings/figures/report-analyze.js";
import type { ReportSection } from "../../bindings/figures/report.js";
import { fourierReportSection } from "../../bindings/figures/report-fourier.js";
import {
  UsageError, action, datasetPixels, ensureDir, inputOptions, notice, openInput, parseIntList, parsePositiveInt, peakMemoryWindows, progress, report, withCore, writeNpy,
  type CommonOptions,
} from "../common.js";
import { declare } from "./index.js";
import { checkRedisUrl, coordinatorOptions, fileRefOptions, noteWriter, withdrawOnInterrupt } from "./shard.js";

export interface AnalyzeFlags extends CommonOptions {
  output: string;
  bin?: string;
  scanBin?: string;
  components?: string;
  dims?: string;
  k?: string;
  cuts?: string;
  meanCenter?: boolean;
  fullSpectrum?: boolean;
  floatProducts?: boolean;
  truth?: string;
  seed?: string;
  replicates?: string;
  distance: string;
  method: string;
  /** false with --no-fourier: the report has no Fourier section (none of its passes over the frames). */
  fourier?: boolean;
  /** false with --no-copy: every pass reads the file, even for counted frames that would fit in memory. */
  copy?: boolean;
  redis?: string;
  /** With --redis (commander gives them their defaults). */
  queue?: string;
  workerWait?: string;
  shards: string;
}

/** The defaults of the flags that have one (what `stream receive --analyze` runs with). */
export const ANALYZE_DEFAULTS = {
  seed: "0", replicates: "10", distance: "sqeuclidean", method: "ward", shards: "4",
} as const;

const kebab = (option: string) => option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function register(program: Command): void {
  const cmd = inputOptions(declare(program, "analyze"))
    .requiredOption("-o, --output <dir>", "output folder (created with its parents if missing)")
    .option("--bin <n>", "detector bin factor (default: down to at most 96 x 96)")
    .option("--scan-bin <n>", "sum n x n probe positions into one first (default 1)")
    .option("--components <n>", "PCA components (default 256, at most the probe positions and detector pixels)")
    .option("--dims <n>", "scores k-means uses (default 256, at most the components)")
    .option("--k <n>", "k-means clusters (default 36, at most half the probe positions)")
    .option("--cuts <list>", "dendrogram cuts, in numbers of clusters (default 16,4: those below k, or 2)")
    .option("--mean-center", "subtract the mean pattern before PCA (default: raw data, as in the paper)")
    .option("--float-products", "PCA multiplies in float32 even when the data are integers of a small range (default: 16-bit integer products then: about twice as fast, the same accuracy)")
    .option("--full-spectrum", "every eigenvalue too (Gram matrix, binned detector <= 16384 pixels): the full scree")
    .option("--truth <file>", "true labels of the probe positions (.npy, or .json with a 'phase' array as simulate writes): ARI of every level, colours matched to them")
    .option("--seed <n>", "random seed (PCA sketch, k-means++)", ANALYZE_DEFAULTS.seed)
    .option("--replicates <n>", "k-means replicates (the best inertia is kept)", ANALYZE_DEFAULTS.replicates)
    .option("--distance <d>", "k-means distance: sqeuclidean (mean centroids) or cityblock (median centroids)",
      ANALYZE_DEFAULTS.distance)
    .option("--method <m>", `linkage of the centroids: ${LINKAGE_METHODS.join(", ")}`, ANALYZE_DEFAULTS.method)
    .option("--no-fourier", "leave the Fourier analysis over the scan axes out of the report, and its passes over the frames")
    .option("--no-copy", "read the file at every pass; by default the frames as analysed (binned or not), when they are counts, are copied once into memory as u8 or u16 if that copy fits (at most 1 GiB and an eighth of the RAM)")
    .addHelpText("after", "\nDefaults that do not fit the data (a small scan) are lowered, each with a notice line on stderr; an explicit value that cannot work is an error.");
  coordinatorOptions(cmd, "run the passes over the frames on `stem4d worker` processes via this Redis (k-means and the linkage stay here)")
    .option("--shards <n>", "frame ranges per pass with --redis", ANALYZE_DEFAULTS.shards)
    .action(action("analyze", async (file: string, o: AnalyzeFlags) => report(o, await analyzeFile(file, o))));
}

/** The analyze command on a file: writes the arrays, summary.json and report.html to o.output; returns the summary. */
export async function analyzeFile(file: string, o: AnalyzeFlags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  if (o.distance !== "sqeuclidean" && o.distance !== "cityblock") throw new UsageError(`--distance: expected sqeuclidean or cityblock, got '${o.distance}'`);
  if (!LINKAGE_METHODS.includes(o.method as LinkageMethod)) throw new UsageError(`--method: expected one of ${LINKAGE_METHODS.join(", ")}, got '${o.method}'`);
  const seed = Number(o.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got '${o.seed}'`);
  const int = (v: string | undefined, what: string) => (v === undefined ? undefined : parsePositiveInt(v, what));
  const ds = await openInput(file, o);
  const memory = peakMemoryWindows();
  let sharded: Awaited<ReturnType<typeof shardedAnalysis>> | undefined;
  try {
    const truth = o.truth === undefined ? undefined : readTruth(o.truth, analyzedPositions(ds, int(o.scanBin, "--scan-bin") ?? 1));
    const bars = new Map<string, (d: number, t: number) => void>();
    const onProgress = (stage: string, done: number, total: number) => {
      if (!bars.has(stage)) bars.set(stage, progress(stage, o));
      bars.get(stage)!(done, total);
    };
    const log = (s: StageReport) => {
      if (!o.quiet) process.stderr.write(`${s.stage}: ${s.seconds.toFixed(2)} s, peak RSS ${((s.peakBytes ?? 0) / 2 ** 20).toFixed(0)} MiB\n`);
    };
    if (o.redis !== undefined) sharded = await shardedAnalysis(file, ds, o);
    const { r, files, stages, agreement, inMemory } = await withCore(o, async (core) => {
      const options: AnalyzeOptions = {
        runner: sharded?.runner(core),
        bin: int(o.bin, "--bin"), scanBin: int(o.scanBin, "--scan-bin"), components: int(o.components, "--components"),
        dims: int(o.dims, "--dims"), k: int(o.k, "--k"), cuts: o.cuts === undefined ? undefined : parseIntList(o.cuts, "--cuts"),
        meanCenter: !!o.meanCenter, fullSpectrum: !!o.fullSpectrum, integerProducts: !o.floatProducts, seed, replicates: int(o.replicates, "--replicates"),
        distance: o.distance as "sqeuclidean" | "cityblock", method: o.method as LinkageMethod,
        onProgress, onStage: log, peakMemory: memory.peak, resetPeakMemory: memory.reset,
      };
      const plan = announcePlan(ds, options);
      const binned = plan.bin > 1 || plan.scanBin > 1;
      // The frames as analysed: binned as they are read when binning is asked for, and when they are counts that
      // fit, copied once into the core's memory in u8 or u16 so that every later pass reads that copy instead of
      // the file (bindings/resident-copy.ts).
      const view = binned ? binDataset(core, ds, { detector: plan.bin, scan: plan.scanBin }) : ds;
      const early = stageClock(core, memory, log);
      const copy = !sharded && o.copy !== false
        ? await residentCopy(core, view, { maxBytes: Math.min(MAX_REGION, totalmem() / 8), onProgress: (d, n) => onProgress("copy", d, n) })
        : undefined;
      if (copy) early.end(`${binned ? "binned " : ""}copy of the frames in memory (${copy.dtype})`);
      try {
        const data = copy ?? view;
        // The Fourier analysis's passes run right after PCA's (they need its scores), while this thread is free to
        // keep the workers fed; its figures are drawn with the others.
        let fourier: FourierOfFrames | undefined;
        const afterPca: AnalyzeOptions["afterPca"] = o.fourier === false ? undefined : {
          stage: "Fourier analysis (passes over the frames)",
          run: async (pca) => { fourier = await fourierOfFrames(core, data, frameCount(copy ?? ds) * frameBytes(copy ?? ds), pca, onProgress); },
        };
        const analysed = copy ? await analyze(core, copy, { ...options, afterPca, bin: 1, scanBin: 1 }) : await analyze(core, ds, { ...options, afterPca });
        // The input is the file and its binning; a copy only served the passes.
        const r: AnalyzeResult = {
          ...analysed, input: { shape: [...ds.shape], dtype: ds.dtype }, bin: plan.bin, scanBin: plan.scanBin,
          stages: [...early.stages, ...analysed.stages],
        };
        for (const w of r.warnings) notice("analyze", "warning", w);
        const clock = stageClock(core, memory, log);
        const pixels = datasetPixels(ds, r.bin, r.scanBin);
        const colors = clusterColors(r, truth);
        const agreement = truth && levelAgreement(r, truth);
        const extra: ReportSection[] = [];
        if (truth && agreement) {
          extra.push(await agreementSection(r, agreement, truth, o.truth!, { colors, pixel: pixels.scan }));
          clock.end("agreement with the true labels");
        }
        clock.end();
        // The arrays are written (off this thread) while the figures are drawn.
        const writing = clock.timed("writing the arrays", writeOutputs(o.output, r, colors));
        writing.catch(() => {}); // its error is thrown by the await below, not reported as unhandled meanwhile
        const sections = await clock.timed("figures", analyzeReportSections(r, { extraSections: extra, pixels, colors }));
        const files = await writing;
        if (fourier) sections.push(await clock.timed("Fourier figures", fourierSection(core, data, pixels, fourier)));
        clock.end();
        writeFileSync(join(o.output, "report.html"), analyzeReportPage(r, sections, [...r.stages, ...clock.stages], { source: file }));
        files.push("report.html");
        return { r, files, stages: clock.stages, agreement, inMemory: copy?.dtype };
      } finally {
        await copy?.source.close?.();
        if (view !== ds) await view.source.close?.();
      }
    });
    const summary = summaryOf(file, r, stages, (performance.now() - t0) / 1000);
    if (inMemory) summary.inMemory = inMemory;
    if (sharded) summary.shards = sharded.summary();
    if (agreement) summary.truth = { file: o.truth, adjustedRandIndex: agreement };
    writeFileSync(join(o.output, "summary.json"), JSON.stringify({ ...summary, files: ["summary.json", ...files] }, null, 2) + "\n");
    return { output: o.output, ...summary, files: ["summary.json", ...files] };
  } finally {
    memory.stop();
    await sharded?.close();
    await ds.source.close?.();
  }
}

/** The passes of `analyze --redis` on shard workers: a session opened (and withdrawn on Ctrl-C) for the run. */
async function shardedAnalysis(file: string, ds: Dataset, o: AnalyzeFlags) {
  await checkRedisUrl(o.redis!);
  const shards = parsePositiveInt(o.shards, "--shards"), workerWaitMs = parsePositiveInt(o.workerWait!, "--worker-wait") * 1000;
  const { ShardSession } = await import("../../bindings/scale/shard-coordinator.js");
  const { shardedRunner } = await import("../../bindings/scale/sharded-analyze.js");
  const session = await ShardSession.open({ redis: o.redis!, queue: o.queue!, file, workerWaitMs, onNote: noteWriter("analyze", o) });
  const detach = withdrawOnInterrupt("analyze", () => session);
  if (!o.quiet) process.stderr.write(`analyze: run ${session.run}: passes in ${shards} shards on ${session.target.display} (queue ${o.queue!})\n`);
  const ref = { file, ...fileRefOptions(o) }, layout = { shape: [...ds.shape], dtype: ds.dtype };
  return {
    runner: (core: Core) => shardedRunner(session, core, ref, layout, shards),
    summary: () => ({ redis: session.target.display, queue: o.queue!, run: session.run, shards, retried: session.retried }),
    close: async () => { detach(); await session.close(); },
  };
}

/** Prints one notice per default lowered to fit the data (an explicit option that cannot work is a usage error);
 * returns the plan. */
function announcePlan(ds: Dataset, options: AnalyzeOptions): ReturnType<typeof analyzePlan> {
  let plan;
  try {
    plan = analyzePlan(ds, options);
  } catch (e) {
    if (e instanceof AnalyzeOptionError) throw new UsageError(`--${kebab(e.option)}: ${e.reason}`);
    throw e;
  }
  for (const a of plan.adapted) notice("analyze", "notice", `--${kebab(a.option)} ${a.value} instead of the default ${a.default}: ${a.reason}`);
  return plan;
}

/** Times the stages after the analysis as the analysis times its own: wall time and the peak RSS of each window.
 * Stages that run at the same time (`timed`) are listed in the order they start, each with its own wall time and
 * the peak of the window they share, which `end()` closes. */
function stageClock(core: Core, memory: ReturnType<typeof peakMemoryWindows>, log: (s: StageReport) => void) {
  const stages: StageReport[] = [];
  let t = performance.now();
  const add = (stage: string, since: number) => {
    const s: StageReport = { stage, seconds: 0, coreBytes: 0 };
    stages.push(s);
    return () => {
      Object.assign(s, { seconds: (performance.now() - since) / 1000, peakBytes: memory.peak(), coreBytes: core.memory.buffer.byteLength });
      log(s);
    };
  };
  const end = (stage?: string) => {
    if (stage) add(stage, t)();
    memory.reset();
    t = performance.now();
  };
  const timed = async <T>(stage: string, work: Promise<T>): Promise<T> => {
    const done = add(stage, performance.now()), value = await work;
    done();
    return value;
  };
  return { stages, end, timed };
}

/** Memory for the report's power spectrum: its slabs take all the frames' pixels in as many passes over the file as
 * the memory requires, so the choice weighs passes (about 0.1 s per GB of frames in the page cache on the machines
 * measured) against fresh memory (a first touch costs about 3 ms per MiB there). At the paper's size that gives
 * 256 MiB (6 passes of 1.36 GB: 14.6-14.9 s for the whole analysis against 15.2-15.3 s with 512 MiB, and 200 MB less
 * at the peak); at full resolution, where each pass reads 10.9 GB, 512 MiB (the Fourier section 15.6 s against 19.4 s
 * with 256 MiB). */
function spectrumMemory(fileBytes: number, spectrumBytes: number): number {
  const cost = (mib: number) => 3e-3 * mib + Math.ceil(spectrumBytes / (mib * 2 ** 20)) * 0.1 * (fileBytes / 1e9);
  return [128, 256, 512, 1024].reduce((best, mib) => (cost(mib) < cost(best) ? mib : best)) * 2 ** 20;
}

/** Peaks of the report's power spectrum. */
const FOURIER_PEAKS = 4;

/** Detector side above which the report's power spectrum and Bragg maps use a binned detector. */
const FOURIER_SPECTRUM_SIDE = 96;

/** The report's Fourier analysis, as fourierOfFrames makes it. */
interface FourierOfFrames {
  analysis: FourierAnalysis;
  /** The detector bin factor of the spectrum and the Bragg maps (1: the analysed detector). */
  factor: number;
  /** The binned detector's rows and columns (when factor > 1). */
  binned?: [number, number];
}

/** The Fourier analysis of the report, from the dataset as analysed (binned alike), so its figures match the other
 * sections; passBytes are the bytes each of its passes reads (the file's, or the copy's in memory). On a detector
 * larger than 96 x 96 (`--bin 1` on full-resolution data) the power spectrum and the Bragg maps (sums over the
 * detector: where the periodicities are) come from the detector binned to at most 96 x 96, which takes a few passes
 * over the frames instead of dozens, and the CBED patterns at the peaks from the analysed detector. */
async function fourierOfFrames(core: Core, analysed: Dataset, passBytes: number, pca: PcaResult,
  onProgress: (stage: string, done: number, total: number) => void): Promise<FourierOfFrames> {
  const factor = binFactorFor(analysed, FOURIER_SPECTRUM_SIDE);
  const coarse = factor > 1 ? binDataset(core, analysed, { detector: factor }) : analysed;
  const progress = (stage: string, d: number, n: number) => onProgress(`fourier ${stage}`, d, n);
  try {
    const memoryBytes = spectrumMemory(passBytes, frameCount(coarse) * Math.ceil(framePixels(coarse) / 2) * 8);
    // The peaks PCA's model of the data predicts: the spectrum's passes keep the transform around them.
    const { ny, nx } = scanFftGrid(coarse), likely = await modelPeaks(core, pca.scores, ny, nx, pca.k, 2 * FOURIER_PEAKS);
    const analysis = await fourierAnalysis(core, coarse, { peaks: FOURIER_PEAKS, likely, onProgress: progress, memoryBytes });
    if (coarse === analysed) return { analysis, factor };
    const [rows, cols] = sigShape(analysed);
    analysis.cbed = await cbedAt(core, analysed, analysis.frequencies, { onProgress: (d, n) => progress("patterns", d, n) });
    analysis.grid = { ...analysis.grid, rows, cols };
    analysis.passes++;
    return { analysis, factor, binned: sigShape(coarse) };
  } finally {
    if (coarse !== analysed) await coarse.source.close?.();
  }
}

/** The report's Fourier section: the figures of the analysis made by fourierOfFrames. */
async function fourierSection(core: Core, analysed: Dataset, pixels: ReturnType<typeof datasetPixels>, f: FourierOfFrames): Promise<ReportSection> {
  const section = await fourierReportSection(core, analysed, { pixels, analysis: f.analysis });
  if (f.binned) {
    const [rows, cols] = f.binned;
    section.text = [...(section.text ?? []), `The power spectrum and the Bragg-filtered maps sum over the detector binned ` +
      `${f.factor} x ${f.factor} (${rows} x ${cols} pixels); the CBED patterns at the peaks are computed again at the analysed ` +
      `resolution, in one more pass over the frames (counted above).`];
  }
  return section;
}

/** True labels from .npy (any integer map) or .json ({ phase: [...] }, as `simulate` and `demo` write them). */
function readTruth(path: string, positions: number): Int32Array {
  let labels: ArrayLike<number>;
  try {
    if (path.endsWith(".json")) {
      const j = JSON.parse(readFileSync(path, "utf8"));
      if (!Array.isArray(j?.phase)) throw new Error("expected an object with a 'phase' array");
      labels = j.phase;
    } else {
      labels = decodeNpyArray(readFileSync(path), path).data;
    }
  } catch (e) {
    throw new UsageError(`--truth: ${path}: ${(e as Error).message}`);
  }
  if (labels.length !== positions) throw new UsageError(`--truth: ${path} has ${labels.length} labels; the analysis clusters ${positions} probe positions`);
  const out = Int32Array.from(labels);
  for (let i = 0; i < out.length; i++) if (out[i] !== labels[i]) throw new UsageError(`--truth: ${path}: label ${i} is ${labels[i]}, expected an integer`);
  return out;
}

/** Every array of the analysis as .npy, named as the issue says; returns the file names. */
async function writeOutputs(dir: string, r: AnalyzeResult, colors: ClusterColors): Promise<string[]> {
  ensureDir(join(dir, "x"));
  const nav = r.shape.slice(0, -2), [rows, cols] = r.shape.slice(-2) as [number, number];
  const P = nav.reduce((a, b) => a * b, 1), Q = rows * cols, k = r.options.k;
  const files: string[] = [];
  const save = async (name: string, data: ArrayBufferView, dtype: "f32" | "f64" | "i32", shape: number[]) => {
    await writeNpy(join(dir, name), data, dtype, shape);
    files.push(name);
  };
  await save("eigenvalues.npy", r.pca.eigenvalues, "f64", [r.pca.eigenvalues.length]);
  await save("explained_ratio.npy", r.pca.explainedRatio, "f64", [r.pca.explainedRatio.length]);
  await save("scores.npy", r.pca.scores, "f32", [P, r.pca.k]);
  await save("components.npy", r.pca.components, "f32", [r.pca.k, Q]);
  await save("centroids.npy", r.kmeans.centroids, "f32", [k, r.kmeans.dims]);
  await save("linkage.npy", r.linkage.matrix, "f64", [Math.max(0, k - 1), 4]);
  await save("virtual_bf.npy", r.virtual.bf, "f32", nav);
  await save("virtual_adf.npy", r.virtual.adf, "f32", nav);
  for (const level of r.levels) {
    const tag = level.kind === "k" ? `k${level.clusters}` : `cut${level.clusters}`;
    await save(`labels_${tag}.npy`, level.labels, "i32", nav);
    await save(`mean_patterns_${tag}.npy`, level.means, "f32", [level.clusters, rows, cols]);
  }
  writeFileSync(join(dir, "dendrogram.svg"), dendrogramSvg(r.linkage, dendrogramOptions(r, colors)));
  files.push("dendrogram.svg");
  return files;
}

function summaryOf(file: string, r: AnalyzeResult, after: StageReport[], seconds: number): Record<string, unknown> {
  const stages = [...r.stages, ...after];
  const peak = Math.max(0, ...stages.map((s) => s.peakBytes ?? 0));
  return {
    input: { file, shape: r.input.shape, dtype: r.input.dtype },
    analysed: { shape: r.shape, bin: r.bin, scanBin: r.scanBin },
    options: r.options,
    pca: {
      components: r.pca.k, meanCentered: r.pca.meanCentered, totalVariance: r.pca.totalVariance, passes: r.pca.passes, subspace: r.pca.subspace,
      arithmetic: r.pca.arithmetic,
      method: r.pca.method, block: r.pca.block, blocks: r.pca.blocks, milliseconds: r.pca.timings,
      explainedRatio: Array.from(r.pca.explainedRatio), explainedTotal: r.pca.explainedRatio.reduce((a, b) => a + b, 0),
    },
    kmeans: {
      k: r.kmeans.k, dims: r.kmeans.dims, distance: r.kmeans.distance, inertia: r.kmeans.inertia, best: r.kmeans.best,
      replicates: r.kmeans.replicates, clusterSizes: Array.from(r.kmeans.counts),
    },
    linkage: { method: r.linkage.method, heights: Array.from({ length: Math.max(0, r.linkage.k - 1) }, (_, s) => r.linkage.matrix[s * 4 + 2]) },
    cuts: Object.fromEntries(r.levels.filter((l) => l.kind === "cut").map((l) => [l.clusters, Array.from(l.counts)])),
    virtual: { center: r.virtual.center, bfRadius: r.virtual.bfRadius, adfRadii: r.virtual.adfRadii },
    adapted: r.adapted,
    warnings: r.warnings,
    stages: stages.map((s) => ({ stage: s.stage, seconds: +s.seconds.toFixed(3), peakMemoryBytes: s.peakBytes ?? null, coreMemoryBytes: s.coreBytes })),
    wallSeconds: +seconds.toFixed(3),
    peakMemoryBytes: peak,
  };
}
