// The foundation's benchmark: virtual detector, centre of mass and binning throughput in GB/s against a scalar JS
// loop and against a plain SIMD sum over the same bytes (the memory-bound limit), for 1 and 2 workers; then whole
// processes on the paper's size: `stem4d virtual` against numpy's (data*mask).sum(axis=(2,3)) on a memory-mapped
// file and against a bare `node` process that only reads the file (the I/O floor), with peak RSS.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Core, diskMask, memoryDataset, residentDataset, runReduction, virtualImages, centerOfMass, binDataset, type Dataset, type Dtype } from "../bindings/node.js";
import { compare, measure, referenceEnv, spread, type BenchOptions, type BenchRow } from "./common.js";
import { benchDataset } from "./datasets.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(...(await inMemory(o)));
  rows.push(...(await wholeProcess(o)));
  return rows;
}

/** Frames already in the core's memory (residentDataset): kernels and executor without I/O or copies. */
async function inMemory(o: BenchOptions): Promise<BenchRow[]> {
  const frames = o.quick ? 512 : 4096, det = 96, Q = det * det;
  const mask = diskMask(det, det, { cy: 47.5, cx: 47.5 }, 30); // a large disk: most rows are read
  const full = new Float32Array(Q).fill(1); // every pixel: what the plain SIMD sum reads too
  // The kernel reads only the detector rows a mask touches: throughput counts the bytes actually read.
  const rowsRead = Array.from({ length: det }, (_, y) => mask.subarray(y * det, (y + 1) * det).some((v) => v !== 0)).filter(Boolean).length;
  const rows: BenchRow[] = [];
  for (const dtype of ["u16", "f32"] as Dtype[]) {
    const bytes = frames * Q * (dtype === "u16" ? 2 : 4);
    const data = dtype === "u16" ? Uint16Array.from({ length: frames * Q }, (_, i) => (i * 2654435761) % 4096) : Float32Array.from({ length: frames * Q }, (_, i) => (i % 977) * 0.5);
    const ds: Dataset = memoryDataset(data, [frames, 1, det, det]);
    // (a) the scalar JS reference, on the same values.
    const tasks: Parameters<typeof measure>[0] = [{
      name: `scalar JS loop ${dtype}`, bytes, fn: () => {
        const out = new Float32Array(frames);
        for (let f = 0; f < frames; f++) { let s = 0; const b = f * Q; for (let q = 0; q < Q; q++) s += data[b + q]! * mask[q]!; out[f] = s; }
        return out;
      },
    }];
    const cores: Core[] = [];
    for (const workers of [1, 2]) {
      const core = await Core.create({ workers });
      cores.push(core);
      // (b) the memory-bound limit: a plain SIMD sum over the same bytes, on each worker's share.
      const inCore = residentDataset(core, data, ds.shape);
      const ptr = inCore.source.resident!.ptr;
      const share = bytes / 4 / workers;
      tasks.push({ name: `plain SIMD sum ${dtype}, ${workers}w`, bytes, fn: () => core.run(Array.from({ length: workers }, (_, w) => [{ fn: "plainSumF32", args: [ptr + w * share * 4, share] }])) });
      tasks.push({
        name: `virtual detector ${dtype}, disk r=30 (${rowsRead} of ${det} rows read), ${workers}w`, bytes: (bytes * rowsRead) / det,
        fn: () => runReduction(core, inCore, virtualImages([mask])),
      });
      tasks.push({ name: `virtual detector ${dtype}, full-frame mask, ${workers}w`, bytes, fn: () => runReduction(core, inCore, virtualImages([full])) });
      tasks.push({ name: `centre of mass ${dtype}, ${workers}w`, bytes, fn: () => runReduction(core, inCore, centerOfMass(det, det, { cy: 47.5, cx: 47.5 })) });
      for (const b of [2, 3, 4]) {
        tasks.push({ name: `detector bin x${b} ${dtype}, ${workers}w`, bytes, fn: async () => {
          const v = binDataset(core, inCore, { detector: b });
          const out = new Uint8Array(frames * Math.floor(det / b) ** 2 * 4);
          await v.source.readFrames(0, frames, out);
          await v.source.close?.();
        } });
      }
    }
    const r = await measure(tasks, { time: o.quick ? 200 : 800 });
    for (const w of [1, 2]) {
      compare(r, [
        [`virtual detector ${dtype}, full-frame mask, ${w}w`, `plain SIMD sum ${dtype}, ${w}w`],
        [`centre of mass ${dtype}, ${w}w`, `scalar JS loop ${dtype}`],
        ...[2, 3, 4].map((b): [string, string] => [`detector bin x${b} ${dtype}, ${w}w`, `scalar JS loop ${dtype}`]),
      ]);
    }
    compare(r, [[`plain SIMD sum ${dtype}, 1w`, `scalar JS loop ${dtype}`]]);
    const one = r.find((x) => x.name === `virtual detector ${dtype}, full-frame mask, 1w`)!;
    const two = r.find((x) => x.name === `virtual detector ${dtype}, full-frame mask, 2w`)!;
    r.push({ name: `virtual detector ${dtype}, full frame: 2 workers over 1`, medianMs: two.medianMs, ratio: one.medianMs / two.medianMs, reference: one.name });
    rows.push(...r);
    for (const c of cores) await c.close();
  }
  return rows;
}

async function wholeProcess(o: BenchOptions): Promise<BenchRow[]> {
  const data = o.quick ? await benchDataset([64, 64], [96, 96], "f32") : await benchDataset();
  const rows: BenchRow[] = [];
  const runs = o.quick ? 2 : 5;
  const time = (name: string, cmd: string, args: string[], parse: (out: string) => number, env = process.env) => {
    const ms: number[] = [];
    let rss = 0;
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, env });
      const t = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
      if (i > 0) ms.push(t); // the first run warms the page cache
      rss = Math.max(rss, parse(r.stdout));
    }
    const t = spread(ms);
    rows.push({ name, ...t, throughput: data.bytes / (t.medianMs / 1000) / 1e9, unit: "GB/s", note: `peak RSS ${rss} MB` });
  };
  // Two floors: reading in 32 MiB blocks (the executor's block size) and in 128 KiB pieces, which stay in cache and
  // copy about twice as fast on these machines: the lowest time any process can read the file in.
  const readOnly = `
    const fs = require("fs"); const fd = fs.openSync(process.argv[1], "r"); const buf = Buffer.allocUnsafe(Number(process.argv[2]));
    let off = 0, n = 0; while ((n = fs.readSync(fd, buf, 0, buf.length, off)) > 0) off += n;
    console.log(JSON.stringify({ bytes: off, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));`;
  time("node: read the file only, 32 MiB blocks", process.execPath, ["-e", readOnly, data.path, String(32 << 20)], (s) => JSON.parse(s).peakRssMB);
  time("node: read the file only, 128 KiB pieces (I/O floor)", process.execPath, ["-e", readOnly, data.path, String(128 << 10)], (s) => JSON.parse(s).peakRssMB);
  time("stem4d virtual --bf (whole process)", process.execPath, [CLI, "virtual", data.path, "--bf", "12", "--center", "47.5,47.5", "-o", "out/bench-data/bf.npy", "--json", "-q"], (s) => JSON.parse(s).peakRssMB);
  const py = spawnSync("/usr/bin/python3", ["-c", "import numpy"]);
  if (py.status === 0) {
    const numpy = `
import numpy as np, sys, resource, json
d = np.load(sys.argv[1], mmap_mode="r")
yy, xx = np.mgrid[:d.shape[2], :d.shape[3]]
mask = (((yy - 47.5) ** 2 + (xx - 47.5) ** 2) <= 144).astype(np.float32)
img = (d * mask).sum(axis=(2, 3))
print(json.dumps({"peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))`;
    time("numpy (data*mask).sum(axis=(2,3)), memmap", "/usr/bin/python3", ["-c", numpy, data.path], (s) => JSON.parse(s).peakRssMB, referenceEnv());
  }
  return compare(rows, [
    ["stem4d virtual --bf (whole process)", "numpy (data*mask).sum(axis=(2,3)), memmap"],
    ["node: read the file only, 32 MiB blocks", "stem4d virtual --bf (whole process)"],
    ["node: read the file only, 128 KiB pieces (I/O floor)", "stem4d virtual --bf (whole process)"],
  ]);
}
