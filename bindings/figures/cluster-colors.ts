// One colour per branch of the dendrogram, the same in the dendrogram, every cluster map and every mean pattern's
// caption. The coarsest level (the cut with the fewest clusters) gets distinct hues; every finer cluster is a shade
// of the hue of the coarse branch it lies in, so a map at 16 or 36 clusters still reads as the coarse families.
// With true labels, the coarse clusters are first matched to them (Hungarian assignment on the overlap), so a cluster
// that agrees with a true class takes that class's colour and agreeing maps look alike.
import { colorOf, type RGB } from "../png.js";
import type { AnalyzeResult } from "../analyses/analyze.js";

export interface ClusterColors {
  /** Colour of each cluster, per level (in the order of AnalyzeResult.levels). */
  levels: RGB[][];
  /** With truth: the colour of each true label value (sorted ascending) and the values. */
  truth?: { values: number[]; colors: RGB[] };
}

/** The assignment minimising the total cost of an n x m matrix: column of each row, or -1 when rows outnumber
 * columns (Kuhn-Munkres with potentials, O(n^2 m)). */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length, cols = rows ? cost[0]!.length : 0;
  if (rows > cols) {
    // Solve the transpose and invert it.
    const t = Array.from({ length: cols }, (_, j) => cost.map((r) => r[j]!));
    const colOfRow = new Array<number>(rows).fill(-1);
    hungarian(t).forEach((r, j) => { if (r >= 0) colOfRow[r] = j; });
    return colOfRow;
  }
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(rows + 1), v = new Float64Array(cols + 1);
  const rowOfCol = new Int32Array(cols + 1), way = new Int32Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    rowOfCol[0] = i;
    let j0 = 0;
    const minv = new Float64Array(cols + 1).fill(INF), used = new Uint8Array(cols + 1);
    do {
      used[j0] = 1;
      const i0 = rowOfCol[j0]!;
      let delta = INF, j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0; }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j; }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) { const i1 = rowOfCol[j]!; u[i1] = u[i1]! + delta; v[j] = v[j]! - delta; } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (rowOfCol[j0] !== 0);
    do { const j1 = way[j0]!; rowOfCol[j0] = rowOfCol[j1]!; j0 = j1; } while (j0);
  }
  const out = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if (rowOfCol[j]! > 0) out[rowOfCol[j]! - 1] = j - 1;
  return out;
}

/** A shade of a colour: f > 0 towards white, f < 0 towards black. */
export function shade(c: RGB, f: number): RGB {
  return c.map((x) => Math.round(f >= 0 ? x + (255 - x) * f : x * (1 + f))) as RGB;
}

/** The colours of every level of an analysis (and of the true labels, matched to the coarsest level). */
export function clusterColors(r: Pick<AnalyzeResult, "levels">, truth?: ArrayLike<number>): ClusterColors {
  const levels = r.levels;
  const coarse = levels.reduce((a, b) => (b.clusters < a.clusters ? b : a));
  const kLevel = levels.find((l) => l.kind === "k") ?? levels[0]!;
  // The coarse cluster of every k-means cluster.
  const coarseOf = (j: number) => (coarse.groupOfCluster ? coarse.groupOfCluster[j]! : j);
  const hue = Array.from({ length: coarse.clusters }, (_, g) => g);
  let truthColors: ClusterColors["truth"];
  if (truth) {
    const values = [...new Set(Array.from(truth))].sort((a, b) => a - b);
    const index = new Map(values.map((t, i) => [t, i]));
    const overlap = Array.from({ length: coarse.clusters }, () => new Array<number>(values.length).fill(0));
    for (let p = 0; p < truth.length; p++) overlap[coarse.labels[p]!]![index.get(truth[p]!)!]! -= 1;
    const match = hungarian(overlap);
    let spare = values.length;
    for (let g = 0; g < coarse.clusters; g++) hue[g] = match[g]! >= 0 ? match[g]! : spare++;
    truthColors = { values, colors: values.map((_, i) => colorOf(i, "labels")) };
  }
  const colors = levels.map((level) => {
    // Group of each cluster of this level: via any k-means cluster it holds.
    const groupOf = new Int32Array(level.clusters).fill(-1);
    for (let j = 0; j < kLevel.clusters; j++) {
      const c = level.groupOfCluster ? level.groupOfCluster[j]! : j;
      if (level.kind === "k" || level.groupOfCluster) groupOf[c] = coarseOf(j);
    }
    const members = new Map<number, number[]>();
    for (let c = 0; c < level.clusters; c++) members.set(groupOf[c]!, [...(members.get(groupOf[c]!) ?? []), c]);
    const out: RGB[] = new Array(level.clusters);
    for (const [g, list] of members) {
      const base = colorOf(g >= 0 ? hue[g]! : level.clusters + list[0]!, "labels");
      list.forEach((c, i) => { out[c] = list.length === 1 ? base : shade(base, -0.45 + (0.95 * i) / (list.length - 1)); });
    }
    return out;
  });
  return { levels: colors, ...(truthColors ? { truth: truthColors } : {}) };
}
