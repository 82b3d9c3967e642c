// Gatan DigitalMicrograph .dm3/.dm4 images, stacks and 4D scans (K2/K3/OneView through GMS). The tag tree (tags.ts)
// lists the images in ImageList; each has ImageData with Dimensions (fastest axis first), DataType, Calibrations and
// the Data array. The first image is usually a small RGB thumbnail (listed under Thumbnails); the largest other image
// is read unless `image` says which. Frames are read on demand from the Data array, never the file whole.
// 4D scans come in two layouts. GMS's "Data Order Swapped" tag (Meta Data) marks the C-ordered one: dimensions
// [kx, ky, scanX, scanY], whole frames one after another. Without it, a 4D image is stored detector pixel by detector
// pixel (dimensions [scanX, scanY, kx, ky]: each pixel's values for every probe position are contiguous), and frames
// are gathered from Q runs per block of probe positions (`dmOrder` overrides the guess).
import type { Dataset, FrameSource } from "../../dataset.js";
import { dtypeSize } from "../../dtype.js";
import type { FormatReader, OpenContext } from "../registry.js";
import { checkScan, visitRecords } from "../records.js";
import { type ElementName, type ElementType, convertElements, describeElement, elementType } from "../elements.js";
import { type DmArrayRef, type DmGroup, type DmValue, at, child, children, parseDmTags, tagsToJson } from "./tags.js";
import { transposedReader } from "./transposed.js";

export interface DmOptions {
  scanShape?: number[];
  /** Index in ImageList of the image to read (default: the largest that is not a thumbnail). */
  image?: number;
  /** Layout of a 4D image: "c" (frames contiguous) or "transposed" (detector pixel by pixel). */
  dmOrder?: "c" | "transposed";
}

/** ImageData DataType codes: element type where stem4d can read it, else what it is. */
const DATA_TYPES: Record<number, { element?: ElementName; size: number; what: string }> = {
  1: { element: "i16", size: 2, what: "int16" }, 2: { element: "f32", size: 4, what: "float32" },
  3: { size: 8, what: "complex64" }, 5: { size: 8, what: "packed complex64" },
  6: { element: "u8", size: 1, what: "uint8" }, 7: { element: "i32", size: 4, what: "int32" },
  8: { size: 4, what: "RGB" }, 9: { element: "i8", size: 1, what: "int8" },
  10: { element: "u16", size: 2, what: "uint16" }, 11: { element: "u32", size: 4, what: "uint32" },
  12: { element: "f64", size: 8, what: "float64" }, 13: { size: 16, what: "complex128" },
  14: { element: "bool", size: 1, what: "bool" }, 23: { size: 4, what: "RGBA" },
  27: { size: 8, what: "packed complex64" }, 28: { size: 16, what: "packed complex128" },
};

export const dmFormat: FormatReader = {
  name: "dm",
  extensions: [".dm3", ".dm4"],
  sniff: sniffDm,
  open: openDm,
};

/** Version 3 or 4 (big-endian), a byte order of 0 or 1, root flags of 0 or 1 and a data or group first tag. */
function sniffDm(h: Uint8Array): boolean {
  if (h.length < 32 || h[0] !== 0 || h[1] !== 0 || h[2] !== 0 || (h[3] !== 3 && h[3] !== 4)) return false;
  const wide = h[3] === 4, order = wide ? 12 : 8, flags = order + 4, first = flags + 2 + (wide ? 8 : 4);
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const flagsOk = h[flags]! <= 1 && h[flags + 1]! <= 1;
  return dv.getUint32(order, false) <= 1 && flagsOk && (h[first] === 20 || h[first] === 21);
}

interface DmImage {
  index: number;
  name: string;
  /** Dimensions as DM lists them, fastest axis first. */
  dims: number[];
  dataType: number;
  data: DmArrayRef | undefined;
  thumbnail: boolean;
  tags: DmValue;
}

function listImages(root: DmGroup): DmImage[] {
  const thumbs = new Set(children(child(root, "Thumbnails")).map((t) => child(t, "ImageIndex")));
  return children(child(root, "ImageList")).map((img, index) => {
    const dims = children(at(img, "ImageData", "Dimensions")).filter((d): d is number => typeof d === "number");
    const name = child(img, "Name");
    const data = at(img, "ImageData", "Data");
    const dataType = at(img, "ImageData", "DataType");
    return {
      index, dims, thumbnail: thumbs.has(index), tags: img,
      name: typeof name === "string" ? name : "",
      dataType: typeof dataType === "number" ? dataType : -1,
      data: data && typeof data === "object" && !Array.isArray(data) && data.kind === "array" ? data : undefined,
    };
  });
}

function pickImage(images: DmImage[], name: string, wanted: number | undefined): DmImage {
  if (wanted !== undefined) {
    const img = images[wanted];
    if (!img) throw new Error(`${name}: image ${wanted} does not exist; the file's ImageList holds ${images.length} ` +
        `(0-${images.length - 1})`);
    return img;
  }
  const size = (i: DmImage) => (i.dims.length ? i.dims.reduce((a, b) => a * b, 1) : 0);
  const candidates = images.filter((i) => !i.thumbnail && i.data);
  const best = candidates.reduce<DmImage | undefined>((b, i) => (!b || size(i) > size(b) ? i : b), undefined);
  if (!best) throw new Error(`${name}: the DM file lists no image with data (ImageList has ${images.length} ` +
      `entries, all thumbnails or empty)`);
  return best;
}

async function openDm(ctx: OpenContext): Promise<Dataset> {
  const bytes = ctx.bytes, name = bytes.name, o = ctx.options as DmOptions;
  const file = await parseDmTags(bytes);
  const images = listImages(file.root);
  const img = pickImage(images, name, o.image);
  const where = `${name}: image ${img.index} (ImageList.[${img.index}].ImageData)`;
  const t = DATA_TYPES[img.dataType];
  if (!t) throw new Error(`${where}: DataType ${img.dataType} is not a DM data type`);
  if (!img.data) throw new Error(`${where} has no Data array`);
  if (img.dims.length < 1 || img.dims.length > 5 || !img.dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${where}: Dimensions [${img.dims.join(", ")}] must be 1 to 5 positive integers`);
  }
  const elements = img.dims.reduce((a, b) => a * b, 1);
  if (img.data.bytes !== elements * t.size) {
    throw new Error(`${where}: Dimensions [${img.dims.join(", ")}] of ${t.what} need ${elements * t.size} bytes, ` +
        `but the Data array at byte ${img.data.offset} holds ${img.data.bytes}`);
  }
  const swapped = at(img.tags, "ImageTags", "Meta Data", "Data Order Swapped");
  const tagged = swapped !== undefined && Number(swapped) !== 0;
  const order = img.dims.length === 4 ? o.dmOrder ?? (tagged ? "c" : "transposed") : "c";
  // axisOf[k]: which DM dimension output axis k is.
  const d = img.dims;
  const axisOf = d.length === 1 ? [-1, -1, 0] : d.length === 2 ? [-1, 1, 0]
    : order === "transposed" ? [1, 0, 3, 2] : d.map((_, i) => d.length - 1 - i);
  const fileShape = axisOf.map((k) => (k < 0 ? 1 : d[k]!));
  const frames = fileShape.slice(0, -2).reduce((a, b) => a * b, 1);
  const scan = o.scanShape ? [...o.scanShape] : fileShape.slice(0, -2);
  checkScan(name, scan, frames);
  const et = t.element ? elementType(t.element) : undefined;
  const shape = [...scan, fileShape.at(-2)!, fileShape.at(-1)!];
  const dtype = et?.dtype ?? (t.size === 4 && t.what.startsWith("RGB") ? "u32" : "f32");
  const source = frameSource(ctx, img.data, et, order, frames, shape, file.littleEndian,
    et ? undefined : `${where} holds ${t.what} pixels (DataType ${img.dataType}); stem4d analyses need real-valued ` +
        `pixels (int, uint or float)`);
  return {
    shape, dtype, source,
    calibration: calibration(img, axisOf, o.scanShape ? scan.length : undefined),
    metadata: {
      format: `dm${file.version}`,
      image: img.index,
      imageName: img.name,
      dataType: et ? describeElement(et) : `${t.what} (not readable)`,
      dimensions: img.dims,
      layout: d.length !== 4 ? "C order"
        : order === "c" ? "C order (Data Order Swapped)" : "transposed (detector pixel by pixel)",
      dataOffset: img.data.offset,
      images: images.map((i) => ({
        index: i.index, name: i.name, dimensions: i.dims, thumbnail: i.thumbnail,
        dataType: DATA_TYPES[i.dataType]?.what ?? i.dataType,
      })),
      tags: tagsToJson(file.root),
    },
  };
}

function frameSource(ctx: OpenContext, data: DmArrayRef, et: ElementType | undefined, order: "c" | "transposed",
  frames: number, shape: number[], littleEndian: boolean, unreadable: string | undefined): FrameSource {
  const bytes = ctx.bytes, name = bytes.name;
  const q = shape.at(-1)! * shape.at(-2)!;
  const outFrames = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const check = (start: number, count: number) => {
    if (unreadable) throw new Error(unreadable);
    const inside = Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0;
    if (!inside || start + count > outFrames) {
      throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${outFrames} ` +
          `frames`);
    }
  };
  const e = et!;
  const fbIn = q * (et?.size ?? 1), fbOut = q * (et ? dtypeSize(et.dtype) : 4);
  const plain = !!et && e.direct && littleEndian && order === "c";
  const transposed = et && order === "transposed"
    ? transposedReader({ bytes, offset: data.offset, et, frames, pixels: q, littleEndian }) : undefined;
  return {
    name,
    async readFrames(start, count, dest) {
      check(start, count);
      const out = dest.subarray(0, count * fbOut);
      if (transposed) return transposed(start, count, out);
      if (plain) return bytes.read(data.offset + start * fbIn, out);
      await visitRecords(bytes, { offset: data.offset, stride: fbIn, records: frames }, start, count, (rec, k) => {
        convertElements(e, rec, out.subarray(k * fbOut, (k + 1) * fbOut), q, littleEndian);
      });
    },
    locate: plain && bytes.path !== undefined ? (start, count) => {
      check(start, count);
      return { path: bytes.path!, offset: data.offset + start * fbIn, swapWidth: 1 };
    } : undefined,
    close: bytes.close?.bind(bytes),
  };
}

/** Scale, origin and units per axis from ImageData.Calibrations, in the dataset's axis order; a scan shape given by
 * the user replaces the navigation axes with uncalibrated ones. */
function calibration(img: DmImage, axisOf: number[], userNav: number | undefined): Dataset["calibration"] {
  const dims = children(at(img.tags, "ImageData", "Calibrations", "Dimension"));
  const names = axisOf.length === 3 ? ["frame", "y", "x"] : axisOf.length === 4 ? ["y", "x", "ky", "kx"]
    : axisOf.map((_, i) => `axis${i}`);
  const num = (v: DmValue | undefined) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const axes: { name?: string; step?: number; unit?: string }[] = [], offsets: number[] = [];
  axisOf.forEach((k, i) => {
    const c = k >= 0 ? dims[k] : undefined;
    const step = num(child(c, "Scale")), unit = child(c, "Units"), origin = num(child(c, "Origin"));
    axes.push({
      name: names[i], ...(step !== undefined ? { step } : {}), ...(typeof unit === "string" && unit ? { unit } : {}),
    });
    // DM's calibrated value at index i is (i - Origin) * Scale.
    offsets.push(origin !== undefined && step !== undefined ? -origin * step : 0);
  });
  if (userNav !== undefined) {
    axes.splice(0, axisOf.length - 2, ...Array.from({ length: userNav }, () => ({})));
    offsets.splice(0, axisOf.length - 2, ...Array.from({ length: userNav }, () => 0));
  }
  const b = at(img.tags, "ImageData", "Calibrations", "Brightness");
  const intensity = {
    scale: num(child(b, "Scale")) ?? 1, origin: num(child(b, "Origin")) ?? 0, unit: child(b, "Units") ?? "",
  };
  return { axes, offsets, intensity };
}
