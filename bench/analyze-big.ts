// `--only analyze-big`: the 384x384 scan of 192x192 u16 patterns (10.9 GB on disk, simulated once: about 10 min),
// binned to 96x96 while it is read; the point is the memory bound on a dataset far larger than it. No reference:
// scikit-learn cannot hold the float32 matrix in this machine's memory.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adjustedRandIndex, decodeNpyArray } from "../bindings/node.js";
import { heavyRuns, spread, type BenchOptions, type BenchRow } from "./common.js";
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
    const stage = (n: string) => s.stages.find((x) => x.stage === n)?.seconds ?? NaN;
    stages.push(["pca", "kmeans", "patterns"].map((n) => `${n} ${stage(n).toFixed(1)} s`).join(", "));
  }
  const cut2 = decodeNpyArray(readFileSync(join(out, "labels_cut2.npy")), "labels_cut2.npy").data;
  return [{
    name: `stem4d analyze ${data.shape.join("x")} ${data.dtype} (whole process)`, ...spread(ms),
    throughput: data.bytes / (spread(ms).medianMs / 1000) / 1e9, unit: "GB/s",
    note: `peak RSS ${(s.peakMemoryBytes / 2 ** 30).toFixed(2)} GiB; ${stages.join("; ")}; ` +
      `2-cut ARI ${adjustedRandIndex(cut2, benchTruth(data).phase).toFixed(3)} vs phases`,
  }];
}
