// Cluster colours: the Hungarian assignment against SciPy's, one hue per coarse branch with finer clusters as its
// shades, and clusters matched to true labels before colouring.
import { describe, expect, it } from "vitest";
import { clusterColors, hungarian, shade } from "../../bindings/figures/cluster-colors.js";
import type { ClusterLevel } from "../../bindings/analyses/analyze.js";
import { colorOf } from "../../bindings/png.js";
import { hasPython, runPython } from "../helpers/python.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const total = (cost: number[][], cols: number[]) => cols.reduce((a, c, r) => a + (c >= 0 ? cost[r]![c]! : 0), 0);

describe.skipIf(!hasPython(["scipy"]))("hungarian", () => {
  it("reaches the same minimum cost as scipy.optimize.linear_sum_assignment, square and rectangular", () => {
    const rand = rng(7);
    for (const [n, m] of [[1, 1], [4, 4], [7, 7], [3, 6], [6, 3], [12, 9]] as const) {
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.round(rand() * 100)));
      const cols = hungarian(cost);
      expect(cols.filter((c) => c >= 0)).toHaveLength(Math.min(n, m));
      expect(new Set(cols.filter((c) => c >= 0)).size).toBe(Math.min(n, m));
      const ref = Number(runPython("import json,sys,numpy as np;from scipy.optimize import linear_sum_assignment as l;c=np.array(json.loads(sys.argv[1]));r,k=l(c);print(c[r,k].sum())", [JSON.stringify(cost)]));
      expect(total(cost, cols)).toBe(ref);
    }
  });
});

/** A two-level clustering: 6 k-means clusters in 2 coarse groups {0,1,2} and {3,4,5}, positions p -> cluster p % 6. */
function levels(): ClusterLevel[] {
  const P = 24, k = 6;
  const km = Int32Array.from({ length: P }, (_, p) => p % k);
  const group = Int32Array.from([1, 1, 1, 0, 0, 0]); // cut cluster 1 holds k-means 0..2
  const level = (clusters: number, labels: Int32Array, kind: "k" | "cut", groupOfCluster?: Int32Array): ClusterLevel =>
    ({ clusters, kind, labels, means: new Float32Array(clusters), counts: new Float64Array(clusters), groupOfCluster });
  return [level(k, km, "k"), level(2, Int32Array.from(km, (c) => group[c]!), "cut", group)];
}

describe("clusterColors", () => {
  it("gives the coarse clusters distinct hues and every finer cluster a shade of its branch's hue", () => {
    const c = clusterColors({ levels: levels() });
    const [kColors, cutColors] = c.levels as [number[][], number[][]];
    expect(cutColors).toEqual([colorOf(0, "labels"), colorOf(1, "labels")]);
    // k-means clusters 0..2 lie in cut cluster 1: shades of its hue, darkest to lightest; 3..5 of cut cluster 0.
    const base1 = colorOf(1, "labels"), base0 = colorOf(0, "labels");
    expect(kColors.slice(0, 3)).toEqual([shade(base1, -0.45), shade(base1, 0.025), shade(base1, 0.5)]);
    expect(kColors.slice(3)).toEqual([shade(base0, -0.45), shade(base0, 0.025), shade(base0, 0.5)]);
    expect(new Set(kColors.map(String)).size).toBe(6);
  });

  it("matches the coarse clusters to true labels first, so agreeing maps share colours", () => {
    const lv = levels();
    // Truth: label 5 where the cut says 1 (except one position), label 9 elsewhere.
    const truth = Int32Array.from(lv[1]!.labels, (g, p) => (p === 0 ? 9 : g === 1 ? 5 : 9));
    const c = clusterColors({ levels: lv }, truth);
    expect(c.truth!.values).toEqual([5, 9]);
    // Cut cluster 1 took the colour of true label 5 (index 0), cluster 0 that of label 9.
    expect(c.levels[1]).toEqual([c.truth!.colors[1], c.truth!.colors[0]]);
  });
});
