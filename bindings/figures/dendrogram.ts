// The dendrogram of a linkage as a self-contained SVG string, laid out as scipy.cluster.hierarchy.dendrogram lays
// it out (leaves in its order, each link at the midpoint of its children), with the cuts marked as dashed lines
// and every branch below a cut coloured like its cluster in that cut's map (the finest cut below which it lies).
import { colorOf, type RGB } from "../png.js";
import { escapeHtml } from "./markup.js";
import { cutHeight, cutTree, leafOrder, type Linkage } from "../analyses/hcluster.js";

export interface DendrogramOptions {
  /** Numbers of clusters whose cut lines are drawn. */
  cuts?: number[];
  /** Colour the branches by the groups of this cut (default: the smallest of `cuts`). */
  colorBy?: number;
  width?: number;
  height?: number;
  title?: string;
  /** Label under each leaf (default: its index). */
  leafLabels?: string[];
  /** Axis label (default: "<method> distance"). */
  yLabel?: string;
  /** Colours of the clusters of each cut (from cluster-colors.ts): a branch takes the colour of its cluster in the
   * finest cut it lies below. Default: the `colorBy` cut in the "labels" colours. */
  levels?: { clusters: number; colors: readonly RGB[] }[];
  /** A swatch under every leaf (e.g. the k-means clusters' map colours). */
  leafColors?: readonly RGB[];
}

export function dendrogramSvg(link: Linkage, o: DendrogramOptions = {}): string {
  const { k, matrix } = link;
  const W = o.width ?? 900, H = o.height ?? 420;
  const m = { left: 64, right: 96, top: o.title ? 34 : 14, bottom: k <= 80 ? 44 : 16 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const cuts = (o.cuts ?? []).filter((c) => Number.isInteger(c) && c >= 1 && c <= k);
  const heights = Array.from({ length: k - 1 }, (_, s) => matrix[s * 4 + 2]!);
  const top = Math.max(1e-12, ...heights, ...cuts.map((c) => cutHeight(link, c))) * 1.05;
  const y = (h: number) => m.top + ph * (1 - h / top);
  const order = leafOrder(link);
  const pos = new Float64Array(2 * k - 1); // x of every node
  order.forEach((leaf, i) => { pos[leaf] = m.left + ((i + 0.5) * pw) / k; });
  const colorCut = o.colorBy ?? (cuts.length ? Math.min(...cuts) : undefined);
  const levels = (o.levels ?? (colorCut !== undefined ? [{ clusters: colorCut, colors: Array.from({ length: colorCut }, (_, c) => colorOf(c, "labels")) }] : []))
    .filter((l) => l.clusters >= 1 && l.clusters <= k).sort((a, b) => b.clusters - a.clusters)
    .map((l) => ({ ...l, group: cutTree(link, l.clusters) }));
  // Group of every merge node below a cut (the first k - clusters merges), via its first leaf.
  const firstLeaf = new Int32Array(2 * k - 1);
  for (let i = 0; i < k; i++) firstLeaf[i] = i;
  const parts: string[] = [];
  for (let s = 0; s < k - 1; s++) {
    const a = matrix[s * 4]!, b = matrix[s * 4 + 1]!, h = matrix[s * 4 + 2]!;
    const node = k + s;
    pos[node] = (pos[a]! + pos[b]!) / 2;
    firstLeaf[node] = firstLeaf[a]!;
    const ya = a < k ? y(0) : y(matrix[(a - k) * 4 + 2]!), yb = b < k ? y(0) : y(matrix[(b - k) * 4 + 2]!);
    const level = levels.find((l) => s < k - l.clusters);
    const cluster = level ? level.group[firstLeaf[node]!]! : -1;
    const color = level ? rgb(level.colors[cluster]!) : "#555";
    const data = level ? ` data-level="${level.clusters}" data-cluster="${cluster}"` : "";
    parts.push(`<path d="M${f(pos[a]!)} ${f(ya)}V${f(y(h))}H${f(pos[b]!)}V${f(yb)}" stroke="${color}"${data}/>`);
  }
  const svg: string[] = [];
  svg.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  svg.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (o.title) svg.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeHtml(o.title)}</text>`);
  // Axis with a few round ticks.
  svg.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#000"/>`);
  for (const t of ticks(top)) {
    svg.push(`<line x1="${m.left - 4}" y1="${f(y(t))}" x2="${m.left}" y2="${f(y(t))}" stroke="#000"/><text x="${m.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  }
  const yLabel = o.yLabel ?? `${link.method} distance`;
  svg.push(`<text transform="translate(14 ${f(m.top + ph / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`);
  svg.push(`<g fill="none" stroke-width="1.3">${parts.join("")}</g>`);
  for (const c of cuts) {
    const yc = f(y(cutHeight(link, c)));
    svg.push(`<line x1="${m.left}" y1="${yc}" x2="${m.left + pw}" y2="${yc}" stroke="#c00" stroke-dasharray="6 4"/>`);
    svg.push(`<text x="${m.left + pw + 6}" y="${f(Number(yc) + 4)}" fill="#c00">${c} clusters</text>`);
  }
  if (o.leafColors && k <= 200) {
    const w = Math.max(2, Math.min(10, pw / k - 1));
    for (const leaf of order) svg.push(`<rect data-leaf="${leaf}" x="${f(pos[leaf]! - w / 2)}" y="${f(y(0) + 1)}" width="${f(w)}" height="4" fill="${rgb(o.leafColors[leaf]!)}"/>`);
  }
  if (k <= 80) {
    const labels = o.leafLabels ?? Array.from({ length: k }, (_, i) => String(i));
    for (const leaf of order) {
      svg.push(`<text transform="translate(${f(pos[leaf]! + 4)} ${f(y(0) + 8)}) rotate(-90)" text-anchor="end" font-size="10">${escapeHtml(labels[leaf] ?? String(leaf))}</text>`);
    }
  }
  svg.push("</svg>");
  return svg.join("\n");
}

function rgb(c: [number, number, number]): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function f(v: number): string {
  return v.toFixed(1);
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(1) : String(+v.toPrecision(3));
}

/** About five round tick values from 0 to max. */
function ticks(max: number): number[] {
  const step0 = max / 5, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((s) => s * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let t = 0; t <= max + 1e-9 * step; t += step) out.push(t);
  return out;
}

