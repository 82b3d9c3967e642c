// The scan DFT at integer bins, computed separably: along x within each scan row first, for the distinct kx of the
// bins only, then along y for every bin,
//   F_q(ky, kx) = sum_y exp(-2 pi i ky y / ny) [ sum_x exp(-2 pi i kx x / nx) S(y, x, q) ].
// The first stage is the weighted frame sums of scanDft's kernel over one row's frames: 4 flops per value and
// distinct kx, where scanDft spends 4 per value and bin. The second adds each bin's row transform, times its phase,
// in float64 (assembly/fft-dft.ts: fftDftRowsCombine). Tiles hold whole scan rows. The Bragg filters use it: a disk
// of radius 3 holds 29 bins but only 7 columns of kx.
import { framePixels } from "../dataset.js";
import { dtypeSize, kernelSuffix } from "../dtype.js";
import type { Task } from "../core.js";
import type { Reduction } from "../reduction.js";
import { dftTileFrames, type SpatialFrequency } from "./fourier-cbed.js";
import { scanFftGrid } from "./fourier-scan.js";

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
  const index = Int32Array.from(bins, (b) => columns.indexOf(b.kx));
  let wx = 0, coef = 0, idx = 0, nx = 0;
  return {
    name,
    buffers: (ctx) => ({
      dft: { kind: "sig", type: "f64", per: 2 * K },
      rows: { kind: "scratch", type: "f64", per: 2 * Kx * framePixels(ctx) },
    }),
    tileFrames: (ctx) => dftTileFrames(ctx, K), // whole scan rows
    prepare(ctx) {
      const grid = scanFftGrid(ctx, name);
      nx = grid.nx;
      // Along x: (cos, -sin) of 2 pi kx x / nx for frame x of a row and column a, float32 at (x Kx + a) * 8.
      const w = new Float32Array(nx * Kx * 2);
      for (let x = 0; x < nx; x++) {
        columns.forEach((kx, a) => {
          const t = (2 * Math.PI * ((((kx * x) % nx) + nx) % nx)) / nx;
          w[(x * Kx + a) * 2] = Math.cos(t);
          w[(x * Kx + a) * 2 + 1] = -Math.sin(t);
        });
      }
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
    },
    process(tile, ptr) {
      const q = tile.rows * tile.cols, fb = q * dtypeSize(tile.dtype), k = kernelSuffix(tile.dtype);
      const task: Task = [];
      for (let f = 0; f < tile.count; f += nx) {
        const y = (tile.start + f) / nx; // tiles start on a row
        task.push(
          { fn: `fftDftTile${k}`, args: [tile.ptr + f * fb, nx, q, wx, Kx, ptr.rows!] },
          { fn: "fftDftRowsCombine", args: [ptr.rows!, q, ptr.dft!, K, idx, coef + y * K * 16] },
        );
      }
      return [task];
    },
    finish: (buf) => buf.dft as Float64Array,
  };
}

