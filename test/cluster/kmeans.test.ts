import { describe, it, expect, beforeAll, afterAll } from "vitest";
import "../../bindings/node.js";
import { Core } from "../../bindings/index.js";
import { kmeans, nearestCentroid } from "../../bindings/analyses/kmeans.js";
import { hasPython, runPython } from "../helpers/python.js";
import { adjustedRandIndex, blobs, gaussian, rng } from "./helpers.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

/** Plain-JS references: squared Euclidean / cityblock distance over the first d columns. */
function dist(data: Float32Array, cols: number, i: number, c: Float32Array, j: number, d: number, l1: boolean): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const e = data[i * cols + t]! - c[j * d + t]!;
    s += l1 ? Math.abs(e) : e * e;
  }
  return s;
}

/** Plain Lloyd in float64 from the given centroids until no label changes: labels and centroid updates made. */
function plainLloyd(data: Float32Array, n: number, d: number, k: number, init: Float32Array): { labels: Int32Array; iterations: number } {
  const c = Float64Array.from(init), labels = new Int32Array(n).fill(-1);
  let iterations = 0;
  for (;;) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0, bestD = Infinity;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (data[i * d + t]! - c[j * d + t]!) ** 2;
        if (s < bestD) { bestD = s; best = j; }
      }
      if (labels[i] !== best) { labels[i] = best; changed++; }
    }
    if (changed === 0 && iterations > 0) return { labels, iterations };
    const sums = new Float64Array(k * d), counts = new Int32Array(k);
    for (let i = 0; i < n; i++) { counts[labels[i]!]!++; for (let t = 0; t < d; t++) sums[labels[i]! * d + t]! += data[i * d + t]!; }
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) c[j * d + t] = sums[j * d + t]! / counts[j]!;
    iterations++;
  }
}

describe("k-means (squared Euclidean)", () => {
  const n = 700, d = 10, k = 5;
  const { data, truth } = blobs(n, d, k, 8, 1);

  it("ends at a Lloyd fixed point: labels are nearest centroids, centroids are the means, inertia is their sum", async () => {
    const r = await kmeans(core, data, [n, d], { k, seed: 3 });
    expect(r.replicates).toHaveLength(10);
    expect(r.replicates[r.best]!.converged).toBe(true);
    let inertia = 0;
    const sums = new Float64Array(k * d), counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (dist(data, d, i, r.centroids, j, d, false) < dist(data, d, i, r.centroids, best, d, false)) best = j;
      expect(r.labels[i]).toBe(best);
      inertia += dist(data, d, i, r.centroids, best, d, false);
      counts[best]!++;
      for (let t = 0; t < d; t++) sums[best * d + t]! += data[i * d + t]!;
    }
    expect(Array.from(r.counts)).toEqual(Array.from(counts));
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) expect(r.centroids[j * d + t]).toBeCloseTo(sums[j * d + t]! / counts[j]!, 4);
    expect(r.inertia).toBeCloseTo(inertia, 1);
    expect(Math.abs(r.inertia - inertia) / inertia).toBeLessThan(1e-5);
    expect(adjustedRandIndex(r.labels, truth)).toBeGreaterThan(0.99);
    expect(r.inertia).toBe(Math.min(...r.replicates.map((x) => x.inertia)));
  });

  it("is deterministic by seed and independent of the number of workers", async () => {
    const a = await kmeans(core, data, [n, d], { k, seed: 11, replicates: 4 });
    const serial = await Core.create({ workers: 0 });
    try {
      const b = await kmeans(serial, data, [n, d], { k, seed: 11, replicates: 4 });
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
      expect(b.replicates).toEqual(a.replicates);
    } finally {
      await serial.close();
    }
    // Another seed starts elsewhere: on overlapping blobs, after one Lloyd update, not where seed 11's were.
    const fuzzy = blobs(n, d, 8, 1.5, 4).data;
    const one = (seed: number) => kmeans(core, fuzzy, [n, d], { k, seed, replicates: 4, maxIter: 1 });
    const [s11, s11again, s12] = [await one(11), await one(11), await one(12)];
    expect(s11again.replicates).toEqual(s11.replicates);
    expect(s12.replicates.map((x) => x.inertia)).not.toEqual(s11.replicates.map((x) => x.inertia));
  });

  it("gives the same replicates on any number of workers when they take turns over hundreds of iterations", async () => {
    // Clusterless data: replicates of very different lengths, each run in turns of a few iterations on whichever
    // worker is free (state carried in the core's memory from turn to turn).
    const m = 3000, dims = 8, r0 = rng(5);
    const cloud = Float32Array.from({ length: m * dims }, () => gaussian(r0));
    const results = [];
    for (const workers of [0, 1, 3]) {
      const c = await Core.create({ workers });
      try {
        results.push(await kmeans(c, cloud, [m, dims], { k: 12, seed: 3, replicates: 5, tol: 0, maxIter: 400 }));
      } finally {
        await c.close();
      }
    }
    expect(Math.max(...results[0]!.replicates.map((x) => x.iterations))).toBeGreaterThan(40);
    for (const r of results.slice(1)) {
      expect(r.replicates).toEqual(results[0]!.replicates);
      expect(Array.from(r.labels)).toEqual(Array.from(results[0]!.labels));
      expect(Array.from(r.centroids)).toEqual(Array.from(results[0]!.centroids));
    }
  });

  it("clusters on the first dims columns only", async () => {
    const cols = 12, wide = new Float32Array(n * cols);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < d; t++) wide[i * cols + t] = data[i * d + t]!;
      wide[i * cols + 10] = 1e6 * (i % 2); // huge, but outside dims
      wide[i * cols + 11] = NaN; // ignored too
    }
    const a = await kmeans(core, wide, [n, cols], { k, dims: d, seed: 5 });
    const b = await kmeans(core, data, [n, d], { k, seed: 5 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.centroids.length).toBe(k * d);
  });

  it("from given centroids, takes the same steps as a plain JS Lloyd (the bounds only skip work)", async () => {
    const fuzzy = blobs(n, d, 8, 2, 9).data;
    const init = fuzzy.slice(0, k * d); // the first k points
    const r = await kmeans(core, fuzzy, [n, d], { k, init, tol: 0 });
    const { labels, iterations } = plainLloyd(fuzzy, n, d, k, init);
    expect(Array.from(r.labels)).toEqual(Array.from(labels));
    expect(r.replicates[0]!.iterations).toBe(iterations);
    expect(iterations).toBeGreaterThan(3);
  });

  it("on data without clusters, takes plain Lloyd's steps for hundreds of iterations while computing few distances", async () => {
    // A Gaussian cloud has no clusters: Lloyd creeps for many iterations, here past the 64 steps after which the
    // bounds' drift history restarts. 3 dimensions are padded to 4 in the core.
    const m = 4000, dims = 3, kk = 20;
    const r0 = rng(1);
    const cloud = Float32Array.from({ length: m * dims }, (_, i) => gaussian(r0) / (1 + (i % dims) / 4));
    const init = cloud.slice(0, kk * dims);
    const r = await kmeans(core, cloud, [m, dims], { k: kk, init, tol: 0, maxIter: 1000 });
    const lloyd = plainLloyd(cloud, m, dims, kk, init);
    expect(r.replicates[0]!.iterations).toBe(lloyd.iterations);
    expect(lloyd.iterations).toBeGreaterThan(64);
    expect(Array.from(r.labels)).toEqual(Array.from(lloyd.labels));
    // Plain Lloyd computes every point-centroid distance at every assignment.
    expect(r.replicates[0]!.distances).toBeLessThan(0.3 * (lloyd.iterations + 1) * m * kk);
  });

  it("nearestCentroid agrees with the JS distances", async () => {
    const r = await kmeans(core, data, [n, d], { k, seed: 2, replicates: 2 });
    const near = await nearestCentroid(core, data, [n, d], r.centroids, k);
    expect(Array.from(near.labels)).toEqual(Array.from(r.labels));
    for (let i = 0; i < n; i += 37) expect(near.distances[i]).toBeCloseTo(dist(data, d, i, r.centroids, r.labels[i]!, d, false), 2);
  });
});

describe("k-means (cityblock, median centroids)", () => {
  it("ends with centroids at the per-dimension medians of their points and labels at the nearest in L1", async () => {
    const n = 501, d = 7, k = 4;
    const { data, truth } = blobs(n, d, k, 10, 7);
    const r = await kmeans(core, data, [n, d], { k, distance: "cityblock", seed: 1, replicates: 3 });
    expect(r.replicates[r.best]!.converged).toBe(true);
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (dist(data, d, i, r.centroids, j, d, true) < dist(data, d, i, r.centroids, best, d, true)) best = j;
      expect(r.labels[i]).toBe(best);
      inertia += dist(data, d, i, r.centroids, best, d, true);
    }
    expect(Math.abs(r.inertia - inertia) / inertia).toBeLessThan(1e-5);
    for (let j = 0; j < k; j++) {
      for (let t = 0; t < d; t++) {
        const v: number[] = [];
        for (let i = 0; i < n; i++) if (r.labels[i] === j) v.push(data[i * d + t]!);
        v.sort((a, b) => a - b);
        const m = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
        expect(r.centroids[j * d + t]).toBeCloseTo(m, 4);
      }
    }
    expect(adjustedRandIndex(r.labels, truth)).toBeGreaterThan(0.99);
  });
});

describe("k-means bad input and empty clusters", () => {
  const n = 90, d = 3;
  // Three tight, well separated blobs.
  const data = new Float32Array(n * d).map((_, i) => Math.floor(i / d / 30) * 100 + ((i * 7919) % 13) / 13);

  it("rejects k larger than the number of points", async () => {
    await expect(kmeans(core, data, [n, d], { k: 91 })).rejects.toThrow(/k = 91 exceeds the number of points \(probe positions\), 90/);
  });

  it("rejects NaN with its position", async () => {
    const bad = data.slice();
    bad[5 * d + 2] = NaN;
    await expect(kmeans(core, bad, [n, d], { k: 3 })).rejects.toThrow(/row 5 \(point 5\), column 2 is NaN/);
  });

  it("rejects dims beyond the columns and a wrong shape", async () => {
    await expect(kmeans(core, data, [n, d], { k: 3, dims: 4 })).rejects.toThrow(/dims must be an integer in \[1, 3\]/);
    await expect(kmeans(core, data, [n, 4], { k: 3 })).rejects.toThrow(/do not fill shape/);
  });

  it("reports too few distinct points for k", async () => {
    const few = new Float32Array(n * d).map((_, i) => Math.floor(i / d) % 3);
    await expect(kmeans(core, few, [n, d], { k: 4, replicates: 1 })).rejects.toThrow(/only 3 distinct points.*k = 4/);
  });

  // Start with a centroid far from every point: the first assignment leaves it empty.
  const init = new Float32Array([0, 0, 0, 100, 100, 100, 1e4, 1e4, 1e4]);

  it("restarts an empty cluster from the point farthest from its centroid (singleton)", async () => {
    const r = await kmeans(core, data, [n, d], { k: 3, init });
    expect(r.replicates).toHaveLength(1);
    expect(r.replicates[0]!.relocated).toBeGreaterThanOrEqual(1);
    expect(Math.min(...r.counts)).toBeGreaterThan(0);
    const truth = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 30));
    expect(adjustedRandIndex(r.labels, truth)).toBe(1);
  });

  it("stops with an error naming the cluster when emptyAction is 'error'", async () => {
    await expect(kmeans(core, data, [n, d], { k: 3, init, emptyAction: "error" })).rejects.toThrow(/cluster 2 lost all its points at iteration 0/);
  });
});

describe.skipIf(!hasPython(["numpy", "sklearn"]))("k-means against scikit-learn", () => {
  it("has inertia within 1% of scikit-learn's best of 10 on the same data", async () => {
    const n = 3000, d = 16, k = 12;
    // Overlapping blobs: many local optima, so the replicates matter.
    const { data } = blobs(n, d, 9, 3, 21);
    const r = await kmeans(core, data, [n, d], { k, seed: 0 });
    const out = runPython(
      `import sys, numpy as np
from sklearn.cluster import KMeans
X = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32).reshape(${n}, ${d})
print(KMeans(${k}, n_init=10, random_state=0).fit(X).inertia_)`,
      [], new Uint8Array(data.buffer));
    const sk = Number(out.trim());
    expect(r.inertia).toBeLessThan(sk * 1.01);
    expect(r.inertia).toBeGreaterThan(sk * 0.9);
  }, 60_000);
});

describe("adjusted Rand index", () => {
  it("is 1 for the same partition under other names, about 0 for independent ones, and refuses unequal lengths", () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [5, 5, 3, 3, 9])).toBe(1);
    const r = rng(3), a = Array.from({ length: 20000 }, () => Math.floor(r() * 4)), b = Array.from({ length: 20000 }, () => Math.floor(r() * 3));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.01);
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(/2 and 1 positions/);
  });

  it.skipIf(!hasPython(["numpy", "sklearn"]))("equals scikit-learn's adjusted_rand_score", () => {
    const r = rng(8), a = Int32Array.from({ length: 500 }, () => Math.floor(r() * 5)), b = a.map((v) => (r() < 0.3 ? Math.floor(r() * 4) : v));
    const out = runPython(`import sys, numpy as np
from sklearn.metrics import adjusted_rand_score
x = np.frombuffer(sys.stdin.buffer.read(), dtype=np.int32).reshape(2, -1)
print(repr(adjusted_rand_score(x[0], x[1])))`, [], new Uint8Array(Int32Array.from([...a, ...b]).buffer));
    expect(adjustedRandIndex(a, b)).toBeCloseTo(Number(out.trim()), 12);
  });
});
