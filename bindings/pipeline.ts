// The one frame pipeline: how frames leave a dataset. Everything that reads frames goes through here, either as
// reductions (executor.ts, frames into the core's memory) or as an ordered sink (writers, encoders, stream senders:
// `streamFrames`, frames in JS memory). Reading the next block while the current one is used, cutting a range into
// blocks and picking evenly spread sample frames are written once, here.
import { type Dataset, type FrameSource, frameBytes, frameCount } from "./dataset.js";

/** Frames [start, end). */
export type FrameRange = [number, number];

/** Checks that `range` (default: every frame) lies in the dataset and returns it. */
export function frameRange(ds: Pick<Dataset, "shape">, range?: FrameRange): FrameRange {
  const total = frameCount(ds);
  const [first, end] = range ?? [0, total];
  if (!(Number.isInteger(first) && Number.isInteger(end) && 0 <= first && first <= end && end <= total)) {
    throw new RangeError(`frame range [${first}, ${end}) is outside the dataset's ${total} frames`);
  }
  return [first, end];
}

/** Cuts `range` into blocks of `blockFrames` aligned to frame 0 (so that a block never straddles an aligned tile). */
export function planBlocks(range: FrameRange, blockFrames: number): FrameRange[] {
  if (!Number.isInteger(blockFrames) || blockFrames < 1) throw new RangeError(`blocks of ${blockFrames} frames`);
  const [first, end] = range;
  const blocks: FrameRange[] = [];
  for (let s = Math.floor(first / blockFrames) * blockFrames; s < end; s += blockFrames) {
    blocks.push([Math.max(s, first), Math.min(s + blockFrames, end)]);
  }
  return blocks;
}

/**
 * Runs `read(i)` for every block in order, one ahead of the consumer: while the caller handles block i, block i + 1
 * is being read. A read that fails while the previous block is in use surfaces when its turn comes.
 */
export async function* readAhead<T>(count: number, read: (i: number) => Promise<T>): AsyncGenerator<T> {
  const start = (i: number) => {
    const p = read(i);
    p.catch(() => {}); // awaited in turn below; not an unhandled rejection meanwhile
    return p;
  };
  let pending = count > 0 ? start(0) : undefined;
  try {
    for (let i = 0; i < count; i++) {
      const value = await pending!;
      pending = i + 1 < count ? start(i + 1) : undefined;
      yield value;
    }
  } finally {
    await pending?.catch(() => {});
  }
}

/** `n` frame indices spread evenly over `total` frames (the centre of each of n equal parts). */
export function sampleIndices(total: number, n: number): number[] {
  const k = Math.min(total, n);
  return Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * total) / k));
}

/** A view of `ds` holding only the frames at `indices` (a 1-D scan of them): what sampling analyses read. */
export function frameSubset(ds: Dataset, indices: readonly number[], what = "sample"): Dataset {
  const fb = frameBytes(ds),
    total = frameCount(ds);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= total)
      throw new RangeError(`${what}: frame ${i} is outside the dataset's ${total} frames`);
  }
  const source: FrameSource = {
    name: `${ds.source.name} (${what} of ${indices.length} frames)`,
    async readFrames(start, count, dest) {
      // Runs of consecutive indices are read as one.
      for (let i = start; i < start + count;) {
        let j = i + 1;
        while (j < start + count && indices[j] === indices[j - 1]! + 1) j++;
        await ds.source.readFrames(indices[i]!, j - i, dest.subarray((i - start) * fb, (j - start) * fb));
        i = j;
      }
    },
  };
  return { shape: [indices.length, ...ds.shape.slice(-2)], dtype: ds.dtype, source, calibration: ds.calibration };
}

/** Up to `n` frames of `ds` spread evenly over the scan, as a dataset. */
export function sampledFrames(ds: Dataset, n: number): Dataset {
  const total = frameCount(ds);
  return n >= total ? ds : frameSubset(ds, sampleIndices(total, n), "evenly spread sample");
}

/** An ordered consumer of frames: writers, encoders, stream senders. */
export interface FrameSink {
  /** Frames [first, first + count) as little-endian bytes of the dataset's dtype, in order. The bytes are reused for
   * a later block once the returned promise settles, unless the stream was asked for fresh buffers. */
  write(frames: Uint8Array, first: number, count: number): void | Promise<void>;
}

export interface StreamOptions {
  range?: FrameRange;
  /** Frames per block, or about `blockBytes` of them (default 16 MiB). */
  blockFrames?: number;
  blockBytes?: number;
  /** A new buffer for every block, for sinks that keep it (a socket's send queue). */
  freshBuffers?: boolean;
  /** Where to read frames [first, first + count) instead of the stream's buffers: the sink's own memory (an
   * encoder's input), which the sink then gets. A block is read once the sink has handled the one before (no
   * read-ahead: the memory may be the same for every block), and the stream allocates no buffer of its own. */
  into?: (first: number, count: number) => Uint8Array;
  onProgress?: (framesDone: number, framesTotal: number) => void;
}

/** Feeds frames of `ds` to `sink` in order, block by block, reading the next block while the sink handles one. */
export async function streamFrames(ds: Dataset, sink: FrameSink, o: StreamOptions = {}): Promise<void> {
  const fb = frameBytes(ds),
    range = frameRange(ds, o.range);
  const per = o.blockFrames ?? Math.max(1, Math.floor((o.blockBytes ?? 16 << 20) / fb));
  const blocks = planBlocks([0, range[1] - range[0]], per).map(([s, e]): FrameRange => [s + range[0], e + range[0]]);
  const largest = Math.min(per, range[1] - range[0]);
  const buffers = o.freshBuffers || o.into ? [] : [new Uint8Array(largest * fb), new Uint8Array(largest * fb)];
  const read = async (i: number) => {
    const [s, e] = blocks[i]!;
    const bytes = o.into ? o.into(s, e - s) : o.freshBuffers ? new Uint8Array((e - s) * fb)
      : buffers[i % 2]!.subarray(0, (e - s) * fb);
    await ds.source.readFrames(s, e - s, bytes);
    return { s, e, bytes };
  };
  const handle = async ({ s, e, bytes }: { s: number; e: number; bytes: Uint8Array }) => {
    await sink.write(bytes, s, e - s);
    o.onProgress?.(e - range[0], range[1] - range[0]);
  };
  if (o.into) {
    for (let i = 0; i < blocks.length; i++) await handle(await read(i));
    return;
  }
  for await (const block of readAhead(blocks.length, read)) await handle(block);
}
