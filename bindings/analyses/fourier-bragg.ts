// Bragg filtering: keep the spatial frequencies in a disk around a chosen peak g, transform back over the scan, and
// map where that periodicity contributes:
//   S_g(r, q) = (1/P) sum_{k in disk} F_q(k) exp(2 pi i k.r),     map(r) = sqrt( sum_q w_q |S_g(r, q)|^2 ),
// summed over the detector (w = 1) or over detector regions (w = a mask). Only the disk around +g is kept, not its
// mate -g, so S_g is the analytic signal of that lattice fringe and the map is its smooth local amplitude (as in
// geometric phase analysis) rather than a fringe pattern.
//
// The disk holds few frequencies, so this needs no 4D transform: one pass computes F_q(k) at the disk's bins (the
// same weighted accumulation as the CBED patterns), then with G(k, k') = sum_q w_q F_q(k) conj F_q(k') (a small
// Hermitian matrix per region) the map is sum_{k, k'} G(k, k') exp(2 pi i (k - k').r) / P^2: a 2D inverse FFT of
// G summed along its diagonals, exact for the whole scan. The disk's bins are computed separably (fourier-rows.ts).
import type { Core } from "../core.js";
import type { Reduction } from "../reduction.js";
import { scanDft, type SpatialFrequency } from "./fourier-cbed.js";
import { rowsDftSuits, scanDftRows } from "./fourier-rows.js";
import { fft2 } from "./fourier-fft.js";
import { scanFftGrid, type ScanGrid } from "./fourier-scan.js";

export interface BraggFilter extends SpatialFrequency {
  /** Radius of the disk of kept frequencies, in bins. */
  radius: number;
}

export interface BraggMap extends BraggFilter {
  /** The integer bins (signed) inside the disk. */
  bins: SpatialFrequency[];
  /** One scan-shaped amplitude map per region (the whole detector when no regions were given). */
  maps: Float32Array[];
}

export interface BraggOptions {
  /** Detector weights (rows x cols each), e.g. masks of the bright-field disk or of one Bragg disk. */
  regions?: Float32Array[];
}

/** The integer bins within `radius` of (ky, kx), signed, in the ny x nx grid (duplicates after wrapping dropped). */
export function diskBins(f: BraggFilter, ny: number, nx: number): SpatialFrequency[] {
  const seen = new Set<number>(), out: SpatialFrequency[] = [];
  const r = f.radius;
  for (let by = Math.ceil(f.ky - r); by <= Math.floor(f.ky + r); by++) {
    for (let bx = Math.ceil(f.kx - r); bx <= Math.floor(f.kx + r); bx++) {
      if ((by - f.ky) ** 2 + (bx - f.kx) ** 2 > r * r) continue;
      const iy = ((by % ny) + ny) % ny, ix = ((bx % nx) + nx) % nx;
      if (seen.has(iy * nx + ix)) continue;
      seen.add(iy * nx + ix);
      out.push({ ky: iy >= ny / 2 && iy > 0 ? iy - ny : iy, kx: ix >= nx / 2 && ix > 0 ? ix - nx : ix });
    }
  }
  return out;
}

/** The bins of every filter's disk: their union (each bin once), and per filter its bins and their places in it. */
export interface BraggBins {
  union: SpatialFrequency[];
  perFilter: { bins: SpatialFrequency[]; index: number[] }[];
}

export function braggBins(filters: readonly BraggFilter[], ny: number, nx: number): BraggBins {
  checkFilters(filters);
  const union: SpatialFrequency[] = [], key = new Map<string, number>();
  const perFilter = filters.map((f, i) => {
    const bins = diskBins(f, ny, nx);
    if (bins.length === 0) throw new RangeError(`Bragg filter ${i}: the disk of radius ${f.radius} around (${f.ky}, ${f.kx}) holds no integer bin`);
    const index = bins.map((b) => {
      const k = `${b.ky},${b.kx}`;
      if (!key.has(k)) { key.set(k, union.length); union.push(b); }
      return key.get(k)!;
    });
    return { bins, index };
  });
  return { union, perFilter };
}

function checkFilters(filters: readonly BraggFilter[]): void {
  if (filters.length === 0) throw new RangeError("Bragg filter: no filters given");
  filters.forEach((f, i) => {
    if (!(Number.isFinite(f.ky) && Number.isFinite(f.kx))) throw new RangeError(`Bragg filter ${i}: centre (${f.ky}, ${f.kx}) is not a pair of finite bins`);
    if (!(f.radius >= 0 && Number.isFinite(f.radius))) throw new RangeError(`Bragg filter ${i}: radius ${f.radius} must be a finite number >= 0`);
  });
}

function checkRegions(regions: readonly Float32Array[] | undefined, rows: number, cols: number): void {
  regions?.forEach((m, i) => {
    if (m.length !== rows * cols) throw new RangeError(`Bragg filter: region ${i} has ${m.length} pixels; the detector has ${rows} x ${cols} = ${rows * cols}`);
  });
}

/** The maps of each filter from the scan DFT F at the union of their bins (laid out as scanDft's result). */
export function braggMapsFromDft(core: Core, filters: readonly BraggFilter[], b: BraggBins, F: Float32Array | Float64Array, grid: ScanGrid, o: BraggOptions = {}): BraggMap[] {
  const { ny, nx, rows, cols } = grid;
  checkRegions(o.regions, rows, cols);
  const Q = rows * cols, P = ny * nx;
  // G(a, c) = sum_q w_q F_a conj F_c over the whole detector (w = 1) or a region's weights.
  const gram = (w: Float32Array | undefined, ra: number, ia: number, rb: number, ib: number): [number, number] => {
    let gr = 0, gi = 0;
    if (!w) {
      for (let q = 0; q < Q; q++) {
        gr += F[ra + q]! * F[rb + q]! + F[ia + q]! * F[ib + q]!;
        gi += F[ia + q]! * F[rb + q]! - F[ra + q]! * F[ib + q]!;
      }
    } else {
      for (let q = 0; q < Q; q++) {
        const wq = w[q]!;
        if (wq === 0) continue;
        gr += wq * (F[ra + q]! * F[rb + q]! + F[ia + q]! * F[ib + q]!);
        gi += wq * (F[ia + q]! * F[rb + q]! - F[ra + q]! * F[ib + q]!);
      }
    }
    return [gr / (P * P), gi / (P * P)];
  };
  return filters.map((f, fi) => {
    const { bins, index } = b.perFilter[fi]!;
    const maps = (o.regions ?? [undefined]).map((w) => {
      const H = new Float32Array(2 * P);
      const add = (dy: number, dx: number, re: number, im: number) => {
        const at = (((dy % ny) + ny) % ny) * nx + (((dx % nx) + nx) % nx);
        H[2 * at]! += re; H[2 * at + 1]! += im;
      };
      for (let a = 0; a < bins.length; a++) {
        const ra = 2 * index[a]! * Q;
        for (let c = a; c < bins.length; c++) {
          const rb = 2 * index[c]! * Q;
          const [gr, gi] = gram(w, ra, ra + Q, rb, rb + Q);
          add(bins[a]!.ky - bins[c]!.ky, bins[a]!.kx - bins[c]!.kx, gr, gi);
          if (c !== a) add(bins[c]!.ky - bins[a]!.ky, bins[c]!.kx - bins[a]!.kx, gr, -gi);
        }
      }
      const m = fft2(core, H, ny, nx, { inverse: true, scale: false });
      const amp = new Float32Array(P);
      for (let i = 0; i < P; i++) amp[i] = Math.sqrt(Math.max(0, m[2 * i]!));
      return amp;
    });
    return { ...f, bins, maps };
  });
}

/** Bragg-filtered maps for each filter (and region), in one pass over the frames. */
export function braggFilter(filters: readonly BraggFilter[], o: BraggOptions = {}): Reduction<BraggMap[]> {
  checkFilters(filters);
  // The union of every disk's bins is accumulated once; each filter indexes into it.
  let bins: BraggBins | undefined, dft: Reduction<Float64Array> | undefined, planned = "";
  const plan = (shape: readonly number[]) => {
    const { ny, nx } = scanFftGrid({ shape }, "Bragg filter");
    if (dft && planned === `${ny}x${nx}`) return dft;
    planned = `${ny}x${nx}`;
    bins = braggBins(filters, ny, nx);
    // The disks' bins share few kx columns: the separable DFT then costs a fraction of the direct one.
    return (dft = rowsDftSuits(bins.union, shape) ? scanDftRows(bins.union, "Bragg filter") : scanDft(bins.union, "Bragg filter"));
  };
  return {
    name: "Bragg filter",
    buffers: (ctx) => plan(ctx.shape).buffers(ctx),
    prepare(ctx) {
      const [rows, cols] = ctx.shape.slice(-2) as [number, number];
      checkRegions(o.regions, rows, cols);
      plan(ctx.shape).prepare!(ctx);
    },
    tileFrames: (ctx) => plan(ctx.shape).tileFrames!(ctx),
    process: (tile, ptr, ctx) => plan(ctx.shape).process(tile, ptr, ctx),
    finish(buf, ctx) {
      const F = plan(ctx.shape).finish(buf, ctx);
      return braggMapsFromDft(ctx.core, filters, bins!, F, scanFftGrid(ctx), o);
    },
  };
}
