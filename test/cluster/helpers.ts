// Shared by the clustering tests: seeded synthetic data and the adjusted Rand index (Hubert & Arabie 1985).

/** A small seeded generator (mulberry32) so test data are the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** n points in d dimensions around `centers` random centres (spread `spread`) with unit noise; variances decay with
 * the dimension like PCA scores do. Returns the data and the true cluster of each point. */
export function blobs(n: number, d: number, centers: number, spread: number, seed: number): { data: Float32Array; truth: Int32Array } {
  const r = rng(seed);
  const c = Array.from({ length: centers }, () => Array.from({ length: d }, (_, j) => spread * gaussian(r) / (1 + j / 4)));
  const data = new Float32Array(n * d), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r() * centers);
    truth[i] = t;
    for (let j = 0; j < d; j++) data[i * d + j] = c[t]![j]! + gaussian(r) / (1 + j / 8);
  }
  return { data, truth };
}

export { adjustedRandIndex } from "../../bindings/analyses/cluster-agreement.js";
