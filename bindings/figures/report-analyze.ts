// The sections of the `analyze` report: the paper's Figures 3 and 4 for any dataset. Virtual BF/ADF, both scree
// plots, the first eigen-patterns and loading maps, the dendrogram with its cuts, and for k and every cut the
// cluster map and the mean pattern of each cluster (coloured alike, so a map's colour finds its pattern).
import { colorOf, mapToPng } from "../png.js";
import type { AnalyzeResult, ClusterLevel } from "../analyses/analyze.js";
import { dendrogramSvg } from "./dendrogram.js";
import { renderReport, type ReportSection } from "./report.js";
import { screeSvg } from "./scree.js";

export interface AnalyzeReportOptions {
  title?: string;
  /** Where the data came from (a file name), shown under the title. */
  source?: string;
  /** Eigen-patterns and loading maps shown (default 16). */
  show?: number;
  /** More sections, appended in order (e.g. the Fourier analysis's figures). */
  extraSections?: ReportSection[];
}

export async function analyzeReportSections(r: AnalyzeResult, o: AnalyzeReportOptions = {}): Promise<ReportSection[]> {
  const nav = r.shape.slice(0, -2);
  const [sr, sc] = nav.length >= 2 ? [nav[0]!, nav.slice(1).reduce((a, b) => a * b, 1)] : [1, nav[0]!];
  const [rows, cols] = r.shape.slice(-2) as [number, number];
  const Q = rows * cols, P = sr * sc;
  const p = r.pca, k = r.options.k;
  const sections: ReportSection[] = [];

  sections.push({
    title: "Summary",
    table: {
      rows: [
        ["input", `${r.input.shape.join(" x ")} ${r.input.dtype}`],
        ["analysed", `${r.shape.join(" x ")}${r.bin > 1 ? ` (detector binned ${r.bin} x ${r.bin})` : ""}${r.scanBin > 1 ? ` (scan binned ${r.scanBin} x ${r.scanBin})` : ""}`],
        ["PCA", `${r.options.components} components, ${r.options.meanCenter ? "mean-centred" : "raw data (component 1 is about the mean pattern)"}; first 4 explain ${pct(sum(p.explainedRatio, 4))}, all ${r.options.components} explain ${pct(sum(p.explainedRatio, p.explainedRatio.length))} of the variance`],
        ["k-means", `k = ${k} on ${r.options.dims} scores, ${r.options.distance}, best of ${r.options.replicates} (seed ${r.options.seed}): inertia ${r.kmeans.inertia.toPrecision(6)}`],
        ["dendrogram", `${r.options.method} linkage of the ${k} centroids weighted by cluster size; cuts at ${r.options.cuts.join(", ") || "none"}`],
        ...r.stages.map((s) => [`stage ${s.stage}`, `${s.seconds.toFixed(2)} s${s.peakBytes ? `, peak memory ${(s.peakBytes / 2 ** 30).toFixed(2)} GiB` : ""}`]),
      ],
    },
  });

  sections.push({
    title: "Virtual detectors",
    text: [`Centre (${r.virtual.center.cy.toFixed(2)}, ${r.virtual.center.cx.toFixed(2)}) found from the bright-field disk (radius ${r.virtual.bfRadius.toFixed(2)} px); annular dark field from ${r.virtual.adfRadii[0].toFixed(1)} to ${r.virtual.adfRadii[1].toFixed(1)} px.`],
    figures: [
      { png: await mapToPng(r.virtual.bf, sr, sc), caption: "virtual bright field", width: 256 },
      { png: await mapToPng(r.virtual.adf, sr, sc), caption: "virtual annular dark field", width: 256 },
    ],
  });

  const screeOpts = { chosen: r.options.dims };
  sections.push({
    title: "Scree plots",
    text: [`${p.eigenvalues.length > p.k ? `All ${p.eigenvalues.length} eigenvalues (the full spectrum, from the Gram matrix)` : `Eigenvalues of the ${p.k} leading components`}; the first ${r.options.dims} (marked) are clustered.`],
    figures: [
      { svg: screeSvg(p.eigenvalues, { ...screeOpts, logX: false }), caption: "log-linear", width: 460 },
      { svg: screeSvg(p.eigenvalues, { ...screeOpts, logX: true }), caption: "log-log", width: 460 },
    ],
    columns: 2,
  });

  const show = Math.min(o.show ?? 16, p.k);
  const eigen = [], loading = [];
  for (let i = 0; i < show; i++) {
    eigen.push({ png: await mapToPng(p.components.subarray(i * Q, (i + 1) * Q), rows, cols, { colormap: "viridis" }), caption: `${i + 1}: ${pct(p.explainedRatio[i]!)}`, width: 140 });
    const map = new Float32Array(P);
    for (let j = 0; j < P; j++) map[j] = p.scores[j * p.k + i]!;
    loading.push({ png: await mapToPng(map, sr, sc, { colormap: "viridis" }), caption: `${i + 1}`, width: 140 });
  }
  sections.push({ title: `Eigen-patterns (first ${show})`, text: ["Components V(u, v) over the detector, with the share of variance each explains."], figures: eigen, columns: 8 });
  sections.push({ title: `Loading maps (first ${show})`, text: ["Scores U(x, y) of the same components over the scan."], figures: loading, columns: 8 });

  sections.push({
    title: "Dendrogram",
    text: [`${r.options.method} linkage of the ${k} k-means centroids (leaf labels: cluster and its probe positions). Dashed lines: the cuts; branches below the coarsest cut share its clusters' colours.`],
    figures: [{ svg: dendrogramSvg(r.linkage, { cuts: r.options.cuts, leafLabels: Array.from(r.kmeans.counts, (n, i) => `${i} (${n})`), width: 1000, height: 440 }), width: 1000 }],
    columns: 1,
  });

  for (const level of r.levels) sections.push(await levelSection(level, sr, sc, rows, cols));
  return [...sections, ...(o.extraSections ?? [])];
}

async function levelSection(level: ClusterLevel, sr: number, sc: number, rows: number, cols: number): Promise<ReportSection> {
  const Q = rows * cols;
  const title = level.kind === "k" ? `k-means: ${level.clusters} clusters` : `Dendrogram cut: ${level.clusters} clusters`;
  const patterns = [];
  for (let c = 0; c < level.clusters; c++) {
    const [R, G, B] = colorOf(c, "labels");
    patterns.push({
      png: await mapToPng(level.means.subarray(c * Q, (c + 1) * Q), rows, cols, { log: true, colormap: "magma" }),
      caption: `${c}: ${level.counts[c]} positions`,
      swatch: `rgb(${R},${G},${B})`,
      width: 120,
    });
  }
  return {
    title,
    sections: [
      { title: "Cluster map", figures: [{ png: await mapToPng(level.labels, sr, sc, { colormap: "labels" }), width: 320 }] },
      { title: "Mean pattern of each cluster (log scale)", figures: patterns, columns: 8 },
    ],
  };
}

/** The whole report page. */
export async function analyzeReport(r: AnalyzeResult, o: AnalyzeReportOptions = {}): Promise<string> {
  return renderReport({
    title: o.title ?? "stem4d analyze",
    subtitle: o.source ? `${o.source}: ${r.input.shape.join(" x ")} ${r.input.dtype}` : undefined,
    sections: await analyzeReportSections(r, o),
  });
}

function sum(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < Math.min(n, a.length); i++) s += a[i]!;
  return s;
}

function pct(x: number): string {
  return `${(100 * x).toPrecision(3)}%`;
}
