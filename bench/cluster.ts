// Clustering benchmarks: k-means on the paper's sizes (k = 36 on 256 scores of a 192x192 scan, 10 replicates)
// against scikit-learn's KMeans(36, n_init=10) on the same data in the same run, and the whole `stem4d analyze`
// on a 192x192x96x96 float32 dataset against scikit-learn PCA + KMeans + SciPy Ward, with peak memory.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Core, adjustedRandIndex, decodeNpyArray, saveNpy } from "../bindings/node.js";
import { kmeans } from "../bindings/analyses/kmeans.js";
import type { BenchOptions, BenchRow } from "./common.js";
import { benchDataset, benchTruth, type BenchData } from "./datasets.js";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const hasPython = (mods: string[]) => spawnSync(PY, ["-c", mods.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" }).status === 0;
const runPython = (src: string, args: string[]) => execFileSync(PY, ["-c", src, ...args], { maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, OMP_NUM_THREADS: "2" } }).toString();

/** Median wall time of `runs` calls (heavy jobs: a few runs, no warm-up beyond the first call's compile). */
async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const t: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { ms: t[Math.floor(t.length / 2)]!, last };
}

/** PCA-like scores: 40 groups in `d` dimensions whose spread and noise decay with the component index. */
export function syntheticScores(n: number, d: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), s | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const g = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const groups = 40;
  const centers = Array.from({ length: groups }, () => Float64Array.from({ length: d }, (_, j) => (20 * g()) / Math.sqrt(1 + j)));
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centers[Math.floor(u() * groups)]!;
    for (let j = 0; j < d; j++) out[i * d + j] = c[j]! + (4 * g()) / Math.sqrt(1 + j / 4);
  }
  return out;
}

async function kmeansRows(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.quick ? 4096 : 36864, d = o.quick ? 64 : 256, k = 36, reps = 10;
  const data = syntheticScores(n, d);
  const rows: BenchRow[] = [];
  const core = await Core.create();
  try {
    const runs = o.quick ? 1 : 3;
    const r = await timed(runs, () => kmeans(core, data, [n, d], { k, replicates: reps, seed: 0 }));
    const iters = r.last.replicates.reduce((a, x) => a + x.iterations, 0);
    rows.push({ name: `stem4d k-means k=${k} d=${d} n=${n} x${reps}, ${core.workerCount} workers`, medianMs: r.ms, samples: runs, note: `inertia ${r.last.inertia.toExponential(5)}, ${iters} Lloyd iterations` });
  } finally {
    await core.close();
  }
  if (hasPython(["numpy", "sklearn"])) {
    const dir = join("out", "bench-cluster");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `scores_${n}x${d}.npy`);
    await saveNpy(path, data, "f32", [n, d]);
    const out = runPython(`import sys, time, numpy as np
from sklearn.cluster import KMeans
X = np.load(sys.argv[1])
ts = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); km = KMeans(36, n_init=10, random_state=0).fit(X); ts.append(time.perf_counter() - t0)
print(sorted(ts)[len(ts) // 2] * 1000, km.inertia_, km.n_iter_)`, [path, o.quick ? "1" : "3"]);
    const [ms, inertia] = out.trim().split(/\s+/).map(Number) as [number, number];
    const name = `scikit-learn KMeans(36, n_init=10) same data`;
    rows.push({ name, medianMs: ms, samples: o.quick ? 1 : 3, note: `inertia ${inertia.toExponential(5)}` });
    rows[0]!.reference = name;
    rows[0]!.ratio = ms / rows[0]!.medianMs;
    rows[0]!.note += `; inertia / sklearn's = ${(readInertia(rows[0]!) / inertia).toFixed(5)}`;
    rmSync(path);
  } else {
    rows.push({ name: "scikit-learn not installed: no reference", medianMs: NaN });
  }
  return rows;
}

function readInertia(row: BenchRow): number {
  return Number(/inertia ([0-9.e+-]+)/.exec(row.note ?? "")?.[1]);
}

/** One fresh `stem4d analyze` process on a benchmark file (cut at 16, 4 and 2), with the 2-cluster cut's adjusted Rand
 * index against the simulator's phase map. */
function analyzeProcess(data: BenchData, out: string): BenchRow {
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, "analyze", data.path, "-o", out, "-q", "--json", "--cuts", "16,4,2"], { stdio: ["ignore", "ignore", "inherit"] });
  const ms = performance.now() - t0;
  const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  const stage = (n: string) => s.stages.find((x: { stage: string }) => x.stage === n)?.seconds ?? NaN;
  const cut2 = decodeNpyArray(readFileSync(join(out, "labels_cut2.npy")), "labels_cut2.npy").data;
  const ari = adjustedRandIndex(cut2, benchTruth(data).phase);
  return {
    name: `stem4d analyze ${data.shape.join("x")} ${data.dtype} (whole process)`,
    medianMs: ms, samples: 1, throughput: data.bytes / (ms / 1000) / 1e9, unit: "GB/s",
    note: `peak RSS ${(s.peakMemoryBytes / 2 ** 30).toFixed(2)} GiB; pca ${stage("pca").toFixed(1)} s, kmeans ${stage("kmeans").toFixed(1)} s, patterns ${stage("patterns").toFixed(1)} s; inertia ${s.kmeans.inertia.toExponential(4)}; 2-cut ARI ${ari.toFixed(3)} vs phases`,
  };
}

/**
 * The whole `stem4d analyze` (a fresh process, as a user runs it) against scikit-learn PCA(256, randomized) +
 * KMeans(36, n_init=10) + SciPy Ward on the centroids, on the same .npy file, each with its peak RSS.
 */
async function analyzeRows(o: BenchOptions): Promise<BenchRow[]> {
  const data = o.quick ? await benchDataset([64, 64], [48, 48]) : await benchDataset();
  const rows = [analyzeProcess(data, join("out", "bench-cluster", "analyze"))];
  const ms = rows[0]!.medianMs;
  if (hasPython(["numpy", "sklearn", "scipy"])) {
    const py = runPython(`import sys, time, resource, json, numpy as np
from sklearn.decomposition import PCA
from sklearn.cluster import KMeans
from scipy.cluster.hierarchy import linkage
t0 = time.perf_counter()
X = np.load(sys.argv[1]); X = X.reshape(X.shape[0] * X.shape[1], -1)
t1 = time.perf_counter()
S = PCA(256, svd_solver="randomized", random_state=0).fit_transform(X)
t2 = time.perf_counter()
km = KMeans(36, n_init=10, random_state=0).fit(S)
Z = linkage(np.repeat(km.cluster_centers_, np.bincount(km.labels_, minlength=36), axis=0), "ward")
t3 = time.perf_counter()
print(json.dumps({"ms": (t3 - t0) * 1000, "load": t1 - t0, "pca": t2 - t1, "cluster": t3 - t2, "inertia": km.inertia_, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))`, [data.path]);
    const r = JSON.parse(py.trim().split("\n").pop()!);
    const name = "scikit-learn PCA(256) + KMeans(36, n_init=10) + SciPy Ward, same file";
    rows.push({ name, medianMs: r.ms, samples: 1, note: `peak RSS ${(r.peak / 2 ** 30).toFixed(2)} GiB; load ${r.load.toFixed(1)} s, PCA ${r.pca.toFixed(1)} s, k-means + Ward ${r.cluster.toFixed(1)} s; inertia ${r.inertia.toExponential(4)}` });
    rows[0]!.reference = name;
    rows[0]!.ratio = r.ms / ms;
  }
  return rows;
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  return [...(await kmeansRows(o)), ...(await analyzeRows(o))];
}

/** `--only analyze-big`: the 384x384 scan of 192x192 u16 patterns (10.9 GB on disk, simulated once: about 10 min),
 * binned to 96x96 while it is read; the point is the memory bound on a dataset far larger than it. */
export async function runBig(o: BenchOptions): Promise<BenchRow[]> {
  const data = o.quick ? await benchDataset([96, 96], [96, 96], "u16") : await benchDataset([384, 384], [192, 192], "u16");
  return [analyzeProcess(data, join("out", "bench-cluster", "analyze-big"))];
}
