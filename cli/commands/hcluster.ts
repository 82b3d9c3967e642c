import type { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNpyArray } from "../../bindings/npy.js";
import { runReduction } from "../../bindings/executor.js";
import { binDetector } from "../../bindings/analyses/bin.js";
import { clusterSums, meanPatterns } from "../../bindings/analyses/cluster-means.js";
import { LINKAGE_METHODS, cutTree, linkage, mapLabels, type LinkageMethod } from "../../bindings/analyses/hcluster.js";
import { dendrogramSvg } from "../../bindings/figures/dendrogram.js";
import { UsageError, action, ensureDir, inputOptions, openInput, parseIntList, parsePositiveInt, progress, report, withCore, writeNpy, type CommonOptions } from "../common.js";
import { readMatrix } from "./kmeans.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output: string;
  labels?: string;
  method: string;
  cuts: string;
  data?: string;
  bin?: string;
}

export function register(program: Command): void {
  inputOptions(declare(program, "hcluster"))
    .requiredOption("-o, --output <dir>", "output folder")
    .option("--labels <labels.npy>", "the k-means labels (int map): weights the centroids by cluster size and maps every position to its cut")
    .option("--method <m>", `linkage: ${LINKAGE_METHODS.join(", ")}`, "ward")
    .option("--cuts <list>", "cut the dendrogram into these numbers of clusters", "16,4")
    .option("--data <file>", "the dataset (needs --labels): mean pattern of every cut cluster, from one pass over its frames")
    .option("--bin <n>", "detector bin factor for --data (as the analysis used)", "1")
    .action(action("hcluster", async (file: string, o: Options) => {
      const { data: C, rows: k } = readMatrix(file, "centroids");
      if (!LINKAGE_METHODS.includes(o.method as LinkageMethod)) throw new UsageError(`--method: expected one of ${LINKAGE_METHODS.join(", ")}, got '${o.method}'`);
      const cuts = parseIntList(o.cuts, "--cuts");
      for (const c of cuts) if (c < 1 || c > k) throw new UsageError(`--cuts: ${c} is outside [1, ${k}] (the number of centroids)`);
      if (o.data && !o.labels) throw new UsageError("--data needs --labels (which frames belong to which cluster)");
      let labels: Int32Array | undefined, nav: number[] = [];
      let weights: Float64Array | undefined;
      if (o.labels) {
        let a;
        try { a = decodeNpyArray(readFileSync(o.labels), o.labels); } catch (e) { throw new UsageError(`--labels: ${(e as Error).message}`); }
        labels = Int32Array.from(a.data);
        nav = a.shape;
        weights = new Float64Array(k);
        for (const [i, l] of labels.entries()) {
          if (!Number.isInteger(l) || l < 0 || l >= k) throw new UsageError(`--labels: ${o.labels} holds ${l} at position ${i}; expected a cluster index in [0, ${k})`);
          weights[l]!++;
        }
        const empty = weights.findIndex((w) => w === 0);
        if (empty >= 0) throw new UsageError(`--labels: cluster ${empty} has no positions in ${o.labels}; a centroid without points cannot be weighted`);
      }
      const link = linkage(C, k, { method: o.method as LinkageMethod, weights });
      ensureDir(join(o.output, "x"));
      const files = ["linkage.npy", "dendrogram.svg"];
      await writeNpy(join(o.output, "linkage.npy"), link.matrix, "f64", [k - 1, 4]);
      writeFileSync(join(o.output, "dendrogram.svg"), dendrogramSvg(link, { cuts, title: `${link.method} dendrogram of ${link.k} centroids`, leafLabels: weights ? Array.from(weights, (n, i) => `${i} (${n})`) : undefined }));
      const groups = cuts.map((c) => cutTree(link, c));
      if (labels) {
        for (const [i, c] of cuts.entries()) {
          await writeNpy(join(o.output, `labels_cut${c}.npy`), mapLabels(labels, groups[i]!), "i32", nav);
          files.push(`labels_cut${c}.npy`);
        }
      }
      if (o.data && labels) {
        const input = await openInput(o.data, o);
        try {
          const bin = parsePositiveInt(o.bin, "--bin");
          const sums = await withCore(o, async (core) => {
            const ds = bin > 1 ? binDetector(core, input, bin) : input;
            return runReduction(core, ds, clusterSums(labels!, k), { onProgress: progress("mean patterns", o) });
          });
          for (const [i, c] of cuts.entries()) {
            const m = meanPatterns(sums, groups[i]!);
            await writeNpy(join(o.output, `mean_patterns_cut${c}.npy`), m.means, "f32", [c, sums.rows, sums.cols]);
            files.push(`mean_patterns_cut${c}.npy`);
          }
        } finally {
          await input.source.close?.();
        }
      }
      report(o, { output: o.output, files, k, method: link.method, heights: Array.from({ length: k - 1 }, (_, s) => link.matrix[s * 4 + 2]) });
    }));
}
