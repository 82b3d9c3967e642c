// Lossless frame mode, encoding side: frames in (pushed by a live stream or read from a dataset), FRAMES chunks out.
// Memory stays flat at any stream length: one chunk of frames and its filtered copy in the codec core, one
// compressed chunk in the zstd backend, and 32 bytes of index per chunk.
import { frameBytes, frameCount, framePixels } from "../bindings/dataset.js";
import type { Dtype } from "../bindings/dtype.js";
import type { Calibration } from "../bindings/dataset.js";
import { ChunkKind, FILTER_IDS, type FilterName } from "./container-format.js";
import { ContainerWriter } from "./container-writer.js";
import { codecCrc32c } from "./crc32c-core.js";
import { codecCore } from "./engine.js";
import { FLAG_DELTA, FrameChunkCodec } from "./frame-chunks.js";
import type { ByteSink } from "./sink.js";
import type { AppendPlan } from "./container-append.js";
import { type ZstdBackendName, zstdBackend } from "./zstd.js";

export interface LosslessOptions {
  /** Pre-filter before zstd (default bitshuffle). */
  filter?: FilterName;
  /** Delta within each frame before the filter (default false). */
  delta?: boolean;
  /** zstd level (default 1; negative levels are zstd's fast modes). */
  level?: number;
  /** Frames per chunk (default: about `chunkBytes` of frames). */
  framesPerChunk?: number;
  /** Target decoded bytes per chunk when framesPerChunk is not given (default 1 MiB). */
  chunkBytes?: number;
  zstd?: ZstdBackendName;
  /** Store the frames uncompressed (zstd Raw blocks, no filter): a raw stream's chunks, checksummed like any. */
  store?: boolean;
}

export const LOSSLESS_DEFAULTS = { filter: "bitshuffle" as FilterName, delta: false, level: 1, chunkBytes: 1 << 20 };

export interface StreamLayout {
  shape: readonly number[];
  dtype: Dtype;
  calibration?: Calibration;
  source?: Record<string, unknown>;
}

export class LosslessEncoder {
  private pending = 0; // frames waiting in the codec's input
  private next = 0; //    index of the first pending frame

  private constructor(
    private readonly writer: ContainerWriter,
    private readonly codec: FrameChunkCodec,
    readonly framesPerChunk: number,
    private readonly filter: number,
    private readonly delta: boolean,
    private readonly level: number,
    readonly totalFrames: number,
    private readonly store = false,
  ) {}

  static async create(sink: ByteSink, layout: StreamLayout, options: LosslessOptions = {}): Promise<LosslessEncoder> {
    // Options given as undefined keep their defaults.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as LosslessOptions;
    const o = { ...LOSSLESS_DEFAULTS, ...given };
    if (o.store) Object.assign(o, { filter: "none", delta: false });
    const filter = FILTER_IDS[o.filter];
    if (filter === undefined) throw new RangeError(`unknown filter ${JSON.stringify(o.filter)} (expected none, byteshuffle or bitshuffle)`);
    const zstd = await zstdBackend(o.zstd);
    const fb = frameBytes(layout);
    if (fb > zstd.maxInputBytes) throw new RangeError(`a frame of ${fb} bytes exceeds the ${zstd.name} backend's ${zstd.maxInputBytes}-byte chunk limit`);
    const fpc = o.framesPerChunk ?? Math.max(1, Math.floor(o.chunkBytes / fb));
    if (!Number.isInteger(fpc) || fpc < 1) throw new RangeError(`framesPerChunk must be a positive integer, got ${fpc}`);
    if (fpc * fb > zstd.maxInputBytes) throw new RangeError(`${fpc} frames of ${fb} bytes exceed the ${zstd.name} backend's ${zstd.maxInputBytes}-byte chunk limit; use fewer frames per chunk`);
    const codec = new FrameChunkCodec(await codecCore(), zstd, layout.dtype, framePixels(layout));
    const writer = await ContainerWriter.create(sink, {
      mode: "lossless", shape: [...layout.shape], dtype: layout.dtype,
      ...(layout.calibration ? { calibration: layout.calibration } : {}),
      ...(layout.source ? { source: layout.source } : {}),
      params: { filter: o.filter, delta: o.delta, framesPerChunk: fpc, ...(o.store ? { stored: true } : { level: o.level, zstd: zstd.name }) },
    }, await codecCrc32c());
    return new LosslessEncoder(writer, codec, fpc, filter, o.delta, o.level, frameCount(layout), !!o.store);
  }

  /**
   * Continues a lossless container from where planAppend() found it ends: same filter, delta, level and chunk size
   * as its metadata records; the next frame pushed is frame plan.next. `sink` receives only the new bytes, to be
   * written after the plan's first keepBytes bytes.
   */
  static async resume(sink: ByteSink, plan: AppendPlan, options: { zstd?: ZstdBackendName } = {}): Promise<LosslessEncoder> {
    const m = plan.metadata, p = (m.params ?? {}) as Record<string, unknown>;
    if (m.mode !== "lossless") throw new RangeError(`resume: a ${m.mode} container is not a lossless one`);
    const filter = FILTER_IDS[p.filter as FilterName], fpc = p.framesPerChunk as number, level = (p.level as number | undefined) ?? LOSSLESS_DEFAULTS.level;
    if (filter === undefined || !Number.isInteger(fpc) || fpc < 1) throw new RangeError(`resume: the container's params (filter ${String(p.filter)}, framesPerChunk ${String(p.framesPerChunk)}) are not usable`);
    const zstd = await zstdBackend(options.zstd);
    const codec = new FrameChunkCodec(await codecCore(), zstd, m.dtype, framePixels(m));
    const writer = ContainerWriter.resume(sink, m, plan.keepBytes, plan.chunks, await codecCrc32c());
    const enc = new LosslessEncoder(writer, codec, fpc, filter, !!p.delta, level, frameCount(m), p.stored === true);
    enc.next = plan.next;
    return enc;
  }

  /** Frames accepted so far. */
  get framesIn(): number {
    return this.next + this.pending;
  }

  get bytesOut(): number {
    return this.writer.bytesWritten;
  }

  /** Appends whole frames (little-endian bytes of the stream's dtype). */
  async push(frames: Uint8Array): Promise<void> {
    const fb = this.codec.frameBytes;
    if (frames.length % fb !== 0) throw new RangeError(`push: ${frames.length} bytes is not a whole number of ${fb}-byte frames`);
    for (let at = 0; at < frames.length;) {
      const take = Math.min(frames.length - at, (this.framesPerChunk - this.pending) * fb);
      this.place(take / fb).set(frames.subarray(at, at + take));
      at += take;
      await this.commit(take / fb);
    }
  }

  /**
   * Where the next `count` frames go (at most the room left in the chunk being built): a view of the codec core's
   * memory to write them into, then commit(count). Frames read straight there are never copied (stem4d compress,
   * a stream's sender). The view is valid until the next call on this encoder.
   */
  place(count: number): Uint8Array {
    const fb = this.codec.frameBytes;
    if (!Number.isInteger(count) || count < 1 || count > this.framesPerChunk - this.pending) {
      throw new RangeError(`place: ${count} frames; the chunk being built has room for ${this.framesPerChunk - this.pending}`);
    }
    if (this.framesIn + count > this.totalFrames) throw new RangeError(`push: more than the ${this.totalFrames} frames the shape holds`);
    return this.codec.input(this.framesPerChunk).subarray(this.pending * fb, (this.pending + count) * fb);
  }

  /** Takes the `count` frames written into place(count); a full chunk is encoded and written. */
  async commit(count: number): Promise<void> {
    this.pending += count;
    if (this.pending === this.framesPerChunk) await this.flush();
  }

  /** Writes what is pending, the index and the trailer. */
  async finish(): Promise<{ bytes: number; chunks: number; frames: number }> {
    await this.flush();
    const r = await this.writer.finish();
    this.codec.dispose();
    return { ...r, frames: this.next };
  }

  private async flush(): Promise<void> {
    if (this.pending === 0) return;
    const n = this.pending, fb = this.codec.frameBytes;
    const payload = this.store ? this.codec.store(n) : this.codec.encode(n, this.filter, this.delta, this.level);
    await this.writer.writeChunk({ kind: ChunkKind.Frames, filter: this.filter, flags: this.delta ? FLAG_DELTA : 0, rawLength: n * fb, first: this.next, count: n }, payload);
    this.next += n;
    this.pending = 0;
  }
}
