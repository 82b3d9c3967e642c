// The sections of the `analyze` report: the paper's Figures 3 and 4 for any dataset. Virtual BF/ADF, both scree
// plots, the first eigen-patterns and loading maps, the dendrogram with its cuts, and for k and every cut the
// cluster map and the mean pattern of each cluster. A cluster has one colour everywhere: its dendrogram branch, its
// map and its mean pattern's caption (cluster-colors.ts). Every map has a colour bar and a scale bar.
import type { AnalyzeResult, ClusterLevel, StageReport } from "../analyses/analyze.js";
import type { RGB } from "../png.js";
import type { PixelSize } from "./calibration.js";
import { clusterColors, type ClusterColors } from "./cluster-colors.js";
import { dendrogramSvg, type DendrogramOptions } from "./dendrogram.js";
import { mapFigureSvg, type MapFigure } from "./map-figure.js";
import { renderReport, type ReportFigure, type ReportSection } from "./report.js";
import { screeSvg } from "./scree.js";

export interface AnalyzeReportOptions {
  title?: string;
  /** Where the data came from (a file name), shown under the title. */
  source?: string;
  /** Eigen-patterns and loading maps shown (default 12). */
  show?: number;
  /** Pixel sizes of the analysed (binned) data, for scale bars; without them the bars are in pixels. */
  pixels?: { scan?: PixelSize; detector?: PixelSize };
  /** Cluster colours (default: clusterColors(r), without truth). */
  colors?: ClusterColors;
  /** Stages measured outside the analysis (Fourier, writing), listed after its own. */
  extraStages?: StageReport[];
  /** Peak memory since the last reset and the reset (as AnalyzeOptions has them), to measure the figures stage. */
  peakMemory?: () => number;
  resetPeakMemory?: () => void;
  /** Called with the figures stage once it is measured. */
  onStage?: (stage: StageReport) => void;
  /** More sections, appended in order (e.g. the Fourier analysis's figures). */
  extraSections?: ReportSection[];
}

/** The report's scan maps: at least this many CSS pixels on their longer side. */
export const SCAN_MAP_SIZE = 320;
const PATTERN_SIZE = 200;

type Draw = (f: Omit<MapFigure, "rows" | "cols" | "space">) => Promise<string>;

/** Figures being drawn at once. */
const FIGURES_IN_FLIGHT = 4;

/** Runs the jobs given to it at most `n` at a time, in the order given. */
function inTurns(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export async function analyzeReportSections(r: AnalyzeResult, o: AnalyzeReportOptions = {}): Promise<ReportSection[]> {
  const [sr, sc] = scanImageShape(r.shape);
  const [rows, cols] = r.shape.slice(-2) as [number, number];
  const colors = o.colors ?? clusterColors(r);
  const scan = { rows: sr, cols: sc, space: "scan", pixel: o.pixels?.scan, size: SCAN_MAP_SIZE } as const;
  const detector = { rows, cols, space: "detector", pixel: o.pixels?.detector, size: PATTERN_SIZE } as const;
  const draw = inTurns(FIGURES_IN_FLIGHT);
  const scanMap: Draw = (f) => draw(() => mapFigureSvg({ ...scan, ...f }));
  const pattern: Draw = (f) => draw(() => mapFigureSvg({ ...detector, ...f }));
  const counts = r.input.dtype === "f32" ? "intensity" : "counts";
  // Figures are drawn a few at a time: while one's PNG is compressed (CompressionStream, off this thread), the next is
  // drawn, and the thread still answers the core's workers between figures (the report is drawn while passes run).
  // Promise.all keeps their order.
  const [virtual, components, levels] = await Promise.all([
    Promise.all([
      scanMap({ values: r.virtual.bf, title: "Virtual bright field", units: `${counts} in the disk` }),
      scanMap({ values: r.virtual.adf, title: "Virtual annular dark field", units: `${counts} in the annulus` }),
    ]),
    componentSections(r, Math.min(o.show ?? 12, r.pca.k), scanMap, pattern, counts),
    Promise.all(r.levels.map((level, i) => levelSection(level, colors.levels[i]!, scanMap, pattern))),
  ]);
  const sections: ReportSection[] = [
    summarySection(r, o),
    {
      title: "Virtual detectors",
      text: [`Centre (${r.virtual.center.cy.toFixed(2)}, ${r.virtual.center.cx.toFixed(2)}) found from the bright-field ` +
        `disk (radius ${r.virtual.bfRadius.toFixed(2)} px); annular dark field from ${r.virtual.adfRadii[0].toFixed(1)} to ` +
        `${r.virtual.adfRadii[1].toFixed(1)} px (binned detector pixels).`],
      figures: virtual.map((svg) => ({ svg })),
    },
    screeSection(r),
    ...components,
    {
      title: "Dendrogram",
      text: [`${r.options.method} linkage of the ${r.options.k} k-means centroids (leaf labels: cluster and its probe ` +
        "positions; the swatch under a leaf is its colour in the k-means map). Dashed lines: the cuts. A branch has the " +
        "colour of its cluster in the finest cut it lies below, as in that cut's map."],
      figures: [{ svg: dendrogramSvg(r.linkage, dendrogramOptions(r, colors)) }],
    },
  ];
  return [...sections, ...levels, ...(o.extraSections ?? [])];
}

function summarySection(r: AnalyzeResult, o: AnalyzeReportOptions): ReportSection {
  const { options: opt, pca: p } = r;
  const binned = (r.bin > 1 ? ` (detector binned ${r.bin} x ${r.bin})` : "") +
    (r.scanBin > 1 ? ` (scan binned ${r.scanBin} x ${r.scanBin})` : "");
  const data = opt.meanCenter ? "mean-centred" : "raw data (component 1 is about the mean pattern)";
  const explained = `first 4 explain ${pct(sum(p.explainedRatio, 4))}, all ${opt.components} explain ` +
    `${pct(sum(p.explainedRatio, p.explainedRatio.length))} of the variance`;
  return {
    title: "Summary",
    table: {
      rows: [
        ["input", `${r.input.shape.join(" x ")} ${r.input.dtype}`],
        ["analysed", `${r.shape.join(" x ")}${binned}`],
        ["pixel sizes", `scan ${sizeText(o.pixels?.scan, "scan px")}, detector ${sizeText(o.pixels?.detector, "detector px")}`],
        ["PCA", `${opt.components} components, ${data}; ${explained}`],
        ["k-means", `k = ${opt.k} on ${opt.dims} scores, ${opt.distance}, best of ${opt.replicates} (seed ${opt.seed}): ` +
          `inertia ${r.kmeans.inertia.toPrecision(6)}`],
        ["dendrogram", `${opt.method} linkage of the ${opt.k} centroids weighted by cluster size; ` +
          `cuts at ${opt.cuts.join(", ") || "none"}`],
        ...r.adapted.map((a) => ["default adapted", `${a.option} = ${a.value} (default ${a.default}): ${a.reason}`]),
        ...r.warnings.map((w) => ["warning", w]),
      ],
    },
  };
}

function screeSection(r: AnalyzeResult): ReportSection {
  const p = r.pca, chosen = r.options.dims;
  const which = p.eigenvalues.length > p.k
    ? `All ${p.eigenvalues.length} eigenvalues (the full spectrum, from the Gram matrix)`
    : `Eigenvalues of the ${p.k} leading components`;
  return {
    title: "Scree plots",
    text: [`${which}; the first ${chosen} (marked) are clustered.`],
    figures: [
      { svg: screeSvg(p.eigenvalues, { chosen, logX: false, title: "Scree plot (log-linear)" }), width: 480 },
      { svg: screeSvg(p.eigenvalues, { chosen, logX: true, title: "Scree plot (log-log)" }), width: 480 },
    ],
  };
}

/** The first eigen-patterns and loading maps: signed, so drawn with a diverging map whose white is zero. */
async function componentSections(
  r: AnalyzeResult, show: number, scanMap: Draw, pattern: Draw, counts: string,
): Promise<ReportSection[]> {
  const p = r.pca, Q = p.components.length / p.k, P = p.scores.length / p.k;
  const pairs = await Promise.all(Array.from({ length: show }, async (_, i): Promise<[ReportFigure, ReportFigure]> => {
    const caption = `Component ${i + 1} (${pct(p.explainedRatio[i]!)} of the variance)`;
    const component = p.components.subarray(i * Q, (i + 1) * Q);
    const scores = Float32Array.from({ length: P }, (_, j) => p.scores[j * p.k + i]!);
    const [eigenSvg, loadingSvg] = await Promise.all([
      pattern({ values: component, title: `Eigen-pattern ${i + 1}`, kind: "signed", units: "weight (unit vector)" }),
      scanMap({ values: scores, title: `Loading map ${i + 1}`, kind: "signed", units: `score (${counts})` }),
    ]);
    return [{ svg: eigenSvg, caption }, { svg: loadingSvg, caption }];
  }));
  const eigen = pairs.map(([e]) => e), loading = pairs.map(([, l]) => l);
  return [
    {
      title: `Eigen-patterns (first ${show})`, figures: eigen,
      text: ["Components V(u, v) over the detector; signed, so the colour map is diverging and white is zero."],
    },
    { title: `Loading maps (first ${show})`, text: ["Scores U(x, y) of the same components over the scan (white is zero)."], figures: loading },
  ];
}

/** The dendrogram as the report and dendrogram.svg draw it: the cuts, branches in their clusters' colours, a swatch
 * of each k-means cluster's colour under its leaf. */
export function dendrogramOptions(r: AnalyzeResult, colors: ClusterColors): DendrogramOptions {
  const kIndex = r.levels.findIndex((l) => l.kind === "k");
  return {
    cuts: r.options.cuts, width: 1000, height: 440, title: "Dendrogram of the k-means centroids",
    levels: r.levels.flatMap((l, i) => (l.kind === "cut" ? [{ clusters: l.clusters, colors: colors.levels[i]! }] : [])),
    leafColors: kIndex >= 0 ? colors.levels[kIndex] : undefined,
    leafLabels: Array.from(r.kmeans.counts, (n, i) => `${i} (${n})`),
  };
}

/** The stage table: wall time and the process's peak resident memory during each stage. */
export function stagesSection(stages: readonly StageReport[]): ReportSection {
  return {
    title: "Stages",
    text: ["Wall time of each stage and the peak resident memory of the whole process during it (reading and binning " +
      "the frames happen inside the PCA passes)."],
    table: {
      head: ["stage", "wall time (s)", "peak RSS (MiB)"],
      rows: stages.map((s) => [
        s.stage, s.seconds.toFixed(2), s.peakBytes !== undefined ? (s.peakBytes / 2 ** 20).toFixed(0) : "not measured",
      ]),
    },
  };
}

async function levelSection(level: ClusterLevel, colors: readonly RGB[], scanMap: Draw, pattern: Draw): Promise<ReportSection> {
  const Q = level.means.length / level.clusters;
  const title = level.kind === "k" ? `k-means: ${level.clusters} clusters` : `Dendrogram cut: ${level.clusters} clusters`;
  const names = Array.from(level.counts, (n, c) => `${c} (${n})`);
  const patterns = await Promise.all(Array.from({ length: level.clusters }, async (_, c): Promise<ReportFigure> => {
    const [R, G, B] = colors[c]!;
    return {
      svg: await pattern({
        values: level.means.subarray(c * Q, (c + 1) * Q), title: `Cluster ${c}: mean pattern`, log: true, colormap: "magma",
        units: "mean counts (log scale)",
      }),
      caption: `cluster ${c}: ${level.counts[c]} positions`,
      swatch: `rgb(${R},${G},${B})`,
    };
  }));
  const id = level.kind === "k" ? `k${level.clusters}` : `cut${level.clusters}`;
  return {
    title,
    id,
    sections: [
      {
        title: "Cluster map", id: `${id}-map`,
        figures: [{
          svg: await scanMap({ values: level.labels, title, kind: "labels", labels: { colors, names } }),
          caption: "legend: cluster (probe positions)",
        }],
      },
      { title: "Mean pattern of each cluster (log scale)", id: `${id}-patterns`, figures: patterns },
    ],
  };
}

/** The scan as an image: [rows, cols] for a 2D scan, one row for a line scan, leading axes folded into rows. */
export function scanImageShape(shape: readonly number[]): [number, number] {
  const nav = shape.slice(0, -2);
  return nav.length >= 2 ? [nav.slice(0, -1).reduce((a, b) => a * b, 1), nav[nav.length - 1]!] : [1, nav[0]!];
}

/** The whole report page; drawing its figures is a stage of its own, listed in its stage table. */
export async function analyzeReport(r: AnalyzeResult, o: AnalyzeReportOptions = {}): Promise<string> {
  o.resetPeakMemory?.();
  const t = performance.now();
  const sections = await analyzeReportSections(r, o);
  const figures: StageReport = { stage: "figures", seconds: (performance.now() - t) / 1000, coreBytes: 0 };
  if (o.peakMemory) figures.peakBytes = o.peakMemory();
  o.onStage?.(figures);
  return analyzeReportPage(r, sections, [...r.stages, ...(o.extraStages ?? []), figures], o);
}

/** The page of sections already drawn, with the table of every stage after the summary. */
export function analyzeReportPage(r: AnalyzeResult, sections: readonly ReportSection[], stages: readonly StageReport[],
  o: Pick<AnalyzeReportOptions, "title" | "source"> = {}): string {
  return renderReport({
    title: o.title ?? "stem4d analyze",
    subtitle: o.source ? `${o.source}: ${r.input.shape.join(" x ")} ${r.input.dtype}` : undefined,
    sections: [sections[0]!, stagesSection(stages), ...sections.slice(1)],
  });
}

function sizeText(s: PixelSize | undefined, fallback: string): string {
  return s ? `${+s.step.toPrecision(4)} ${s.unit} per pixel` : `not calibrated (${fallback})`;
}

function sum(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < Math.min(n, a.length); i++) s += a[i]!;
  return s;
}

function pct(x: number): string {
  return `${(100 * x).toPrecision(3)}%`;
}
