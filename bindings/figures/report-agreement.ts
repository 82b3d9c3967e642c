// A report section for data with a known answer (simulations, or a hand-labelled region): the adjusted Rand index of
// every cluster level of an analysis against the true labels, beside the true map.
import { adjustedRandIndex } from "../analyses/cluster-agreement.js";
import type { AnalyzeResult } from "../analyses/analyze.js";
import type { PixelSize } from "./calibration.js";
import type { ClusterColors } from "./cluster-colors.js";
import { mapFigureSvg } from "./map-figure.js";
import { scanImageShape, SCAN_MAP_SIZE } from "./report-analyze.js";
import type { ReportSection } from "./report.js";

/** The ARI of each level, keyed like the label files (k36, cut16, ...). */
export function levelAgreement(r: AnalyzeResult, truth: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const level of r.levels) out[`${level.kind === "k" ? "k" : "cut"}${level.clusters}`] = adjustedRandIndex(level.labels, truth);
  return out;
}

/** The section for the indices `levelAgreement` gave, beside the map of the true labels (coloured as clusterColors
 * matched the clusters to them). */
export async function agreementSection(r: AnalyzeResult, ari: Record<string, number>, truth: ArrayLike<number>, source: string, o: { colors?: ClusterColors; pixel?: PixelSize } = {}): Promise<ReportSection> {
  const [rows, cols] = scanImageShape(r.shape);
  const values = o.colors?.truth?.values ?? [...new Set(Array.from(truth))].sort((a, b) => a - b);
  const index = new Map(values.map((t, i) => [t, i]));
  const labels = Int32Array.from(truth, (t) => index.get(t)!);
  return {
    title: "Agreement with the ground truth",
    text: [`Adjusted Rand index of each cluster map against the labels in ${source} (1 = the same partition, about 0 = chance). The clusters of the coarsest cut were matched to the true labels (Hungarian assignment on their overlap) before colouring, so a cluster that agrees with a true class has its colour.`],
    table: { head: ["level", "adjusted Rand index"], rows: Object.entries(ari).map(([level, v]) => [level, v.toFixed(4)]) },
    figures: [{
      svg: await mapFigureSvg({ values: labels, rows, cols, title: "True labels", kind: "labels", labels: { colors: o.colors?.truth?.colors, names: values.map(String) }, space: "scan", pixel: o.pixel, size: SCAN_MAP_SIZE }),
      caption: `true labels from ${source}`,
    }],
  };
}
