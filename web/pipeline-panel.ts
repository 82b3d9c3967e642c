// The paper's pipeline in the page (bin, PCA, k-means, dendrogram cuts: bindings/analyses/analyze.ts, as the CLI
// runs it), with a progress bar and cancel, and its results to browse: scree plot, eigen-patterns, loading maps,
// the dendrogram (click a height to cut there), cluster maps and the mean pattern of every cluster.
import type { Core } from "../bindings/core.js";
import type { Dataset } from "../bindings/dataset.js";
import { analyze, type AnalyzeOptions, type AnalyzeResult } from "../bindings/analyses/analyze.js";
import { cutHeight, cutTree, mapLabels } from "../bindings/analyses/hcluster.js";
import { screeSvg } from "../bindings/figures/scree.js";
import { dendrogramSvg } from "../bindings/figures/dendrogram.js";
import { scanImageShape } from "../bindings/figures/report-analyze.js";
import { drawMap, type Contrast } from "./canvas-figure.js";

/** Eigen-patterns and loading maps shown. */
const SHOWN_COMPONENTS = 8;
const DENDROGRAM = { width: 640, height: 300 };

export class CancelledError extends Error {
  constructor() { super("cancelled"); }
}

export interface PipelineElements {
  progress: HTMLProgressElement;
  status: HTMLElement;
  results: HTMLElement;
}

/** One cluster level as shown: its labels over the scan and mean pattern per cluster. */
export interface ShownLevel { clusters: number; labels: Int32Array; means: Float32Array }

export class PipelinePanel {
  result?: AnalyzeResult;
  shown?: ShownLevel;
  private abort?: AbortController;

  constructor(readonly core: Core, readonly el: PipelineElements, readonly contrast: () => Contrast) {}

  get running(): boolean { return this.abort !== undefined; }

  cancel(): void { this.abort?.abort(); }

  /** Runs the pipeline on `ds`; resolves with the result, or undefined when cancelled. */
  async run(ds: Dataset, options: AnalyzeOptions): Promise<AnalyzeResult | undefined> {
    const abort = (this.abort = new AbortController());
    const check = () => { if (abort.signal.aborted) throw new CancelledError(); };
    this.el.results.replaceChildren();
    this.el.progress.value = 0;
    this.el.status.textContent = "pipeline starting";
    const t0 = performance.now();
    try {
      const result = await analyze(this.core, ds, {
        ...options,
        onProgress: (stage, done, total) => {
          check();
          this.el.progress.value = done / total;
          this.el.status.textContent = `${stage}: ${done} of ${total}`;
        },
        onStage: (s) => { check(); this.el.status.textContent = `${s.stage} done in ${s.seconds.toFixed(2)} s`; },
      });
      this.el.progress.value = 1;
      const o = result.options;
      const seconds = (performance.now() - t0) / 1000;
      this.el.status.textContent = `pipeline done in ${seconds.toFixed(2)} s: bin ${result.bin}, ` +
        `${o.components} components, k = ${o.k}, cuts ${o.cuts.join(", ") || "none"}, seed ${o.seed}` +
        result.adapted.map((a) => `; notice: ${a.option} ${a.value} (${a.reason})`).join("") +
        result.warnings.map((w) => `; warning: ${w}`).join("");
      this.result = result;
      this.show(result);
      return result;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      this.el.status.textContent = "pipeline cancelled";
      this.el.progress.value = 0;
      return undefined;
    } finally {
      this.abort = undefined;
    }
  }

  private show(r: AnalyzeResult): void {
    const [rows, cols] = r.shape.slice(-2) as [number, number], [ny, nx] = scanImageShape(r.shape);
    const p = r.pca, k = p.k, shown = Math.min(SHOWN_COMPONENTS, k);
    const section = (title: string) => {
      const s = document.createElement("section");
      s.innerHTML = `<h3>${title}</h3>`;
      this.el.results.append(s);
      return s;
    };
    const scree = screeSvg(p.eigenvalues, { chosen: r.options.dims, title: "explained variance" });
    section("scree plot").insertAdjacentHTML("beforeend", scree);
    const eig = section(`eigen-patterns 1-${shown}`), load = section(`loading maps 1-${shown}`);
    for (let j = 0; j < shown; j++) {
      const pattern = p.components.subarray(j * rows * cols, (j + 1) * rows * cols);
      eig.append(this.map(pattern, rows, cols, `component ${j + 1}`, "signed"));
      const scores = Float32Array.from({ length: ny * nx }, (_, i) => p.scores[i * k + j]!);
      load.append(this.map(scores, ny, nx, `loading ${j + 1}`, "signed"));
    }
    const dendro = section("dendrogram: click a height to cut the tree there");
    const holder = document.createElement("div");
    holder.className = "dendrogram";
    dendro.append(holder);
    const clusters = section("clusters");
    const recut = (c: number) => {
      const cuts = [...new Set([...r.options.cuts, c])].filter((x) => x < r.options.k);
      holder.innerHTML = dendrogramSvg(r.linkage, { cuts, colorBy: c, ...DENDROGRAM });
      this.showLevel(clusters, r, c);
    };
    holder.addEventListener("click", (e) => recut(this.clustersAtClick(r, holder, e)));
    recut(r.options.cuts[0] ?? r.options.k);
  }

  /** Clusters below the height clicked on the dendrogram (as dendrogram.ts lays out its y axis). */
  private clustersAtClick(r: AnalyzeResult, holder: HTMLElement, e: MouseEvent): number {
    const svg = holder.querySelector("svg")!, box = svg.getBoundingClientRect();
    const y = ((e.clientY - box.top) * DENDROGRAM.height) / box.height;
    return clustersBelow(r, y);
  }

  /** The level of `c` clusters: from the k-means clusters grouped by a cut of the dendrogram. */
  showLevel(target: HTMLElement, r: AnalyzeResult, c: number): void {
    const km = r.levels[0]!, q = km.means.length / r.options.k;
    const group = c >= r.options.k ? Int32Array.from({ length: r.options.k }, (_, i) => i) : cutTree(r.linkage, c);
    const labels = mapLabels(km.labels, group);
    const means = new Float32Array(c * q), weight = new Float64Array(c);
    for (let j = 0; j < r.options.k; j++) {
      const g = group[j]!, n = km.counts[j]!;
      weight[g] = weight[g]! + n;
      for (let i = 0; i < q; i++) means[g * q + i] = means[g * q + i]! + n * km.means[j * q + i]!;
    }
    for (let g = 0; g < c; g++) for (let i = 0; i < q; i++) means[g * q + i] = means[g * q + i]! / (weight[g] || 1);
    this.shown = { clusters: c, labels, means };
    const [rows, cols] = r.shape.slice(-2) as [number, number], [ny, nx] = scanImageShape(r.shape);
    target.replaceChildren(this.map(labels, ny, nx, `${c} clusters`, "labels"));
    for (let g = 0; g < c; g++) {
      const title = `cluster ${g} (${weight[g]} positions)`;
      target.append(this.map(means.subarray(g * q, (g + 1) * q), rows, cols, title, "intensity"));
    }
  }

  private map(values: ArrayLike<number>, rows: number, cols: number, title: string,
    kind: "signed" | "labels" | "intensity"): HTMLCanvasElement {
    const canvas = document.createElement("canvas");
    const unit = kind === "intensity" ? "counts" : "";
    drawMap(canvas, { values, rows, cols, title, unit, kind, contrast: this.contrast() }, 128);
    return canvas;
  }
}

/** Clusters left by cutting at the height drawn at `y` on dendrogramSvg's axis (its margins and 5 % headroom). */
export function clustersBelow(r: AnalyzeResult, y: number): number {
  const link = r.linkage, k = link.k;
  const heights = Array.from({ length: k - 1 }, (_, s) => link.matrix[s * 4 + 2]!);
  const cuts = r.options.cuts.filter((c) => c < k);
  const top = Math.max(1e-12, ...heights, ...cuts.map((c) => cutHeight(link, c))) * 1.05;
  const marginTop = 14, marginBottom = k <= 80 ? 44 : 16, plot = DENDROGRAM.height - marginTop - marginBottom;
  const h = top * (1 - (y - marginTop) / plot);
  return Math.min(k, Math.max(1, 1 + heights.filter((x) => x > h).length));
}
