// Single-side-band (SSB) ptychography (Rodenburg et al. 1993; Pennycook et al. 2015) as ONE reduction over the
// frames. With G(k, Q) = sum_p I(k, r_p) exp(-2 pi i Q . r_p), the scan-FFT of the data, a weak object's spectrum
// O(Q) shows up in the trotter of Q (ssb-plan.ts) as G(k, Q) = Ibar(k) O(Q) A*(k) A(k - Q), with A the aperture
// times exp(-i chi). So
//   O(Q) = sum_trotter G(k, Q) exp(-i chi(k) + i chi(k - Q)) / (sum_trotter Ibar(k) + wiener * sum_disk Ibar(k)),
// O(0) = number of probe positions, and the object is the inverse FFT of O: its phase is sigma V, its amplitude the
// absorption.
//
// Only the trotter pixels of G are ever formed: the state is one complex float32 per (Q, trotter pixel), a `single`
// buffer summed over tiles, so the pass runs on the worker pool, on shards or on a stream in bounded memory, and
// tiles merge in any grouping. The kernel (assembly/ptycho.ts) works scan row by scan row; float32 because the
// state's size is the pass's memory traffic (the kernel sums each group of rows in float32 registers anyway).
import type { Core } from "../core.js";
import { type Dataset, frameBytes } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";
import { aberrationPhase } from "../electron-optics.js";
import { runReductions, type RunOptions } from "../executor.js";
import type { Reduction, ReductionContext } from "../reduction.js";
import { fft2, fftChunk, fftPlan, fftScratchBytes } from "./fourier-fft.js";
import { ssbTables, type PixelRegion, type SsbParameters, type SsbTables } from "./ssb-plan.js";
import { type VirtualImages, virtualImages } from "./virtual.js";

export interface SsbResult {
  /** The object, complex (re, im interleaved), scan-shaped. */
  object: Float32Array;
  phase: Float32Array;
  amplitude: Float32Array;
  navShape: [number, number];
  /** Sizes of the state: bright-field pixels, scan frequencies with a trotter, trotter pixels in all. */
  bfPixels: number;
  frequencies: number;
  trotterPixels: number;
}

/** Scan rows the kernel transforms before it streams the trotter sums once: fewer passes over the state. */
const ROW_GROUP = 8;
/** Frames per tile: whole groups of rows, at least 4 MiB of frames and half the state's bytes (the executor clears
 * and folds a partial state per tile: larger tiles spend less of the pass on that). */
const TILE_BYTES = 4 << 20;

/** Bytes of the state per trotter pixel: one complex float32 sum. */
export const SUM_BYTES = 8;

/** The reduction; `tables` may be given when the caller built them already. Its state is the T trotter sums (8 bytes
 * each), one partial per tile in flight: run it with blocks of a few tiles (ssbRunOptions), not the default 32 MiB. */
export function ssbReduction(p: SsbParameters, given?: SsbTables): Reduction<SsbResult> {
  return scanSpectrumReduction("single-side-band ptychography", p, "trotter", given,
    (core, t, acc) => ssbObject(core, t, p, acc));
}

/** The accumulation SSB and WDD share: sum_p I(k, r_p) exp(-2 pi i Q . r_p) for every scan frequency Q and every
 * pixel k of its list in the tables (the trotter, or the whole disk), then `finish` on the sums. */
export function scanSpectrumReduction<R>(name: string, p: SsbParameters, region: PixelRegion,
  given: SsbTables | undefined, finish: (core: Core, t: SsbTables, acc: Float32Array) => R): Reduction<R> {
  let tables = given, header = 0;
  const tablesFor = (ctx: Pick<ReductionContext, "shape">) => {
    if (ctx.shape.length !== 4) {
      throw new RangeError(`${name}: needs a 2D scan of 2D patterns; shape is [${ctx.shape.join(", ")}]`);
    }
    return (tables ??= ssbTables(ctx.shape, p, region));
  };
  /** Bytes of the kernel's working space for one tile (see assembly/ptycho.ts). */
  const workBytes = (core: Core, t: SsbTables) => {
    const half = Math.ceil(t.bf.length / 2);
    return ROW_GROUP * (t.nx * t.bf.length * 8 + 36) + t.nx * half * 8 + fftScratchBytes(fftPlan(core, t.nx), half);
  };
  return {
    name,
    buffers: (ctx) => {
      const t = tablesFor(ctx);
      return {
        // The kernel stores (rather than adds) the first scan rows of its tile.
        acc: { kind: "single", type: "f32", per: 2 * t.trotter.length, initialises: true },
        work: { kind: "scratch", type: "f32", per: Math.ceil(workBytes(ctx.core, t) / 4) },
      };
    },
    prepare(ctx) {
      const t = tablesFor(ctx), plan = fftPlan(ctx.core, t.nx);
      const wy = new Float64Array(2 * t.ny);
      for (let m = 0; m < t.ny; m++) {
        wy[2 * m] = Math.cos((2 * Math.PI * m) / t.ny);
        wy[2 * m + 1] = -Math.sin((2 * Math.PI * m) / t.ny);
      }
      const words = new Int32Array(16);
      const chunk = fftChunk(plan, Math.ceil(t.bf.length / 2));
      words.set([t.ny, t.nx, t.rows * t.cols, t.bf.length, t.freqs.length / 3, chunk, t.trotter.length, ROW_GROUP]);
      words.set([plan.ptr, ctx.input(t.bf), ctx.input(wy), ctx.input(t.freqs), ctx.input(t.trotter)], 8);
      header = ctx.input(words);
    },
    tileFrames(ctx) {
      const t = tablesFor(ctx), rowBytes = t.nx * frameBytes(ctx);
      const bytes = Math.max(TILE_BYTES, (t.trotter.length * SUM_BYTES) / 2);
      return t.nx * ROW_GROUP * Math.max(1, Math.round(bytes / (ROW_GROUP * rowBytes)));
    },
    process(tile, ptr) {
      const args: [number, number, number, number, number, number] = [header, tile.ptr, tile.count, tile.start, ptr.acc!, ptr.work!];
      return [[{ fn: `ssbAccumulate${kernelSuffix(tile.dtype)}`, args }]];
    },
    finish(buf, ctx) {
      return finish(ctx.core, tablesFor(ctx), buf.acc as Float32Array);
    },
  };
}

/** Blocks of one tile per worker: every worker busy, and as few partial states (one per tile of a block) as that
 * allows. */
export function ssbRunOptions(core: Core, ds: Pick<Dataset, "shape" | "dtype">, reduction: Reduction<unknown>,
  o: RunOptions = {}): RunOptions {
  const ctx = { core, shape: ds.shape, dtype: ds.dtype, input: () => 0 };
  const tile = reduction.tileFrames!(ctx) * frameBytes(ds);
  return { blockBytes: Math.max(1, core.workerCount) * tile, ...o };
}

/** The object from the accumulated trotter sums (the reduction's finish). */
export function ssbObject(core: Core, t: SsbTables, p: SsbParameters, acc: Float32Array): SsbResult {
  const { ny, nx, bf, bfK, freqs, qDetector, trotter, lambda } = t;
  const P = ny * nx, nq = freqs.length / 3;
  // Entry 0 is Q = 0 (qx = 0 comes first, qy = 0 first within it): its sums are P times the mean pattern.
  const mean = new Float64Array(bf.length);
  for (let j = 0; j < bf.length; j++) mean[j] = acc[2 * j]! / P;
  const floor = (p.wiener ?? 0) * mean.reduce((a, b) => a + b, 0);
  const aberrated = (p.defocusA ?? 0) !== 0 || (p.c3mm ?? 0) !== 0;
  const chiK = new Float64Array(bf.length);
  for (let j = 0; aberrated && j < bf.length; j++) chiK[j] = aberrationPhase(bfK[2 * j]! ** 2 + bfK[2 * j + 1]! ** 2, lambda, p);
  const spectrum = new Float32Array(2 * P);
  spectrum[0] = P;
  let o = freqs[2]!;
  for (let e = 1; e < nq; e++) {
    const qy = freqs[3 * e]!, qx = freqs[3 * e + 1]!, c = freqs[3 * e + 2]!;
    const Qy = qDetector[2 * e]!, Qx = qDetector[2 * e + 1]!;
    let re = 0, im = 0, norm = floor;
    for (let k = 0; k < c; k++, o++) {
      const j = trotter[o]!, gr = acc[2 * o]!, gi = acc[2 * o + 1]!;
      norm += mean[j]!;
      if (!aberrated) { re += gr; im += gi; continue; }
      const a = -chiK[j]! + aberrationPhase((bfK[2 * j]! - Qy) ** 2 + (bfK[2 * j + 1]! - Qx) ** 2, lambda, p);
      const cr = Math.cos(a), ci = Math.sin(a);
      re += gr * cr - gi * ci; im += gr * ci + gi * cr;
    }
    spectrum[2 * (qy * nx + qx)] = re / norm;
    spectrum[2 * (qy * nx + qx) + 1] = im / norm;
  }
  const object = fft2(core, spectrum, ny, nx, { inverse: true });
  const phase = new Float32Array(P), amplitude = new Float32Array(P);
  for (let i = 0; i < P; i++) {
    phase[i] = Math.atan2(object[2 * i + 1]!, object[2 * i]!);
    amplitude[i] = Math.hypot(object[2 * i]!, object[2 * i + 1]!);
  }
  return {
    object, phase, amplitude, navShape: [ny, nx], bfPixels: bf.length, frequencies: nq, trotterPixels: trotter.length,
  };
}

/** The bright-field disk as a detector mask (for the BF image beside the SSB one). */
export function brightFieldMask(t: SsbTables): Float32Array {
  const m = new Float32Array(t.rows * t.cols);
  for (const i of t.bf) m[i] = 1;
  return m;
}

/** A phase reconstruction (SSB or WDD) and the bright-field image of the same disk, on the same tiles (so that
 * blocks, a whole number of every reduction's tiles, stay small): one pass gives both, offline or on a live stream. */
export function withBrightField(object: Reduction<SsbResult>,
  t: SsbTables): [Reduction<SsbResult>, Reduction<VirtualImages>] {
  return [object, { ...virtualImages([brightFieldMask(t)], "bright field"), tileFrames: object.tileFrames }];
}

export type SsbWithBrightField = SsbResult & { brightField: Float32Array };

/** The results of withBrightField's pair as one. */
export function joinSsbResults([object, image]: [SsbResult, VirtualImages]): SsbWithBrightField {
  return { ...object, brightField: image.images[0]! };
}

/** Runs withBrightField's pair over a dataset in one pass. */
export async function runWithBrightField(core: Core, ds: Dataset, object: Reduction<SsbResult>, t: SsbTables,
  o: RunOptions = {}): Promise<SsbWithBrightField> {
  const pair = withBrightField(object, t);
  return joinSsbResults(await runReductions(core, ds, pair, ssbRunOptions(core, ds, object, o)));
}

/** SSB of a dataset in one pass, with the bright-field image of the same disk from the same pass. */
export async function singleSideBand(core: Core, ds: Dataset, p: SsbParameters,
  o: RunOptions = {}): Promise<SsbWithBrightField> {
  const t = ssbTables(ds.shape, p);
  return runWithBrightField(core, ds, ssbReduction(p, t), t, o);
}
