// PCA benchmarks on the paper's size (a 192 x 192 scan of 96 x 96 float32 patterns, 1.36 GB, read from a file):
// the randomized PCA with 256 components against scikit-learn's PCA(256, svd_solver="randomized") on the same file
// in the same run, and the full spectrum (Gram matrix + all 9216 eigenvalues) against numpy's D^T D + eigvalsh.
// Heavy jobs: one timed run each (the first call compiles nothing that a second would skip: the core is compiled
// when it is created). Accuracy against the references is printed next to the times.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Core, openDataset, pca, pcaSpectrum, principalCosines, type PcaResult } from "../bindings/node.js";
import { benchDataset } from "./datasets.js";
import { referenceEnv, type BenchOptions, type BenchRow } from "./common.js";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const hasPython = (mods: string[]) => spawnSync(PY, ["-c", mods.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" }).status === 0;
const runPython = (src: string, args: string[]) => execFileSync(PY, ["-c", src, ...args], { maxBuffer: 1 << 28, env: referenceEnv() }).toString();

async function once<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Largest relative difference over the first n values. */
function maxRel(a: ArrayLike<number>, ref: ArrayLike<number>, n: number): number {
  let w = 0;
  for (let i = 0; i < Math.min(n, a.length, ref.length); i++) w = Math.max(w, Math.abs(a[i]! - ref[i]!) / Math.abs(ref[i]!));
  return w;
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const data = o.quick ? await benchDataset([64, 64], [48, 48]) : await benchDataset();
  const k = o.quick ? 64 : 256;
  const lead = o.quick ? 20 : 50; // eigenvalues compared with the references
  const label = `${data.shape.join("x")} ${data.dtype}`;
  const rows: BenchRow[] = [];
  const dir = join("out", "bench-pca");
  mkdirSync(dir, { recursive: true });

  const runPca = (meanCenter: boolean) => once(async () => {
    const core = await Core.create();
    const ds = await openDataset(data.path);
    try {
      return await pca(core, ds, { components: k, meanCenter });
    } finally {
      await ds.source.close?.();
      await core.close();
    }
  });
  const raw = await runPca(false);
  rows.push({ name: `stem4d pca k=${k} raw, ${label}`, medianMs: raw.ms, samples: 1, note: `${passNote(raw.value)}; peak RSS so far ${peakMB()} MB` });
  const centred = await runPca(true);
  const centredRow: BenchRow = { name: `stem4d pca k=${k} mean-centred, ${label}`, medianMs: centred.ms, samples: 1, note: passNote(centred.value) };
  rows.push(centredRow);

  if (hasPython(["numpy", "sklearn"])) {
    const out = runPython(`import sys, time, json, numpy as np
from sklearn.decomposition import PCA
t0 = time.perf_counter()
X = np.load(sys.argv[1]).reshape(-1, int(sys.argv[3]))
p = PCA(int(sys.argv[2]), svd_solver="randomized", random_state=0)
p.fit_transform(X)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms, "ev": p.explained_variance_.tolist(), "C": p.components_[:50].ravel().tolist()}))`, [data.path, String(k), String(data.shape[2] * data.shape[3])]);
    const sk = JSON.parse(out) as { ms: number; ev: number[]; C: number[] };
    const name = `scikit-learn PCA(${k}, randomized) same file`;
    rows.push({ name, medianMs: sk.ms, samples: 1, note: "load + fit_transform" });
    centredRow.reference = name;
    centredRow.ratio = sk.ms / centred.ms;
    centredRow.note += `; leading ${lead} eigenvalues within ${maxRel(centred.value.eigenvalues, sk.ev, lead).toExponential(1)} of sklearn's`;
    // Principal angles between the leading subspaces (10 and 50 components) of the two.
    const Q = data.shape[2] * data.shape[3];
    for (const d of [10, Math.min(50, lead * 2)]) {
      const cols = (C: ArrayLike<number>) => { const M = new Float64Array(Q * d); for (let i = 0; i < d; i++) for (let q = 0; q < Q; q++) M[q * d + i] = C[i * Q + q]!; return M; };
      const cos = principalCosines(cols(centred.value.components), cols(sk.C), Q, d, d);
      centredRow.note += `; largest principal angle between the leading ${d}-dimensional subspaces ${(Math.acos(Math.min(1, cos[d - 1]!)) * 180 / Math.PI).toFixed(3)} deg`;
    }
  } else {
    rows.push({ name: "scikit-learn not installed: no PCA reference", medianMs: NaN });
  }

  // Full spectrum: Gram matrix + every eigenvalue.
  const spec = await once(async () => {
    const core = await Core.create();
    const ds = await openDataset(data.path);
    try {
      return await pcaSpectrum(core, ds, {});
    } finally {
      await ds.source.close?.();
      await core.close();
    }
  });
  const t = spec.value.timings;
  const specRow: BenchRow = {
    name: `stem4d full spectrum (${spec.value.eigenvalues.length} eigenvalues), ${label}`, medianMs: spec.ms, samples: 1,
    note: `Gram ${(t.gram! / 1000).toFixed(1)} s, eigenvalues ${(t.eigenvalues! / 1000).toFixed(1)} s, peak RSS so far ${peakMB()} MB; leading ${lead} within ${maxRel(spec.value.eigenvalues, raw.value.eigenvalues, lead).toExponential(1)} of the randomized PCA's`,
  };
  rows.push(specRow);
  if (hasPython(["numpy"])) {
    const out = runPython(`import sys, time, json, numpy as np
t0 = time.perf_counter()
X = np.load(sys.argv[1]).reshape(-1, int(sys.argv[2]))
G = X.T @ X
w = np.linalg.eigvalsh(G)[::-1] / (X.shape[0] - 1)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "w": w[:300].astype(float).tolist(), "dtype": str(G.dtype)}))`, [data.path, String(data.shape[2] * data.shape[3])]);
    const np = JSON.parse(out) as { ms: number; w: number[]; dtype: string };
    const name = `numpy D^T D + eigvalsh (${np.dtype}) same file`;
    rows.push({ name, medianMs: np.ms, samples: 1, note: "load + Gram + eigvalsh" });
    specRow.reference = name;
    specRow.ratio = np.ms / spec.ms;
    specRow.note += `; leading ${lead} within ${maxRel(spec.value.eigenvalues, np.w, lead).toExponential(1)} of numpy's`;
    // The randomized PCA against the exact spectrum.
    rows[0]!.note += `; leading ${lead} within ${maxRel(raw.value.eigenvalues, np.w, lead).toExponential(1)} of numpy's eigvalsh`;
  } else {
    rows.push({ name: "numpy not installed: no spectrum reference", medianMs: NaN });
  }
  // The table shows the ratios; the notes (stage times, accuracy) go to stdout too.
  for (const r of rows) if (r.note) console.log(`  ${r.name}: ${r.note}`);
  writeFileSync(join(dir, "eigenvalues_raw.json"), JSON.stringify({ randomized: Array.from(raw.value.eigenvalues), spectrum: Array.from(spec.value.eigenvalues.subarray(0, 300)) }));
  return rows;
}

function peakMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function passNote(r: PcaResult): string {
  const t = r.timings;
  // pca() times each kind of pass under "pass.<kind>".
  const passes = Object.entries(t).reduce((sum, [name, ms]) => (name.startsWith("pass.") ? sum + ms : sum), 0);
  return `${r.passes} passes ${(passes / 1000).toFixed(1)} s, orthonormalisation ${(t.orthonormalize! / 1000).toFixed(1)} s, Rayleigh-Ritz ${(t.rayleighRitz! / 1000).toFixed(1)} s`;
}
