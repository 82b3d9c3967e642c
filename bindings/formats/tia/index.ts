// FEI/Thermo TIA series: "<name>_<k>.ser" holds the frames (ser.ts), "<name>.emi" the metadata (emi.ts). Either
// file opens the pair. Frame i of the dataset is element i of the series: a plain series is [elements], a scan is
// laid out by the .ser's two dimension arrays, dimension 1 the fast axis ([dim 2, dim 1], as TIA rasters) unless the
// position tags show y moving first. Elements past the valid count (a scan stopped early) read as zeros. Rows are
// stored bottom first and come out top first, as TIA shows them. Pixel types other than uint8/16/32 and float32
// become f32 per frame (elements.ts); complex series open for `info` and refuse to give frames.
import type { ByteSource, Calibration, Dataset, FrameSource } from "../../dataset.js";
import { dtypeSize } from "../../dtype.js";
import type { FormatReader, OpenContext } from "../registry.js";
import { checkScan, contiguousRuns, readHead, visitRecords } from "../records.js";
import { type ElementType, convertElements, describeElement, elementType } from "../elements.js";
import {
  ELEMENT_HEADER_BYTES, SER_DATA_TYPES, type SerDimension, type SerElement, type SerHeader,
  parseSerElement, parseSerHeader, sniffSer,
} from "./ser.js";
import { emiObjects, parseXml } from "./emi.js";

export interface TiaOptions {
  scanShape?: number[];
  /** Which "<name>_<k>.ser" an .emi opens (default 1). */
  ser?: number;
}

export const tiaFormat: FormatReader = {
  name: "tia",
  extensions: [".ser", ".emi"],
  sniff: sniffSer,
  open: openTia,
};

const MAX_EMI_BYTES = 64 << 20;

async function openTia(ctx: OpenContext): Promise<Dataset> {
  const main = ctx.bytes, o = ctx.options as TiaOptions;
  const base = main.name.split(/[\\/]/).pop()!;
  const emiName = /\.emi$/i.test(base);
  const serNumber = emiName ? o.ser ?? 1 : Number(/_(\d+)\.ser$/i.exec(base)?.[1] ?? 1);
  const stem = emiName ? base.replace(/\.emi$/i, "") : base.replace(/_\d+\.ser$/i, "");
  let ser: ByteSource, emi: Uint8Array | undefined;
  if (emiName) {
    emi = await readHead(main, Math.min(main.size, MAX_EMI_BYTES));
    try {
      ser = await ctx.sibling(`${stem}_${serNumber}.ser`);
    } catch (e) {
      throw new Error(`${main.name}: cannot open its series file ${stem}_${serNumber}.ser (${(e as Error).message})`);
    }
    await main.close?.();
  } else {
    ser = main;
    emi = await siblingBytes(ctx, `${stem}.emi`);
  }
  try {
    return await openSer(ser, emi, serNumber, o);
  } catch (e) {
    if (ser !== main) await ser.close?.();
    throw e;
  }
}

async function siblingBytes(ctx: OpenContext, rel: string): Promise<Uint8Array | undefined> {
  let src;
  try { src = await ctx.sibling(rel); } catch { return undefined; }
  try { return await readHead(src, Math.min(src.size, MAX_EMI_BYTES)); } finally { await src.close?.(); }
}

async function openSer(ser: ByteSource, emi: Uint8Array | undefined, serNumber: number, o: TiaOptions):
  Promise<Dataset> {
  const name = ser.name;
  const h = await parseSerHeader(ser);
  if (h.dataTypeId !== 0x4122) throw new Error(`${name}: the series holds 1-D spectra (data type id 0x4120, byte ` +
      `6); stem4d reads series of 2-D frames`);
  if (h.validElements < 1) throw new Error(`${name}: the series holds no valid elements (byte 18)`);
  const at0 = h.dataOffsets[0]!;
  const first = parseSerElement(await readHead(ser, ELEMENT_HEADER_BYTES, at0), name, 0, at0);
  const t = SER_DATA_TYPES[first.dataType]!;
  const fbIn = first.sizeX * first.sizeY * t.size;
  h.dataOffsets.forEach((off, k) => {
    if (off + ELEMENT_HEADER_BYTES + fbIn > ser.size) {
      throw new Error(`${name}: .ser element ${k} at byte ${off} (offset array entry ${k}) needs ` +
          `${ELEMENT_HEADER_BYTES + fbIn} bytes, but the file ends at byte ${ser.size}`);
    }
  });
  const layout = await scanLayout(ser, h);
  const scan = o.scanShape ? [...o.scanShape] : layout.scan;
  if (o.scanShape) checkScan(name, scan, h.validElements, "valid elements");
  else checkScan(name, scan, h.totalElements, "elements (the header's total)");
  const et = t.element ? elementType(t.element) : undefined;
  const emiDoc = emi ? emiObjects(emi)[serNumber - 1] : undefined;
  const emiMeta = emiDoc ? safeXml(emiDoc) : undefined;
  const frames = scan.reduce((a, b) => a * b, 1);
  const source = serSource(ser, h, first, et, frames,
    et ? undefined : `${name}: the series holds ${t.what} pixels (data type ${first.dataType}); stem4d analyses ` +
        `need real-valued pixels`);
  return {
    shape: [...scan, first.sizeY, first.sizeX],
    dtype: et?.dtype ?? "f32",
    source,
    calibration: calibration(first, o.scanShape ? scan.map(() => undefined) : layout.axes, emiMeta),
    metadata: {
      format: "tia",
      version: `0x${h.version.toString(16)}`,
      dataType: et ? describeElement(et) : `${t.what} (not readable)`,
      validElements: h.validElements,
      totalElements: h.totalElements,
      emptyPositions: Math.max(0, frames - h.validElements),
      dimensions: h.dimensions,
      elementCalibration: first.calibration,
      ...(emiMeta !== undefined ? { emi: emiMeta } : {}),
    },
  };
}

/** The <ObjectInfo> document's contents, or why they could not be read. */
function safeXml(doc: string): unknown {
  try {
    const x = parseXml(doc);
    return typeof x === "object" && !Array.isArray(x) ? x.ObjectInfo : x;
  } catch (e) {
    return `unreadable XML: ${(e as Error).message}`;
  }
}

/** The scan from the dimension arrays (and their calibrations in scan order); the position tags of the first two
 * elements say which axis moves first. */
async function scanLayout(ser: ByteSource, h: SerHeader):
  Promise<{ scan: number[]; axes: (SerDimension | undefined)[] }> {
  const dims = h.dimensions.map((d) => d.size);
  if (dims.length <= 1) return { scan: [h.validElements], axes: [h.dimensions[0]] };
  if (dims.length === 2 && h.tagTypeId === 0x4142 && h.validElements >= 2) {
    const [a, b] = await Promise.all(h.tagOffsets.slice(0, 2).map((off) => readHead(ser, 24, off)));
    const pos = (t: Uint8Array) => {
      if (t.length !== 24) return [NaN, NaN];
      const dv = new DataView(t.buffer, t.byteOffset, 24);
      return [dv.getFloat64(8, true), dv.getFloat64(16, true)];
    };
    const [x0, y0] = pos(a!), [x1, y1] = pos(b!);
    if (x0 === x1 && y0 !== y1) return { scan: dims, axes: h.dimensions };
  }
  return { scan: [...dims].reverse(), axes: [...h.dimensions].reverse() };
}

function serSource(ser: ByteSource, h: SerHeader, first: SerElement, et: ElementType | undefined, frames: number,
  unreadable: string | undefined): FrameSource {
  const name = ser.name, size = SER_DATA_TYPES[first.dataType]!.size;
  const rowIn = first.sizeX * size, rowOut = first.sizeX * (et ? dtypeSize(et.dtype) : 4);
  const fbIn = rowIn * first.sizeY, fbOut = rowOut * first.sizeY, recordBytes = ELEMENT_HEADER_BYTES + fbIn;
  const off = h.dataOffsets, stride = off.length > 1 ? off[1]! - off[0]! : recordBytes;
  const uniform = stride >= recordBytes && off.every((v, k) => v === off[0]! + k * stride);
  const decode = (rec: Uint8Array, k: number, out: Uint8Array) => {
    const el = parseSerElement(rec, name, k, off[k]!);
    if (el.dataType !== first.dataType || el.sizeX !== first.sizeX || el.sizeY !== first.sizeY) {
      throw new Error(`${name}: .ser element ${k} at byte ${off[k]} is ${el.sizeX} x ${el.sizeY} of type ` +
          `${el.dataType}; element 0 is ${first.sizeX} x ${first.sizeY} of type ${first.dataType}`);
    }
    const pixels = rec.subarray(ELEMENT_HEADER_BYTES, ELEMENT_HEADER_BYTES + fbIn);
    convertElements(et!, pixels, out, first.sizeX * first.sizeY);
    flipRows(out, rowOut, first.sizeY, scratch); // bottom row first in the file
  };
  const scratch = new Uint8Array(rowOut);
  const one = new Uint8Array(recordBytes);
  return {
    name,
    async readFrames(start, count, dest) {
      if (unreadable) throw new Error(unreadable);
      const inside = Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0;
      if (!inside || start + count > frames) {
        throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
      }
      for (const [frame, k0, n] of contiguousRuns(start, count, (i) => (i < h.validElements ? i : -1))) {
        const out = (j: number) => dest.subarray((frame - start + j) * fbOut, (frame - start + j + 1) * fbOut);
        if (k0 < 0) { dest.fill(0, (frame - start) * fbOut, (frame - start + n) * fbOut); continue; }
        if (uniform) {
          const layout = { offset: off[0]!, stride, records: h.validElements };
          await visitRecords(ser, layout, k0, n, (rec, j) => decode(rec, k0 + j, out(j)));
          continue;
        }
        for (let j = 0; j < n; j++) {
          await ser.read(off[k0 + j]!, one);
          decode(one, k0 + j, out(j));
        }
      }
    },
    close: ser.close?.bind(ser),
  };
}

/** Reverses the order of the rows of a frame in place. */
function flipRows(frame: Uint8Array, rowBytes: number, rows: number, scratch: Uint8Array): void {
  for (let a = 0, b = rows - 1; a < b; a++, b--) {
    scratch.set(frame.subarray(a * rowBytes, (a + 1) * rowBytes));
    frame.copyWithin(a * rowBytes, b * rowBytes, (b + 1) * rowBytes);
    frame.set(scratch, b * rowBytes);
  }
}

function calibration(first: SerElement, navAxes: (SerDimension | undefined)[], emi: unknown): Calibration {
  const unit = (u: string) => (u === "meters" ? "m" : u === "1/meters" ? "1/m" : u);
  const names = navAxes.length === 1 ? ["frame"] : ["y", "x"];
  const nav = navAxes.map((d, i) => (d ? {
    name: names[i] ?? d.description, step: d.calibrationDelta, ...(d.units ? { unit: unit(d.units) } : {}),
  } : {}));
  const described = emi as { ExperimentalDescription?: { Mode?: unknown } } | undefined;
  const mode = String(described?.ExperimentalDescription?.Mode ?? "");
  const detUnit = mode ? (/diffraction/i.test(mode) ? "1/m" : "m") : undefined;
  const det = (c: { delta: number }, n: string) => ({ name: n, step: c.delta, ...(detUnit ? { unit: detUnit } : {}) });
  return { axes: [...nav, det(first.calibration[1]!, "ky"), det(first.calibration[0]!, "kx")] };
}
