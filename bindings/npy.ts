// NumPy .npy headers (format versions 1.0, 2.0 and 3.0): parse what a file says, write what numpy reads.
import type { Dtype } from "./dtype.js";

export interface NpyHeader {
  dtype: Dtype;
  /** The descr as written, e.g. '<f8' (small arrays such as masks may use any numeric type: see readNpyArray). */
  descr: string;
  littleEndian: boolean;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  version: [number, number];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, Dtype> = { u1: "u8", u2: "u16", u4: "u32", f4: "f32", b1: "u8" };

// Element readers for small arrays (masks, maps): any of numpy's plain numeric types, converted to float64.
const NUMERIC: Record<string, [number, (dv: DataView, o: number, le: boolean) => number]> = {
  b1: [1, (d, o) => d.getUint8(o)], u1: [1, (d, o) => d.getUint8(o)], i1: [1, (d, o) => d.getInt8(o)],
  u2: [2, (d, o, l) => d.getUint16(o, l)], i2: [2, (d, o, l) => d.getInt16(o, l)],
  u4: [4, (d, o, l) => d.getUint32(o, l)], i4: [4, (d, o, l) => d.getInt32(o, l)],
  u8: [8, (d, o, l) => Number(d.getBigUint64(o, l))], i8: [8, (d, o, l) => Number(d.getBigInt64(o, l))],
  f4: [4, (d, o, l) => d.getFloat32(o, l)], f8: [8, (d, o, l) => d.getFloat64(o, l)],
};

const TYPED: Record<string, new (buffer: ArrayBuffer) => ArrayLike<number>> = {
  b1: Uint8Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array, u4: Uint32Array, i4: Int32Array,
  f4: Float32Array, f8: Float64Array,
};

/** A whole small .npy array of any plain numeric type, as float64 values with its shape. */
export function decodeNpyArray(file: Uint8Array, name: string): { data: Float64Array; shape: number[] } {
  const h = parseNpyHeader(file, name, true);
  if ("needBytes" in h) throw new Error(`${name}: .npy header needs ${h.needBytes} bytes, but the file has ${file.length}`);
  const [size, get] = NUMERIC[h.descr.slice(1)]!;
  const n = h.shape.reduce((a, b) => a * b, 1);
  if (file.length < h.dataOffset + n * size) throw new Error(`${name}: shape [${h.shape.join(", ")}] needs ${n * size} data bytes after byte ${h.dataOffset}, but the file has ${file.length - h.dataOffset}`);
  const Typed = h.littleEndian || size === 1 ? TYPED[h.descr.slice(1)] : undefined;
  if (Typed) {
    // Little-endian data (the hosts we run on are little-endian): one native conversion of an aligned copy (made
    // with Uint8Array's slice: a Node Buffer's own slice is a view).
    const copy = Uint8Array.prototype.slice.call(file, h.dataOffset, h.dataOffset + n * size);
    return { data: new Float64Array(new Typed(copy.buffer)), shape: h.shape };
  }
  const dv = new DataView(file.buffer, file.byteOffset + h.dataOffset, n * size);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = get(dv, i * size, h.littleEndian);
  return { data, shape: h.shape };
}

/** A whole .npy array of any plain numeric type as float32 values: little-endian float32 data is viewed in place
 * (no copy, no conversion: large score matrices), anything else converted. */
export function decodeNpyFloat32(file: Uint8Array, name: string): { data: Float32Array; shape: number[] } {
  const h = parseNpyHeader(file, name, true);
  if (!("needBytes" in h) && h.descr === "<f4" && (file.byteOffset + h.dataOffset) % 4 === 0) {
    const n = h.shape.reduce((a, b) => a * b, 1);
    if (file.length >= h.dataOffset + 4 * n) return { data: new Float32Array(file.buffer, file.byteOffset + h.dataOffset, n), shape: h.shape };
  }
  const a = decodeNpyArray(file, name);
  return { data: new Float32Array(a.data), shape: a.shape };
}

/** Bytes to read from the start of a file to be sure of holding a version 1 header's length field. */
export const NPY_PREAMBLE = 12;

/** Parses the header; `head` must hold at least the whole header (call again with more bytes if told so). */
export function parseNpyHeader(head: Uint8Array, name: string, anyNumeric = false): NpyHeader | { needBytes: number } {
  const fail = (offset: number, what: string) => new Error(`${name}: not a valid .npy file at byte ${offset}: ${what}`);
  if (head.length < 10) throw fail(head.length, `file is ${head.length} bytes long; expected at least a 10-byte preamble`);
  for (let i = 0; i < 6; i++) if (head[i] !== MAGIC[i]) throw fail(0, "expected the magic string \\x93NUMPY");
  const major = head[6]!, minor = head[7]!;
  if (major < 1 || major > 3) throw fail(6, `format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (head.length < 8 + lenBytes) return { needBytes: 8 + lenBytes };
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (headerLen > 1 << 20) throw fail(8, `header length ${headerLen} is implausible (over 1 MiB)`);
  if (head.length < dataOffset) return { needBytes: dataOffset };
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(head.subarray(8 + lenBytes, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined) throw fail(8 + lenBytes, `header has no 'descr' entry: ${text.trim()}`);
  if (fortran === undefined) throw fail(8 + lenBytes, `header has no 'fortran_order' entry: ${text.trim()}`);
  if (shapeText === undefined) throw fail(8 + lenBytes, `header has no 'shape' entry: ${text.trim()}`);
  if (fortran === "True") throw fail(8 + lenBytes, "array is in Fortran order; expected C order (np.ascontiguousarray before saving)");
  const order = descr[0]!, code = descr.slice(1);
  const dtype = DESCR[code] ?? (anyNumeric && NUMERIC[code] ? ("f32" as Dtype) : undefined);
  if (!dtype || !"<>|=".includes(order)) throw fail(8 + lenBytes, `dtype '${descr}' is not supported; expected uint8, uint16, uint32 or float32`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ""));
    if (!Number.isSafeInteger(n) || n < 0) throw fail(8 + lenBytes, `shape entry '${s}' is not a non-negative integer`);
    return n;
  });
  return { dtype, descr, littleEndian: order !== ">", shape, dataOffset, version: [major, minor] };
}

/** A header numpy accepts, padded so the data starts on a 64-byte boundary (version 1.0 when it fits). */
export function npyHeader(dtype: Dtype | "f64" | "i32" | "c64", shape: readonly number[]): Uint8Array {
  const descr = { u8: "|u1", u16: "<u2", u32: "<u4", f32: "<f4", f64: "<f8", i32: "<i4", c64: "<c8" }[dtype];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const v1 = 10 + dict.length + 1 <= 65535 + 10;
  const pre = v1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, dict.length, true);
  else dv.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), pre);
  return out;
}

/** A whole .npy file in memory, for small results (maps, patterns, matrices). */
export function encodeNpy(data: ArrayBufferView, dtype: Dtype | "f64" | "i32" | "c64", shape: readonly number[]): Uint8Array {
  const head = npyHeader(dtype, shape);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), head.length);
  return out;
}
