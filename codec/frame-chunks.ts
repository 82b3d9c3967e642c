// Lossless frame chunks (codec/SPEC.md section 3): delta within each frame, byte or bit shuffle or the floor filter
// (per-pixel chunk minimum subtracted, then byte shuffle), one zstd frame with its content size. The filters run as
// WASM kernels on the codec core; zstd runs in its backend.
import type { Core } from "../bindings/core.js";
import { type Dtype, dtypeSize } from "../bindings/dtype.js";
import { Filter, type ChunkHeader } from "./container-format.js";
import { Region } from "./engine.js";
import { fail } from "./errors.js";
import type { ZstdBackend } from "./zstd.js";
import { storedFrameSize, storedZstdFrame } from "./zstd-stored.js";

export const FLAG_DELTA = 1;

export class FrameChunkCodec {
  private readonly a: Region;
  private readonly b: Region;
  private readonly tmp: Region;
  /** The compressed chunk: reused for every chunk (grown only for a bigger one), so encoding leaves no garbage. */
  private out = new Uint8Array(0);
  readonly width: number;
  readonly frameBytes: number;

  constructor(private readonly core: Core, readonly zstd: ZstdBackend, readonly dtype: Dtype, readonly framePixels: number) {
    this.width = dtypeSize(dtype);
    this.frameBytes = framePixels * this.width;
    this.a = new Region(core);
    this.b = new Region(core);
    this.tmp = new Region(core);
    this.tmp.ensure(8192);
  }

  /** Where the caller puts `count` frames before encode(count): a view of the core's memory. */
  input(count: number): Uint8Array {
    this.a.ensure((count + 1) * this.frameBytes); // room for the floor filter's map: encode() does not move it
    return this.a.view(count * this.frameBytes);
  }

  /** Filters and compresses the `count` frames placed in input(count); returns the zstd frame, a view valid until
   * the next encode() on this codec. */
  encode(count: number, filter: number, delta: boolean, level: number): Uint8Array {
    // Floor puts its map (one frame) before the frames: the zstd frame holds count + 1 frames.
    const floor = filter === Filter.Floor, bytes = (count + (floor ? 1 : 0)) * this.frameBytes, w = this.width;
    const n = bytes / w;
    if (floor && this.dtype === "f32") {
      throw new RangeError("the floor filter takes integer frames (u8, u16, u32), not f32");
    }
    this.a.ensure(bytes);
    let src = this.a, dst = this.b;
    dst.ensure(bytes);
    if (delta) {
      this.core.call(`shufDeltaEncode${kernelWidth(w)}`, src.ptr, dst.ptr, count, this.framePixels);
      [src, dst] = [dst, src];
    }
    if (floor) {
      this.core.call(`floorEncode${kernelWidth(w)}`, src.ptr, dst.ptr, count, this.framePixels);
      [src, dst] = [dst, src];
    }
    if ((filter === Filter.ByteShuffle || floor) && w > 1) {
      this.core.call("shufBytes", src.ptr, dst.ptr, n, w);
      [src, dst] = [dst, src];
    } else if (filter === Filter.BitShuffle) {
      this.core.call("shufBits", src.ptr, dst.ptr, n, w, this.tmp.ptr);
      [src, dst] = [dst, src];
    }
    const bound = this.zstd.compressBound(bytes);
    if (this.out.length < bound) this.out = new Uint8Array(bound);
    return this.out.subarray(0, this.zstd.compressInto(this.core.arena.bytes(src.ptr, bytes), level, this.out));
  }

  /** The `count` frames placed in input(count), unfiltered, as a zstd frame of Raw blocks (a view valid until the
   * next call on this codec). */
  store(count: number): Uint8Array {
    const bytes = count * this.frameBytes, size = storedFrameSize(bytes);
    if (this.out.length < size) this.out = new Uint8Array(size);
    return storedZstdFrame(this.core.arena.bytes(this.a.ptr, bytes), this.out);
  }

  /** Decodes a FRAMES chunk whose header has been verified; returns a view of the core's memory, valid until the
   * next call on this codec. */
  decode(h: ChunkHeader, payload: Uint8Array, what: string): Uint8Array {
    const w = this.width, bytes = h.count * this.frameBytes;
    if (h.rawLength !== bytes) fail("format", `${what}: declares ${h.rawLength} decoded bytes, but ${h.count} frames of ${this.frameBytes} bytes are ${bytes}`);
    if (h.filter > Filter.Floor) fail("format", `${what}: unknown filter ${h.filter}`);
    if (h.flags & ~FLAG_DELTA) fail("format", `${what}: unknown flags 0x${h.flags.toString(16)}`);
    const floor = h.filter === Filter.Floor;
    if (floor && this.dtype === "f32") {
      fail("format", `${what}: the floor filter (3) on f32 frames; it is defined for integer frames`);
    }
    // With the floor filter the zstd frame holds the floor map and then the frames.
    const stored = floor ? bytes + this.frameBytes : bytes, n = stored / w;
    this.zstd.decompressInto(payload, this.a.view(stored));
    let src = this.a, dst = this.b;
    dst.ensure(stored);
    if ((h.filter === Filter.ByteShuffle || floor) && w > 1) {
      this.core.call("unshufBytes", src.ptr, dst.ptr, n, w);
      [src, dst] = [dst, src];
    } else if (h.filter === Filter.BitShuffle) {
      this.core.call("unshufBits", src.ptr, dst.ptr, n, w, this.tmp.ptr);
      [src, dst] = [dst, src];
    }
    if (floor) {
      this.core.call(`floorDecode${kernelWidth(w)}`, src.ptr, dst.ptr, h.count, this.framePixels);
      [src, dst] = [dst, src];
    }
    if (h.flags & FLAG_DELTA) this.core.call(`shufDeltaDecode${kernelWidth(w)}`, src.ptr, h.count, this.framePixels);
    return this.core.arena.bytes(src.ptr, bytes);
  }

  dispose(): void {
    this.a.release();
    this.b.release();
    this.tmp.release();
  }
}

function kernelWidth(w: number): "U8" | "U16" | "U32" {
  return w === 1 ? "U8" : w === 2 ? "U16" : "U32";
}
