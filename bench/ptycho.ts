// Phase-imaging benchmarks (issue 14):
// - single-side-band ptychography of a 128 x 128 scan of 64 x 64 u16 patterns and of a 256 x 256 scan of 128 x 128
//   u16 patterns (--quick: the first only), read from a .npy file, against the numpy reference in the same run
//   (test/ptycho/ssb_reference.py: the scan FFT of the bright-field pixels held in memory, then a loop over
//   frequencies), with the largest difference between the two objects;
// - iCoM (Fourier integration) of a 512 x 512 COM field: the bound is 100 ms after COM.
// The data come from the physical probe simulator, simulated once into out/bench-data/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Core, decodeNpyArray, openDataset, writeDatasetNpy } from "../bindings/node.js";
import { simulateProbe, type ProbeSimulationOptions } from "../bindings/simulate-probe.js";
import { SUM_BYTES, singleSideBand } from "../bindings/analyses/ssb.js";
import { integrateCom } from "../bindings/analyses/dpc.js";
import { pearson } from "../bindings/analyses/ssb-metrics.js";
import type { SsbParameters } from "../bindings/analyses/ssb-plan.js";
import { measure, referenceEnv, type BenchOptions, type BenchRow } from "./common.js";

const REFERENCE = fileURLToPath(new URL("../../test/ptycho/ssb_reference.py", import.meta.url));

interface ProbeData {
  path: string;
  params: SsbParameters;
  bytes: number;
  phase: Float32Array;
}

/** A simulated dataset (u16 Poisson counts, 300 kV, 20 mrad, 0.2 A step, 1 mrad pixels), written once. */
async function probeData(core: Core, scan: [number, number], detector: [number, number]): Promise<ProbeData> {
  const dir = "out/bench-data";
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/probe1_${scan.join("x")}x${detector.join("x")}_u16.npy`;
  const o: ProbeSimulationOptions = { scan, detector, dtype: "u16", dose: 1e5, seed: 14, rotationDeg: 10 };
  const sim = simulateProbe(core, o);
  try {
    if (!existsSync(path)) {
      process.stderr.write(`simulating ${path} once for the benchmarks...\n`);
      await writeDatasetNpy(sim.dataset, `${path}.part`);
      renameSync(`${path}.part`, path);
    }
    const p = sim.parameters;
    const params: SsbParameters = {
      kv: p.kv, alphaMrad: p.alphaMrad, stepA: [p.stepA, p.stepA], mradPerPixel: p.mradPerPixel, rotationDeg: p.rotationDeg,
      flip: p.flip, defocusA: p.defocusA, c3mm: p.c3mm,
      center: { cy: Math.floor(detector[0] / 2), cx: Math.floor(detector[1] / 2) },
    };
    return { path, params, bytes: scan[0] * scan[1] * detector[0] * detector[1] * 2, phase: sim.phase };
  } finally {
    sim.close();
  }
}

/** numpy's median wall and CPU time (ms) over `runs` runs, and its object (re, im pairs). */
function numpySsb(d: ProbeData, runs: number): { ms: number; cpuMs: number; object: Float64Array } | undefined {
  if (!existsSync("/usr/bin/python3")) return undefined;
  const params = `${d.path}.ssb.json`, out = `${d.path}.ssb-ref.npy`;
  writeFileSync(params, JSON.stringify({ ...d.params, center: [d.params.center.cy, d.params.center.cx] }));
  const printed = execFileSync("/usr/bin/python3", ["-c", `
import sys, json, time, numpy as np
sys.path.insert(0, ${JSON.stringify(REFERENCE.replace(/\/[^/]*$/, ""))})
from ssb_reference import ssb
p = json.load(open(${JSON.stringify(params)}))
times, cpu = [], []
for _ in range(${runs}):
    t, c = time.perf_counter(), time.process_time()
    obj = ssb(np.load(${JSON.stringify(d.path)}, mmap_mode="r"), p)
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
np.save(${JSON.stringify(out)}, np.stack([obj.real, obj.imag], axis=-1))
print(np.median(times) * 1e3, np.median(cpu) * 1e3)
`], { maxBuffer: 1 << 20, env: referenceEnv() }).toString();
  const [ms, cpuMs] = printed.trim().split(/\s+/).map(Number) as [number, number];
  return { ms, cpuMs, object: decodeNpyArray(readFileSync(out), out).data };
}

async function ssbRows(core: Core, d: ProbeData, label: string, runs: number): Promise<BenchRow[]> {
  let last: Awaited<ReturnType<typeof singleSideBand>> | undefined;
  let cpu = 0, calls = 0;
  const [ours] = await measure([{
    name: `SSB ${label} u16, stem4d (2 workers, one pass over the file)`, bytes: d.bytes,
    fn: async () => {
      const ds = await openDataset(d.path), c = process.cpuUsage();
      try { last = await singleSideBand(core, ds, d.params); } finally { await ds.source.close?.(); }
      const used = process.cpuUsage(c);
      cpu += (used.user + used.system) / 1000;
      calls++;
    },
  }], { time: 1, iterations: runs });
  const r = last!;
  ours!.note = `state ${((r.trotterPixels * SUM_BYTES) / 2 ** 20).toFixed(0)} MB (${r.trotterPixels} trotter pixels); `
    + `phase vs truth r = ${pearson(r.phase, d.phase).toFixed(3)}`;
  const rows = [ours!];
  const np = numpySsb(d, runs);
  if (np) {
    let diff = 0, max = 0;
    for (let i = 0; i < np.object.length; i++) {
      diff = Math.max(diff, Math.abs(np.object[i]! - r.object[i]!));
      max = Math.max(max, Math.abs(np.object[i]!));
    }
    const gbs = d.bytes / (np.ms / 1000) / 1e9;
    const ref: BenchRow = { name: `SSB ${label} u16, numpy reference`, medianMs: np.ms, throughput: gbs, unit: "GB/s" };
    ours!.reference = ref.name;
    ours!.ratio = np.ms / ours!.medianMs;
    ours!.note += `; max |difference| / max |object| = ${(diff / max).toExponential(1)}`;
    rows.push(ref);
    // CPU time (all threads) says more than wall time when other jobs share the cores.
    const npCpu: BenchRow = { name: `SSB ${label}, numpy CPU time`, medianMs: np.cpuMs };
    const mean = cpu / calls;
    const cpuRow = { name: `SSB ${label}, stem4d CPU time (all threads, mean)`, medianMs: mean, reference: npCpu.name };
    rows.push({ ...cpuRow, ratio: np.cpuMs / mean }, npCpu);
  }
  return rows;
}

async function icomRows(core: Core): Promise<BenchRow[]> {
  const n = 512, cy = new Float32Array(n * n), cx = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      cy[y * n + x] = Math.sin((2 * Math.PI * 7 * y) / n) * Math.cos((2 * Math.PI * 3 * x) / n);
      cx[y * n + x] = Math.cos((2 * Math.PI * 5 * y) / n) * Math.sin((2 * Math.PI * 11 * x) / n);
    }
  }
  let cpu = 0, calls = 0;
  const fn = () => {
    const c = process.cpuUsage();
    integrateCom(core, cy, cx, n, n, { kv: 300, stepA: [0.2, 0.2] });
    const used = process.cpuUsage(c);
    cpu += (used.user + used.system) / 1000;
    calls++;
  };
  const rows = await measure([{ name: "iCoM 512 x 512 (after COM; bound: 100 ms)", fn }]);
  return [...rows, { name: "iCoM 512 x 512, CPU time (mean)", medianMs: cpu / calls }];
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const core = await Core.create({ workers: 2 });
  try {
    const rows: BenchRow[] = [];
    const small = await probeData(core, [128, 128], [64, 64]);
    rows.push(...await ssbRows(core, small, "128x128 scan, 64x64 patterns", 3));
    if (!o.quick) {
      const big = await probeData(core, [256, 256], [128, 128]);
      rows.push(...await ssbRows(core, big, "256x256 scan, 128x128 patterns", 1));
    }
    rows.push(...await icomRows(core));
    return rows;
  } finally {
    await core.close();
  }
}
