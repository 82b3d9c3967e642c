// The FFT over the scan axes of a 4D dataset, S(y, x, u, v) -> F(ky, kx, u, v), with bounded memory.
//
// Every detector pixel needs every frame, so the transform works on a range of detector pixels at a time: one pass
// over the frames (a reduction) gathers that range of every frame, packed two real pixels per complex value, into
// slabs in the core's memory; a 2D FFT over the scan axes of every packed lane follows, split over the pool; then
// the slabs are consumed (power summed over pixels, and the values at a few chosen bins kept; or unpacked and written
// out as that range of the 4D transform). The range follows a memory budget: with enough memory one pass (and whole
// contiguous output rows), otherwise a few passes, so any dataset fits.
import type { Core, Task } from "../core.js";
import { type Dataset, frameCount, framePixels, navShape, sigShape } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";
import { runReduction } from "../executor.js";
import type { Reduction } from "../reduction.js";
import { MAX_REGION } from "../arena.js";
import type { SpatialFrequency } from "./fourier-cbed.js";
import { fftLanesCall, fftPlan, fftScratchBytes } from "./fourier-fft.js";

export interface ScanGrid {
  /** Scan rows and columns: the transform's frequency grid is ny x nx (signed bins, numpy order). */
  ny: number;
  nx: number;
  /** Detector rows and columns. */
  rows: number;
  cols: number;
}

/** The scan grid of a dataset with one (a line scan, ny = 1) or two navigation axes. */
export function scanFftGrid(ds: Pick<Dataset, "shape">, what = "scan FFT"): ScanGrid {
  const nav = navShape(ds);
  if (nav.length > 2) throw new RangeError(`${what}: needs 1 or 2 navigation axes, but the dataset has ${nav.length} ([${ds.shape.join(", ")}]); select a 2D scan first`);
  const [ny, nx] = nav.length === 1 ? [1, nav[0]!] : [nav[0]!, nav[1]!];
  const [rows, cols] = sigShape(ds);
  return { ny, nx, rows, cols };
}

export interface ScanFftOptions {
  /** Bytes of the core's memory the gathered pixels of one pass may use (default 512 MiB). */
  memoryBytes?: number;
  /** Largest slab (one memory region; default and at most 1 GiB): a pass above it is split into slabs. */
  slabBytes?: number;
  /** Progress over all passes, in frames read. */
  onProgress?: (done: number, total: number) => void;
}

export type ScanWindow = "hann" | "none";

/** The periodic Hann window of length n (scipy.signal.get_window("hann", n)); all ones for n = 1. */
export function hannWindow(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n)));
}

/** A slab of the transform in the core's memory (one region), handed to the consumer of each pass. */
export interface ScanSlab {
  /** Packed lanes: element (ky, kx) holds `pairs` complex values at ptr + ((ky nx + kx) pairs + l) * 8. */
  ptr: number;
  pairs: number;
  /** The slab covers detector pixels [q0, q0 + count). */
  q0: number;
  count: number;
}

/** Gathers each slab's pixels of every frame into its region (2 pixels per complex; see assembly/fft-scan.ts). */
function gatherSlabs(slabs: ScanSlab[]): Reduction<void> {
  return {
    name: "scan FFT gather",
    buffers: () => ({}),
    // Tasks write disjoint frame rows of regions owned by the caller, so no buffers and no merges are needed.
    process(tile) {
      const q = tile.rows * tile.cols, fn = `fftGather${kernelSuffix(tile.dtype)}` as const;
      return [slabs.map((s) => ({ fn, args: [tile.ptr, tile.count, q, s.q0, s.count, 2 * s.pairs, s.ptr + tile.start * s.pairs * 8] }))];
    },
    finish() {},
  };
}

/** Splits [0, n) into at most `parts` contiguous ranges of nearly equal size. */
export function splitRange(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, n));
  return Array.from({ length: k }, (_, i) => [Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)] as [number, number]).filter(([a, b]) => b > a);
}

/** Runs the passes: gather, scan FFT, consume. A pass covers detector pixels [q0, q0 + count) in one or more slabs
 * (regions are at most 1 GiB each, so a pass larger than that is split into slabs). Returns the number of passes. */
export async function scanFftPasses(core: Core, ds: Dataset, o: ScanFftOptions, consume: (slabs: ScanSlab[], q0: number, count: number) => Promise<void>): Promise<number> {
  const { ny, nx } = scanFftGrid(ds);
  const P = frameCount(ds), Q = framePixels(ds);
  const budget = o.memoryBytes ?? 512 << 20;
  const maxPairs = Math.floor(budget / (P * 8)), regionPairs = Math.floor(Math.min(o.slabBytes ?? MAX_REGION, MAX_REGION) / (P * 8));
  if (maxPairs < 1 || regionPairs < 1) throw new RangeError(`scan FFT: one detector pixel pair over ${P} probe positions needs ${P * 8} bytes, above the memory budget of ${Math.min(budget, MAX_REGION)}`);
  const totalPairs = Math.ceil(Q / 2);
  const passes = Math.ceil(totalPairs / maxPairs);
  const pairsPerPass = Math.ceil(totalPairs / passes);
  const slabsPerPass = Math.ceil(pairsPerPass / regionPairs);
  const pairsPerSlab = Math.ceil(pairsPerPass / slabsPerPass);
  const a = core.arena;
  const px = fftPlan(core, nx), py = fftPlan(core, ny);
  const workers = Math.max(1, core.workerCount);
  const regions: number[] = [], scratches: number[] = [];
  try {
    for (let i = 0; i < slabsPerPass; i++) regions.push(a.alloc(P * pairsPerSlab * 8));
    const scratchBytes = Math.max(fftScratchBytes(px, pairsPerSlab), fftScratchBytes(py, nx * pairsPerSlab), 16);
    for (let w = 0; w < workers; w++) scratches.push(a.alloc(scratchBytes));
    for (let pass = 0; pass < passes; pass++) {
      const q0 = pass * pairsPerPass * 2;
      const count = Math.min(Q, q0 + 2 * pairsPerPass) - q0;
      const slabs: ScanSlab[] = [];
      for (let i = 0, s0 = q0; s0 < q0 + count; i++, s0 += 2 * pairsPerSlab) {
        const c = Math.min(q0 + count, s0 + 2 * pairsPerSlab) - s0;
        slabs.push({ ptr: regions[i]!, pairs: Math.ceil(c / 2), q0: s0, count: c });
      }
      await runReduction(core, ds, gatherSlabs(slabs), {
        onProgress: o.onProgress && ((d) => o.onProgress!(pass * P + d, passes * P)),
      });
      for (const { ptr, pairs } of slabs) {
        // Along x: every scan row is an axis of nx elements of `pairs` lanes; rows are split over the workers.
        await core.run(splitRange(ny, workers).map(([y0, y1], w): Task => {
          const t: Task = [];
          for (let y = y0; y < y1; y++) t.push(fftLanesCall(px, ptr + y * nx * pairs * 8, pairs, pairs, scratches[w]!));
          return t;
        }));
        // Along y: one axis of ny elements of nx * pairs lanes; the lanes are split over the workers.
        if (ny > 1) {
          await core.run(splitRange(nx * pairs, workers).map(([l0, l1], w): Task => [fftLanesCall(py, ptr + l0 * 8, nx * pairs, l1 - l0, scratches[w]!)]));
        }
      }
      await consume(slabs, q0, count);
    }
    return passes;
  } finally {
    for (const s of scratches) a.release(s);
    for (const r of regions) a.release(r);
  }
}

export interface ScanPower extends ScanGrid {
  /** sum over detector pixels of |F(ky, kx, u, v)|^2, ny x nx in numpy order (DC at [0, 0]). */
  power: Float64Array;
  passes: number;
  /** The plain transform of every detector pixel at the bins ScanPowerOptions.keep chose. */
  kept?: KeptBins;
}

export interface KeptBins {
  /** Signed bins, as chosen (duplicates dropped). */
  bins: SpatialFrequency[];
  /** Bin j's transform of pixel q: (dft[(2 j) Q + q], dft[(2 j + 1) Q + q]) for Q detector pixels. */
  dft: Float32Array;
}

export interface ScanPowerOptions extends ScanFftOptions {
  /** Apodisation over the scan axes: "hann" (periodic Hann along rows and columns, so the scan's edges do not streak
   * the spectrum through the axes) or "none" (default). Only the power is windowed: kept bins are of the plain
   * transform. */
  window?: ScanWindow;
  /** Called once, after the first pass, with the power of the pixels that pass covered (numpy order; the whole
   * spectrum when one pass covers the detector): the bins whose plain transform to keep for every detector pixel
   * (returned in `kept`), at no cost in passes. */
  keep?: (partial: Float64Array) => readonly SpatialFrequency[];
}

/** Accumulates the packed power of the slabs into `acc` (P float64 in the core), split over the workers by element
 * (plain) or by frequency row (Hann: each task stencils whole rows in its scratch); each element adds its slabs in
 * order, so the sum does not depend on the split. */
function powerTasks(slabs: ScanSlab[], grid: ScanGrid, acc: number, workers: number, scratches?: number[]): Task[] {
  const { ny, nx } = grid;
  if (scratches) {
    return splitRange(ny, workers).map(([y0, y1], w) => slabs.map((s) => ({ fn: "fftPowerLanesHann", args: [s.ptr, ny, nx, s.pairs, y0, y1, acc, scratches[w]!] })));
  }
  return splitRange(ny * nx, workers).map(([e0, e1]) => slabs.map((s) => ({ fn: "fftPowerLanes", args: [s.ptr + e0 * s.pairs * 8, e1 - e0, s.pairs, s.pairs, acc + e0 * 8] })));
}

/** The packed power Zs(k) = sum |Z(k)|^2 becomes the pixel power (Zs(k) + Zs(-k)) / 2 (see assembly/fft-scan.ts). */
function unpackPower(zs: Float64Array, ny: number, nx: number): Float64Array {
  const out = new Float64Array(ny * nx);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) out[y * nx + x] = (zs[y * nx + x]! + zs[((ny - y) % ny) * nx + ((nx - x) % nx)]!) / 2;
  }
  return out;
}

/** Flat element index (numpy order) of a signed integer bin. */
export function binIndex(f: SpatialFrequency, ny: number, nx: number): number {
  return (((f.ky % ny) + ny) % ny) * nx + (((f.kx % nx) + nx) % nx);
}

/** The power spectrum of the scan-axis FFT summed over detector pixels, and optionally the plain transform at chosen
 * bins (options.keep). */
export async function scanPowerSpectrum(core: Core, ds: Dataset, o: ScanPowerOptions = {}): Promise<ScanPower> {
  const grid = scanFftGrid(ds);
  const { ny, nx } = grid;
  const P = frameCount(ds), Q = framePixels(ds), a = core.arena, workers = Math.max(1, core.workerCount);
  const acc = a.alloc(P * 8), owned: number[] = [];
  let scratches: number[] | undefined, kept: KeptBins | undefined, binsPtr = 0, dftPtr = 0;
  try {
    a.f64(acc, P).fill(0);
    const passes = await scanFftPasses(core, ds, o, async (slabs) => {
      if (o.window === "hann" && !scratches) {
        scratches = Array.from({ length: workers }, () => a.alloc(nx * slabs[0]!.pairs * 8));
        owned.push(...scratches);
      }
      await core.run(powerTasks(slabs, grid, acc, workers, scratches));
      if (o.keep && !kept) {
        const byIndex = new Map<number, SpatialFrequency>();
        for (const f of o.keep(unpackPower(a.f64(acc, P).slice(), ny, nx))) {
          if (!Number.isInteger(f.ky) || !Number.isInteger(f.kx)) throw new RangeError(`scan power spectrum: a kept bin must be integer, got (${f.ky}, ${f.kx})`);
          const e = binIndex(f, ny, nx);
          if (!byIndex.has(e)) byIndex.set(e, f);
        }
        const bins = [...byIndex.values()];
        kept = { bins, dft: new Float32Array(0) };
        if (bins.length) {
          owned.push((binsPtr = a.put(Int32Array.from(byIndex.keys()))), (dftPtr = a.alloc(bins.length * 2 * Q * 4)));
        }
      }
      if (kept?.bins.length) {
        await core.run(splitRange(kept.bins.length, workers).map(([j0, j1]): Task => slabs.map((s) => ({
          fn: "fftTakeBins", args: [s.ptr, ny, nx, s.pairs, s.count, binsPtr, j0, j1, dftPtr, Q, s.q0],
        }))));
      }
    });
    if (kept?.bins.length) kept.dft = a.f32(dftPtr, kept.bins.length * 2 * Q).slice();
    return { ...grid, power: unpackPower(a.f64(acc, P).slice(), ny, nx), passes, kept };
  } finally {
    for (const p of owned) a.release(p);
    a.release(acc);
  }
}

/** Where the full transform goes: complex64 values addressed by their flat index in [ny, nx, rows, cols]. */
export interface ComplexSink {
  /** Writes `data` (interleaved re, im) starting at complex value `index`; `data` is a view into the core's
   * memory, valid only until the returned promise settles. */
  write(index: number, data: Float32Array): void | Promise<void>;
}

/** The full 4D transform F(ky, kx, u, v) (complex64, numpy order) written slab by slab into `sink`; also returns the
 * power spectrum, which comes at no extra cost. Memory stays within the budget plus two batches of output rows:
 * while one batch is being written (the sink may be asynchronous, e.g. a file), the next is unpacked. */
export async function scanFft4d(core: Core, ds: Dataset, sink: ComplexSink, o: ScanFftOptions = {}): Promise<ScanPower> {
  const grid = scanFftGrid(ds);
  const { ny, nx } = grid;
  const P = frameCount(ds), Q = framePixels(ds);
  const a = core.arena;
  const workers = Math.max(1, core.workerCount);
  const acc = a.alloc(P * 8);
  const sets: number[][] = [[], []];
  const pending: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  let batch = 0;
  try {
    a.f64(acc, P).fill(0);
    const passes = await scanFftPasses(core, ds, o, async (slabs, q0, count) => {
      await core.run(powerTasks(slabs, grid, acc, workers));
      // Rows of this pass: out[kx][count] complex, each slab unpacked into its columns.
      const rowBytes = nx * count * 8;
      const perBatch = Math.max(1, Math.min(ny, Math.floor((32 << 20) / rowBytes)));
      for (let k0 = 0; k0 < ny; k0 += perBatch, batch++) {
        const k1 = Math.min(ny, k0 + perBatch);
        const set = sets[batch % 2]!;
        await pending[batch % 2]; // its rows are still being written
        while (set.length < perBatch) set.push(a.alloc(rowBytes));
        await core.run(splitRange(k1 - k0, workers).map(([r0, r1]): Task => {
          const t: Task = [];
          for (let r = r0; r < r1; r++) {
            for (const s of slabs) t.push({ fn: "fftUnpackPairs", args: [s.ptr, ny, nx, s.pairs, k0 + r, s.count, set[r]! + (s.q0 - q0) * 8, count] });
          }
          return t;
        }));
        const writes: (void | Promise<void>)[] = [];
        for (let ky = k0; ky < k1; ky++) {
          const row = a.f32(set[ky - k0]!, 2 * nx * count);
          if (count === Q) writes.push(sink.write(ky * nx * Q, row));
          else for (let kx = 0; kx < nx; kx++) writes.push(sink.write((ky * nx + kx) * Q + q0, row.subarray(2 * kx * count, 2 * (kx + 1) * count)));
        }
        pending[batch % 2] = Promise.all(writes);
      }
      // The slabs are refilled by the next pass, but the rows being written live in their own buffers.
    });
    await Promise.all(pending);
    return { ...grid, power: unpackPower(a.f64(acc, P).slice(), ny, nx), passes };
  } finally {
    await Promise.allSettled(pending);
    for (const set of sets) for (const r of set) a.release(r);
    a.release(acc);
  }
}

/** A sink over one complex64 array in memory (tests, browsers, small data). */
export function memoryComplexSink(values: number): ComplexSink & { data: Float32Array } {
  const data = new Float32Array(2 * values);
  return { data, write: (index, chunk) => { data.set(chunk, 2 * index); } };
}

