// Turning one .mib frame payload into little-endian pixels.
// Counted data (U08/U16/U32) is plain big-endian. Raw data (R64) is what the chips read out: 64-bit big-endian
// words whose pixels are packed from the least significant end (1, 8 or 16 bits each); 24-bit raw is two 12-bit
// frames, the first holding the high bits. A raw quad frame is one row of each chip side by side, ordered
// [4 | 3 | 2 | 1]; chips 3 and 4 form the bottom half, rotated by 180 degrees.
import type { Dtype } from "../../dtype.js";
import type { MibHeader } from "./header.js";

export interface MibGeometry {
  dtype: Dtype;
  rows: number;
  cols: number;
  /** Bytes of pixels after each frame header. */
  payloadBytes: number;
  /** How the file stores them, for metadata: "U16", "raw 12-bit", "raw 1-bit quad"... */
  description: string;
  /** Decodes one payload into one output frame (rows * cols pixels of dtype, as bytes). */
  decode(payload: Uint8Array, out: Uint8Array): void;
}

export function mibGeometry(h: MibHeader, name: string): MibGeometry {
  if (h.pixel !== "R64") {
    const size = h.pixel === "U08" ? 1 : h.pixel === "U16" ? 2 : 4;
    const dtype: Dtype = size === 1 ? "u8" : size === 2 ? "u16" : "u32";
    return {
      dtype, rows: h.height, cols: h.width, payloadBytes: h.width * h.height * size, description: h.pixel,
      decode: size === 1 ? (p, o) => o.set(p) : size === 2 ? swap16 : swap32,
    };
  }
  const depth = h.counterDepth;
  if (depth !== 1 && depth !== 6 && depth !== 12 && depth !== 24) {
    throw new Error(`${name}: raw (R64) .mib frames need the counter depth from the header's last field; found ${JSON.stringify(h.fields[h.fields.length - 1])}, expected 1, 6, 12 or 24`);
  }
  const n = h.width * h.height;
  if (n % 64 !== 0) throw new Error(`${name}: raw .mib frame of ${h.width} x ${h.height} pixels is not a whole number of 64-bit words`);
  const quad = h.chips > 1;
  if (quad && !(h.layout === "2x2" && h.chips === 4)) throw new Error(`${name}: raw .mib data with ${h.chips} chips in layout ${h.layout} is not supported; expected a single chip or a 2x2 quad`);
  if (depth === 24) return quad ? raw24Quad(h, n, name) : raw24Single(h, n, name);
  const dtype: Dtype = depth === 12 ? "u16" : "u8";
  const payloadBytes = depth === 1 ? n / 8 : depth === 6 ? n : n * 2;
  const unpack = (p: Uint8Array, pixels: Uint8Array | Uint16Array) =>
    depth === 1 ? unpackRaw1(p, pixels as Uint8Array) : depth === 6 ? unpackRaw6(p, pixels as Uint8Array) : unpackRaw12(p, pixels as Uint16Array);
  if (!quad) {
    return {
      dtype, rows: h.height, cols: h.width, payloadBytes, description: `raw ${depth}-bit`,
      decode: (p, o) => unpack(p, depth === 12 ? u16view(o, n) : o),
    };
  }
  // Quad: the header's width is the four chips' rows side by side.
  const W = h.width / 4, H = h.height;
  if (!Number.isInteger(W) || W !== H) throw new Error(`${name}: raw quad .mib frame of ${h.width} x ${h.height} is not four square chips side by side`);
  return {
    dtype, rows: 2 * H, cols: 2 * W, payloadBytes, description: `raw ${depth}-bit quad`,
    decode(p, o) {
      const raw = depth === 12 ? new Uint16Array(n) : new Uint8Array(n);
      unpack(p, raw);
      const out = depth === 12 ? u16view(o, n) : o;
      assembleQuad(raw, out, W, H);
    },
  };
}

/** Single-chip 24-bit raw: two 12-bit frames of n/2 pixels each (the first the high bits); the output is the square
 * chip. */
function raw24Single(h: MibHeader, n: number, name: string): MibGeometry {
  const side = h.width === 2 * h.height ? h.height : h.height === 2 * h.width ? h.width : 0;
  if (!side) throw new Error(`${name}: raw 24-bit .mib frame of ${h.width} x ${h.height} is not two square 12-bit ` +
      `frames`);
  const half = side * side;
  return {
    dtype: "u32", rows: side, cols: side, payloadBytes: n * 2, description: "raw 24-bit",
    decode(p, o) {
      const hi = new Uint16Array(half), lo = new Uint16Array(half);
      unpackRaw12(p.subarray(0, half * 2), hi);
      unpackRaw12(p.subarray(half * 2, half * 4), lo);
      combine24(hi, lo, u32view(o, half));
    },
  };
}

/** Quad 24-bit raw: two raw 12-bit quad frames one after the other (the first the high bits), each the four chips'
 * rows side by side as in 12-bit quads; the header gives 8W x W (both frames side by side) or 4W x 2W. */
function raw24Quad(h: MibHeader, n: number, name: string): MibGeometry {
  const W = h.width === 8 * h.height ? h.height : 2 * h.width === 4 * h.height ? h.width / 4 : 0;
  if (!Number.isInteger(W) || W < 1) throw new Error(`${name}: raw 24-bit quad .mib frame of ${h.width} x ` +
      `${h.height} is not two frames of four square chips`);
  const half = 4 * W * W;
  return {
    dtype: "u32", rows: 2 * W, cols: 2 * W, payloadBytes: n * 2, description: "raw 24-bit quad",
    decode(p, o) {
      const raw = new Uint16Array(half), hi = new Uint16Array(half), lo = new Uint16Array(half);
      unpackRaw12(p.subarray(0, half * 2), raw);
      assembleQuad(raw, hi, W, W);
      unpackRaw12(p.subarray(half * 2, half * 4), raw);
      assembleQuad(raw, lo, W, W);
      combine24(hi, lo, u32view(o, half));
    },
  };
}

function combine24(hi: Uint16Array, lo: Uint16Array, out: Uint32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (hi[i]! << 12) | lo[i]!;
}

/** Lays the raw rows [4 | 3 | 2 | 1] out as the 2x2 image (1 2 / 3 4), the bottom chips rotated by 180 degrees. */
export function assembleQuad(raw: Uint8Array | Uint16Array, out: Uint8Array | Uint16Array, W: number, H: number): void {
  const rawCols = 4 * W, cols = 2 * W;
  for (let y = 0; y < H; y++) {
    const r = y * rawCols, o = y * cols;
    out.set(raw.subarray(r + 3 * W, r + 4 * W), o);
    out.set(raw.subarray(r + 2 * W, r + 3 * W), o + W);
  }
  for (let y = H; y < 2 * H; y++) {
    const r = (2 * H - 1 - y) * rawCols, o = y * cols;
    for (let x = 0; x < W; x++) {
      out[o + x] = raw[r + W + (W - 1 - x)]!;
      out[o + W + x] = raw[r + (W - 1 - x)]!;
    }
  }
}

/** 1-bit raw: each big-endian 64-bit word holds 64 pixels, the first in its least significant bit. */
export function unpackRaw1(p: Uint8Array, out: Uint8Array): void {
  for (let w = 0; w < p.length; w += 8) {
    const base = w * 8;
    for (let b = 0; b < 8; b++) {
      const byte = p[w + 7 - b]!;
      const o = base + b * 8;
      for (let bit = 0; bit < 8; bit++) out[o + bit] = (byte >> bit) & 1;
    }
  }
}

/** 6-bit raw: one byte per pixel, reversed within each 64-bit word. */
export function unpackRaw6(p: Uint8Array, out: Uint8Array): void {
  for (let w = 0; w < p.length; w += 8) for (let k = 0; k < 8; k++) out[w + k] = p[w + 7 - k]!;
}

/** 12-bit raw: big-endian 16-bit pixels, reversed within each 64-bit word. */
export function unpackRaw12(p: Uint8Array, out: Uint16Array): void {
  for (let w = 0, px = 0; w < p.length; w += 8, px += 4) {
    for (let k = 0; k < 4; k++) {
      const at = w + (3 - k) * 2;
      out[px + k] = (p[at]! << 8) | p[at + 1]!;
    }
  }
}

function u16view(o: Uint8Array, n: number): Uint16Array {
  if (o.byteOffset % 2 !== 0) throw new Error("mib: output frame is not 2-byte aligned");
  return new Uint16Array(o.buffer, o.byteOffset, n);
}
function u32view(o: Uint8Array, n: number): Uint32Array {
  if (o.byteOffset % 4 !== 0) throw new Error("mib: output frame is not 4-byte aligned");
  return new Uint32Array(o.buffer, o.byteOffset, n);
}

/** Big-endian 16-bit to little-endian, two pixels per 32-bit operation when both views are aligned. */
export function swap16(p: Uint8Array, o: Uint8Array): void {
  const n = p.length;
  if (p.byteOffset % 4 === 0 && o.byteOffset % 4 === 0 && n % 4 === 0) {
    const s = new Uint32Array(p.buffer, p.byteOffset, n / 4), d = new Uint32Array(o.buffer, o.byteOffset, n / 4);
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!;
      d[i] = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
    }
    return;
  }
  for (let i = 0; i < n; i += 2) {
    const a = p[i]!;
    o[i] = p[i + 1]!;
    o[i + 1] = a;
  }
}

/** Big-endian 32-bit to little-endian. */
export function swap32(p: Uint8Array, o: Uint8Array): void {
  const n = p.length;
  if (p.byteOffset % 4 === 0 && o.byteOffset % 4 === 0) {
    const s = new Uint32Array(p.buffer, p.byteOffset, n / 4), d = new Uint32Array(o.buffer, o.byteOffset, n / 4);
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!;
      d[i] = (x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24);
    }
    return;
  }
  for (let i = 0; i < n; i += 4) {
    const a = p[i]!, b = p[i + 1]!;
    o[i] = p[i + 3]!;
    o[i + 1] = p[i + 2]!;
    o[i + 2] = b;
    o[i + 3] = a;
  }
}
