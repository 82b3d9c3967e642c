// GEMM throughput per core against the WASM SIMD ceiling of this CPU, and numpy's float32 matmul (OpenBLAS) on
// the same shapes: the gap to native BLAS as a number. Wasm SIMD in Node 20 has no fused multiply-add, so the
// ceiling is the rate of independent f32x4 multiplies and adds (assembly/simd-peak.ts), measured, not assumed.
import { Core, type KernelCall } from "../bindings/node.js";
import {
  PY_BLAS_KERNEL, compare, hasPython, heavyRuns, lastLine, runReference, spread, timeRuns, type BenchOptions, type BenchRow,
} from "./common.js";

/** [m, n, k]: a square product, and the shape of a PCA pass (a block of frames times the sketch). */
const SHAPES: [number, number, number][] = [[768, 768, 768], [2048, 144, 9216]];

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const runs = Math.max(3, heavyRuns(o));
  const core = await Core.create({ workers: 2 });
  try {
    // The ceiling: one core, then both at once.
    const iterations = o.quick ? 2_000_000 : 20_000_000, flops = 96 * iterations;
    const oneCpu = cpuTime(runs, () => core.call("simdPeakF32", iterations));
    const one = await timeRuns(runs, () => core.call("simdPeakF32", iterations));
    const gflops = (t: { medianMs: number }, copies: number) => (copies * flops) / t.medianMs / 1e6;
    // Per CPU-second: what the core does while it runs, whatever share of it other jobs take.
    const ceiling = flops / oneCpu / 1e6;
    rows.push({
      name: "WASM SIMD ceiling (f32x4 mul + add, no FMA), 1 core", ...spread1(one), throughput: gflops(one, 1), unit: "GFLOP/s",
      note: `${ceiling.toFixed(1)} GFLOP/s per CPU-second (fastest of ${runs})`,
    });
    const peak: KernelCall = { fn: "simdPeakF32", args: [iterations] };
    const two = await timeRuns(runs, () => core.run([[peak], [peak]]));
    rows.push({ name: "WASM SIMD ceiling, 2 cores", ...spread1(two), throughput: gflops(two, 2), unit: "GFLOP/s" });
    rows.push(...await integerRows(core, runs, iterations));
    for (const [m, n, k] of SHAPES) {
      const a = core.arena, pa = a.alloc(m * k * 4), pb = a.alloc(k * n * 4), pc = a.alloc(2 * m * n * 4);
      a.f32(pa, m * k).forEach((_, i, v) => { v[i] = ((i * 7919) % 1000) / 1000; });
      a.f32(pb, k * n).forEach((_, i, v) => { v[i] = ((i * 104729) % 1000) / 1000; });
      const gflop = (2 * m * n * k) / 1e9;
      const t1 = await timeRuns(runs, () => core.call("gemmF32", m, n, k, pa, k, pb, n, pc, n, 0));
      const perCpu = gflop / (cpuTime(runs, () => core.call("gemmF32", m, n, k, pa, k, pb, n, pc, n, 0)) / 1000);
      rows.push({
        name: `stem4d gemmF32 ${m}x${k} times ${k}x${n}, 1 core`, ...spread1(t1),
        throughput: gflop / (t1.medianMs / 1000), unit: "GFLOP/s",
        note: `${perCpu.toFixed(1)} GFLOP/s per CPU-second = ${((100 * perCpu) / ceiling).toFixed(0)}% of the ceiling's`,
      });
      // Two workers, each its own product (the way PCA passes split frames).
      const own = (w: number): KernelCall => ({ fn: "gemmF32", args: [m, n, k, pa, k, pb, n, pc + w * m * n * 4, n, 0] });
      const t2 = await timeRuns(runs, () => core.run([[own(0)], [own(1)]]));
      rows.push({
        name: `stem4d gemmF32 ${m}x${k} times ${k}x${n}, 2 cores`, ...spread1(t2),
        throughput: (2 * gflop) / (t2.medianMs / 1000), unit: "GFLOP/s",
      });
      for (const p of [pa, pb, pc]) a.release(p);
    }
  } finally {
    await core.close();
  }
  if (hasPython(["numpy"])) rows.push(...numpyRows(runs));
  const [m, n, k] = SHAPES[1]!;
  return compare(rows, [
    ...SHAPES.flatMap(([m, n, k]): [string, string][] => [1, 2].map((c) => [
      `stem4d gemmF32 ${m}x${k} times ${k}x${n}, ${c} core${c > 1 ? "s" : ""}`,
      `numpy float32 matmul ${m}x${k} times ${k}x${n}, ${c} thread${c > 1 ? "s" : ""}`,
    ])),
    ...[1, 2].map((c): [string, string] => [
      `stem4d gemmI16 ${m}x${k} times ${k}x${n}, ${c} core${c > 1 ? "s" : ""}`,
      `stem4d gemmF32 ${m}x${k} times ${k}x${n}, ${c} core${c > 1 ? "s" : ""}`,
    ]),
  ]);
}

/** The 16-bit integer products of PCA passes on counted data (assembly/gemm-i16.ts): their ceiling on one core, and
 * the PCA pass's product (2048 frames of 9216 pixels times 9216 x 144) on one core and on two (compared with
 * gemmF32's rows on the same shape). */
async function integerRows(core: Core, runs: number, iterations: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ops = 192 * iterations;
  const ceilingCpu = ops / cpuTime(runs, () => core.call("simdPeakI16", iterations)) / 1e6;
  const one = await timeRuns(runs, () => core.call("simdPeakI16", iterations));
  rows.push({
    name: "WASM SIMD ceiling, 16-bit integers (i32x4.dot_i16x8_s + add), 1 core", ...spread1(one),
    throughput: ops / one.medianMs / 1e6, unit: "G int16 op/s",
    note: `${ceilingCpu.toFixed(1)} G op/s per CPU-second (fastest of ${runs}); an op is a multiply or an add, as a flop`,
  });
  const [m, n, k] = SHAPES[1]!, kp = k / 2;
  const a = core.arena, pa = a.alloc(m * k * 2), pb = a.alloc(kp * n * 4), pc = a.alloc(2 * m * n * 4);
  try {
    // Counts of 0..26 against a basis rounded to 16 bits (any words: the speed does not depend on the values).
    new Int16Array(a.bytes(pa, m * k * 2).buffer, pa, m * k).forEach((_, i, v) => { v[i] = (i * 7919) % 27; });
    a.i32(pb, kp * n).forEach((_, i, v) => { v[i] = Math.imul(i, 104729); });
    const op = (2 * m * n * k) / 1e9, label = `${m}x${k} times ${k}x${n}`;
    const call = (c: number): KernelCall => ({ fn: "gemmI16", args: [m, n, kp, pa, k, pb, n, c, n, 0, 256] });
    const product = () => core.call("gemmI16", m, n, kp, pa, k, pb, n, pc, n, 0, 256);
    const int1 = await timeRuns(runs, product);
    const perCpu = op / (cpuTime(runs, product) / 1000);
    rows.push({
      name: `stem4d gemmI16 ${label}, 1 core`, ...spread1(int1), throughput: op / (int1.medianMs / 1000), unit: "G int16 op/s",
      note: `${perCpu.toFixed(1)} G op/s per CPU-second = ${((100 * perCpu) / ceilingCpu).toFixed(0)}% of the integer ceiling's`,
    });
    const int2 = await timeRuns(runs, () => core.run([[call(pc)], [call(pc + m * n * 4)]]));
    rows.push({ name: `stem4d gemmI16 ${label}, 2 cores`, ...spread1(int2), throughput: (2 * op) / (int2.medianMs / 1000), unit: "G int16 op/s" });
  } finally {
    for (const p of [pa, pb, pc]) a.release(p);
  }
  return rows;
}

/** The least CPU time (user + system, milliseconds) of `runs` calls on this thread. */
function cpuTime(runs: number, fn: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

const spread1 = (t: { minMs: number; medianMs: number; maxMs: number; samples: number }) =>
  ({ minMs: t.minMs, medianMs: t.medianMs, maxMs: t.maxMs, samples: t.samples });

/** numpy float32 matmul on the same shapes, with 1 and 2 BLAS threads. */
function numpyRows(runs: number): BenchRow[] {
  const out = JSON.parse(lastLine(runReference(PY_BLAS_KERNEL + `
import sys, json, time, numpy as np
from threadpoolctl import threadpool_limits
res = []
for m, n, k in json.loads(sys.argv[1]):
    a = np.random.default_rng(0).random((m, k), dtype=np.float32)
    b = np.random.default_rng(1).random((k, n), dtype=np.float32)
    for threads in (1, 2):
        with threadpool_limits(threads):
            a @ b
            ts = []
            for _ in range(int(sys.argv[2])):
                t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
            cpu = []
            for _ in range(int(sys.argv[2]) if threads == 1 else 0):
                c0 = time.process_time(); a @ b; cpu.append(time.process_time() - c0)
        res.append({"shape": [m, n, k], "threads": threads, "ms": [t * 1000 for t in ts], "cpu": min(cpu) if cpu else None})
print(json.dumps({"runs": res, "kernel": blas_kernel()}))`, [JSON.stringify(SHAPES), String(runs)])));
  return out.runs.map((r: { shape: [number, number, number]; threads: number; ms: number[]; cpu: number | null }) => {
    const [m, n, k] = r.shape, s = spread(r.ms), gflop = (2 * m * n * k) / 1e9;
    const perCpu = r.cpu ? `; ${(gflop / r.cpu).toFixed(1)} GFLOP/s per CPU-second` : "";
    return {
      name: `numpy float32 matmul ${m}x${k} times ${k}x${n}, ${r.threads} thread${r.threads > 1 ? "s" : ""}`, ...s,
      throughput: gflop / (s.medianMs / 1000), unit: "GFLOP/s", note: `${out.kernel} (limited to ${r.threads} here)${perCpu}`,
    };
  });
}
