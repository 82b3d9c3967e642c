// Electron counting (frames -> events), stempy's method: dark subtraction and gain, thresholds from a Gaussian fitted
// to the histogram of sampled frames (background at mean + 4 sigma, X-rays at mean + 10 sigma by default), then one
// electron per pixel strictly greater than its existing 8 neighbours. The per-pixel work is assembly/counting.ts.
// Both steps are reductions on the frame pipeline: the sample's corrected values are a per-frame buffer of a
// sampled view; counting is an ordered sink whose tiles are counted side by side on the pool and handed on as
// grouped events in frame order.
import type { Core } from "../core.js";
import { type Dataset, frameBytes, frameCount, framePixels, navShape, sigShape } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";
import { runReduction } from "../executor.js";
import { sampledFrames } from "../pipeline.js";
import type { Reduction } from "../reduction.js";
import type { SparseEvents } from "../../codec/events.js";
import { fitGaussian, type GaussianFit } from "../../codec/gaussian-fit.js";

export interface CountingOptions {
  /** Dark reference, one value per detector pixel, subtracted first. */
  dark?: Float32Array;
  /** Gain map, one value per detector pixel, multiplied after the dark subtraction. */
  gain?: Float32Array;
  /** Background threshold at mean + this many sigma (default 4). */
  backgroundSigma?: number;
  /** X-ray threshold at mean + this many sigma (default 10). */
  xraySigma?: number;
  /** A fixed background threshold (ADU after dark and gain) instead of the fitted one. */
  threshold?: number;
  /** A fixed X-ray threshold instead of the fitted one (Infinity: none). */
  xrayThreshold?: number;
  /** Frames sampled for the histogram (default 40, evenly spread). */
  sampleFrames?: number;
  /** Approximate bytes of frames per block (default 32 MiB). */
  blockBytes?: number;
}

export interface Thresholds {
  background: number;
  xray: number;
  /** The fitted background Gaussian (absent when both thresholds were given). */
  fit?: GaussianFit;
  sampledFrames: number;
  backgroundSigma: number;
  xraySigma: number;
}

export interface CountingResult {
  thresholds: Thresholds;
  frames: number;
  electrons: number;
}

/** The scan shape events are addressed by: the dataset's 2-D nav shape, or [1, n] for a 1-D one. */
export function countingScanShape(ds: Dataset): [number, number] {
  const nav = navShape(ds);
  const scan: [number, number] = nav.length === 2 ? [nav[0]!, nav[1]!] : nav.length === 1 ? [1, nav[0]!] : [0, 0];
  if (scan[0] < 1 || scan[0] > 65536 || scan[1] > 65536) {
    throw new RangeError(`events address probe positions by a 2-D scan of at most 65536 x 65536; the dataset's nav shape is [${nav.join(", ")}]`);
  }
  const [r, c] = sigShape(ds);
  if (r > 65536 || c > 65536) throw new RangeError(`events address detector pixels with 16 bits; the detector is ${r} x ${c}`);
  return scan;
}

function checkMap(map: Float32Array | undefined, q: number, what: string): void {
  if (map && map.length !== q) throw new RangeError(`${what} has ${map.length} values; the detector has ${q} pixels`);
}

/** Places dark (zeros when absent) and gain (0 = none) as inputs of a reduction; returns their pointers. */
function placeMaps(input: (data: ArrayBufferView) => number, q: number, o: CountingOptions): { dark: number; gain: number } {
  return { dark: input(o.dark ?? new Float32Array(q)), gain: o.gain ? input(o.gain) : 0 };
}

/** The dark-subtracted, gain-corrected values of every frame (a per-frame buffer of q values). */
function correctedValues(o: CountingOptions): Reduction<Float32Array> {
  let maps = { dark: 0, gain: 0 };
  return {
    name: "counting sample",
    buffers: (ctx) => ({ values: { kind: "nav", type: "f32", per: framePixels(ctx) } }),
    prepare(ctx) { maps = placeMaps(ctx.input, framePixels(ctx), o); },
    process(tile, ptr) {
      const q = tile.rows * tile.cols;
      return [[{ fn: `countCorrected${kernelSuffix(tile.dtype)}`, args: [tile.ptr, tile.count, q, maps.dark, maps.gain, ptr.values!] }]];
    },
    finish: (buf) => buf.values as Float32Array,
  };
}

/** The thresholds: fitted to the corrected values of evenly spread sample frames, unless both are given. */
export async function countingThresholds(core: Core, ds: Dataset, o: CountingOptions = {}): Promise<Thresholds> {
  const bgSigma = o.backgroundSigma ?? 4, xSigma = o.xraySigma ?? 10;
  const q = framePixels(ds);
  checkMap(o.dark, q, "the dark reference");
  checkMap(o.gain, q, "the gain map");
  if (o.threshold !== undefined && o.xrayThreshold !== undefined) {
    return { background: o.threshold, xray: o.xrayThreshold, sampledFrames: 0, backgroundSigma: bgSigma, xraySigma: xSigma };
  }
  const n = Math.min(frameCount(ds), o.sampleFrames ?? 40);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sampleFrames must be a positive integer, got ${o.sampleFrames}`);
  const values = await runReduction(core, sampledFrames(ds, n), correctedValues(o));
  const fit = fitGaussian(values);
  return {
    background: o.threshold ?? fit.mean + bgSigma * fit.sigma,
    // A degenerate fit (no noise at all) leaves nothing to call an X-ray.
    xray: o.xrayThreshold ?? (fit.sigma > 0 ? fit.mean + xSigma * fit.sigma : Infinity),
    fit, sampledFrames: n, backgroundSigma: bgSigma, xraySigma: xSigma,
  };
}

/** Counting as an ordered sink: each tile's frames are counted into its scratch (at most one electron per 2 x 2
 * pixels, so `cap` per frame), then handed to `sink` as grouped events in frame order. */
function countingSink(o: CountingOptions, th: Thresholds, scanShape: [number, number], sink: (ev: SparseEvents) => void | Promise<void>) {
  let maps = { dark: 0, gain: 0 }, electrons = 0;
  const bg = Math.fround(th.background), xray = Number.isFinite(th.xray) ? Math.fround(th.xray) : 3.4e38;
  const capOf = (rows: number, cols: number) => Math.ceil(rows / 2) * Math.ceil(cols / 2);
  // About 2 MiB of frames, and no more than 8 MiB of event slots per tile.
  const tileFrames = (ctx: Pick<Dataset, "shape" | "dtype">) => {
    const [rows, cols] = sigShape(ctx);
    return Math.max(1, Math.min(Math.floor((2 << 20) / frameBytes(ctx)), Math.floor((8 << 20) / (capOf(rows, cols) * 4))));
  };
  return {
    name: "electron counting",
    buffers(ctx) {
      const [rows, cols] = sigShape(ctx), tile = tileFrames(ctx);
      return {
        work: { kind: "scratch", type: "f32", per: framePixels(ctx) + Math.ceil(rows / 4) + 4 },
        out: { kind: "scratch", type: "u32", per: tile * capOf(rows, cols) },
        counts: { kind: "scratch", type: "i32", per: tile },
      };
    },
    tileFrames,
    prepare(ctx) { maps = placeMaps(ctx.input, framePixels(ctx), o); },
    process(tile, ptr) {
      const k = kernelSuffix(tile.dtype), cap = capOf(tile.rows, tile.cols);
      return [[{
        fn: `countFrames${k}`,
        args: [tile.ptr, tile.count, tile.rows, tile.cols, maps.dark, maps.gain, bg, xray, ptr.work!, ptr.out!, cap, ptr.counts!],
      }]];
    },
    async emit(tile, view) {
      const cap = capOf(tile.rows, tile.cols);
      const counts = view.buffer("counts") as Int32Array;
      const offsets = new Uint32Array(tile.count + 1);
      for (let f = 0; f < tile.count; f++) offsets[f + 1] = offsets[f]! + counts[f]!;
      const pixels = new Uint32Array(offsets[tile.count]!);
      const out = view.buffer("out") as Uint32Array;
      for (let f = 0; f < tile.count; f++) pixels.set(out.subarray(f * cap, f * cap + counts[f]!), offsets[f]!);
      electrons += pixels.length;
      await sink({ scanShape, detShape: [tile.rows, tile.cols], first: tile.start, offsets, pixels });
    },
    finish: () => electrons,
  } satisfies Reduction<number>;
}

/**
 * Counts every frame and hands the events to `sink` in frame order (positions are flat frame indices). The result
 * is the same for any number of workers: each frame is counted on its own.
 */
export async function countElectrons(
  core: Core, ds: Dataset, o: CountingOptions, sink: (ev: SparseEvents) => void | Promise<void>,
  onProgress?: (done: number, total: number) => void, thresholds?: Thresholds,
): Promise<CountingResult> {
  const scanShape = countingScanShape(ds);
  const th = thresholds ?? (await countingThresholds(core, ds, o));
  const electrons = await runReduction(core, ds, countingSink(o, th, scanShape, sink), { blockBytes: o.blockBytes, onProgress });
  return { thresholds: th, frames: frameCount(ds), electrons };
}
