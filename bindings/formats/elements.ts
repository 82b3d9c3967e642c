// What a file stores per pixel, and how it becomes one of the four dtypes a dataset holds (u8, u16, u32, f32).
// Unsigned 8/16/32-bit and float32 are kept as they are (byte-swapped when the file is big-endian); every other
// numeric type becomes f32 frame by frame while it is read: int8 and int16 exactly, int32/uint64/int64 exactly up to
// 2^24 in magnitude (counts beyond that round to 24 bits of precision), float64 rounded to the nearest float32.
// Complex and RGB pixels have no such mapping: readers describe them, and refuse to hand out their frames.
import { type Dtype, byteswapInPlace } from "../dtype.js";

export type ElementName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64" | "bool";

export interface ElementType {
  name: ElementName;
  /** Bytes per element in the file. */
  size: number;
  /** The dataset dtype it is read as. */
  dtype: Dtype;
  /** Stored exactly as the dtype (a copy, perhaps a byte swap); false when converted to f32. */
  direct: boolean;
}

const TABLE: Record<ElementName, ElementType> = {
  u8: { name: "u8", size: 1, dtype: "u8", direct: true },
  bool: { name: "bool", size: 1, dtype: "u8", direct: true },
  u16: { name: "u16", size: 2, dtype: "u16", direct: true },
  u32: { name: "u32", size: 4, dtype: "u32", direct: true },
  f32: { name: "f32", size: 4, dtype: "f32", direct: true },
  i8: { name: "i8", size: 1, dtype: "f32", direct: false },
  i16: { name: "i16", size: 2, dtype: "f32", direct: false },
  i32: { name: "i32", size: 4, dtype: "f32", direct: false },
  u64: { name: "u64", size: 8, dtype: "f32", direct: false },
  i64: { name: "i64", size: 8, dtype: "f32", direct: false },
  f64: { name: "f64", size: 8, dtype: "f32", direct: false },
};

export function elementType(name: ElementName): ElementType {
  return TABLE[name];
}

/** How an element type is described to users: "int16 (read as f32)". */
export function describeElement(t: ElementType): string {
  const long: Record<ElementName, string> = {
    u8: "uint8", bool: "bool", u16: "uint16", u32: "uint32", f32: "float32", i8: "int8", i16: "int16", i32: "int32",
    u64: "uint64", i64: "int64", f64: "float64",
  };
  return t.direct ? long[t.name] : `${long[t.name]} (read as f32)`;
}

/**
 * Converts `count` elements of type `t` from `src` (file bytes, either byte order) into `dest` (the dataset's dtype,
 * little-endian). `dest` must hold count * dtypeSize bytes.
 */
export function convertElements(t: ElementType, src: Uint8Array, dest: Uint8Array, count: number,
  littleEndian = true): void {
  if (t.direct) {
    dest.set(src.subarray(0, count * t.size));
    if (!littleEndian) byteswapInPlace(dest.subarray(0, count * t.size), t.size);
    return;
  }
  const out = new Float32Array(dest.buffer, dest.byteOffset, count);
  // Typed-array conversion needs aligned little-endian input: a misaligned view is copied first (a memcpy).
  if (littleEndian && src.byteOffset % t.size !== 0 && t.size !== 8) src = src.slice(0, count * t.size);
  const aligned = littleEndian && src.byteOffset % t.size === 0;
  if (aligned && t.name === "i16") { out.set(new Int16Array(src.buffer, src.byteOffset, count)); return; }
  if (aligned && t.name === "i32") { out.set(new Int32Array(src.buffer, src.byteOffset, count)); return; }
  if (aligned && t.name === "f64") { out.set(new Float64Array(src.buffer, src.byteOffset, count)); return; }
  if (t.name === "i8") { out.set(new Int8Array(src.buffer, src.byteOffset, count)); return; }
  const dv = new DataView(src.buffer, src.byteOffset, count * t.size);
  const get = reader(t.name, dv, littleEndian);
  for (let i = 0; i < count; i++) out[i] = get(i * t.size);
}

function reader(name: ElementName, dv: DataView, le: boolean): (at: number) => number {
  switch (name) {
    case "i16": return (o) => dv.getInt16(o, le);
    case "i32": return (o) => dv.getInt32(o, le);
    case "f64": return (o) => dv.getFloat64(o, le);
    case "u64": return (o) => Number(dv.getBigUint64(o, le));
    case "i64": return (o) => Number(dv.getBigInt64(o, le));
    default: throw new Error(`convertElements: ${name} is stored as it is`);
  }
}
