// `--only analyze-vs-sklearn`: the paper's pipeline (192x192 scan, 96x96 float32 patterns: PCA 256, k-means 36 on
// 256 scores x 10 replicates, Ward on the 36 centroids) against scikit-learn + SciPy on the same file, in the
// same run, on two datasets: data without easy clusters (clusterlessDataset) and the two-phase simulator's.
//
// - k-means rows: both sides cluster the same scores (scikit-learn PCA(256, randomized), saved by the reference
//   run): stem4d's kmeans (10 replicates over the core's workers) against KMeans(36, n_init=10), with each one's
//   inertia (the best of its 10) and their ratio.
// - analyze rows: a fresh `stem4d analyze` process against PCA + KMeans + the same Ward linkage of the same kind of
//   input: 36 centroids weighted by their cluster sizes (numpy below; SciPy's linkage takes no weights).
// Every row runs 3 times (min / median / max): the analyze rows in rounds (the reference, then stem4d, then stem4d
// --no-fourier, each a fresh process), so both sides of a ratio meet the same machine; the reference names the BLAS
// kernel it ran with.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Core, adjustedRandIndex, decodeNpyArray } from "../bindings/node.js";
import { kmeans, type KMeansResult } from "../bindings/analyses/kmeans.js";
import {
  PY_BLAS_KERNEL, hasPython, heavyRuns, lastLine, pcaPassText, runReference, spread, timeRuns, type BenchOptions, type BenchRow,
  type PcaSummary,
} from "./common.js";
import { benchDataset, benchTruth, clusterlessDataset, type BenchData } from "./datasets.js";

const OUT = join("out", "bench-cluster");

/** The reference pipeline once (seed argv[3]), in a fresh process: load, PCA(256, randomized), KMeans(36, n_init=10),
 * weighted Ward; seed 0 saves its scores for the k-means rows. */
const PY_PIPELINE = PY_BLAS_KERNEL + `
import sys, time, json, resource, numpy as np
from sklearn.decomposition import PCA
from sklearn.cluster import KMeans

def ward_weighted(C, w):
    """Ward linkage of points C with weights w (Lance-Williams on squared Ward distances), SciPy's Z layout."""
    n = len(C); size = {i: float(w[i]) for i in range(n)}
    D = {}
    for i in range(n):
        for j in range(i + 1, n):
            D[i, j] = 2 * w[i] * w[j] / (w[i] + w[j]) * float(((C[i] - C[j]) ** 2).sum())
    Z = []; nxt = n
    while len(size) > 1:
        (a, b), d2 = min(D.items(), key=lambda kv: kv[1])
        na, nb = size.pop(a), size.pop(b)
        for k in list(size):
            dka, dkb = D.pop((min(k, a), max(k, a))), D.pop((min(k, b), max(k, b)))
            nk = size[k]
            D[k, nxt] = ((nk + na) * dka + (nk + nb) * dkb - nk * d2) / (nk + na + nb)
        D.pop((a, b)); size[nxt] = na + nb
        Z.append([a, b, np.sqrt(max(d2, 0)), na + nb]); nxt += 1
    return np.array(Z)

path, scores_out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
X = np.load(path); X = X.reshape(X.shape[0] * X.shape[1], -1)
t1 = time.perf_counter()
pca = PCA(256, svd_solver="randomized", random_state=seed)
S = pca.fit_transform(X).astype(np.float32)
t2 = time.perf_counter()
km = KMeans(36, n_init=10, random_state=seed).fit(S)
t3 = time.perf_counter()
Z = ward_weighted(km.cluster_centers_.astype(np.float64), np.bincount(km.labels_, minlength=36))
t4 = time.perf_counter()
if seed == 0: np.save(scores_out, S)
print(json.dumps({"total": t4 - t0, "load": t1 - t0, "pca": t2 - t1, "kmeans": t3 - t2, "ward": t4 - t3,
                  "inertia": float(km.inertia_), "iterations": int(km.n_iter_), "kernel": blas_kernel(),
                  "eigenvalues": pca.explained_variance_[:50].tolist(),
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`;

/** KMeans(36, n_init=10) alone on saved scores, `runs` times (seeds 0, 1, ...). */
const PY_KMEANS = PY_BLAS_KERNEL + `
import sys, time, json, numpy as np
from sklearn.cluster import KMeans
S = np.load(sys.argv[1]); out = []
for r in range(int(sys.argv[2])):
    t0 = time.perf_counter(); km = KMeans(36, n_init=10, random_state=r).fit(S); t = time.perf_counter() - t0
    out.append({"seconds": t, "inertia": float(km.inertia_), "iterations": int(km.n_iter_)})
print(json.dumps({"runs": out, "kernel": blas_kernel()}))
`;

interface PyRun { seconds: number; inertia: number; iterations: number }
interface PyPipelineRun {
  total: number; load: number; pca: number; kmeans: number; ward: number; inertia: number;
  kernel: string; peak: number; eigenvalues: number[];
}

/** Every eigenvalue of the raw and of the mean-centred P x Q matrix / (P - 1), exactly: float64 Gram matrix and
 * LAPACK's eigvalsh. Saved beside the data file (minutes on 2 cores for 9216 pixels, so computed once per file). */
const PY_EXACT = `
import sys, numpy as np
path = sys.argv[1]
X = np.load(path, mmap_mode="r"); X = X.reshape(X.shape[0] * X.shape[1], -1)
P, Q = X.shape
G = np.zeros((Q, Q)); s = np.zeros(Q)
for i in range(0, P, 2048):
    B = np.asarray(X[i:i + 2048], dtype=np.float64); G += B.T @ B; s += B.sum(0)
np.save(path + ".eig_raw.npy", np.linalg.eigvalsh(G)[::-1] / (P - 1))
np.save(path + ".eig_centred.npy", np.linalg.eigvalsh(G - np.outer(s, s) / P)[::-1] / (P - 1))
`;

/** The exact spectra of a file (raw, centred), computed by PY_EXACT the first time. */
function exactSpectra(data: BenchData): { raw: Float64Array; centred: Float64Array } {
  const file = (kind: string) => `${data.path}.eig_${kind}.npy`;
  if (!existsSync(file("raw")) || !existsSync(file("centred"))) {
    process.stderr.write(`exact eigenvalues of ${data.path} (numpy, float64 Gram matrix; once per file)...\n`);
    runReference(PY_EXACT, [data.path]);
  }
  const read = (kind: string) => Float64Array.from(decodeNpyArray(readFileSync(file(kind)), file(kind)).data);
  return { raw: read("raw"), centred: read("centred") };
}

/** Largest relative error of the first n values against the exact ones. */
function worstRelative(values: ArrayLike<number>, exact: ArrayLike<number>, n: number): number {
  let w = 0;
  for (let i = 0; i < n; i++) w = Math.max(w, Math.abs(values[i]! - exact[i]!) / exact[i]!);
  return w;
}

/** Worst relative errors over the leading 10, 40 and 50 eigenvalues, as text. */
const accuracyText = (values: ArrayLike<number>, exact: ArrayLike<number>) =>
  [10, 40, 50].map((n) => `${worstRelative(values, exact, n).toExponential(1)} (1-${n})`).join(", ");

/** The two files of the paper's size (small ones with --quick): [label, data, whether it has phases to compare]. */
async function datasets(o: BenchOptions): Promise<[string, BenchData, boolean][]> {
  const scan: [number, number] = o.quick ? [64, 64] : [192, 192], det: [number, number] = o.quick ? [48, 48] : [96, 96];
  // BENCH_DATASETS=clusterless or =two-phase runs one of them (two processes can then share a busy machine's time).
  const wanted = (name: string) => process.env.BENCH_DATASETS === undefined || process.env.BENCH_DATASETS === name;
  return [
    ...(wanted("clusterless") ? [["clusterless", await clusterlessDataset(scan, det), false] as const] : []),
    ...(wanted("two-phase") ? [["two-phase simulated", await benchDataset(scan, det), true] as const] : []),
  ].map(([label, data, truth]): [string, BenchData, boolean] => [label, data, truth]);
}

const NO_REFERENCE: BenchRow[] = [{ name: "scikit-learn not installed: nothing to compare with", medianMs: NaN }];

/** Where the reference run saves its PCA scores of a file. */
const scoresOf = (data: BenchData) => join(OUT, `sklearn_scores_${basename(data.path)}`);

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  mkdirSync(OUT, { recursive: true });
  if (!hasPython(["numpy", "sklearn"])) return NO_REFERENCE;
  const rows: BenchRow[] = [];
  for (const [label, data, truth] of await datasets(o)) {
    const exact = exactSpectra(data);
    // Rounds of the reference, then stem4d, then stem4d without the report's Fourier analysis over the scan (which
    // the reference does not do), each a fresh process: both sides of a ratio see the machine in the same state, so
    // a busy spell of a shared machine slows a round of each rather than all runs of one side.
    const ref: PyPipelineRun[] = [], whole: AnalyzeRun[] = [], noFourier: AnalyzeRun[] = [];
    for (let r = 0; r < heavyRuns(o); r++) {
      ref.push(JSON.parse(lastLine(runReference(PY_PIPELINE, [data.path, scoresOf(data), String(r)]))) as PyPipelineRun);
      whole.push(analyzeRun(label, data, r, []));
      noFourier.push(analyzeRun(label, data, r, ["--no-fourier"]));
    }
    rows.push(...analyzeRows(label, data, truth, whole, ref, exact, []));
    rows.push(...analyzeRows(label, data, truth, noFourier, ref, exact, ["--no-fourier"]).slice(0, 1));
    rows.push(...(await kmeansRows(label, scoresOf(data), heavyRuns(o))));
  }
  return rows;
}

/** `--only kmeans-vs-sklearn`: the k-means rows alone, on scores of scikit-learn's PCA (made once, then reused). */
export async function runKmeans(o: BenchOptions): Promise<BenchRow[]> {
  mkdirSync(OUT, { recursive: true });
  if (!hasPython(["numpy", "sklearn"])) return NO_REFERENCE;
  const rows: BenchRow[] = [];
  for (const [label, data] of await datasets(o)) {
    const scores = scoresOf(data);
    if (!existsSync(scores)) {
      runReference(`import sys, numpy as np
from sklearn.decomposition import PCA
X = np.load(sys.argv[1]); X = X.reshape(X.shape[0] * X.shape[1], -1)
S = PCA(256, svd_solver="randomized", random_state=0).fit_transform(X)
np.save(sys.argv[2], S.astype(np.float32))`, [data.path, scores]);
    }
    rows.push(...(await kmeansRows(label, scores, heavyRuns(o))));
  }
  return rows;
}

/** stem4d's kmeans and scikit-learn's KMeans on the same saved scores, each `runs` times. */
async function kmeansRows(label: string, scores: string, runs: number): Promise<BenchRow[]> {
  const { data, shape } = decodeNpyArray(readFileSync(scores), scores);
  const X = Float32Array.from(data), [n, d] = shape as [number, number];
  const core = await Core.create();
  const results: KMeansResult[] = [];
  const once = async (seed: number) => { results.push(await kmeans(core, X, [n, d], { k: 36, replicates: 10, seed })); };
  const ours = await timeRuns(runs, once)
    .finally(() => core.close());
  const py = JSON.parse(lastLine(runReference(PY_KMEANS, [scores, String(runs)]))) as { runs: PyRun[]; kernel: string };
  const theirs = spread(py.runs.map((r) => r.seconds * 1000));
  const refName = `scikit-learn KMeans(36, n_init=10), ${label} scores`;
  const ratios = results.map((r, i) => r.inertia / py.runs[i]!.inertia);
  const lloydPairs = (r: KMeansResult) => r.replicates.reduce((s, x) => s + (x.iterations + 1) * n * 36, 0);
  const distances = (r: KMeansResult) => r.replicates.reduce((s, x) => s + x.distances, 0);
  const computed = results.map((r) => `${((100 * distances(r)) / lloydPairs(r)).toFixed(1)}%`);
  const iters = (r: KMeansResult) => r.replicates.reduce((s, x) => s + x.iterations, 0);
  return [
    {
      name: `stem4d kmeans k=36 on ${n}x${d} ${label} PCA scores, 10 replicates`, ...spreadOf(ours),
      ratio: theirs.medianMs / ours.medianMs, reference: refName,
      note: `inertia / scikit-learn's (same run index): ${ratios.map((x) => x.toFixed(5)).join(", ")}; ` +
        `Lloyd iterations (10 replicates) ${results.map(iters).join(", ")}; ` +
        `distances computed ${computed.join(", ")} of plain Lloyd's`,
    },
    {
      name: refName, ...theirs,
      note: `${py.kernel}; inertia ${py.runs.map((r) => r.inertia.toExponential(6)).join(", ")}; ` +
        `n_iter (best replicate) ${py.runs.map((r) => r.iterations).join(", ")}`,
    },
  ];
}

const spreadOf = (t: { minMs: number; medianMs: number; maxMs: number; samples: number }) =>
  ({ minMs: t.minMs, medianMs: t.medianMs, maxMs: t.maxMs, samples: t.samples });

interface AnalyzeSummary {
  peakMemoryBytes: number;
  stages: { stage: string; seconds: number }[];
  pca: PcaSummary;
}

interface AnalyzeRun {
  ms: number;
  summary: AnalyzeSummary;
  /** The run's output folder (one per flag set; the last run's arrays stay there). */
  out: string;
}

/** A fresh `stem4d analyze` process on the file (with `flags` and the round's seed). */
function analyzeRun(label: string, data: BenchData, seed: number, flags: string[]): AnalyzeRun {
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  const out = join(OUT, `analyze_${label.split(" ")[0]}${flags.join("")}`);
  const t0 = performance.now();
  const args = [cli, "analyze", data.path, "-o", out, "-q", "--json", "--cuts", "16,4,2", "--seed", String(seed), ...flags];
  execFileSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  const ms = performance.now() - t0;
  return { ms, summary: JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as AnalyzeSummary, out };
}

/** The rows of stem4d's runs (with `flags`) against the reference pipeline's runs of the same rounds. */
function analyzeRows(label: string, data: BenchData, truth: boolean, runs: AnalyzeRun[], ref: PyPipelineRun[],
  exact: { raw: Float64Array; centred: Float64Array }, flags: string[]): BenchRow[] {
  // Stage names as the analysis reports them ("PCA (reads and bins the frames)", "k-means", "Fourier analysis (passes
  // over the frames)" and "Fourier figures"): the stages starting with the prefix, summed.
  const stageTimes = runs.map(({ summary }) => {
    const stage = (prefix: string) => summary.stages.filter((x) => x.stage.startsWith(prefix)).reduce((a, x) => a + x.seconds, 0) || NaN;
    const fourier = flags.includes("--no-fourier") ? "" : ` + report's Fourier ${stage("Fourier").toFixed(1)} s`;
    return `PCA ${stage("PCA").toFixed(1)} s + k-means ${stage("k-means").toFixed(1)} s${fourier}`;
  });
  const { out, summary } = runs.at(-1)!;
  let ari = NaN;
  if (truth) {
    const cut2 = decodeNpyArray(readFileSync(join(out, "labels_cut2.npy")), "labels_cut2.npy").data;
    ari = adjustedRandIndex(cut2, benchTruth(data).phase);
  }
  const peak = Math.max(...runs.map((r) => r.summary.peakMemoryBytes));
  const theirs = spread(ref.map((r) => r.total * 1000));
  const refName = `scikit-learn PCA(256) + KMeans(36, n_init=10) + weighted Ward of the 36 centroids, ${label}`;
  const ours = spread(runs.map((r) => r.ms));
  // Each round's own ratio (reference / stem4d, the same round): how far the machine's state moved the median's.
  const rounds = runs.map((r, i) => (ref[i]!.total * 1000 / r.ms).toFixed(2)).join(", ");
  // Eigenvalues against the exact spectrum: stem4d's of the raw data (the paper's choice), scikit-learn's centred.
  const eigenvalues = decodeNpyArray(readFileSync(join(out, "eigenvalues.npy")), "eigenvalues.npy").data;
  const passText = `PCA passes (last run): ${pcaPassText(summary.pca, data.shape[0] * data.shape[1], data.shape[2] * data.shape[3])}`;
  return [
    {
      name: `stem4d analyze ${flags.join(" ")}${flags.length ? " " : ""}${data.shape.join("x")} ${label} (whole process)`, ...ours,
      ratio: theirs.medianMs / ours.medianMs, reference: refName,
      throughput: data.bytes / (ours.medianMs / 1000) / 1e9, unit: "GB/s",
      note: `ratio per round ${rounds}; peak RSS ${(peak / 2 ** 30).toFixed(2)} GiB; ${stageTimes.join("; ")}` +
        (truth ? `; 2-cut ARI ${ari.toFixed(3)} vs phases` : "") +
        `; eigenvalues vs exact, worst relative error: ${accuracyText(eigenvalues, exact.raw)}; ${passText}`,
    },
    {
      name: refName, ...theirs,
      note: `${ref[0]!.kernel}; peak RSS ${(Math.max(...ref.map((r) => r.peak)) / 2 ** 30).toFixed(2)} GiB; ` +
        `eigenvalues (centred) vs exact, worst relative error: ${accuracyText(ref[0]!.eigenvalues, exact.centred)}; ` +
        ref.map((r) => `load ${r.load.toFixed(1)} + PCA ${r.pca.toFixed(1)} + k-means ${r.kmeans.toFixed(1)} + ` +
          `Ward ${r.ward.toFixed(2)} s`).join("; "),
    },
  ];
}
