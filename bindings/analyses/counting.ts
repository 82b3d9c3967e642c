// Electron counting (frames -> events), stempy's method (calculateThresholds, electronCount): dark subtraction and
// gain; the X-ray threshold at the plain mean + 10 standard deviations of every sampled corrected value (electrons
// included, so it lies far above the electrons' deposits), the background threshold at the mean + 4 sigma of a
// Gaussian fitted to the noise peak of their histogram; then one electron per pixel between the two thresholds and
// strictly greater than its existing 8 neighbours. The per-pixel work is assembly/counting.ts.
// Both steps are reductions on the frame pipeline: the sample's corrected values are handed on tile by tile (twice:
// the thresholds are fitted in two passes over a sampled view); counting is an ordered sink whose tiles are counted side by side on the pool and handed on as
// grouped events in frame order.
import type { Core } from "../core.js";
import { type Dataset, frameBytes, frameCount, framePixels, navShape, sigShape } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";
import { runReduction } from "../executor.js";
import { sampledFrames } from "../pipeline.js";
import type { Reduction } from "../reduction.js";
import type { SparseEvents } from "../../codec/events.js";
import { EventEncoder, type EventOptions } from "../../codec/event-encoder.js";
import type { ByteSink } from "../../codec/sink.js";
import { GaussianFitter, type GaussianFit } from "../../codec/gaussian-fit.js";

export interface CountingOptions {
  /** Dark reference, one value per detector pixel, subtracted first. */
  dark?: Float32Array;
  /** Gain map, one value per detector pixel, multiplied after the dark subtraction. */
  gain?: Float32Array;
  /** Background threshold at mean + this many sigma (default 4). */
  backgroundSigma?: number;
  /** X-ray threshold at the sample's plain mean + this many standard deviations (default 10). */
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
  /** Plain mean and standard deviation of every sampled corrected value (the X-ray threshold's basis). */
  sample?: { mean: number; std: number; values: number };
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
    const shape = `[${nav.join(", ")}]`;
    throw new RangeError(`events address probe positions by a 2-D scan of at most 65536 x 65536; the nav shape is ${shape}`);
  }
  const [r, c] = sigShape(ds);
  if (r > 65536 || c > 65536)
    throw new RangeError(`events address detector pixels with 16 bits; the detector is ${r} x ${c}`);
  return scan;
}

function checkMap(map: Float32Array | undefined, q: number, what: string): void {
  if (map && map.length !== q) throw new RangeError(`${what} has ${map.length} values; the detector has ${q} pixels`);
}

/** Places dark (zeros when absent) and gain (0 = none) as inputs of a reduction; returns their pointers. */
function placeMaps(
  input: (data: ArrayBufferView) => number,
  q: number,
  o: CountingOptions,
): { dark: number; gain: number } {
  return { dark: input(o.dark ?? new Float32Array(q)), gain: o.gain ? input(o.gain) : 0 };
}

/** The dark-subtracted, gain-corrected values of each frame, handed to `each` in frame order and not kept: a
 * tile's scratch buffer of q values (f32: twice a u16 frame). */
function correctedValues(o: CountingOptions, each: (values: Float32Array) => void): Reduction<void> {
  let maps = { dark: 0, gain: 0 };
  const tileFrames = () => 1;
  return {
    name: "counting sample",
    buffers: (ctx) => ({ values: { kind: "scratch", type: "f32", per: framePixels(ctx) } }),
    tileFrames,
    prepare(ctx) {
      maps = placeMaps(ctx.input, framePixels(ctx), o);
    },
    process(tile, ptr) {
      const q = tile.rows * tile.cols;
      return [
        [
          {
            fn: `countCorrected${kernelSuffix(tile.dtype)}`,
            args: [tile.ptr, tile.count, q, maps.dark, maps.gain, ptr.values!],
          },
        ],
      ];
    },
    emit(tile, view) {
      each((view.buffer("values") as Float32Array).subarray(0, tile.count * tile.rows * tile.cols));
    },
    finish: () => undefined,
  };
}

const SAMPLE_BLOCK_FRAMES = 2;

/** Where a view of the core's memory lies, as a kernel's pointer and length. */
function inCore(core: Core, v: Float32Array): [ptr: number, length: number] {
  if (v.buffer !== core.memory.buffer) {
    throw new Error("counting thresholds: the sample's values are not in the core's memory");
  }
  return [v.byteOffset, v.length];
}

/** The thresholds: fitted to the corrected values of evenly spread sample frames, unless both are given. Two
 * passes over the sample (the fit's starting point and the plain mean, then its histogram and the plain standard
 * deviation) keep only a strided sample and a histogram: an edge computer's memory does not hold the whole sample. */
export async function countingThresholds(core: Core, ds: Dataset, o: CountingOptions = {}): Promise<Thresholds> {
  const bgSigma = o.backgroundSigma ?? 4,
    xSigma = o.xraySigma ?? 10;
  const q = framePixels(ds);
  checkMap(o.dark, q, "the dark reference");
  checkMap(o.gain, q, "the gain map");
  if (o.threshold !== undefined && o.xrayThreshold !== undefined) {
    return {
      background: o.threshold,
      xray: o.xrayThreshold,
      sampledFrames: 0,
      backgroundSigma: bgSigma,
      xraySigma: xSigma,
    };
  }
  const n = Math.min(frameCount(ds), o.sampleFrames ?? 40);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`sampleFrames must be a positive integer, got ${o.sampleFrames}`);
  const sampleFrames = sampledFrames(ds, n), total = n * q;
  // The sample's frames are read SAMPLE_BLOCK_FRAMES at a time: each frame of a block has its scratch of values
  // until the block is handed on, and an edge computer's memory need not hold more (the sample is small: speed is
  // no matter here; the values and the fit do not depend on the blocks).
  const passOver = (each: (values: Float32Array) => void) =>
    runReduction(core, sampleFrames, correctedValues(o, each), { blockBytes: SAMPLE_BLOCK_FRAMES * frameBytes(ds) });
  const fitter = new GaussianFitter(total);
  // Sums in float64 in frame order, in two passes (the mean, then the squared deviations from it), and the fit's
  // histogram: kernels of the core over the values where they lie (a sender's JavaScript may be interpreted only).
  let sum = 0, ss = 0;
  await passOver((v) => {
    fitter.sample(v);
    sum = core.call("fitSumF32", ...inCore(core, v), sum);
  });
  const mean = sum / total;
  const h = fitter.histogram(), hist = h ? core.arena.alloc(h.hist.byteLength) : 0;
  try {
    if (h) core.arena.bytes(hist, h.hist.byteLength).fill(0);
    await passOver((v) => {
      if (h) core.call("fitHistogramF32", ...inCore(core, v), h.lo, h.width, hist, h.hist.length);
      ss = core.call("fitSquaredDeviationsF32", ...inCore(core, v), mean, ss);
    });
    if (h) h.hist.set(new Float64Array(core.memory.buffer, hist, h.hist.length));
  } finally {
    if (h) core.arena.release(hist);
  }
  const fit = fitter.fit();
  const sample = { mean, std: Math.sqrt(ss / total), values: total };
  return {
    background: o.threshold ?? fit.mean + bgSigma * fit.sigma,
    // Constant data (no spread at all) leaves nothing to call an X-ray.
    xray: o.xrayThreshold ?? (sample.std > 0 ? sample.mean + xSigma * sample.std : Infinity),
    fit,
    sample,
    sampledFrames: n,
    backgroundSigma: bgSigma,
    xraySigma: xSigma,
  };
}

/** The thresholds as --json and container metadata state them: where each came from. */
export function describeThresholds(t: Thresholds): Record<string, unknown> {
  const r = (v: number | undefined) => (v === undefined ? null : Number.isFinite(v) ? +v.toFixed(4) : null);
  return {
    background: r(t.background),
    xray: r(t.xray),
    sampledFrames: t.sampledFrames,
    backgroundRule: t.fit ? `fit mean + ${t.backgroundSigma} fit sigma` : "given",
    xrayRule: t.sample ? `sample mean + ${t.xraySigma} sample std` : "given",
    fitMean: r(t.fit?.mean),
    fitSigma: r(t.fit?.sigma),
    sampleMean: r(t.sample?.mean),
    sampleStd: r(t.sample?.std),
    backgroundSigma: t.backgroundSigma,
    xraySigma: t.xraySigma,
  };
}

/** Counting as an ordered sink: each tile's frames are counted into its scratch (at most one electron per 2 x 2
 * pixels, so `cap` per frame), then handed to `sink` as grouped events in frame order: in new arrays, or, when
 * `sinkCopies` (the event encoder copies what it keeps), in two arrays reused for every tile. */
function countingSink(
  o: CountingOptions,
  th: Thresholds,
  scanShape: [number, number],
  sink: (ev: SparseEvents) => void | Promise<void>,
  sinkCopies = false,
) {
  let maps = { dark: 0, gain: 0 },
    electrons = 0;
  let offsetsKept = new Uint32Array(0), pixelsKept = new Uint32Array(0);
  const offsetsFor = (n: number) => {
    if (!sinkCopies) return new Uint32Array(n);
    if (offsetsKept.length < n) offsetsKept = new Uint32Array(n);
    return offsetsKept.subarray(0, n);
  };
  const pixelsFor = (n: number) => {
    if (!sinkCopies) return new Uint32Array(n);
    if (pixelsKept.length < n) pixelsKept = new Uint32Array(Math.max(n, 2 * pixelsKept.length));
    return pixelsKept.subarray(0, n);
  };
  const bg = Math.fround(th.background),
    xray = Number.isFinite(th.xray) ? Math.fround(th.xray) : 3.4e38;
  const capOf = (rows: number, cols: number) => Math.ceil(rows / 2) * Math.ceil(cols / 2);
  // About 2 MiB of frames (no more than a block of `blockBytes`: an edge computer's sender counts in small blocks,
  // and a block holds whole tiles), and no more than 8 MiB of event slots per tile.
  const tileBytes = Math.min(2 << 20, o.blockBytes ?? 2 << 20);
  const tileFrames = (ctx: Pick<Dataset, "shape" | "dtype">) => {
    const [rows, cols] = sigShape(ctx);
    return Math.max(
      1,
      Math.min(Math.floor(tileBytes / frameBytes(ctx)), Math.floor((8 << 20) / (capOf(rows, cols) * 4))),
    );
  };
  return {
    name: "electron counting",
    buffers(ctx) {
      const [rows, cols] = sigShape(ctx),
        tile = tileFrames(ctx);
      return {
        work: { kind: "scratch", type: "f32", per: framePixels(ctx) + Math.ceil(rows / 4) + 4 },
        out: { kind: "scratch", type: "u32", per: tile * capOf(rows, cols) },
        counts: { kind: "scratch", type: "i32", per: tile },
      };
    },
    tileFrames,
    prepare(ctx) {
      maps = placeMaps(ctx.input, framePixels(ctx), o);
    },
    process(tile, ptr) {
      const k = kernelSuffix(tile.dtype),
        cap = capOf(tile.rows, tile.cols);
      return [
        [
          {
            fn: `countFrames${k}`,
            args: [
              tile.ptr,
              tile.count,
              tile.rows,
              tile.cols,
              maps.dark,
              maps.gain,
              bg,
              xray,
              ptr.work!,
              ptr.out!,
              cap,
              ptr.counts!,
            ],
          },
        ],
      ];
    },
    async emit(tile, view) {
      const cap = capOf(tile.rows, tile.cols);
      const counts = view.buffer("counts") as Int32Array;
      const offsets = offsetsFor(tile.count + 1);
      offsets[0] = 0;
      for (let f = 0; f < tile.count; f++) offsets[f + 1] = offsets[f]! + counts[f]!;
      const pixels = pixelsFor(offsets[tile.count]!);
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
  core: Core,
  ds: Dataset,
  o: CountingOptions,
  sink: (ev: SparseEvents) => void | Promise<void>,
  onProgress?: (done: number, total: number) => void,
  thresholds?: Thresholds,
): Promise<CountingResult> {
  return countInto(core, ds, o, sink, false, onProgress, thresholds);
}

/** countElectrons, handing the events on in reused arrays when `sinkCopies`. */
async function countInto(
  core: Core,
  ds: Dataset,
  o: CountingOptions,
  sink: (ev: SparseEvents) => void | Promise<void>,
  sinkCopies: boolean,
  onProgress?: (done: number, total: number) => void,
  thresholds?: Thresholds,
): Promise<CountingResult> {
  const scanShape = countingScanShape(ds);
  const th = thresholds ?? (await countingThresholds(core, ds, o));
  const electrons = await runReduction(core, ds, countingSink(o, th, scanShape, sink, sinkCopies), {
    blockBytes: o.blockBytes,
    onProgress,
  });
  return { thresholds: th, frames: frameCount(ds), electrons };
}

/**
 * Counts a dataset into an events container written to `sink` (what `stem4d count` writes); the thresholds and
 * their rules go into the container's params. `onEvents` also sees every block of events (exports, tests).
 */
export async function countToEvents(
  core: Core,
  ds: Dataset,
  sink: ByteSink,
  o: CountingOptions & { onProgress?: (done: number, total: number) => void },
  options: EventOptions = {},
  onEvents?: (ev: SparseEvents) => void,
): Promise<CountingResult & { bytes: number; chunks: number }> {
  const scanShape = countingScanShape(ds);
  const thresholds = await countingThresholds(core, ds, o);
  const enc = await EventEncoder.create(
    sink,
    { scanShape, detShape: sigShape(ds), calibration: ds.calibration, source: ds.metadata },
    {
      ...options,
      params: { ...options.params, counting: describeThresholds(thresholds) },
    },
  );
  // The encoder copies what it keeps: without onEvents (which may keep the blocks), counting reuses its arrays.
  const r = await countInto(
    core,
    ds,
    o,
    async (ev) => {
      await enc.push(ev);
      onEvents?.(ev);
    },
    !onEvents,
    o.onProgress,
    thresholds,
  );
  const done = await enc.finish();
  return { ...r, bytes: done.bytes, chunks: done.chunks };
}
