// Benchmark datasets, simulated once into out/bench-data/ and reused by every later run (and by every area).
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import {
  Core, Rng, SIMULATOR_VERSION, npyHeader, simulateTwoPhase, writeDatasetNpy, type Dtype, type GroundTruth,
} from "../bindings/node.js";

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

/**
 * Data without easy clusters, at the paper's size by default: every pattern is Poisson counts of a non-negative
 * mixture of 40 random patterns (pixels uniform in [0, 1)) with Gamma(0.5)-distributed weights, scaled to 4
 * counts per pixel on average. PCA scores of such data form one blob, so Lloyd's k-means needs hundreds of
 * iterations. Mixtures come from the core's GEMM, counts from a seeded generator; written once as float32 .npy.
 */
export async function clusterlessDataset(scan: [number, number] = [192, 192], detector: [number, number] = [96, 96]): Promise<BenchData> {
  const dir = "out/bench-data";
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/clusterless_${scan.join("x")}x${detector.join("x")}_f32.npy`;
  const P = scan[0] * scan[1], Q = detector[0] * detector[1], M = 40;
  const shape: [number, number, number, number] = [...scan, ...detector];
  if (existsSync(path)) return { path, shape, dtype: "f32", bytes: P * Q * 4 };
  process.stderr.write(`writing ${path} (${(P * Q * 4 / 1e9).toFixed(2)} GB) once for the benchmarks...\n`);
  const rng = new Rng(BENCH_SEED, 40);
  const scale = 4 / (M * 0.5 * 0.5); // E[weight] = 0.5, E[pixel] = 0.5
  const core = await Core.create({ workers: 0 });
  const block = 512;
  const a = core.arena, pW = a.alloc(block * M * 4), pP = a.alloc(M * Q * 4), pC = a.alloc(block * Q * 4);
  const fd = openSync(`${path}.part`, "w");
  try {
    a.f32(pP, M * Q).set(Float32Array.from({ length: M * Q }, () => rng.next() * scale));
    writeSync(fd, npyHeader("f32", shape));
    for (let f0 = 0; f0 < P; f0 += block) {
      const m = Math.min(block, P - f0);
      a.f32(pW, m * M).set(Float32Array.from({ length: m * M }, () => gammaHalf(rng)));
      core.call("gemmF32", m, Q, M, pW, M, pP, Q, pC, Q, 0);
      const counts = Float32Array.from(a.f32(pC, m * Q), (lambda) => rng.poisson(lambda));
      writeSync(fd, new Uint8Array(counts.buffer));
    }
  } finally {
    closeSync(fd);
    await core.close();
  }
  renameSync(`${path}.part`, path);
  return { path, shape, dtype: "f32", bytes: P * Q * 4 };
}

/** Gamma(0.5, 1): Marsaglia and Tsang's method for shape 1.5, times U^2 (U^(1/0.5)). */
function gammaHalf(rng: Rng): number {
  const d = 1.5 - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal(), v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * rng.next() ** 2;
  }
}
