// MRC (MRC2014) movies, and Direct Electron 4D-STEM movies in particular: a 1024-byte header (nx, ny, nz, mode,
// extended header size), then nz frames of ny x nx. DE writes "<name>_movie.mrc" with "<name>_info.txt"
// ("key = value": Scan - Size X/Y, Scan - Type...) and, for custom or random scans, "<name>_scan_coordinates.csv"
// (one "x,y" line per movie frame). Frames are placed on the scan grid by those coordinates: a position visited
// several times gets a repeat axis, a position never visited reads as zeros. With "Scan - ROI Enable" on, only the ROI
// was scanned: the scan is ROI Size Y x X, and coordinates are relative to the ROI (absolute ones are shifted into it).
import type { Dataset, FrameSource } from "../../dataset.js";
import type { Dtype } from "../../dtype.js";
import type { FormatReader, OpenContext } from "../registry.js";
import { ascii, checkScan, contiguousRuns, guessScan, readHead, visitRecords, type RecordLayout } from "../records.js";

export interface MrcOptions {
  scanShape?: number[];
  /** Scan coordinates CSV (relative to the movie) when DE's naming does not find it. */
  coordinates?: string;
  /** DE info file (relative to the movie). */
  info?: string;
}

// mode -> stored element size, the dataset's dtype, and how one element becomes that dtype (undefined: copy).
const MODES: Record<number, { size: number; dtype: Dtype; what: string; get?: (dv: DataView, o: number) => number }> = {
  0: { size: 1, dtype: "u8", what: "8-bit (read as unsigned counts)" },
  1: { size: 2, dtype: "f32", what: "signed 16-bit (as f32)", get: (dv, o) => dv.getInt16(o, true) },
  2: { size: 4, dtype: "f32", what: "float32" },
  6: { size: 2, dtype: "u16", what: "unsigned 16-bit" },
  12: { size: 2, dtype: "f32", what: "float16 (as f32)", get: (dv, o) => half(dv.getUint16(o, true)) },
};

export const mrcFormat: FormatReader = {
  name: "mrc",
  extensions: [".mrc", ".mrcs"],
  // MRC2014 marks its files with "MAP " at byte 208.
  sniff: (h) => h.length >= 212 && ascii(h.subarray(208, 212)) === "MAP ",
  open: openMrc,
};

export interface MrcHeader { nx: number; ny: number; nz: number; mode: number; next: number; stamp: number[] }

export function parseMrcHeader(head: Uint8Array, name: string, size: number): MrcHeader {
  if (head.length < 1024) throw new Error(`${name}: MRC file is ${size} bytes; expected at least the 1024-byte header`);
  const dv = new DataView(head.buffer, head.byteOffset, 1024);
  const stamp = [head[212]!, head[213]!];
  if (stamp[0] === 0x11) throw new Error(`${name}: big-endian MRC (machine stamp 0x11 at byte 212) is not supported`);
  const h = { nx: dv.getInt32(0, true), ny: dv.getInt32(4, true), nz: dv.getInt32(8, true), mode: dv.getInt32(12, true), next: dv.getInt32(92, true), stamp };
  if (h.nx < 1 || h.ny < 1 || h.nz < 1) throw new Error(`${name}: MRC header gives ${h.nx} x ${h.ny} x ${h.nz} (bytes 0-11); expected positive sizes`);
  if (!MODES[h.mode]) throw new Error(`${name}: MRC mode ${h.mode} (byte 12) is not supported; expected 0, 1, 2, 6 or 12`);
  if (h.next < 0 || 1024 + h.next > size) throw new Error(`${name}: MRC extended header of ${h.next} bytes (byte 92) runs past the end of the file`);
  return h;
}

/** DE's "<name>_info.txt": "key = value" lines. */
export function parseDeInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** "x,y" per movie frame (a header line is skipped). */
export function parseCoordinates(text: string, name: string): [number, number][] {
  const out: [number, number][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    const parts = t.split(/[,;\s]+/);
    const x = Number(parts[0]), y = Number(parts[1]);
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) {
      if (i === 0 && out.length === 0) return; // a header line
      throw new Error(`${name}: line ${i + 1} is ${JSON.stringify(t)}; expected two non-negative integers "x,y"`);
    }
    out.push([x, y]);
  });
  return out;
}

async function siblingText(ctx: OpenContext, rel: string, max = 1 << 24): Promise<string | undefined> {
  let src;
  try { src = await ctx.sibling(rel); } catch { return undefined; }
  try {
    if (src.size > max) throw new Error(`${src.name}: ${src.size} bytes is too large for a metadata file`);
    return new TextDecoder().decode(await readHead(src, src.size));
  } finally { await src.close?.(); }
}

async function openMrc(ctx: OpenContext): Promise<Dataset> {
  const bytes = ctx.bytes, name = bytes.name, o = ctx.options as MrcOptions;
  const h = parseMrcHeader(await readHead(bytes, 1024), name, bytes.size);
  const m = MODES[h.mode]!;
  const fbIn = h.nx * h.ny * m.size;
  const offset = 1024 + h.next;
  const records = Math.min(h.nz, Math.floor((bytes.size - offset) / fbIn));
  if (records < h.nz) throw new Error(`${name}: MRC header promises ${h.nz} frames of ${h.nx} x ${h.ny} (${fbIn} bytes each from byte ${offset}), but the file holds ${records} whole frames (${bytes.size} bytes)`);
  const layout: RecordLayout = { offset, stride: fbIn, records };

  // DE naming: <name>_movie.mrc -> <name>_info.txt, <name>_scan_coordinates.csv
  const base = name.split(/[\\/]/).pop()!;
  const stem = base.replace(/_movie\.mrcs?$/i, "");
  const isDe = stem !== base;
  const info = o.info ? await siblingText(ctx, o.info) : isDe ? await siblingText(ctx, `${stem}_info.txt`) : undefined;
  if (o.info && info === undefined) throw new Error(`${name}: cannot read the info file ${o.info}`);
  const coordName = o.coordinates ?? (isDe ? `${stem}_scan_coordinates.csv` : undefined);
  const coordText = coordName ? await siblingText(ctx, coordName) : undefined;
  if (o.coordinates && coordText === undefined) throw new Error(`${name}: cannot read the scan coordinates file ${o.coordinates}`);
  const de = info ? parseDeInfo(info) : undefined;

  // frameOf[i]: the movie frame at dataset frame i, -1 for a scan position with no frame.
  let scan: number[];
  let frameOf: (i: number) => number;
  let placed: Record<string, unknown> = {};
  const roi = de ? scanRoi(de) : undefined;
  if (coordText !== undefined && !o.scanShape) {
    const pos = parseCoordinates(coordText, coordName!);
    if (pos.length > records) throw new Error(`${coordName}: ${pos.length} scan positions, but the movie holds ${records} frames`);
    const { W, H } = scanGrid(pos, de, coordName!);
    const visits = new Map<number, number[]>();
    pos.forEach(([x, y], k) => { const key = y * W + x; const v = visits.get(key); if (v) v.push(k); else visits.set(key, [k]); });
    let R = 1;
    for (const v of visits.values()) R = Math.max(R, v.length);
    scan = R > 1 ? [H, W, R] : [H, W];
    const table = new Int32Array(H * W * R).fill(-1);
    for (const [key, ks] of visits) ks.forEach((k, r) => { table[key * R + r] = k; });
    frameOf = (i) => table[i]!;
    placed = { coordinates: coordName, positions: pos.length, repeats: R, emptyPositions: H * W - visits.size };
  } else {
    // An ROI scan visits only the ROI: its size is the scan's.
    const sx = roi ? roi.width : Number(de?.["Scan - Size X"]), sy = roi ? roi.height : Number(de?.["Scan - Size Y"]);
    scan = o.scanShape ? [...o.scanShape] : Number.isInteger(sx) && Number.isInteger(sy) && sx * sy > 0 && sx * sy <= records ? [sy, sx] : guessScan(records);
    checkScan(name, scan, records);
    frameOf = (i) => i;
  }
  if (roi) placed = { ...placed, roi };
  const frames = scan.reduce((a, b) => a * b, 1);
  const q = h.nx * h.ny, fbOut = q * (m.dtype === "u8" ? 1 : m.dtype === "u16" ? 2 : 4);
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (start < 0 || start + count > frames) throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
      const runs = contiguousRuns(start, count, frameOf);
      for (const [frame, record, n] of runs) {
        if (record < 0) { dest.fill(0, (frame - start) * fbOut, (frame - start + n) * fbOut); continue; }
        // Stored as the dataset's type and back to back: straight into the destination, no copy.
        if (!m.get) { await bytes.read(offset + record * fbIn, dest.subarray((frame - start) * fbOut, (frame - start + n) * fbOut)); continue; }
        await visitRecords(bytes, layout, record, n, (rec, k) => {
          const out = dest.subarray((frame - start + k) * fbOut, (frame - start + k + 1) * fbOut);
          if (!m.get) { out.set(rec); return; }
          const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
          const f = new Float32Array(out.buffer, out.byteOffset, q);
          for (let i = 0; i < q; i++) f[i] = m.get!(dv, i * m.size);
        });
      }
    },
    close: bytes.close?.bind(bytes),
  };
  const px = Number(de?.["Specimen Pixel Size X (nanometers)"]), py = Number(de?.["Specimen Pixel Size Y (nanometers)"]);
  const kx = Number(de?.["Diffraction Pixel Size X"]), ky = Number(de?.["Diffraction Pixel Size Y"]);
  const step = (v: number, unit: string) => (Number.isFinite(v) && v > 0 ? { step: v, unit } : {});
  return {
    shape: [...scan, h.ny, h.nx],
    dtype: m.dtype,
    source,
    calibration: {
      axes: [
        ...(scan.length >= 2 ? [{ name: "y", ...step(py, "nm") }, { name: "x", ...step(px, "nm") }] : [{ name: "frame" }]),
        ...(scan.length === 3 ? [{ name: "repeat" }] : []),
        { name: "ky", ...step(ky, "1/nm") },
        { name: "kx", ...step(kx, "1/nm") },
      ],
    },
    metadata: { format: isDe ? "de-mrc" : "mrc", mode: h.mode, stored: m.what, framesInFile: records, extendedHeaderBytes: h.next, ...placed, ...(de ? { info: de } : {}) },
  };
}

/** The scan ROI when the info file enables it ("Scan - ROI Enable = Enable" or "On"), with its size and offset. */
export interface ScanRoi { x: number; y: number; width: number; height: number }

export function scanRoi(de: Record<string, string>): ScanRoi | undefined {
  if (!/^(enable|enabled|on|true|1)$/i.test(de["Scan - ROI Enable"] ?? "")) return undefined;
  const n = (k: string) => Number(de[`Scan - ROI ${k}`]);
  const roi = { x: n("Offset X") || 0, y: n("Offset Y") || 0, width: n("Size X"), height: n("Size Y") };
  const sized = Number.isInteger(roi.width) && Number.isInteger(roi.height) && roi.width > 0 && roi.height > 0;
  return sized ? roi : undefined;
}

/** The grid custom-scan coordinates sit on: the ROI when there is one (coordinates relative to it, or absolute and
 * shifted into it), else the scan size from the info file, grown to hold every coordinate. */
function scanGrid(pos: [number, number][], de: Record<string, string> | undefined, file: string):
  { W: number; H: number } {
  let maxX = 0, maxY = 0;
  for (const [x, y] of pos) { maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); }
  const roi = de ? scanRoi(de) : undefined;
  if (roi) {
    if (maxX >= roi.width || maxY >= roi.height) {
      const inside = pos.every(([x, y]) => x >= roi.x && x < roi.x + roi.width && y >= roi.y && y < roi.y + roi.height);
      if (!inside) {
        const k = pos.findIndex(([x, y]) => x >= roi.width || y >= roi.height);
        throw new Error(`${file}: position ${k + 1} (${pos[k]!.join(", ")}) lies outside the ${roi.width} x ` +
            `${roi.height} scan ROI (at ${roi.x}, ${roi.y}) the info file enables`);
      }
      for (const p of pos) { p[0] -= roi.x; p[1] -= roi.y; }
    }
    return { W: roi.width, H: roi.height };
  }
  const sx = Number(de?.["Scan - Size X"]), sy = Number(de?.["Scan - Size Y"]);
  return { W: Number.isInteger(sx) && sx > maxX ? sx : maxX + 1, H: Number.isInteger(sy) && sy > maxY ? sy : maxY + 1 };
}

/** IEEE 754 half precision to a number. */
function half(b: number): number {
  const s = b & 0x8000 ? -1 : 1, e = (b >> 10) & 31, f = b & 1023;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
