// The separable scan DFT (along x per scan row for the distinct kx, then along y per bin) against a brute-force
// float64 DFT of every pixel, and against the direct per-bin DFT, on u16 and f32 data, any worker count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset } from "../../bindings/index.js";
import { diskBins } from "../../bindings/analyses/fourier-bragg.js";
import { scanDft } from "../../bindings/analyses/fourier-cbed.js";
import { rowsDftSuits, scanDftRows } from "../../bindings/analyses/fourier-rows.js";
import { runReduction } from "../../bindings/executor.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

const ny = 12, nx = 10, rows = 5, cols = 7, Q = rows * cols;

function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 8) % 1000; });
}

/** F_q(ky, kx) by the definition, in float64. */
function bruteForce(v: ArrayLike<number>, ky: number, kx: number): { re: number[]; im: number[] } {
  const re = new Array(Q).fill(0), im = new Array(Q).fill(0);
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const t = -2 * Math.PI * (ky * y / ny + kx * x / nx);
    for (let q = 0; q < Q; q++) { const s = v[(y * nx + x) * Q + q]!; re[q] += s * Math.cos(t); im[q] += s * Math.sin(t); }
  }
  return { re, im };
}

describe("separable scan DFT at integer bins", () => {
  const bins = [...diskBins({ ky: 3, kx: -2, radius: 2 }, ny, nx), ...diskBins({ ky: -5, kx: 4, radius: 1.5 }, ny, nx)];

  it("applies to integer bins that share kx columns on a 2D scan, and not otherwise", () => {
    expect(rowsDftSuits(bins, [ny, nx, rows, cols])).toBe(true);
    expect(rowsDftSuits([{ ky: 1, kx: 2 }, { ky: 2, kx: 3 }], [ny, nx, rows, cols])).toBe(false); // no shared kx
    expect(rowsDftSuits([{ ky: 1.5, kx: 2 }, { ky: 2, kx: 2 }], [ny, nx, rows, cols])).toBe(false); // fractional
    expect(rowsDftSuits(bins, [ny * nx, rows, cols])).toBe(false); // a line scan
  });

  for (const dtype of ["u16", "f32"] as const) {
    it(`equals the float64 definition and the direct DFT on ${dtype} frames`, async () => {
      const v = values(ny * nx * Q, 7);
      const typed = dtype === "u16" ? Uint16Array.from(v) : Float32Array.from(v, (x) => x * 0.37);
      const ds = memoryDataset(typed, [ny, nx, rows, cols]);
      const rowsOut = await runReduction(core, ds, scanDftRows(bins));
      const direct = await runReduction(core, ds, scanDft(bins));
      bins.forEach(({ ky, kx }, j) => {
        const want = bruteForce(typed, ky, kx);
        const scale = Math.max(...want.re.map(Math.abs), ...want.im.map(Math.abs));
        for (let q = 0; q < Q; q++) {
          expect(Math.abs(rowsOut[2 * j * Q + q]! - want.re[q]!)).toBeLessThan(1e-6 * scale);
          expect(Math.abs(rowsOut[(2 * j + 1) * Q + q]! - want.im[q]!)).toBeLessThan(1e-6 * scale);
          expect(Math.abs(rowsOut[2 * j * Q + q]! - direct[2 * j * Q + q]!)).toBeLessThan(1e-6 * scale);
        }
      });
    });
  }

  it("gives the same sums for any tiling over workers (tiles of whole rows)", async () => {
    const ds = memoryDataset(Uint16Array.from(values(ny * nx * Q, 3)), [ny, nx, rows, cols]);
    const one = await Core.create({ workers: 0 });
    try {
      const a = await runReduction(one, ds, scanDftRows(bins));
      const b = await runReduction(core, ds, scanDftRows(bins));
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await one.close();
    }
  });

  it("splits a large detector into pixel ranges (not multiples of 8) with the same result as the direct DFT", async () => {
    const [sy, sx, r, c] = [4, 6, 61, 60], q = r * c; // 3660 pixels: two ranges of the GEMM's width and a ragged end
    const wide = [...diskBins({ ky: 1, kx: 2, radius: 1.5 }, sy, sx)];
    const ds = memoryDataset(Uint8Array.from(values(sy * sx * q, 11), (x) => x % 251), [sy, sx, r, c]);
    const rowsOut = await runReduction(core, ds, scanDftRows(wide));
    const direct = await runReduction(core, ds, scanDft(wide));
    const scale = Math.max(...Array.from(direct, Math.abs));
    for (let i = 0; i < direct.length; i++) expect(Math.abs(rowsOut[i]! - direct[i]!)).toBeLessThan(1e-6 * scale);
  });
});
