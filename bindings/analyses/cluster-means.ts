// The mean diffraction pattern of every cluster, from one more pass over the frames (original or binned), not
// from the scores: per-cluster sums in float64, added frame after frame (so the same for any number of workers).
// Coarser groupings (the dendrogram's cuts) are unions of clusters, so their means come from the same sums.
import type { Task } from "../core.js";
import { kernelSuffix } from "../dtype.js";
import { LANES, type Reduction } from "../reduction.js";

export interface ClusterSums {
  /** k x rows x cols float64: the sum of the frames of each cluster. */
  sums: Float64Array;
  /** Frames in each cluster. */
  counts: Float64Array;
  k: number;
  rows: number;
  cols: number;
}

/**
 * Sums the frames of each of k clusters. labels[i] is the cluster of frame i (flat probe index); frames labelled
 * outside [0, k) (e.g. -1) are left out.
 */
export function clusterSums(labels: Int32Array, k: number): Reduction<ClusterSums> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`cluster means: k must be a positive integer, got ${k}`);
  let labelsPtr = 0;
  return {
    name: "cluster means",
    // Written in place (no k x Q partial per tile to fold): each of LANES tasks adds its own range of pixels, tile
    // after tile in frame order.
    buffers: () => ({ sums: { kind: "sig", type: "f64", per: k, write: "ordered" } }),
    prepare(ctx) {
      const P = ctx.shape.slice(0, -2).reduce((a, b) => a * b, 1);
      if (labels.length !== P) throw new RangeError(`cluster means: ${labels.length} labels for a dataset of ${P} probe positions`);
      labelsPtr = ctx.input(labels);
    },
    process(tile, ptr) {
      const q = tile.rows * tile.cols, panel = Math.ceil(q / LANES / 4) * 4, fn = `clusterAccumulate${kernelSuffix(tile.dtype)}` as const;
      const tasks: Task[] = [];
      for (let c0 = 0; c0 < q; c0 += panel) {
        tasks.push([{ fn, args: [tile.ptr, tile.count, q, c0, Math.min(q, c0 + panel), labelsPtr + tile.start * 4, k, ptr.sums!] }]);
      }
      return tasks;
    },
    finish(buf, ctx) {
      const [rows, cols] = ctx.shape.slice(-2) as [number, number];
      const counts = new Float64Array(k);
      for (const l of labels) if (l >= 0 && l < k) counts[l]!++;
      return { sums: buf.sums as Float64Array, counts, k, rows, cols };
    },
  };
}

/**
 * Mean patterns of groups of clusters: group[c] is the group of cluster c (e.g. a dendrogram cut); without it,
 * of the clusters themselves. Returns groups x rows x cols float32 and the frames in each group; an empty group's
 * pattern is NaN.
 */
export function meanPatterns(s: ClusterSums, group?: Int32Array): { means: Float32Array; counts: Float64Array; groups: number } {
  const q = s.rows * s.cols;
  const g = group ?? Int32Array.from({ length: s.k }, (_, i) => i);
  if (g.length !== s.k) throw new RangeError(`mean patterns: ${g.length} group entries for ${s.k} clusters`);
  const groups = g.reduce((a, b) => Math.max(a, b + 1), 0);
  const acc = new Float64Array(groups * q), counts = new Float64Array(groups);
  for (let c = 0; c < s.k; c++) {
    const to = g[c]!;
    if (to < 0) continue;
    counts[to]! += s.counts[c]!;
    for (let i = 0; i < q; i++) acc[to * q + i]! += s.sums[c * q + i]!;
  }
  const means = new Float32Array(groups * q);
  for (let t = 0; t < groups; t++) for (let i = 0; i < q; i++) means[t * q + i] = counts[t]! > 0 ? acc[t * q + i]! / counts[t]! : NaN;
  return { means, counts, groups };
}
