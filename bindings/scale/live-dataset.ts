// Node-only (scale-out; never imported by bindings/index.ts or the browser bundle).
// A dataset whose frames arrive over time (a live stream): it holds the blocks received and not yet reduced, so the
// ordinary executor and every analysis run on it unchanged. Reading frames that were released or have not arrived
// is an error, never a silent zero.
import { type Dtype, dtypeSize, typedArray } from "../dtype.js";
import { memoryDataset } from "../sources.js";
import { type Dataset, type FrameSource, frameBytes, validateLayout } from "../dataset.js";

interface Held {
  first: number;
  count: number;
  bytes: Uint8Array;
}

export class LiveFrames implements FrameSource {
  private held: Held[] = [];
  private arrived = 0;
  readonly frameBytes: number;

  constructor(readonly name: string, shape: readonly number[], dtype: Dtype) {
    this.frameBytes = frameBytes({ shape, dtype });
  }

  /** Frames [0, arrived) have been received. */
  get framesArrived(): number {
    return this.arrived;
  }

  /** Bytes of frames held in memory now. */
  get heldBytes(): number {
    return this.held.reduce((s, h) => s + h.bytes.length, 0);
  }

  /** Adds the next block; blocks must come in frame order (the receiver checks sequence numbers first). */
  push(first: number, bytes: Uint8Array): void {
    if (first !== this.arrived) throw new Error(`${this.name}: a block starting at frame ${first} arrived after frames 0-${this.arrived - 1}; expected frame ${this.arrived}`);
    if (bytes.length % this.frameBytes !== 0) throw new Error(`${this.name}: a block of ${bytes.length} bytes is not a whole number of ${this.frameBytes}-byte frames`);
    const count = bytes.length / this.frameBytes;
    this.held.push({ first, count, bytes });
    this.arrived += count;
  }

  /** Drops every held block that lies wholly before frame `before` (already reduced). */
  release(before: number): void {
    this.held = this.held.filter((h) => h.first + h.count > before);
  }

  async readFrames(start: number, count: number, dest: Uint8Array): Promise<void> {
    const fb = this.frameBytes;
    let at = start;
    const end = start + count;
    for (const h of this.held) {
      if (at >= end) break;
      if (h.first + h.count <= at) continue;
      if (h.first > at) break;
      const n = Math.min(end, h.first + h.count) - at;
      dest.set(h.bytes.subarray((at - h.first) * fb, (at - h.first + n) * fb), (at - start) * fb);
      at += n;
    }
    if (at < end) {
      const span = this.held.length ? `frames ${this.held[0]!.first}-${this.arrived - 1} are held` : "no frames are held";
      throw new Error(`${this.name}: frames ${at}-${end - 1} are not held (${span})`);
    }
  }
}

/** A dataset over a live series of the given layout; push blocks into `frames` as they arrive. */
export function liveDataset(shape: readonly number[], dtype: Dtype, name = "live stream"): { dataset: Dataset; frames: LiveFrames } {
  validateLayout(shape, dtype, name);
  const frames = new LiveFrames(name, shape, dtype);
  return { dataset: { shape: [...shape], dtype, source: frames, metadata: { live: true } }, frames };
}

/** The frames of one block as a dataset of their own ([count, rows, cols]; a copy, so any alignment works). */
export function blockDataset(header: { count: number; dtype: Dtype; shape: readonly number[] }, payload: Uint8Array, name: string): Dataset {
  const copy = new Uint8Array(payload);
  return memoryDataset(typedArray(header.dtype, copy.buffer, 0, copy.length / dtypeSize(header.dtype)), [header.count, ...header.shape.slice(-2)], `${name} (first block)`);
}
