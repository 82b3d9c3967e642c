// A report section for data with a known answer (simulations, or a hand-labelled region): the adjusted Rand index of
// every cluster level of an analysis against the true labels, beside the true map.
import { adjustedRandIndex } from "../analyses/cluster-agreement.js";
import type { AnalyzeResult } from "../analyses/analyze.js";
import { mapToPng } from "../png.js";
import type { ReportSection } from "./report.js";

/** The ARI of each level, keyed like the label files (k36, cut16, ...). */
export function levelAgreement(r: AnalyzeResult, truth: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const level of r.levels) out[`${level.kind === "k" ? "k" : "cut"}${level.clusters}`] = adjustedRandIndex(level.labels, truth);
  return out;
}

/** The section for the indices `levelAgreement` gave, beside the map of the true labels. */
export async function agreementSection(r: AnalyzeResult, ari: Record<string, number>, truth: ArrayLike<number>, source: string): Promise<ReportSection> {
  const [sr, sc] = r.shape.length === 4 ? [r.shape[0]!, r.shape[1]!] : [1, truth.length];
  return {
    title: "Agreement with the ground truth",
    text: [`Adjusted Rand index of each cluster map against the labels in ${source} (1 = the same partition, about 0 = chance).`],
    table: { head: ["level", "adjusted Rand index"], rows: Object.entries(ari).map(([level, v]) => [level, v.toFixed(4)]) },
    figures: [{ png: await mapToPng(truth, sr, sc, { colormap: "labels" }), caption: "true labels", width: 320 }],
  };
}
