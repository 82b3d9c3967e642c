import { describe, it, expect } from "vitest";
import { LINKAGE_METHODS, cutHeight, cutTree, leafOrder, linkage, mapLabels, type Linkage } from "../../bindings/analyses/hcluster.js";
import { hasPython, runPython } from "../helpers/python.js";
import { gaussian, rng } from "./helpers.js";

function randomPoints(k: number, dims: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: k * dims }, () => 10 * gaussian(r));
}

function rows(l: Linkage): number[][] {
  return Array.from({ length: l.k - 1 }, (_, s) => Array.from(l.matrix.subarray(s * 4, s * 4 + 4)));
}

function expectSameLinkage(ours: number[][], theirs: number[][]): void {
  expect(ours.length).toBe(theirs.length);
  for (let s = 0; s < ours.length; s++) {
    expect(ours[s]![0]).toBe(theirs[s]![0]);
    expect(ours[s]![1]).toBe(theirs[s]![1]);
    expect(Math.abs(ours[s]![2]! - theirs[s]![2]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(theirs[s]![2]!)));
    if (theirs[s]!.length > 3) expect(ours[s]![3]).toBe(theirs[s]![3]);
  }
}

describe("linkage of weighted centroids (closed forms)", () => {
  it("ward heights are sqrt(2 x the increase in within-cluster sum of squares) of the weighted points", () => {
    const k = 7, dims = 3;
    const C = randomPoints(k, dims, 5);
    const w = [3, 1, 8, 2, 5, 1, 4];
    const l = linkage(C, k, { method: "ward", weights: w });
    // Track cluster members and recompute each merge's height from the weighted centroids.
    const members = new Map<number, number[]>(Array.from({ length: k }, (_, i) => [i, [i]]));
    const centroid = (m: number[]) => {
      const c = new Float64Array(dims);
      let W = 0;
      for (const i of m) { W += w[i]!; for (let t = 0; t < dims; t++) c[t]! += w[i]! * C[i * dims + t]!; }
      return { c: c.map((v) => v / W), W };
    };
    for (const [s, [a, b, h, n]] of rows(l).entries()) {
      const A = members.get(a!)!, B = members.get(b!)!;
      const ca = centroid(A), cb = centroid(B);
      let e = 0;
      for (let t = 0; t < dims; t++) e += (ca.c[t]! - cb.c[t]!) ** 2;
      const deltaSSE = (ca.W * cb.W) / (ca.W + cb.W) * e;
      expect(h).toBeCloseTo(Math.sqrt(2 * deltaSSE), 9);
      expect(n).toBe(A.length + B.length);
      expect(l.weights[s]).toBe(ca.W + cb.W);
      members.set(k + s, [...A, ...B]);
    }
  });

  it("average linkage on weighted points is the weighted mean of the centroid distances", () => {
    // Three points on a line: 0 (weight 1), 1 (weight 1), 10 (weight 3).
    const l = linkage([0, 1, 10], 3, { method: "average", weights: [1, 1, 3] });
    expect(rows(l)).toEqual([[0, 1, 1, 2], [2, 3, 9.5, 3]]);
    expect(Array.from(l.weights)).toEqual([2, 5]);
  });

  it("complete and centroid linkage on a small case", () => {
    expect(rows(linkage([0, 1, 10], 3, { method: "complete", weights: [1, 1, 3] }))).toEqual([[0, 1, 1, 2], [2, 3, 10, 3]]);
    // Weighted centroid of {0 (w 3), 1 (w 1)} is 0.25; distance to 10 is 9.75.
    expect(rows(linkage([0, 1, 10], 3, { method: "centroid", weights: [3, 1, 1] }))).toEqual([[0, 1, 1, 2], [2, 3, 9.75, 3]]);
  });

  it("cuts into any number of clusters (the groups of the first k - m merges) and maps positions through them", () => {
    const k = 9;
    const l = linkage(randomPoints(k, 4, 9), k, { method: "ward" });
    const order = leafOrder(l);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
    for (let m = 1; m <= k; m++) {
      const g = cutTree(l, m);
      expect(new Set(g)).toEqual(new Set(Array.from({ length: m }, (_, i) => i)));
      // Same groups as a union-find over the first k - m merges.
      const parent = Array.from({ length: 2 * k - 1 }, (_, i) => i);
      const find = (a: number): number => (parent[a] === a ? a : (parent[a] = find(parent[a]!)));
      for (let s = 0; s < k - m; s++) { parent[find(l.matrix[s * 4]!)] = k + s; parent[find(l.matrix[s * 4 + 1]!)] = k + s; }
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(g[a] === g[b]).toBe(find(a) === find(b));
      // The cut height separates the merges made from the merges not made.
      const h = cutHeight(l, m);
      for (let s = 0; s < k - 1; s++) expect(l.matrix[s * 4 + 2]! < h).toBe(s < k - m);
    }
    const labels = Int32Array.from([0, 8, 3, -1, 4]);
    const g2 = cutTree(l, 2);
    expect(Array.from(mapLabels(labels, g2))).toEqual([g2[0], g2[8], g2[3], -1, g2[4]]);
  });

  it("rejects bad input clearly", () => {
    expect(() => linkage([0, NaN, 2, 3], 2)).toThrow(/coordinate 1 of point 0 is NaN/);
    expect(() => linkage([0, 1, 2], 3, { weights: [1, 0, 2] })).toThrow(/weight of point 1 is 0/);
    expect(() => linkage([0, 1, 2], 2)).toThrow(/3 values are not 2 points/);
    expect(() => linkage([0, 1], 2, { method: "single" as never })).toThrow(/method must be one of ward, average, complete, centroid/);
    expect(() => cutTree(linkage([0, 1, 5], 3), 4)).toThrow(/integer in \[1, 3\], got 4/);
  });

  it("handles a single centroid", () => {
    const l = linkage([1, 2], 1);
    expect(l.matrix.length).toBe(0);
    expect(Array.from(cutTree(l, 1))).toEqual([0]);
  });
});

describe.skipIf(!hasPython(["numpy", "scipy"]))("linkage equals SciPy's", () => {
  it.each(LINKAGE_METHODS)("%s, unit weights: equal to scipy.cluster.hierarchy.linkage(C), valid, same leaves and fcluster", (method) => {
    const k = 36, dims = 8;
    const C = randomPoints(k, dims, 100 + method.length);
    const l = linkage(C, k, { method });
    const out = JSON.parse(runPython(
      `import sys, json, numpy as np
from scipy.cluster.hierarchy import linkage, dendrogram, fcluster, is_valid_linkage, is_monotonic
d = json.loads(sys.stdin.read())
C = np.array(d['C']).reshape(d['k'], -1)
Z = linkage(C, d['method'])
ours = np.array(d['ours']).reshape(-1, 4)
mono = bool(is_monotonic(Z))
print(json.dumps({'Z': Z.tolist(), 'valid': bool(is_valid_linkage(ours)), 'mono': mono,
  'leaves': dendrogram(ours, no_plot=True)['leaves'],
  'cuts': {m: (fcluster(ours, m, 'maxclust') - 1).tolist() for m in range(1, d['k'] + 1)} if mono else {}}))`,
      [], JSON.stringify({ C: Array.from(C), k, method, ours: Array.from(l.matrix) })));
    expectSameLinkage(rows(l), out.Z);
    expect(out.valid).toBe(true);
    expect(leafOrder(l)).toEqual(out.leaves);
    // SciPy's maxclust returns at most m clusters (its threshold is always one of the merge heights, so near m = k
    // it can return fewer); wherever it returns exactly m, the labels agree.
    let compared = 0;
    for (const [m, g] of Object.entries(out.cuts as Record<string, number[]>)) {
      if (new Set(g).size !== Number(m)) continue;
      expect([m, ...cutTree(l, Number(m))]).toEqual([m, ...g]);
      compared++;
    }
    // Ward, average and complete linkage never merge below an earlier merge; centroid linkage can, and does on
    // these points (an inversion), where maxclust cuts are not comparable: SciPy's are then not computed.
    const monotone = method !== "centroid";
    expect(out.mono).toBe(monotone);
    expect(compared).toBeGreaterThanOrEqual(monotone ? k - 2 : 0);
  });

  it.each(LINKAGE_METHODS)("%s, integer weights: equal to SciPy on the centroids repeated weight times", (method) => {
    const k = 12, dims = 5;
    const C = randomPoints(k, dims, 7 + method.length);
    const r = rng(3);
    const w = Array.from({ length: k }, () => 1 + Math.floor(r() * 15));
    const l = linkage(C, k, { method, weights: w });
    const theirs = JSON.parse(runPython(
      `import sys, json, numpy as np
from scipy.cluster.hierarchy import linkage
d = json.loads(sys.stdin.read())
k = d['k']; C = np.array(d['C']).reshape(k, -1); w = np.array(d['w'])
X = np.repeat(C, w, axis=0); N = len(X)
Z = linkage(X, d['method'])
nz = N - k
assert np.all(Z[:nz, 2] == 0), 'copies of a centroid merge first, at height 0'
node = {j: int(c) for j, c in enumerate(np.repeat(np.arange(k), w))}
for r in range(nz): node[N + r] = node[int(Z[r, 0])]
for r in range(nz, N - 1): node[N + r] = k + r - nz
out = [[min(node[int(Z[r, 0])], node[int(Z[r, 1])]), max(node[int(Z[r, 0])], node[int(Z[r, 1])]), Z[r, 2], Z[r, 3]] for r in range(nz, N - 1)]
print(json.dumps(out))`,
      [], JSON.stringify({ C: Array.from(C), k, w, method })));
    // SciPy's fourth column counts points there: that is our `weights`; ours counts centroids.
    expectSameLinkage(rows(l).map((x) => x.slice(0, 3)), theirs.map((x: number[]) => x.slice(0, 3)));
    expect(Array.from(l.weights)).toEqual(theirs.map((x: number[]) => x[3]));
  });
});
