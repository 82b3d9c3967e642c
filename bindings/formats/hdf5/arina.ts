// NODE-ONLY (reads the master's metadata with h5wasm). DECTRIS ARINA / EIGER NeXus: a master file whose /entry/data
// holds external links data_000001, data_000002... into data files, each a stack of frames in bitshuffle+LZ4 chunks.
// The links and chunks are followed with our own HDF5 parser and decoded in WASM; the master's detector metadata,
// flatfield and pixel mask are read with h5wasm. The scan shape comes from the user, from the "<name>.h5" file
// beside the master ("/STEM Metadata" NumPixelsY x NumPixelsX), or is guessed square.
import type { Dataset, FrameSource } from "../../dataset.js";
import { type Dtype, dtypeSize } from "../../dtype.js";
import type { OpenContext } from "../registry.js";
import { checkScan, guessScan } from "../records.js";
import { chunkedFrames, framePart, type FramePart } from "./chunked.js";
import { attrsOf, getPath, h5open, isDataset, isGroup, plain, type H5File } from "./h5.js";
import { Hdf5File, type H5ExternalLink } from "./parse.js";

export interface ArinaOptions {
  scanShape?: number[];
  /** Multiply each frame by the master's flatfield (frames become f32). */
  flatfield?: boolean;
  /** Zero the pixels the master's pixel_mask flags (gaps, dead, hot). */
  pixelMask?: boolean;
}

const DETECTOR = "/entry/instrument/detector";

/** The /entry/data external links of a DECTRIS master file, sorted by name, or [] when it is not one. */
export async function dectrisLinks(pf: Hdf5File): Promise<[string, H5ExternalLink][]> {
  let at;
  try {
    at = await pf.resolve("/entry/data");
  } catch {
    return [];
  }
  if (typeof at !== "number") return [];
  let links;
  try {
    links = await pf.links(at);
  } catch {
    // More than 8 links go to dense storage, which our parser does not walk: ask h5wasm for the names and targets.
    return linksByH5wasm(pf.name);
  }
  return [...links.entries()]
    .filter((e): e is [string, H5ExternalLink] => /^data_\d+$/.test(e[0]) && typeof e[1] !== "number")
    .sort((a, b) => a[0].localeCompare(b[0]));
}

async function linksByH5wasm(path: string): Promise<[string, H5ExternalLink][]> {
  const f = await h5open(path);
  try {
    const out: [string, H5ExternalLink][] = [];
    for (const k of childNamesOrLinks(f, "/entry/data").filter((n) => /^data_\d+$/.test(n)).sort()) {
      const l = f.get_external_link(`/entry/data/${k}`);
      if (l?.filename) out.push([k, { external: { file: l.filename, path: l.obj_path } }]);
    }
    return out;
  } finally {
    f.close();
  }
}

/** Names in a group, including links whose targets do not resolve (h5wasm's keys() lists them all). */
function childNamesOrLinks(f: H5File, path: string): string[] {
  const g = getPath(f, path);
  return isGroup(g) ? g.keys() : [];
}

export async function openArina(ctx: OpenContext, links: [string, H5ExternalLink][]): Promise<Dataset> {
  const name = ctx.bytes.name;
  const o = ctx.options as ArinaOptions;
  const parts: FramePart[] = [];
  const close = async () => { for (const p of parts) await p.bytes.close?.(); };
  try {
    for (const [link, { external }] of links) {
      const src = await ctx.sibling(external.file).catch((e: Error) => {
        throw new Error(`${name}: /entry/data/${link} links to ${external.file}:${external.path}, which cannot be opened (${e.message.replace(/^[^:]*: /, "")})`);
      });
      try {
        const info = await (await Hdf5File.open(src)).dataset(external.path);
        parts.push(framePart(src, info));
      } catch (e) {
        await src.close?.();
        throw e;
      }
    }
    const first = parts[0]!.info;
    for (const p of parts) {
      if (p.info.shape.slice(-2).join() !== first.shape.slice(-2).join() || p.info.dtype !== first.dtype) {
        throw new Error(`${p.bytes.name}: ${p.info.path} holds ${p.info.dtype} frames of [${p.info.shape.slice(-2).join(", ")}]; the first data file holds ${first.dtype} frames of [${first.shape.slice(-2).join(", ")}]`);
      }
    }
    const [rows, cols] = first.shape.slice(-2) as [number, number];
    const native = dtypeFrom(first.dtype, `${parts[0]!.bytes.name}: ${first.path}`);
    const frameBytesIn = rows * cols * first.elemSize;
    const reader = await chunkedFrames(parts, frameBytesIn, first.elemSize);

    // Master metadata (h5wasm): detector scalars, flatfield and pixel mask.
    const master = await h5open(name);
    let flat: Float32Array | undefined, mask: Uint8Array | undefined;
    const detector: Record<string, unknown> = {};
    try {
      collectScalars(master, DETECTOR, detector, 0);
      if (o.flatfield) {
        if (detector["flatfield_correction_applied"] === 1) throw new Error(`${name}: the detector already applied its flatfield (${DETECTOR}/flatfield_correction_applied = 1); not applying it twice`);
        flat = Float32Array.from(readArray(master, `${DETECTOR}/detectorSpecific/flatfield`, rows * cols, name));
      }
      if (o.pixelMask) mask = Uint8Array.from(readArray(master, `${DETECTOR}/detectorSpecific/pixel_mask`, rows * cols, name), (v) => (v !== 0 ? 1 : 0));
    } finally {
      master.close();
    }

    const stem = await stemMetadata(ctx);
    let scan: number[];
    if (o.scanShape) { scan = [...o.scanShape]; checkScan(name, scan, reader.frames); }
    else if (stem && Number(stem.NumPixelsX) * Number(stem.NumPixelsY) === reader.frames) scan = [Number(stem.NumPixelsY), Number(stem.NumPixelsX)];
    else scan = guessScan(reader.frames);
    const frames = scan.reduce((a, b) => a * b, 1);

    const dtype: Dtype = flat ? "f32" : native;
    const q = rows * cols;
    const source: FrameSource = {
      name,
      async readFrames(start, count, dest) {
        if (start + count > frames) throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
        if (!flat && !mask) return reader.read(start, count, dest);
        const raw = new Uint8Array(count * frameBytesIn);
        await reader.read(start, count, raw);
        const vin = typedOf(native, raw), vout = typedOf(dtype, dest.subarray(0, count * q * dtypeSize(dtype)));
        for (let f = 0; f < count; f++) {
          for (let i = 0, b = f * q; i < q; i++) {
            const v = mask && mask[i] ? 0 : vin[b + i]!;
            vout[b + i] = flat ? v * flat[i]! : v;
          }
        }
      },
      // The data files, then the master (whose byte source the dataset owns once it is open).
      async close() {
        await close();
        await ctx.bytes.close?.();
      },
    };
    const px = num(detector["x_pixel_size"]), py = num(detector["y_pixel_size"]), step = num(stem?.["Pixel Size"]);
    return {
      shape: [...scan, rows, cols],
      dtype,
      source,
      calibration: {
        axes: [
          ...(scan.length === 2 ? [{ name: "y", ...(step ? { step, unit: "nm" } : {}) }, { name: "x", ...(step ? { step, unit: "nm" } : {}) }] : [{ name: "frame" }]),
          { name: "detector y", ...(py ? { step: py, unit: "m" } : {}) },
          { name: "detector x", ...(px ? { step: px, unit: "m" } : {}) },
        ],
        ...(num(stem?.["High Tension"]) ? { beamEnergyKeV: num(stem!["High Tension"])! / 1000 } : {}),
        ...(num(stem?.["Camera Length"]) ? { cameraLengthM: num(stem!["Camera Length"]) } : {}),
      },
      metadata: {
        format: "dectris-nexus",
        dataFiles: parts.map((p) => ({ file: p.bytes.name, path: p.info.path, frames: p.chunks.length, filters: p.info.filters.map((f) => f.id) })),
        framesInFiles: reader.frames,
        unusedFrames: reader.frames - frames,
        nativeDtype: first.dtype,
        flatfieldApplied: !!flat,
        pixelMaskApplied: !!mask,
        detector,
        ...(stem ? { stem } : {}),
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

function dtypeFrom(h5: string, where: string): Dtype {
  const m: Record<string, Dtype> = { "|u1": "u8", "<u1": "u8", "<u2": "u16", "<u4": "u32", "<f4": "f32" };
  const d = m[h5];
  if (!d) throw new Error(`${where}: element type ${h5} is not supported for frames; expected uint8, uint16, uint32 or float32 (little-endian)`);
  return d;
}

function typedOf(d: Dtype, b: Uint8Array): ArrayLike<number> & { [i: number]: number } {
  const n = b.byteLength;
  if (d === "u8") return b;
  if (d === "u16") return new Uint16Array(b.buffer, b.byteOffset, n / 2);
  if (d === "u32") return new Uint32Array(b.buffer, b.byteOffset, n / 4);
  return new Float32Array(b.buffer, b.byteOffset, n / 4);
}

function num(v: unknown): number | undefined {
  const n = Number(v);
  return v !== undefined && v !== null && Number.isFinite(n) && n !== 0 ? n : undefined;
}

/** Scalars and short vectors under a group, by relative path (arrays over 16 values are left out). */
function collectScalars(f: H5File, path: string, out: Record<string, unknown>, depth: number, prefix = ""): void {
  const g = getPath(f, path);
  if (!isGroup(g) || depth > 6) return;
  for (const k of g.keys()) {
    const obj = getPath(f, `${path}/${k}`);
    if (isDataset(obj)) {
      const n = (obj.shape ?? []).reduce((a, b) => a * b, 1);
      if (n <= 16) {
        try { out[prefix + k] = plain(obj.json_value); } catch { /* a type h5wasm cannot convert: leave it out */ }
      }
    } else if (isGroup(obj)) collectScalars(f, `${path}/${k}`, out, depth + 1, `${prefix}${k}/`);
  }
}

function readArray(f: H5File, path: string, n: number, file: string): ArrayLike<number> {
  const d = getPath(f, path);
  if (!isDataset(d)) throw new Error(`${file}: ${path} not found (needed for the requested correction)`);
  const v = d.value as ArrayLike<number>;
  if (!v || v.length !== n) throw new Error(`${file}: ${path} holds ${v?.length ?? 0} values; expected ${n} (one per detector pixel)`);
  return v;
}

/** "/STEM Metadata" attributes of "<name>.h5" beside "<name>_master.h5", if there is one. */
async function stemMetadata(ctx: OpenContext): Promise<Record<string, unknown> | undefined> {
  const base = ctx.bytes.name.split(/[\\/]/).pop()!;
  if (!/_master\.h5$/i.test(base)) return undefined;
  let src;
  try {
    src = await ctx.sibling(base.replace(/_master\.h5$/i, ".h5"));
  } catch {
    return undefined;
  }
  const path = src.name;
  await src.close?.();
  const f = await h5open(path);
  try {
    const g = getPath(f, "/STEM Metadata");
    return isGroup(g) || isDataset(g) ? attrsOf(g) : undefined;
  } finally {
    f.close();
  }
}
