// What every zstd backend is, and the checks they share: a frame's header must declare its content size, and it
// must equal what the container expects, before a backend allocates anything for it.
import { fail } from "./errors.js";

export type ZstdBackendName = "auto" | "stem4d" | "zstd-codec";

export interface ZstdBackend {
  readonly name: ZstdBackendName;
  /** Largest input (and decoded output) one call accepts. */
  readonly maxInputBytes: number;
  /** The largest frame compressing `n` bytes can give (ZSTD_compressBound): the room compressInto needs. */
  compressBound(n: number): number;
  /**
   * One zstd frame with its content size in the header, written into `out` (at least compressBound(src.length)
   * bytes, owned by the caller and reused from call to call); returns its length. Nothing is allocated per call:
   * input, output and context live in regions of the backend's heap that are reused, so a stream of calls leaves
   * no garbage behind (this is what keeps the streaming encoders' resident memory flat).
   */
  compressInto(src: Uint8Array, level: number, out: Uint8Array): number;
  /** The content of one frame, which must declare exactly out.length bytes, written into `out`. */
  decompressInto(frame: Uint8Array, out: Uint8Array): void;
  /** compressInto into a fresh array of the frame's size (for callers that keep the frame). */
  compress(src: Uint8Array, level: number): Uint8Array;
  /** decompressInto into a fresh array. */
  decompress(frame: Uint8Array, contentSize: number): Uint8Array;
}

const ZSTD_MAGIC = 0xfd2fb528;

/** The Frame_Content_Size of a zstd frame header (RFC 8878, 3.1.1.1), or a typed error when it is absent or bad. */
export function zstdContentSize(frame: Uint8Array, what: string): number {
  if (frame.length < 6) fail("zstd", `${what}: ${frame.length} bytes is too short for a zstd frame header`);
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) fail("zstd", `${what}: zstd magic 0x${magic.toString(16)} (expected 0xfd2fb528)`);
  const fhd = frame[4]!;
  if (fhd & 0x08) fail("zstd", `${what}: zstd frame header reserved bit is set`);
  const fcsFlag = fhd >>> 6, single = (fhd >>> 5) & 1, did = fhd & 3;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][did]!;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) fail("zstd", `${what}: zstd frame does not declare its content size`);
  if (frame.length < at + fcsBytes) fail("zstd", `${what}: zstd frame header truncated`);
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i]!;
  if (fcsBytes === 2) size += 256;
  if (fcsBytes === 8 && frame[at + 7]! > 0x1f) fail("limit", `${what}: zstd content size beyond 2^53`);
  return size;
}

type Limits = { name: string; maxInputBytes: number };

/** Refuses a frame whose header does not declare `contentSize` bytes, or more than the backend takes. */
export function checkFrame(backend: Limits, frame: Uint8Array, contentSize: number): void {
  const declared = zstdContentSize(frame, "zstd frame");
  if (declared !== contentSize) {
    fail("zstd", `zstd frame declares ${declared} bytes of content, expected ${contentSize}`);
  }
  checkSize(backend, contentSize);
}

function checkSize({ name, maxInputBytes }: Limits, contentSize: number): void {
  if (contentSize > maxInputBytes) {
    fail("limit", `zstd frame of ${contentSize} bytes exceeds the ${name} backend's ${maxInputBytes}-byte limit`);
  }
}

/** Refuses an input over the backend's limit, or output room below compressBound. */
export function checkCapacity(name: string, src: Uint8Array, bound: number, out: Uint8Array, max: number): void {
  if (src.length > max) {
    throw new RangeError(`${name}: zstd input of ${src.length} bytes exceeds the backend's ${max}-byte limit; ` +
      "use smaller chunks");
  }
  if (out.length < bound) {
    throw new RangeError(`${name}: output room of ${out.length} bytes is below ` +
      `compressBound(${src.length}) = ${bound}`);
  }
}

/** The two allocating calls every backend shares, on top of its own compressInto / decompressInto. */
export function withCopies(b: Omit<ZstdBackend, "compress" | "decompress">): ZstdBackend {
  return {
    ...b,
    compress(src, level) {
      // The bound-sized scratch is reused; only the frame's own bytes are copied out.
      const out = scratch(b.compressBound(src.length));
      return out.slice(0, b.compressInto(src, level, out));
    },
    decompress(frame, contentSize) {
      zstdContentSize(frame, "zstd frame"); // a typed error before allocating for a frame that is not one
      checkSize(b, contentSize);
      const out = new Uint8Array(contentSize);
      b.decompressInto(frame, out);
      return out;
    },
  };
}

let scratchBuf = new Uint8Array(0);
function scratch(n: number): Uint8Array {
  if (scratchBuf.length < n) scratchBuf = new Uint8Array(Math.max(n, 1 << 16));
  return scratchBuf;
}
