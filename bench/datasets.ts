// Benchmark datasets, simulated once into out/bench-data/ and reused by every later run (and by every area).
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { SIMULATOR_VERSION, simulateTwoPhase, writeDatasetNpy, type Dtype, type GroundTruth } from "../bindings/node.js";

export interface BenchData {
  path: string;
  shape: [number, number, number, number];
  dtype: Dtype;
  bytes: number;
}

const BENCH_SEED = 2016;

/** The ground truth of a benchmark dataset (cheap: no frame is rendered). */
export function benchTruth(d: BenchData): GroundTruth {
  return simulateTwoPhase({ scan: [d.shape[0], d.shape[1]], detector: [d.shape[2], d.shape[3]], dtype: d.dtype, seed: BENCH_SEED }).truth;
}

/** The paper's size by default: a 192 x 192 scan of 96 x 96 float32 patterns (1.36 GB). */
export async function benchDataset(scan: [number, number] = [192, 192], detector: [number, number] = [96, 96], dtype: Dtype = "f32"): Promise<BenchData> {
  const dir = "out/bench-data";
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/sim${SIMULATOR_VERSION}_${scan.join("x")}x${detector.join("x")}_${dtype}.npy`;
  const size = dtype === "u8" ? 1 : dtype === "u16" ? 2 : 4;
  const bytes = scan[0] * scan[1] * detector[0] * detector[1] * size;
  if (!existsSync(path)) {
    process.stderr.write(`simulating ${path} (${(bytes / 1e9).toFixed(2)} GB) once for the benchmarks...\n`);
    const { dataset } = simulateTwoPhase({ scan, detector, dtype, seed: BENCH_SEED });
    await writeDatasetNpy(dataset, `${path}.part`);
    renameSync(`${path}.part`, path);
  }
  return { path, shape: [...scan, ...detector], dtype, bytes };
}
