// A zstd frame that stores its content uncompressed, as Raw blocks (RFC 8878 section 3.1.1.2, Block_Type 0): what
// a "raw" stream sends, so that raw frames still travel as standard FRAMES chunks that any zstd decoder reads,
// at the cost of 3 bytes per 128 KiB and a 10-byte frame header.

const MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 << 10;

/** The frame's size for `n` content bytes. */
export function storedFrameSize(n: number): number {
  return 10 + 3 * Math.max(1, Math.ceil(n / MAX_BLOCK)) + n;
}

/** A zstd frame holding `src` as Raw blocks, with its content size (4 bytes, single segment) and no checksum. */
export function storedZstdFrame(src: Uint8Array, out = new Uint8Array(storedFrameSize(src.length))): Uint8Array {
  const n = src.length;
  if (n > 0xffffffff) throw new RangeError(`a stored zstd frame holds at most 4 GiB, not ${n} bytes`);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, MAGIC, true);
  out[4] = (2 << 6) | (1 << 5); // Frame_Content_Size_flag 2 (4 bytes), Single_Segment_flag
  dv.setUint32(5, n, true);
  let at = 9;
  let from = 0;
  do {
    const size = Math.min(MAX_BLOCK, n - from), last = from + size === n ? 1 : 0;
    const header = last | (0 << 1) | (size << 3); // Last_Block, Block_Type Raw, Block_Size
    out[at] = header & 0xff; out[at + 1] = (header >>> 8) & 0xff; out[at + 2] = (header >>> 16) & 0xff;
    out.set(src.subarray(from, from + size), at + 3);
    at += 3 + size;
    from += size;
  } while (from < n);
  return out.subarray(0, at);
}
