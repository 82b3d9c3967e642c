// CBED patterns at chosen spatial frequencies (the paper's Fig. 2b-e): for a frequency (ky, kx) of the scan,
//   C(u, v) = sum_{y, x} S(y, x, u, v) exp(-2 pi i (ky y / Ny + kx x / Nx)),
// the slice of the scan-axis FFT at that frequency, whose amplitude and phase show which parts of the pattern
// carry that periodicity. It is a nav-weighted sig accumulation, so any number of frequencies take ONE pass over
// the frames, and no 4D transform is ever formed. Frequencies are signed FFT bins and may be fractional (a peak's
// sub-pixel position); integer bins equal the FFT exactly.
import { type Dataset, frameBytes, frameCount, framePixels } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";
import { defaultTileFrames, runReduction, type RunOptions } from "../executor.js";
import type { Reduction } from "../reduction.js";
import type { Core } from "../core.js";
import { scanFftGrid, type ScanGrid } from "./fourier-scan.js";

export interface SpatialFrequency {
  /** Signed bins along scan rows and columns (numpy order: -ny/2 .. ny/2). */
  ky: number;
  kx: number;
}

export interface CbedAtFrequency extends SpatialFrequency {
  rows: number;
  cols: number;
  /** Real and imaginary parts of C(u, v), detector-shaped, flattened. */
  re: Float64Array;
  im: Float64Array;
  amplitude: Float32Array;
  /** arg C in radians, in (-pi, pi]. */
  phase: Float32Array;
}

/** exp(-2 pi i (ky y / ny + kx x / nx)) for every probe position and frequency: float32 (re, im) at (f * K + j) * 2. */
export function dftWeights(grid: Pick<ScanGrid, "ny" | "nx">, freqs: readonly SpatialFrequency[]): Float32Array {
  const { ny, nx } = grid, K = freqs.length;
  const w = new Float32Array(ny * nx * K * 2);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const f = y * nx + x;
      freqs.forEach(({ ky, kx }, j) => {
        // Reduce each product modulo the grid before scaling, so large indices keep full accuracy.
        const t = 2 * Math.PI * (((ky * y) % ny) / ny + ((kx * x) % nx) / nx);
        w[(f * K + j) * 2] = Math.cos(t);
        w[(f * K + j) * 2 + 1] = -Math.sin(t);
      });
    }
  }
  return w;
}

function checkFrequencies(freqs: readonly SpatialFrequency[], what: string): void {
  if (freqs.length === 0) throw new RangeError(`${what}: no spatial frequencies given`);
  freqs.forEach((f, i) => {
    if (!Number.isFinite(f.ky) || !Number.isFinite(f.kx)) throw new RangeError(`${what}: frequency ${i} is (${f.ky}, ${f.kx}); expected finite bin indices`);
  });
}

/** Frames per tile of a scan DFT at K frequencies: at least as many bytes of frames as the tile's partial (2K
 * float64 per pixel) and the executor's default; on a 2D scan, a power-of-two number of whole scan rows, so that the
 * direct and the separable DFT (fourier-rows.ts) tile alike when they run together (a block holds a whole number of
 * every reduction's tiles). */
export function dftTileFrames(ctx: Pick<Dataset, "shape" | "dtype">, K: number): number {
  const least = Math.max(defaultTileFrames(ctx), Math.ceil((2 * K * framePixels(ctx) * 8) / frameBytes(ctx)));
  const nav = ctx.shape.slice(0, -2);
  if (nav.length !== 2) return least;
  const nx = nav[1]!;
  return nx * 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(least / nx))));
}

/** The complex scan-DFT of every detector pixel at each frequency, in one pass: f64 [j][re | im][pixel]. */
export function scanDft(freqs: readonly SpatialFrequency[], name = "scan DFT"): Reduction<Float64Array> {
  checkFrequencies(freqs, name);
  const K = freqs.length;
  let weights = 0;
  return {
    name,
    buffers: () => ({ dft: { kind: "sig", type: "f64", per: 2 * K } }),
    prepare(ctx) {
      weights = ctx.input(dftWeights(scanFftGrid(ctx, name), freqs));
    },
    // The kernel writes (not adds) each tile's DFT into that tile's partial, 2K float64 per pixel: tiles hold at
    // least that many bytes of frames, so many frequencies do not multiply the memory of partials.
    tileFrames: (ctx) => dftTileFrames(ctx, K),
    process(tile, ptr) {
      const q = tile.rows * tile.cols;
      return [[{ fn: `fftDftTile${kernelSuffix(tile.dtype)}`, args: [tile.ptr, tile.count, q, weights + tile.start * K * 8, K, ptr.dft!] }]];
    },
    finish: (buf) => buf.dft as Float64Array,
  };
}

/** The CBED patterns from the scan DFT at the frequencies, laid out as scanDft's result. */
export function cbedFromDft(freqs: readonly SpatialFrequency[], all: Float32Array | Float64Array, rows: number, cols: number): CbedAtFrequency[] {
  const Q = rows * cols;
  return freqs.map(({ ky, kx }, j) => {
    const re = Float64Array.from(all.subarray(2 * j * Q, (2 * j + 1) * Q)), im = Float64Array.from(all.subarray((2 * j + 1) * Q, (2 * j + 2) * Q));
    const amplitude = new Float32Array(Q), phase = new Float32Array(Q);
    for (let i = 0; i < Q; i++) { amplitude[i] = Math.hypot(re[i]!, im[i]!); phase[i] = Math.atan2(im[i]!, re[i]!); }
    return { ky, kx, rows, cols, re, im, amplitude, phase };
  });
}

/** The CBED amplitude and phase at each frequency, as one reduction (combine it with others in runReductions). */
export function cbedAtFrequencies(freqs: readonly SpatialFrequency[]): Reduction<CbedAtFrequency[]> {
  const dft = scanDft(freqs, "CBED at spatial frequencies");
  return {
    ...dft,
    finish(buf, ctx) {
      const [rows, cols] = ctx.shape.slice(-2) as [number, number];
      return cbedFromDft(freqs, dft.finish(buf, ctx), rows, cols);
    },
  };
}

/** Runs cbedAtFrequencies over a dataset. */
export async function cbedAt(core: Core, ds: Dataset, freqs: readonly SpatialFrequency[], o?: RunOptions): Promise<CbedAtFrequency[]> {
  scanFftGrid(ds, "CBED at spatial frequencies");
  if (frameCount(ds) === 0) throw new RangeError("CBED at spatial frequencies: the dataset has no frames");
  return runReduction(core, ds, cbedAtFrequencies(freqs), o);
}
