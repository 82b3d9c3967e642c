// CRC-32C (Castagnoli), the checksum of every container chunk. Slicing-by-8 in plain TypeScript: a WASM version of
// the same algorithm (bench/codec.ts) is 1.2-1.3x faster, but this one needs no core, so the container can verify
// bytes anywhere, before any WASM module is loaded. Encoders, which have the codec core, checksum their chunks'
// payloads there (codec/crc32c-core.ts).

const POLY = 0x82f63b78; // reflected 0x1EDC6F41

/** Eight 256-entry tables: T[k][b] is the CRC of byte b followed by k zero bytes. */
const T: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) t[k * 256 + b] = (t[(k - 1) * 256 + b]! >>> 8) ^ t[t[(k - 1) * 256 + b]! & 0xff]!;
  }
  return t;
})();

/** The table as bytes (little-endian u32s), for the WASM variant. */
export function crc32cTable(): Uint32Array {
  return T;
}

/** Continues a CRC-32C over `bytes`: crc32c(b) = crc32cUpdate(crc32cUpdate(0, a), b) for the concatenation a + b. */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  const n = bytes.length;
  let i = 0;
  // Eight bytes per step: the running CRC folded into the first four, each byte looked up in its own table.
  if (n >= 16) {
    const aligned = (bytes.byteOffset & 3) === 0;
    if (aligned) {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 2);
      const pairs = n >>> 3;
      for (let w = 0; w < pairs * 2; w += 2) {
        const a = words[w]! ^ c, b = words[w + 1]!;
        c = T[0x700 + (a & 0xff)]! ^ T[0x600 + ((a >>> 8) & 0xff)]! ^ T[0x500 + ((a >>> 16) & 0xff)]! ^ T[0x400 + (a >>> 24)]! ^
          T[0x300 + (b & 0xff)]! ^ T[0x200 + ((b >>> 8) & 0xff)]! ^ T[0x100 + ((b >>> 16) & 0xff)]! ^ T[b >>> 24]!;
      }
      i = pairs * 8;
    } else {
      for (; i + 8 <= n; i += 8) {
        const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c;
        c = T[0x700 + (a & 0xff)]! ^ T[0x600 + ((a >>> 8) & 0xff)]! ^ T[0x500 + ((a >>> 16) & 0xff)]! ^ T[0x400 + (a >>> 24)]! ^
          T[0x300 + bytes[i + 4]!]! ^ T[0x200 + bytes[i + 5]!]! ^ T[0x100 + bytes[i + 6]!]! ^ T[bytes[i + 7]!]!;
      }
    }
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}
