import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { binDataset } from "../../bindings/analyses/bin.js";
import { frameCount, framePixels, scanGrid, type Dataset } from "../../bindings/dataset.js";
import { pca, type PcaResult } from "../../bindings/analyses/pca.js";
import type { Core } from "../../bindings/core.js";
import { figureSheet, layoutPng } from "../../bindings/figures/figure-layout.js";
import { mapFigureLayout } from "../../bindings/figures/map-figure.js";
import { screeSvg } from "../../bindings/figures/scree.js";
import { UsageError, action, datasetPixels, ensureDir, inputOptions, openInput, parsePositiveInt, progress, report, withCore, writeNpy, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

export interface PcaCliOptions extends CommonOptions {
  components?: string;
  meanCenter?: boolean;
  fullSpectrum?: boolean;
  floatProducts?: boolean;
  bin?: string;
  seed?: string;
  oversample?: string;
  powerIterations?: string;
  method?: string;
}

/** The PCA options shared by `pca` and `denoise`. */
export function pcaOptions(cmd: Command): Command {
  return cmd
    .option("--components <k>", "number of components", "256")
    .option("--mean-center", "subtract the mean pattern first (default: raw data, as in Jesse et al. 2016)")
    .option("--bin <b>", "bin the detector b x b while reading")
    .option("--seed <s>", "seed of the random subspace", "0")
    .option("--oversample <n>", "extra columns beyond k: of the random subspace (default 16), or of the Krylov blocks, a quarter of k + n each (default 0)")
    .option("--power-iterations <n>", "power iterations, each a pass over the data with two products (default 5 for krylov, 2 for subspace)")
    .option("--method <m>", "krylov (block Krylov: q + 2 blocks of a quarter of the width) or subspace (subspace iteration)", "krylov")
    .option("--float-products", "multiply in float32 even when the data are integers of a small range (default: 16-bit integer products then: about twice as fast, the same accuracy)");
}

/** Opens the input (binned when asked), runs PCA and hands the result to `then` while the core is open. */
export async function runPcaCommand<T>(file: string, o: PcaCliOptions, then: (r: PcaResult, ds: Dataset, core: Core) => Promise<T>): Promise<T> {
  const int = (v: string | undefined, what: string, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${what}: expected an integer >= ${min}, got '${v}'`);
    return n;
  };
  const components = parsePositiveInt(o.components, "--components", 256);
  const seed = int(o.seed ?? "0", "--seed", 0);
  const oversample = o.oversample === undefined ? undefined : int(o.oversample, "--oversample", 0);
  const powerIterations = o.powerIterations === undefined ? undefined : int(o.powerIterations, "--power-iterations", 0);
  const bin = o.bin === undefined ? 1 : parsePositiveInt(o.bin, "--bin");
  const method = o.method ?? "krylov";
  if (method !== "krylov" && method !== "subspace") throw new UsageError(`--method: expected krylov or subspace, got '${method}'`);
  const input = await openInput(file, o);
  try {
    return await withCore(o, async (core) => {
      let ds = input;
      if (bin > 1) {
        try { ds = binDataset(core, input, { detector: bin }); } catch (e) { throw new UsageError((e as Error).message); }
      }
      let r: PcaResult;
      try {
        r = await pca(core, ds, { components, meanCenter: !!o.meanCenter, seed, oversample, powerIterations, method, fullSpectrum: !!o.fullSpectrum, integerProducts: !o.floatProducts, onProgress: progress("pca", o) });
      } catch (e) {
        if (e instanceof RangeError) throw new UsageError(e.message);
        throw e;
      }
      return then(r, ds, core);
    });
  } finally {
    await input.source.close?.();
  }
}

export function register(program: Command): void {
  pcaOptions(inputOptions(declare(program, "pca")))
    .requiredOption("-o, --output <dir>", "output folder")
    .option("--full-spectrum", "also compute every eigenvalue (Gram matrix; detector of at most 16384 pixels)")
    .option("--show <n>", "eigen-patterns and loading maps in the PNG sheets", "16")
    .addHelpText("after", `
Writes into the output folder: eigenvalues.npy (float64; all min(P, Q) with --full-spectrum), explained_ratio.npy,
scores.npy (P x k float32), components.npy (k x Q float32), mean.npy (with --mean-center), scree_loglinear.svg,
scree_loglog.svg, eigenpatterns.png, loadings.png and summary.json.`)
    .action(action("pca", async (file: string, o: PcaCliOptions & { output: string; show: string }) => {
      const t0 = performance.now();
      const show = parsePositiveInt(o.show, "--show");
      const summary = await runPcaCommand(file, o, async (r, ds) => {
        const dir = o.output;
        ensureDir(join(dir, "x"));
        const P = frameCount(ds), Q = framePixels(ds), k = r.k;
        await writeNpy(join(dir, "eigenvalues.npy"), r.eigenvalues, "f64", [r.eigenvalues.length]);
        await writeNpy(join(dir, "explained_ratio.npy"), r.explainedRatio, "f64", [r.explainedRatio.length]);
        await writeNpy(join(dir, "scores.npy"), r.scores, "f32", [P, k]);
        await writeNpy(join(dir, "components.npy"), r.components, "f32", [k, Q]);
        if (r.mean) await writeNpy(join(dir, "mean.npy"), r.mean, "f32", r.sigShape);
        writeFileSync(join(dir, "scree_loglinear.svg"), screeSvg(r.eigenvalues, { chosen: k, logX: false, title: "Scree plot (log-linear)" }));
        writeFileSync(join(dir, "scree_loglog.svg"), screeSvg(r.eigenvalues, { chosen: k, logX: true, title: "Scree plot (log-log)" }));
        const n = Math.min(show, k), [sr, sc] = scanGrid(r.navShape), [rows, cols] = r.sigShape, pixels = datasetPixels(ds);
        const share = (i: number) => `${(100 * r.explainedRatio[i]!).toPrecision(3)}%`;
        const eigen = Array.from({ length: n }, (_, i) => mapFigureLayout({
          values: r.components.subarray(i * Q, (i + 1) * Q), rows, cols, title: `Eigen-pattern ${i + 1} (${share(i)})`, kind: "signed",
          units: "weight (unit vector)", space: "detector", pixel: pixels.detector, size: 200,
        }));
        const loadings = Array.from({ length: n }, (_, i) => mapFigureLayout({
          values: Float32Array.from({ length: P }, (_, p) => r.scores[p * k + i]!), rows: sr, cols: sc, title: `Loading map ${i + 1} (${share(i)})`,
          kind: "signed", units: "score", space: "scan", pixel: pixels.scan, size: 200,
        }));
        writeFileSync(join(dir, "eigenpatterns.png"), await layoutPng(figureSheet(eigen, "Eigen-patterns", 4)));
        writeFileSync(join(dir, "loadings.png"), await layoutPng(figureSheet(loadings, "Loading maps", 4)));
        const s = {
          input: file, shape: ds.shape, dtype: ds.dtype, components: k, meanCenter: r.meanCentered,
          arithmetic: r.arithmetic, method: r.method, block: r.block, blocks: r.blocks, subspace: r.subspace, passes: r.passes,
          totalVariance: r.totalVariance,
          explained: +r.explainedRatio.subarray(0, k).reduce((a, b) => a + b, 0).toFixed(6),
          eigenvalues: Array.from(r.eigenvalues.subarray(0, Math.min(10, r.eigenvalues.length)), (v) => +v.toPrecision(6)),
          fullSpectrum: r.eigenvalues.length > k,
          timings: Object.fromEntries(Object.entries(r.timings).map(([n, ms]) => [n, +(ms / 1000).toFixed(3)])),
          seconds: +((performance.now() - t0) / 1000).toFixed(3),
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          output: dir,
        };
        writeFileSync(join(dir, "summary.json"), JSON.stringify(s, null, 2) + "\n");
        return s;
      });
      report(o, summary);
    }));
}
