// FEI/Thermo TIA .ser series files. Little-endian header: byte order 0x4949, series id 0x0197, version 0x0210
// (32-bit offsets) or 0x0220 (64-bit), data type id (0x4120 1-D spectra, 0x4122 2-D images), tag type id (0x4152
// time, 0x4142 time and x/y position), total and valid element counts, the offset of the offset arrays, and the
// dimension arrays (size, calibration offset/delta/element, description, units) that lay the series out: one for a
// plain series, two for a scan (dimension 1 the fast axis). At the offset arrays: one data offset per element, then
// one tag offset per element. A 2-D element is [calibration offset, delta (f64), element (u32)] for x and for y, the
// data type (u16), size x, size y (u32), then the pixels, bottom row first.
import type { ByteSource } from "../../dataset.js";
import { ByteCursor, safeU64 } from "../cursor.js";
import type { ElementName } from "../elements.js";
import { ascii } from "../records.js";

export const SER_DATA_TYPES: Record<number, { element?: ElementName; size: number; what: string }> = {
  1: { element: "u8", size: 1, what: "uint8" }, 2: { element: "u16", size: 2, what: "uint16" },
  3: { element: "u32", size: 4, what: "uint32" }, 4: { element: "i8", size: 1, what: "int8" },
  5: { element: "i16", size: 2, what: "int16" }, 6: { element: "i32", size: 4, what: "int32" },
  7: { element: "f32", size: 4, what: "float32" }, 8: { element: "f64", size: 8, what: "float64" },
  9: { size: 8, what: "complex64" }, 10: { size: 16, what: "complex128" },
};

export interface SerDimension {
  size: number; calibrationOffset: number; calibrationDelta: number; calibrationElement: number;
  description: string; units: string;
}

export interface SerHeader {
  version: number;
  dataTypeId: number;
  tagTypeId: number;
  totalElements: number;
  validElements: number;
  dimensions: SerDimension[];
  /** Byte offset of each valid element's data and tag. */
  dataOffsets: number[];
  tagOffsets: number[];
}

export interface SerElement {
  calibration: { offset: number; delta: number; element: number }[];
  dataType: number;
  sizeX: number;
  sizeY: number;
}

export const ELEMENT_HEADER_BYTES = 50;
const MAX_DIMENSIONS = 8;

export function sniffSer(h: Uint8Array): boolean {
  return h.length >= 6 && h[0] === 0x49 && h[1] === 0x49 && h[2] === 0x97 && h[3] === 0x01;
}

export async function parseSerHeader(bytes: ByteSource): Promise<SerHeader> {
  const name = bytes.name, c = new ByteCursor(bytes);
  const h = await c.view(22, ".ser header");
  if (h.getUint16(0, true) !== 0x4949 || h.getUint16(2, true) !== 0x0197) {
    throw new Error(`${name}: not a TIA .ser file: bytes 0-3 are not the byte order 0x4949 and series id 0x0197`);
  }
  const version = h.getUint16(4, true);
  if (version !== 0x0210 && version !== 0x0220) throw new Error(`${name}: .ser version 0x${version.toString(16)} ` +
      `(byte 4) is not supported; expected 0x210 or 0x220`);
  const wide = version === 0x0220;
  const dataTypeId = h.getUint32(6, true), tagTypeId = h.getUint32(10, true);
  const totalElements = h.getUint32(14, true), validElements = h.getUint32(18, true);
  if (dataTypeId !== 0x4120 && dataTypeId !== 0x4122) throw new Error(`${name}: .ser data type id ` +
      `0x${dataTypeId.toString(16)} (byte 6) is not 0x4120 (spectra) or 0x4122 (images)`);
  if (tagTypeId !== 0x4152 && tagTypeId !== 0x4142) throw new Error(`${name}: .ser tag type id ` +
      `0x${tagTypeId.toString(16)} (byte 10) is not 0x4152 or 0x4142`);
  if (validElements > totalElements) throw new Error(`${name}: .ser header says ${validElements} valid elements ` +
      `(byte 18) of ${totalElements} in all (byte 14)`);
  const o = await c.view(wide ? 12 : 8, ".ser header (offset array offset, dimension count)");
  const offsetArrayOffset = wide ? safeU64(o, 0, true, () => `${name}: offset array offset (byte ` +
      `22)`) : o.getUint32(0, true);
  const ndim = o.getUint32(wide ? 8 : 4, true);
  if (ndim > MAX_DIMENSIONS) throw new Error(`${name}: .ser header gives ${ndim} dimensions (byte ` +
      `${wide ? 30 : 26}); expected at most ${MAX_DIMENSIONS}`);
  const dimensions: SerDimension[] = [];
  for (let i = 0; i < ndim; i++) {
    const at = c.pos;
    const d = await c.view(28, `dimension array ${i}`);
    const size = d.getUint32(0, true);
    const description = ascii(await c.take(d.getUint32(24, true), `description of dimension ${i}`));
    const units = ascii(await c.take((await c.view(4, `units length of dimension ` +
        `${i}`)).getUint32(0, true), `units of dimension ${i}`));
    if (size < 1) throw new Error(`${name}: .ser dimension ${i} at byte ${at} has size ${size}; expected at least 1`);
    dimensions.push({
      size, calibrationOffset: d.getFloat64(4, true), calibrationDelta: d.getFloat64(12, true),
      calibrationElement: d.getUint32(20, true), description, units,
    });
  }
  const width = wide ? 8 : 4;
  const arrays = new ByteCursor(bytes, offsetArrayOffset);
  const read = async (what: string, skip: number) => {
    arrays.pos = offsetArrayOffset + skip * width;
    const v = await arrays.view(validElements * width, what);
    return Array.from({ length: validElements }, (_, k) =>
      wide ? safeU64(v, k * 8, true, () => `${name}: ${what} entry ${k}`) : v.getUint32(k * 4, true));
  };
  if (offsetArrayOffset + 2 * totalElements * width > bytes.size) {
    throw new Error(`${name}: .ser offset arrays at byte ${offsetArrayOffset} (${totalElements} elements) run past ` +
        `the end of the file (${bytes.size} bytes)`);
  }
  const dataOffsets = await read("data offset array", 0);
  const tagOffsets = await read("tag offset array", totalElements);
  return { version, dataTypeId, tagTypeId, totalElements, validElements, dimensions, dataOffsets, tagOffsets };
}

/** The header of a 2-D data element (the first 50 bytes at its data offset). */
export function parseSerElement(b: Uint8Array, name: string, k: number, at: number): SerElement {
  const dv = new DataView(b.buffer, b.byteOffset, ELEMENT_HEADER_BYTES);
  const el: SerElement = {
    calibration: [0, 20].map((o) => ({
      offset: dv.getFloat64(o, true), delta: dv.getFloat64(o + 8, true), element: dv.getUint32(o + 16, true),
    })),
    dataType: dv.getUint16(40, true), sizeX: dv.getUint32(42, true), sizeY: dv.getUint32(46, true),
  };
  if (!SER_DATA_TYPES[el.dataType]) throw new Error(`${name}: .ser element ${k} at byte ${at} has data type ` +
      `${el.dataType} (byte ${at + 40}); expected 1 to 10`);
  if (el.sizeX < 1 || el.sizeY < 1) throw new Error(`${name}: .ser element ${k} at byte ${at} is ${el.sizeX} x ` +
      `${el.sizeY} pixels; expected positive sizes`);
  return el;
}
