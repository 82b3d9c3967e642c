// `--only analyze-big`: the 384x384 scan of 192x192 u16 patterns (10.9 GB on disk, simulated once: about 10 min),
// binned to 96x96 while it is read; the point is the memory bound on a dataset far larger than it.
// `--only analyze-full`: the paper's 192x192 scan at the detector's full 384x384 (10.9 GB of u16, simulated once),
// `--bin 1`: PCA on 147456 pixels, with the time and GFLOP/s of every kind of pass. One run (minutes).
// No reference for either: scikit-learn cannot hold the float32 matrix (21.7 GB for the second) in this machine.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adjustedRandIndex, decodeNpyArray } from "../bindings/node.js";
import { heavyRuns, pcaPassText, spread, type BenchOptions, type BenchRow, type PcaSummary } from "./common.js";
import { benchDataset, benchTruth } from "./datasets.js";

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const [scan, detector]: [number, number][] = o.quick ? [[96, 96], [96, 96]] : [[384, 384], [192, 192]];
  const data = await benchDataset(scan, detector, "u16");
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  const out = join("out", "bench-cluster", "analyze-big");
  const ms: number[] = [], stages: string[] = [];
  let s!: { peakMemoryBytes: number; stages: { stage: string; seconds: number }[] };
  for (let r = 0; r < heavyRuns(o); r++) {
    const t0 = performance.now();
    const args = [cli, "analyze", data.path, "-o", out, "-q", "--json", "--cuts", "16,4,2"];
    execFileSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    ms.push(performance.now() - t0);
    s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    const stage = (prefix: string) => s.stages.find((x) => x.stage.startsWith(prefix))?.seconds ?? NaN;
    stages.push([["pca", "PCA"], ["kmeans", "k-means"], ["patterns", "virtual images"]].map(([n, prefix]) => `${n} ${stage(prefix!).toFixed(1)} s`).join(", "));
  }
  const cut2 = decodeNpyArray(readFileSync(join(out, "labels_cut2.npy")), "labels_cut2.npy").data;
  return [{
    name: `stem4d analyze ${data.shape.join("x")} ${data.dtype} (whole process)`, ...spread(ms),
    throughput: data.bytes / (spread(ms).medianMs / 1000) / 1e9, unit: "GB/s",
    note: `peak RSS ${(s.peakMemoryBytes / 2 ** 30).toFixed(2)} GiB; ${stages.join("; ")}; ` +
      `2-cut ARI ${adjustedRandIndex(cut2, benchTruth(data).phase).toFixed(3)} vs phases`,
  }];
}

export async function runFull(o: BenchOptions): Promise<BenchRow[]> {
  const [scan, detector]: [[number, number], [number, number]] = o.quick ? [[32, 32], [256, 256]] : [[192, 192], [384, 384]];
  const data = await benchDataset(scan, detector, "u16");
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  const out = join("out", "bench-cluster", "analyze-full");
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, "analyze", data.path, "-o", out, "--bin", "1", "-q", "--json", "--cuts", "16,4,2"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ms = performance.now() - t0;
  const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
    peakMemoryBytes: number;
    stages: { stage: string; seconds: number }[];
    pca: PcaSummary;
  };
  const P = scan[0] * scan[1], Q = detector[0] * detector[1];
  const stages = s.stages.map((x) => `${x.stage} ${x.seconds.toFixed(1)} s`).join(", ");
  return [{
    name: `stem4d analyze ${data.shape.join("x")} ${data.dtype} --bin 1 (whole process, one run)`, ...spread([ms]),
    throughput: data.bytes / (ms / 1000) / 1e9, unit: "GB/s",
    note: `peak RSS ${(s.peakMemoryBytes / 2 ** 30).toFixed(2)} GiB; PCA passes: ${pcaPassText(s.pca, P, Q)}; stages: ${stages}`,
  }];
}
