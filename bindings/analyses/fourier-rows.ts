// The scan DFT at integer bins, computed separably: along x within each scan row first, for the distinct kx of the
// bins only, then along y for every bin,
//   F_q(ky, kx) = sum_y exp(-2 pi i ky y / ny) [ sum_x exp(-2 pi i kx x / nx) S(y, x, q) ].
// The first stage is one float32 GEMM per scan row, [cos; -sin](kx x) (2 Kx x nx) times the row's frames (nx x q),
// 4 flops per value and distinct kx where scanDft spends 4 per value and bin, at the GEMM kernel's speed (frames of
// other dtypes are converted to float32 first). The second adds each bin's row transform, times its phase, in float64
// (assembly/fft-dft.ts: fftDftRowsCombine). Tiles hold whole scan rows. The Bragg filters use it: a disk of radius 3
// holds 29 bins but only 7 columns of kx.
import { framePixels } from "../dataset.js";
import { dtypeSize, kernelSuffix } from "../dtype.js";
import type { Task } from "../core.js";
import type { Reduction } from "../reduction.js";
import { paddedStride } from "../linalg-core.js";
import { dftTileFrames, type SpatialFrequency } from "./fourier-cbed.js";
import { scanFftGrid } from "./fourier-scan.js";

/** [q0, q1) ranges of about 2048 pixels (multiples of 8, the GEMM kernel's width), at most 16. */
function pixelRanges(q: number): [number, number][] {
  const lanes = Math.max(1, Math.min(16, Math.round(q / 2048)));
  const step = Math.ceil(q / lanes / 8) * 8;
  const out: [number, number][] = [];
  for (let q0 = 0; q0 < q; q0 += step) out.push([q0, Math.min(q, q0 + step)]);
  return out;
}

/** Whether the separable DFT suits these bins on this scan: integer bins, a 2D scan, and fewer kx columns than bins. */
export function rowsDftSuits(bins: readonly SpatialFrequency[], shape: readonly number[]): boolean {
  const nav = shape.slice(0, -2);
  if (nav.length !== 2 || nav[0]! < 2) return false;
  if (!bins.every((b) => Number.isInteger(b.ky) && Number.isInteger(b.kx))) return false;
  return new Set(bins.map((b) => b.kx)).size < bins.length;
}

/** The complex scan-DFT of every detector pixel at each integer bin, in one pass: f64 [j][re | im][pixel], as
 * scanDft gives it. */
export function scanDftRows(bins: readonly SpatialFrequency[], name = "scan DFT by rows"): Reduction<Float64Array> {
  const K = bins.length;
  const columns = [...new Set(bins.map((b) => b.kx))];
  const Kx = columns.length;
  // The GEMM's rows (cos and -sin of each column), padded with zero rows to the kernel's blocks of 4.
  const m = Math.ceil((2 * Kx) / 4) * 4;
  const index = Int32Array.from(bins, (b) => columns.indexOf(b.kx));
  let wx = 0, coef = 0, idx = 0, zeros = 0, nx = 0;
  return {
    name,
    buffers: (ctx) => ({
      // Written in place by the lanes (disjoint pixel ranges), tile after tile: no 2K x Q partial per tile to fold.
      dft: { kind: "sig", type: "f64", per: 2 * K, write: "ordered" },
      rows: { kind: "scratch", type: "f32", per: m * framePixels(ctx) },
      // One scan row of frames as float32, the GEMM's input (see process).
      frames: { kind: "scratch", type: "f32", per: scanFftGrid(ctx, name).nx * paddedStride(framePixels(ctx)) },
    }),
    tileFrames: (ctx) => dftTileFrames(ctx, K), // whole scan rows
    prepare(ctx) {
      const grid = scanFftGrid(ctx, name);
      nx = grid.nx;
      // Along x: row 2a holds cos(2 pi kx_a x / nx) and row 2a + 1 holds -sin, for the row's frames x (float32).
      const w = new Float32Array(m * nx);
      columns.forEach((kx, a) => {
        for (let x = 0; x < nx; x++) {
          const t = (2 * Math.PI * ((((kx * x) % nx) + nx) % nx)) / nx;
          w[2 * a * nx + x] = Math.cos(t);
          w[(2 * a + 1) * nx + x] = -Math.sin(t);
        }
      });
      // Along y: (cos, -sin) of 2 pi ky y / ny for row y and bin j, float64 at (y K + j) * 16.
      const c = new Float64Array(grid.ny * K * 2);
      for (let y = 0; y < grid.ny; y++) {
        bins.forEach(({ ky }, j) => {
          const t = (2 * Math.PI * ((((ky * y) % grid.ny) + grid.ny) % grid.ny)) / grid.ny;
          c[(y * K + j) * 2] = Math.cos(t);
          c[(y * K + j) * 2 + 1] = -Math.sin(t);
        });
      }
      wx = ctx.input(w);
      coef = ctx.input(c);
      idx = ctx.input(index);
      zeros = ctx.input(new Float32Array(framePixels(ctx)));
    },
    // Lanes take ranges of pixels (every lane the tile's rows over its pixels): a tile of a few scan rows may be the
    // only one in its block, and each pixel's sums do not depend on the split.
    process(tile, ptr) {
      const q = tile.rows * tile.cols, fb = q * dtypeSize(tile.dtype), k = kernelSuffix(tile.dtype), ld = paddedStride(q);
      return pixelRanges(q).map(([q0, q1]): Task => {
        const task: Task = [], n = q1 - q0;
        for (let f = 0; f < tile.count; f += nx) {
          const y = (tile.start + f) / nx; // tiles start on a row
          task.push(
            // The row's frames as float32, rows `ld` apart: the GEMM walks a column strip of them, and frames of 4 KiB
            // multiples apart would all fall in the same cache sets (half the GEMM's speed at 96 x 96 pixels).
            { fn: `pcaRows${k}`, args: [tile.ptr + f * fb, nx, q, q0, q1, zeros, ptr.frames! + q0 * 4, ld] },
            { fn: "gemmF32", args: [m, n, nx, wx, nx, ptr.frames! + q0 * 4, ld, ptr.rows! + q0 * 4, q, 0] },
            { fn: "fftDftRowsCombine", args: [ptr.rows! + q0 * 4, q, n, ptr.dft! + q0 * 8, K, idx, coef + y * K * 16] },
          );
        }
        return task;
      });
    },
    finish: (buf) => buf.dft as Float64Array,
  };
}

