// What the edge computer does before frames leave it (no Node API): encode a dataset into a container with the
// codec's streaming encoders, the same functions `stem4d compress` and `stem4d count` run, so a stream's container
// decodes to exactly what those commands write. Also the series' pattern centre, found the way `stem4d virtual`
// finds it, so the receiver's images equal the file's.
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { estimateCenter } from "../analyses/center.js";
import { compressLossless } from "../compress.js";
import { type CountingOptions, countToEvents } from "../analyses/counting.js";
import type { LosslessOptions } from "../../codec/lossless.js";
import type { EventOptions } from "../../codec/event-encoder.js";
import type { PcaLossyOptions } from "../../codec/pca-lossy.js";
import type { ByteSink } from "../../codec/sink.js";
import type { EncodeMode, StreamCenter } from "./protocol.js";

export interface EncodeOptions {
  mode: EncodeMode;
  /** raw and lossless (raw stores frames: framesPerChunk and chunkBytes apply). */
  lossless?: LosslessOptions;
  /** events: counting as `stem4d count` does it, and the event container's options. */
  counting?: CountingOptions;
  events?: EventOptions;
  pca?: PcaLossyOptions;
  onProgress?: (done: number, total: number) => void;
}

/** Encodes `ds` into a container written to `sink`. events and pca need the core. */
export async function encodeDataset(core: Core | undefined, ds: Dataset, o: EncodeOptions, sink: ByteSink): Promise<void> {
  const needCore = () => { if (!core) throw new Error(`--encode ${o.mode} needs the compute core`); return core; };
  if (o.mode === "raw") {
    const { framesPerChunk, chunkBytes } = o.lossless ?? {};
    await compressLossless(ds, sink, { store: true, framesPerChunk, chunkBytes }, o.onProgress);
  } else if (o.mode === "lossless") {
    await compressLossless(ds, sink, o.lossless ?? {}, o.onProgress);
  } else if (o.mode === "events") {
    // Blocks of 512 KiB (not the executor's 32 MiB), counted in tiles of at most a block: an edge computer's memory
    // (the block, the block read ahead and the counting scratch stay near 2 MiB), and the ring gets chunks sooner.
    // The chunks are those `stem4d count` writes: where they are cut does not depend on the blocks.
    await countToEvents(needCore(), ds, sink, { blockBytes: 512 << 10, ...o.counting, onProgress: o.onProgress }, o.events ?? {});
  } else if (o.mode === "pca") {
    // Loaded for PCA only: an events or lossless sender does not hold the linear algebra's code.
    const { compressPca } = await import("../analyses/pca-compress.js");
    const p = o.pca ?? {};
    await compressPca(needCore(), ds, sink, { ...p, onProgress: (d, t, stage) => { p.onProgress?.(d, t, stage); if (stage === "encode") o.onProgress?.(d, t); } });
  } else {
    throw new RangeError(`encode mode ${JSON.stringify(o.mode)} is not raw, lossless, events or pca`);
  }
}

/** The pattern centre as `stem4d virtual` finds it by default (the bright-field disk of up to 512 evenly spread
 * frames, to 3 decimals), or the one given. */
export async function seriesCenter(ds: Dataset, given?: { cy: number; cx: number }): Promise<StreamCenter> {
  if (given) return { ...given, from: "sender: given" };
  const d = await estimateCenter(ds);
  return { cy: +d.cy.toFixed(3), cx: +d.cx.toFixed(3), from: "sender: bright-field disk of the mean of up to 512 evenly spread source frames" };
}

/** `ds` as a detector delivers it: frame i becomes readable at (i + 1) / fps seconds after the first read. */
export function pacedDataset(ds: Dataset, fps: number): Dataset {
  if (!(fps > 0)) throw new RangeError(`rate: expected a positive number of frames per second, got ${fps}`);
  let t0: number | undefined;
  // No locate() or resident frames: every read goes through the pace.
  const source = {
    name: `${ds.source.name} (paced at ${fps} frames/s)`,
    close: async () => { await ds.source.close?.(); },
    async readFrames(start: number, count: number, dest: Uint8Array) {
      t0 ??= performance.now();
      const wait = t0 + ((start + count) / fps) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await ds.source.readFrames(start, count, dest);
    },
  };
  return { ...ds, source };
}
