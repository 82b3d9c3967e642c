// Reading a dataset into the core's memory with its pattern statistics reduced as the frames arrive: block after
// block, each pass continuing the previous pass's partial state from a tile boundary, so the statistics are
// bit-identical to one pass over the whole (bindings/executor.ts, `initial`) and need no pass of their own. Meanwhile
// a preview: the mean pattern of the frames read so far, its bright-field disk, and that disk's virtual image filling
// in (frames not yet read are NaN), so the first image appears after the first block instead of after the file.
import type { Core } from "../bindings/core.js";
import { type Dataset, frameBytes, frameCount, sigShape } from "../bindings/dataset.js";
import { copyState, finishState, runPartials, runReduction, tileUnit, type PartialState } from "../bindings/executor.js";
import { streamFrames } from "../bindings/pipeline.js";
import { residentAt } from "../bindings/sources.js";
import { patternStats, type PatternStats } from "../bindings/analyses/patterns.js";
import { virtualImages } from "../bindings/analyses/virtual.js";
import { brightFieldDisk, type DiskFit } from "../bindings/analyses/center.js";
import { detectorMask, diskDetector, type Detector } from "./detector.js";

/** What is known while the file is read. */
export interface Preview {
  /** Frames [0, frames) are read and reduced. */
  frames: number;
  total: number;
  /** Statistics of those frames (their mean, max). */
  stats: PatternStats;
  detector: Detector;
  /** The detector's virtual image over the whole scan, NaN where frames are not read yet. */
  image: Float32Array;
}

export interface ProgressiveOptions {
  /** Bytes of frames per block read (default 32 MiB). */
  blockBytes?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called after a block's frames are reduced, at most every `previewMs` (default 1000), not after the last. */
  onPreview?: (p: Preview) => void | Promise<void>;
  previewMs?: number;
}

/** Copies `file`'s frames into the core's memory as a resident dataset and reduces their pattern statistics on the
 * way; closes `file`. */
export async function readIntoCore(core: Core, file: Dataset, o: ProgressiveOptions = {}):
  Promise<{ ds: Dataset; stats: PatternStats }> {
  const total = frameCount(file), fb = frameBytes(file), det = sigShape(file);
  const ptr = core.arena.alloc(total * fb);
  const held = residentAt(core, ptr, file.shape, file.dtype, file.source.name);
  const ds: Dataset = { ...held, calibration: file.calibration, metadata: file.metadata };
  const stats = patternStats(), unit = tileUnit(core, ds, [stats]);
  let states: PartialState[] | undefined, reduced = 0, lastPreview = -Infinity;
  let preview: { detector: Detector; mask: Float32Array; image: Float32Array; imaged: number } | undefined;

  const showPreview = async () => {
    const soFar = finishState(core, { ...ds, shape: [reduced, ...det] }, stats, copyState(states![0]!));
    if (!preview) {
      const detector = diskDetector(diskOrMiddle(soFar.mean, det));
      const mask = detectorMask(det[0], det[1], detector);
      preview = { detector, mask, image: new Float32Array(total).fill(NaN), imaged: 0 };
    }
    const v = await runReduction(core, ds, virtualImages([preview.mask]), { range: [preview.imaged, reduced] });
    preview.image.set(v.images[0]!.subarray(preview.imaged, reduced), preview.imaged);
    preview.imaged = reduced;
    await o.onPreview!({ frames: reduced, total, stats: soFar, detector: preview.detector, image: preview.image });
    lastPreview = performance.now();
  };

  // Frames are read straight into their place when the core's memory is shared: growing it (the reductions allocate
  // while the next block is read) keeps the old views valid. An unshared memory's views would be detached: there
  // the stream's own buffers are copied in.
  const shared = typeof SharedArrayBuffer !== "undefined" && core.arena.memory.buffer instanceof SharedArrayBuffer;
  const place = (first: number, count: number) => core.arena.bytes(ptr + first * fb, count * fb);
  try {
    await streamFrames(file, {
      write: async (bytes, first, count) => {
        if (!shared) place(first, count).set(bytes);
        const arrived = first + count;
        const frontier = arrived === total ? total : Math.floor(arrived / unit) * unit;
        if (frontier > reduced) {
          states = await runPartials(core, ds, [stats], { range: [reduced, frontier], initial: states });
          reduced = frontier;
          if (o.onPreview && reduced < total && performance.now() - lastPreview >= (o.previewMs ?? 1000)) {
            await showPreview();
          }
        }
        o.onProgress?.(arrived, total);
      },
    }, { blockBytes: o.blockBytes ?? 32 << 20, into: shared ? place : undefined });
  } catch (e) {
    await ds.source.close?.();
    throw e;
  }
  await file.source.close?.();
  return { ds, stats: finishState(core, ds, stats, states![0]!) };
}

/** The bright-field disk, or (patterns without signal) a disk of an eighth of the detector in its middle. */
export function diskOrMiddle(mean: Float32Array, [rows, cols]: [number, number]): DiskFit {
  try {
    return brightFieldDisk(mean, rows, cols);
  } catch {
    return { cy: (rows - 1) / 2, cx: (cols - 1) / 2, radius: Math.max(1, Math.min(rows, cols) / 8) };
  }
}
