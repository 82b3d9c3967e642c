// Fourier benchmarks (issue 4):
// - 2D complex FFT of 192 x 192 and 256 x 256: the core (one thread) against a plain scalar JS FFT written here as
//   the reference (fft.js style: iterative Stockham radix 2/3/4 over Float64Arrays, rows then columns) and against
//   numpy.fft.fft2 on complex64 (numpy >= 2 transforms float32 natively) when /usr/bin/python3 has numpy;
// - the full scan-axis transform of a 192 x 192 x 96 x 96 float32 dataset written to a complex64 .npy file
//   (target: at most 20 s on 2 cores), and the scan power spectrum alone;
// - the single-frequency CBED pattern (one pass) against one plain pass over the same data (a virtual image of one
//   mask), the yardstick: the CBED should cost no more than that pass.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, memoryDataset, runReduction, virtualImages, cbedAtFrequencies, scanPowerSpectrum, scanFft4d, fftPlan, fft2dCall, fft2dScratchBytes } from "../bindings/node.js";
import { writeScanFftNpy } from "../bindings/analyses/fourier-node.js";
import { compare, heavyRuns, measure, referenceEnv, timeRuns, type BenchOptions, type BenchRow } from "./common.js";

/** The scalar reference: a plain iterative Stockham FFT (radix 4, 2, 3) in float64, no SIMD, no WASM. */
class ScalarFft {
  private factors: number[] = [];
  private tw: Float64Array[] = [];
  private bre: Float64Array;
  private bim: Float64Array;
  constructor(readonly n: number) {
    let r = n;
    for (const p of [4, 2, 3]) while (r % p === 0) { this.factors.push(p); r /= p; }
    if (r !== 1) throw new Error(`scalar FFT: ${n} is not a product of 2, 3 and 4`);
    let len = n;
    for (const p of this.factors) {
      const m = len / p, t = new Float64Array(2 * m * p);
      for (let q = 0; q < m; q++) for (let k = 0; k < p; k++) {
        const a = (-2 * Math.PI * q * k) / len;
        t[2 * (q * p + k)] = Math.cos(a); t[2 * (q * p + k) + 1] = Math.sin(a);
      }
      this.tw.push(t);
      len = m;
    }
    this.bre = new Float64Array(n); this.bim = new Float64Array(n);
  }
  /** In place on (re, im). */
  run(re: Float64Array, im: Float64Array): void {
    let xr = re, xi = im, yr = this.bre, yi = this.bim, len = this.n, s = 1;
    const S3 = Math.sqrt(3) / 2;
    this.factors.forEach((p, st) => {
      const m = len / p, t = this.tw[st]!;
      for (let q = 0; q < m; q++) {
        for (let sp = 0; sp < s; sp++) {
          const i0 = sp + s * q, o0 = sp + s * p * q;
          if (p === 2) {
            const ar = xr[i0]!, ai = xi[i0]!, br = xr[i0 + s * m]!, bi = xi[i0 + s * m]!;
            yr[o0] = ar + br; yi[o0] = ai + bi;
            const dr = ar - br, di = ai - bi, wr = t[2 * (q * 2 + 1)]!, wi = t[2 * (q * 2 + 1) + 1]!;
            yr[o0 + s] = dr * wr - di * wi; yi[o0 + s] = dr * wi + di * wr;
          } else if (p === 4) {
            const a0r = xr[i0]!, a0i = xi[i0]!, a1r = xr[i0 + s * m]!, a1i = xi[i0 + s * m]!;
            const a2r = xr[i0 + 2 * s * m]!, a2i = xi[i0 + 2 * s * m]!, a3r = xr[i0 + 3 * s * m]!, a3i = xi[i0 + 3 * s * m]!;
            const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
            const t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1i - a3i, t3i = -(a1r - a3r); // (a1 - a3) * -i
            const o = 2 * q * 4;
            let vr = t1r + t3r, vi = t1i + t3i, wr = t[o + 2]!, wi = t[o + 3]!;
            yr[o0] = t0r + t2r; yi[o0] = t0i + t2i;
            yr[o0 + s] = vr * wr - vi * wi; yi[o0 + s] = vr * wi + vi * wr;
            vr = t0r - t2r; vi = t0i - t2i; wr = t[o + 4]!; wi = t[o + 5]!;
            yr[o0 + 2 * s] = vr * wr - vi * wi; yi[o0 + 2 * s] = vr * wi + vi * wr;
            vr = t1r - t3r; vi = t1i - t3i; wr = t[o + 6]!; wi = t[o + 7]!;
            yr[o0 + 3 * s] = vr * wr - vi * wi; yi[o0 + 3 * s] = vr * wi + vi * wr;
          } else {
            const a0r = xr[i0]!, a0i = xi[i0]!, a1r = xr[i0 + s * m]!, a1i = xi[i0 + s * m]!, a2r = xr[i0 + 2 * s * m]!, a2i = xi[i0 + 2 * s * m]!;
            const sr = a1r + a2r, si = a1i + a2i, mr = a0r - 0.5 * sr, mi = a0i - 0.5 * si;
            const dr = S3 * (a1i - a2i), di = -S3 * (a1r - a2r);
            const o = 2 * q * 3;
            yr[o0] = a0r + sr; yi[o0] = a0i + si;
            let vr = mr + dr, vi = mi + di, wr = t[o + 2]!, wi = t[o + 3]!;
            yr[o0 + s] = vr * wr - vi * wi; yi[o0 + s] = vr * wi + vi * wr;
            vr = mr - dr; vi = mi - di; wr = t[o + 4]!; wi = t[o + 5]!;
            yr[o0 + 2 * s] = vr * wr - vi * wi; yi[o0 + 2 * s] = vr * wi + vi * wr;
          }
        }
      }
      [xr, yr] = [yr, xr]; [xi, yi] = [yi, xi];
      len = m; s *= p;
    });
    if (xr !== re) { re.set(xr); im.set(xi); }
  }
}

/** 2D FFT with the scalar reference: rows, then columns through a gathered column buffer. */
function scalarFft2(re: Float64Array, im: Float64Array, rows: number, cols: number, fr: ScalarFft, fc: ScalarFft): void {
  for (let r = 0; r < rows; r++) fc.run(re.subarray(r * cols, (r + 1) * cols), im.subarray(r * cols, (r + 1) * cols));
  const cr = new Float64Array(rows), ci = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) { cr[r] = re[r * cols + c]!; ci[r] = im[r * cols + c]!; }
    fr.run(cr, ci);
    for (let r = 0; r < rows; r++) { re[r * cols + c] = cr[r]!; im[r * cols + c] = ci[r]!; }
  }
}

function numpyFft2Ms(n: number): { ms: number; version: string; dtype: string } | undefined {
  if (!existsSync("/usr/bin/python3")) return undefined;
  try {
    const out = execFileSync("/usr/bin/python3", ["-c", `
import numpy as np, timeit
n = ${n}
x = (np.random.default_rng(1).standard_normal((n, n)) + 1j * np.random.default_rng(2).standard_normal((n, n))).astype(np.complex64)
t = timeit.Timer(lambda: np.fft.fft2(x))
k, _ = t.autorange()
print(np.median([min(t.repeat(1, k)) / k for _ in range(7)]) * 1e3, np.__version__, np.fft.fft2(x).dtype)
`], { env: { ...referenceEnv(), OMP_NUM_THREADS: "1" } });
    const [ms, version, dtype] = out.toString().trim().split(" ");
    return { ms: Number(ms), version: version!, dtype: dtype! };
  } catch {
    return undefined;
  }
}

async function fft2Rows(core: Core, quick: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [192, 256]) {
    const flops = 5 * n * n * Math.log2(n * n);
    const pr = fftPlan(core, n), pc = fftPlan(core, n);
    const ptr = core.arena.alloc(n * n * 8), scratch = core.arena.alloc(fft2dScratchBytes(pr, pc));
    const input = Float32Array.from({ length: 2 * n * n }, (_, i) => (i % 2 === 0 ? Math.sin(i * 0.37) : Math.cos(i * 0.11)));
    const call = fft2dCall(pr, pc, ptr, scratch);
    const ref = new ScalarFft(n);
    const re = new Float64Array(n * n), im = new Float64Array(n * n);
    // Each iteration transforms fresh input (repeated in-place transforms would overflow); both sides pay the copy.
    const ours = () => { core.arena.f32(ptr, 2 * n * n).set(input); core.call(call.fn, ...call.args); };
    const scalar = () => { for (let i = 0; i < n * n; i++) { re[i] = input[2 * i]!; im[i] = input[2 * i + 1]!; } scalarFft2(re, im, n, n, ref, ref); };
    // The reference must compute the same transform.
    ours(); scalar();
    const got = core.arena.f32(ptr, 2 * n * n);
    let err = 0, max = 0;
    for (let i = 0; i < n * n; i++) { err = Math.max(err, Math.hypot(got[2 * i]! - re[i]!, got[2 * i + 1]! - im[i]!)); max = Math.max(max, Math.hypot(re[i]!, im[i]!)); }
    if (!(err / max < 1e-4)) throw new Error(`fft bench: the core and the scalar reference disagree at ${n} x ${n} (relative error ${err / max})`);
    const r = await measure([
      { name: `fft2 ${n}x${n} complex64, stem4d core (1 thread)`, fn: ours, units: flops / 1e9, unit: "GFLOP/s" },
      { name: `fft2 ${n}x${n}, scalar JS Stockham (reference)`, fn: scalar, units: flops / 1e9, unit: "GFLOP/s" },
    ], { time: quick ? 200 : 1000 });
    compare(r, [[r[0]!.name, r[1]!.name]]);
    rows.push(...r);
    const np = numpyFft2Ms(n);
    if (np !== undefined) {
      // numpy < 2 transforms complex64 input in complex128 (its result dtype is printed in the row name).
      const row: BenchRow = { name: `fft2 ${n}x${n} numpy ${np.version} fft2 (complex64 in, ${np.dtype} out)`, medianMs: np.ms, throughput: flops / 1e9 / (np.ms / 1000), unit: "GFLOP/s" };
      rows.push(row);
      rows.push({ name: `fft2 ${n}x${n} stem4d core vs numpy`, medianMs: r[0]!.medianMs, reference: row.name, ratio: np.ms / r[0]!.medianMs });
    }
    core.arena.release(scratch);
    core.arena.release(ptr);
  }
  return rows;
}

/** Medians of tasks run in turn, one call each per round (tinybench would run all of one task before the next). */
async function interleaved(tasks: { name: string; fn: () => Promise<unknown>; bytes: number }[], rounds: number): Promise<BenchRow[]> {
  const times = tasks.map(() => [] as number[]);
  for (const t of tasks) await t.fn(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [i, t] of tasks.entries()) {
      const t0 = performance.now();
      await t.fn();
      times[i]!.push(performance.now() - t0);
    }
  }
  return tasks.map((t, i) => {
    const s = times[i]!.sort((a, b) => a - b), median = s[s.length >> 1]!;
    return { name: t.name, medianMs: median, throughput: t.bytes / (median / 1000) / 1e9, unit: "GB/s", samples: rounds };
  });
}

/** A float32 dataset filled with a repeated block of pseudo-random values (content does not change FFT speed). */
function syntheticF32(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const block = Math.min(n, 1 << 20);
  let s = 12345;
  for (let i = 0; i < block; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = (s >>> 16) / 65536 * 100; }
  for (let i = block; i < n; i += block) data.copyWithin(i, 0, Math.min(block, n - i));
  return data;
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const core = await Core.create();
  try {
    rows.push(...(await fft2Rows(core, o.quick)));

    const shape = o.quick ? [64, 64, 64, 64] : [192, 192, 96, 96];
    const data = syntheticF32(shape);
    const ds = memoryDataset(data, shape);
    const label = `${shape.join("x")} f32 (${(data.byteLength / 2 ** 30).toFixed(2)} GiB), ${core.workerCount} workers`;

    // One plain pass (a virtual image of one disk mask) and the single-frequency CBED over the same data.
    // A mask over the whole detector, so the pass reads every pixel of every frame, as the CBED does. The three are
    // run in turn, round after round, so that load from other processes falls on all of them alike.
    const mask = new Float32Array(shape[2]! * shape[3]!).fill(1);
    const pass = await interleaved([
      { name: `one pass: virtual image, 1 full-detector mask, ${label}`, fn: () => runReduction(core, ds, virtualImages([mask])), bytes: data.byteLength },
      { name: `CBED at 1 spatial frequency (one pass), ${label}`, fn: () => runReduction(core, ds, cbedAtFrequencies([{ ky: 3, kx: -5 }])), bytes: data.byteLength },
      { name: `CBED at 4 spatial frequencies (one pass), ${label}`, fn: () => runReduction(core, ds, cbedAtFrequencies([{ ky: 3, kx: -5 }, { ky: 1, kx: 0 }, { ky: 0, kx: 7 }, { ky: -2, kx: 2 }])), bytes: data.byteLength },
    ], o.quick ? 9 : 7);
    compare(pass, [[pass[1]!.name, pass[0]!.name], [pass[2]!.name, pass[0]!.name]]);
    rows.push(...pass);

    // The full transform, timed once each: to a .npy file, to a sink that drops the data (compute alone), and the
    // I/O floor: writing as many bytes to the same directory with plain 32 MiB writes. Then the spectrum alone.
    const dir = mkdtempSync(join(tmpdir(), "stem4d-fft-bench-"));
    try {
      const path = join(dir, "fft4d.npy");
      const memoryBytes = 2 ** 31; // one pass: the 1.36 GB of packed pixels fit (in two slabs)
      const outBytes = data.byteLength * 2;
      const once = async (name: string, fn: () => Promise<unknown>, note?: string) => {
        const t = await timeRuns(heavyRuns(o), fn);
        const passes = (t.last as { passes?: number } | undefined)?.passes;
        rows.push({ name, minMs: t.minMs, medianMs: t.medianMs, maxMs: t.maxMs, samples: t.samples, throughput: data.byteLength / (t.medianMs / 1000) / 1e9, unit: "GB/s in", note: note ?? `${passes} passes` });
        return t.medianMs;
      };
      const full = await once(`full scan-axis FFT -> complex64 .npy (${(outBytes / 2 ** 30).toFixed(2)} GiB) in ${tmpdir()}, ${label}`, () => writeScanFftNpy(core, ds, path, { memoryBytes }));
      rows.at(-1)!.note += `; target <= 20000 ms`;
      rmSync(path);
      await once(`full scan-axis FFT -> a sink that drops the data (compute only), ${label}`, () => scanFft4d(core, ds, { write() {} }, { memoryBytes }));
      const floor = await once(`I/O floor: writing ${(outBytes / 2 ** 30).toFixed(2)} GiB in 32 MiB writes to ${tmpdir()}`, async () => {
        const fd = openSync(path, "w"), block = new Uint8Array(32 << 20);
        for (let done = 0; done < outBytes; done += block.length) writeSync(fd, block, 0, Math.min(block.length, outBytes - done));
        closeSync(fd);
      }, "no compute");
      rows.at(-3)!.note += `; ${(full / floor).toFixed(2)}x the I/O floor`;
      rmSync(path);
      await once(`scan power spectrum (summed over pixels), ${label}`, () => scanPowerSpectrum(core, ds, { memoryBytes }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await core.close();
  }
  return rows;
}
