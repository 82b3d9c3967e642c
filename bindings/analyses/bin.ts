// Binning as a lazy dataset view: frames are binned as they are read, so an analysis of a 384x384 dataset binned
// to 96x96 never holds the full-size data (the paper binned 384 -> 96 before its PCA). Binned frames are float32
// sums of the binned pixels (exact for integer counts up to 2^24). A remainder that does not fill a bin is dropped.
import type { Core } from "../core.js";
import { type Dataset, type FrameSource, frameBytes, navShape, sigShape } from "../dataset.js";
import { kernelSuffix } from "../dtype.js";

export interface BinFactors {
  /** Detector pixels per bin along each detector axis (default 1). */
  detector?: number;
  /** Probe positions per bin along each scan axis (default 1; needs a 2D scan). */
  scan?: number;
}

/** Frames per read of the underlying dataset: bounds the view's scratch memory. */
const CHUNK_BYTES = 16 << 20;

export function binDataset(core: Core, ds: Dataset, f: BinFactors): Dataset {
  const b = f.detector ?? 1, s = f.scan ?? 1;
  const [rows, cols] = sigShape(ds);
  const nav = navShape(ds);
  for (const [what, v] of [["detector", b], ["scan", s]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} bin factor must be a positive integer, got ${v}`);
  }
  if (b > rows || b > cols) throw new RangeError(`detector bin factor ${b} exceeds the detector (${rows} x ${cols})`);
  if (s > 1 && nav.length !== 2) throw new RangeError(`scan binning needs a 2D scan; this dataset's nav shape is [${nav.join(", ")}]`);
  if (s > nav[0]! || (nav.length === 2 && s > nav[1]!)) throw new RangeError(`scan bin factor ${s} exceeds the scan [${nav.join(", ")}]`);
  const oRows = Math.floor(rows / b), oCols = Math.floor(cols / b), oQ = oRows * oCols;
  const outNav = s > 1 ? [Math.floor(nav[0]! / s), Math.floor(nav[1]! / s)] : nav;
  const inFb = frameBytes(ds), scanCols = nav.length === 2 ? nav[1]! : 1;
  // Scratch: up to CHUNK_BYTES of input frames and their binned float32 frames, allocated once (the arena must not
  // grow while a caller holds views into it). Frames already in the core's memory are binned where they are.
  const chunk = Math.max(s * s, Math.floor(CHUNK_BYTES / inFb));
  const resident = ds.source.resident?.core === core ? ds.source.resident.ptr : undefined;
  const inPtr = resident === undefined ? core.arena.alloc(chunk * inFb) : 0;
  const outPtr = core.arena.alloc(chunk * oQ * 4);
  const kernel = `binDetector${kernelSuffix(ds.dtype)}` as const;

  /** Bins `n` input frames starting at input frame `first` into float32 frames at `to` in the core's memory. */
  const binInput = async (first: number, n: number, to = outPtr) => {
    const from = resident === undefined ? inPtr : resident + first * inFb;
    if (resident === undefined) await ds.source.readFrames(first, n, core.arena.bytes(inPtr, n * inFb));
    const half = Math.ceil(n / 2);
    const parts: [number, number][] = core.workerCount > 1 && n > 1 ? [[0, half], [half, n]] : [[0, n]];
    await core.run(parts.map(([a, e]) => [{ fn: kernel, args: [from + a * inFb, e - a, rows, cols, b, to + a * oQ * 4] }]));
  };

  const source: FrameSource = {
    name: `${ds.source.name} binned${b > 1 ? ` detector x${b}` : ""}${s > 1 ? ` scan x${s}` : ""}`,
    async readFrames(start, count, dest) {
      const out = new Float32Array(dest.buffer, dest.byteOffset, count * oQ);
      if (s === 1) {
        // A destination in the core's memory (the executor's tile buffers) takes the binned frames directly.
        const direct = dest.buffer === core.memory.buffer && dest.byteOffset % 4 === 0;
        for (let done = 0; done < count; ) {
          const n = Math.min(chunk, count - done);
          if (direct) {
            await binInput(start + done, n, dest.byteOffset + done * oQ * 4);
          } else {
            await binInput(start + done, n);
            out.set(core.arena.f32(outPtr, n * oQ), done * oQ);
          }
          done += n;
        }
        return;
      }
      // Scan binning: output frame (R, C) sums input frames (R*s + i, C*s + j) for i, j < s.
      out.fill(0);
      const oCols = outNav[1]!;
      for (let k = 0; k < count; k++) {
        const R = Math.floor((start + k) / oCols), C = (start + k) % oCols;
        const acc = out.subarray(k * oQ, (k + 1) * oQ);
        for (let i = 0; i < s; i++) {
          await binInput((R * s + i) * scanCols + C * s, s);
          const binned = core.arena.f32(outPtr, s * oQ);
          for (let j = 0; j < s; j++) for (let q = 0; q < oQ; q++) acc[q]! += binned[j * oQ + q]!;
        }
      }
    },
    /** Gives back the view's scratch memory; the underlying dataset stays open (its owner closes it). */
    async close() {
      if (resident === undefined) core.arena.release(inPtr);
      core.arena.release(outPtr);
    },
  };
  return {
    shape: [...outNav, oRows, oCols],
    dtype: "f32",
    source,
    calibration: ds.calibration,
    metadata: { ...ds.metadata, binned: { detector: b, scan: s, from: ds.shape } },
  };
}

/** Detector binning only: the form the analyses use. */
export function binDetector(core: Core, ds: Dataset, factor: number): Dataset {
  return binDataset(core, ds, { detector: factor });
}

/** The largest detector bin factor that brings the detector to at most `maxSize` pixels a side. */
export function binFactorFor(ds: Dataset, maxSize: number): number {
  const [rows, cols] = sigShape(ds);
  return Math.max(1, Math.ceil(Math.max(rows, cols) / maxSize));
}

