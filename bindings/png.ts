// PNG figures of 2D maps, isomorphic (deflate by the platform: zlib on the thread pool in Node, CompressionStream in browsers).
// Maps are stretched between two percentiles so that a few hot pixels do not flatten the contrast.
import { platform } from "./platform.js";

export type Colormap = "gray" | "viridis" | "magma" | "twilight" | "coolwarm" | "labels";

export interface ImageOptions {
  /** Percentiles of the finite values mapped to black and white (default 0.5 and 99.5). */
  lowPercentile?: number;
  highPercentile?: number;
  /** Fixed limits instead of percentiles. */
  range?: [number, number];
  /** Apply log1p(max(v - min, 0)) before stretching (power spectra, diffraction patterns). */
  log?: boolean;
  colormap?: Colormap;
  /** Integer upscaling of each pixel, so small maps stay visible (default: up to ~256 pixels wide). */
  scale?: number;
  /** With the "labels" map: the colour of each label (default: the tab10 cycle). */
  labelColors?: readonly RGB[];
}

export type RGB = [number, number, number];

/** How values map to 0..1: t = (transform(v) - lo) / (hi - lo), clamped; lo and hi are in transformed units. */
export interface Stretch {
  transform: (v: number) => number;
  /** When set, transform is log1p(max(v - logFrom, 0)); otherwise the identity (lets loops inline it). */
  logFrom?: number;
  /** The inverse of transform (for colour-bar ticks in data units). */
  inverse: (x: number) => number;
  lo: number;
  hi: number;
}

/** The stretch the options choose for these values (percentiles of the finite values, or the fixed range). */
export function stretchOf(values: ArrayLike<number>, o: ImageOptions = {}): Stretch {
  let min = Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < min) min = x; // NaN compares false; -Infinity is not finite
  }
  if (min === -Infinity) {
    min = Infinity;
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) min = Math.min(min, values[i]!);
  }
  if (!Number.isFinite(min)) min = 0;
  const logFrom = o.log ? min : undefined;
  const transform = o.log ? (x: number) => Math.log1p(Math.max(x - min, 0)) : (x: number) => x;
  const inverse = o.log ? (y: number) => Math.expm1(y) + min : (y: number) => y;
  let lo: number, hi: number;
  if (o.range) [lo, hi] = [transform(o.range[0]), transform(o.range[1])];
  else {
    // The finite values, transformed, in one array for the selection.
    const finite = new Float32Array(values.length);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (!(x - x === 0)) continue;
      finite[n] = logFrom === undefined ? x : Math.log1p(Math.max(x - logFrom, 0));
      if (finite[n]! - finite[n]! === 0) n++; // still finite in float32
    }
    [lo, hi] = percentiles(finite.subarray(0, n), o.lowPercentile ?? 0.5, o.highPercentile ?? 99.5);
  }
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, lo + 0.5]; // a flat map sits mid-scale
  return { transform, inverse, logFrom, lo, hi };
}

/** Maps values to 0..1 with the chosen stretch; NaN stays NaN. */
export function stretch(values: ArrayLike<number>, o: ImageOptions = {}, s: Stretch = stretchOf(values, o)): Float32Array {
  const v = new Float32Array(values.length), unit = unitOf(s);
  for (let i = 0; i < v.length; i++) v[i] = unit(values[i]!);
  return v;
}

/** One value through the stretch: 0..1, or NaN when it is not finite. */
function unitOf(s: Stretch): (x: number) => number {
  const span = s.hi - s.lo;
  return (x) => (Number.isFinite(x) ? Math.min(1, Math.max(0, (s.transform(x) - s.lo) / span)) : NaN);
}

/** Table entries of the values through the stretch (as entryOf(unitOf(s)(v))), -1 where a value is not finite:
 * one loop with the transform inlined, for whole maps. */
function entriesOf(values: ArrayLike<number>, s: Stretch): Int16Array {
  const out = new Int16Array(values.length), lo = s.lo, span = s.hi - s.lo, from = s.logFrom;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!(x - x === 0)) { out[i] = -1; continue; }
    const y = from === undefined ? x : Math.log1p(Math.max(x - from, 0));
    out[i] = Math.round(Math.min(1, Math.max(0, (y - lo) / span)) * (TABLE - 1));
  }
  return out;
}

/** The order statistics at percentiles pLow and pHigh of finite values (rearranged in place). */
function percentiles(finite: Float32Array, pLow: number, pHigh: number): [number, number] {
  if (finite.length === 0) return [0, 1];
  const rank = (p: number) => Math.min(finite.length - 1, Math.max(0, Math.round((p / 100) * (finite.length - 1))));
  const lo = rank(pLow), hi = rank(pHigh);
  // The order statistics themselves (as a full sort would give them), in linear time: the larger rank is selected
  // in the part above the smaller one.
  select(finite, lo, 0, finite.length - 1);
  select(finite, hi, lo, finite.length - 1);
  return [finite[lo]!, finite[hi]!];
}

/** Rearranges a[from..to] so that a[k] holds the value a sorted a would hold there (Hoare's selection with a
 * median-of-three pivot); values before k are <= a[k] and values after are >= a[k]. */
function select(a: Float32Array, k: number, from: number, to: number): void {
  let l = from, r = to;
  while (r > l) {
    const m = (l + r) >>> 1;
    // Median of three at a[m], then partition around it.
    if (a[m]! < a[l]!) swap(a, m, l);
    if (a[r]! < a[l]!) swap(a, r, l);
    if (a[r]! < a[m]!) swap(a, r, m);
    const pivot = a[m]!;
    let i = l, j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

// Colormap anchors (sampled from the perceptually uniform maps); linear interpolation between them.
const ANCHORS: Record<Exclude<Colormap, "gray" | "labels">, number[][]> = {
  viridis: [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]],
  magma: [[0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191]],
  coolwarm: [[59, 76, 192], [98, 130, 234], [141, 176, 254], [184, 208, 249], [221, 221, 221], [245, 196, 173], [244, 154, 123], [222, 96, 77], [180, 4, 38]],
  twilight: [[226, 217, 226], [158, 186, 209], [99, 121, 193], [84, 57, 162], [47, 20, 54], [120, 33, 81], [184, 79, 72], [212, 153, 127], [226, 217, 226]],
};
const LABEL_COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

/** Entries of every continuous colour map's table (as matplotlib's): a value in 0..1 takes the nearest entry. */
const TABLE = 256;
const tables = new Map<Colormap, RGB[]>();

/** The table entry of a value in 0..1 (clamped). */
const entryOf = (t: number) => Math.round(Math.min(1, Math.max(0, t)) * (TABLE - 1));

/** The colour map's table: gray is exact; the others interpolate linearly between their anchors. */
function tableOf(map: Exclude<Colormap, "labels">): RGB[] {
  let table = tables.get(map);
  if (!table) {
    table = Array.from({ length: TABLE }, (_, e): RGB => {
      const t = e / (TABLE - 1);
      if (map === "gray") return [e, e, e];
      const a = ANCHORS[map];
      const x = t * (a.length - 1), i = Math.min(a.length - 2, Math.floor(x)), f = x - i;
      return [0, 1, 2].map((c) => Math.round(a[i]![c]! * (1 - f) + a[i + 1]![c]! * f)) as RGB;
    });
    tables.set(map, table);
  }
  return table;
}

/** RGB of a value in 0..1 (or of an integer label with the "labels" map); NaN is magenta. */
export function colorOf(t: number, map: Colormap): RGB {
  if (map === "labels") {
    const k = Math.round(t);
    const c = LABEL_COLORS[((k % LABEL_COLORS.length) + LABEL_COLORS.length) % LABEL_COLORS.length]!;
    const shade = Math.floor(k / LABEL_COLORS.length) % 3; // beyond 10 labels, vary the lightness
    return c.map((x) => Math.min(255, Math.round(x * (1 - 0.25 * shade) + 64 * shade * 0.5))) as RGB;
  }
  if (Number.isNaN(t)) return [255, 0, 255];
  return [...tableOf(map)[entryOf(t)]!] as RGB;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An opaque colour as one 32-bit pixel of an RGBA image in this machine's byte order. */
const pixelOf = ([R, G, B]: RGB) => (LITTLE_ENDIAN ? ((255 << 24) | (B << 16) | (G << 8) | R) >>> 0 : ((R << 24) | (G << 16) | (B << 8) | 255) >>> 0);

/** RGBA pixels of a map: stretched (by `s`, or as the options choose) and coloured; labels are drawn as they are. */
export function renderMap(values: ArrayLike<number>, rows: number, cols: number, o: ImageOptions = {}, s?: Stretch): { rgba: Uint8Array; width: number; height: number } {
  if (values.length !== rows * cols) throw new RangeError(`image of ${rows} x ${cols} needs ${rows * cols} values, got ${values.length}`);
  const map = o.colormap ?? "gray";
  const k = o.scale ?? Math.max(1, Math.floor(256 / Math.max(rows, cols)));
  const width = cols * k, height = rows * k;
  const rgba = new Uint8Array(width * height * 4);
  const px = new Uint32Array(rgba.buffer);
  // Every value's pixel, from a table: for labels each label's colour, else the colour map's entries (and NaN's);
  // straight into the image when it is not upscaled.
  const pixels = k === 1 ? px : new Uint32Array(rows * cols);
  if (map === "labels") {
    const seen = new Map<number, number>();
    const colorOfLabel = o.labelColors ? (k: number) => o.labelColors![k] ?? [255, 255, 255] as RGB : (k: number) => colorOf(k, map);
    for (let i = 0; i < pixels.length; i++) {
      const v = values[i]!;
      let p = seen.get(v);
      if (p === undefined) seen.set(v, (p = pixelOf(colorOfLabel(v))));
      pixels[i] = p;
    }
  } else {
    const table = Uint32Array.from(tableOf(map), pixelOf), nan = pixelOf([255, 0, 255]);
    const entries = entriesOf(values, s ?? stretchOf(values, o));
    for (let i = 0; i < pixels.length; i++) pixels[i] = entries[i]! < 0 ? nan : table[entries[i]!]!;
  }
  if (k === 1) return { rgba, width, height };
  // Whole pixels as 32-bit words: one row of the map is drawn once, then copied to the k - 1 rows below it.
  for (let r = 0; r < rows; r++) {
    const row = r * k * width;
    for (let c = 0; c < cols; c++) px.fill(pixels[r * cols + c]!, row + c * k, row + (c + 1) * k);
    for (let dr = 1; dr < k; dr++) px.copyWithin(row + dr * width, row, row + width);
  }
  return { rgba, width, height };
}

/** A PNG file of a 2D map. */
export async function mapToPng(values: ArrayLike<number>, rows: number, cols: number, o: ImageOptions = {}): Promise<Uint8Array> {
  const { rgba, width, height } = renderMap(values, rows, cols, o);
  return encodePng(rgba, width, height);
}

/** Encodes 8-bit RGBA pixels as a PNG; `dpi` (optional) is written as its physical pixel density (pHYs). */
export async function encodePng(rgba: Uint8Array, width: number, height: number, dpi?: number): Promise<Uint8Array> {
  const raw = new Uint8Array((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const idat = await deflate(raw);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const phys = new Uint8Array(9);
  if (dpi) {
    const perMetre = Math.round(dpi / 0.0254), pv = new DataView(phys.buffer);
    pv.setUint32(0, perMetre); pv.setUint32(4, perMetre); phys[8] = 1; // unit: metre
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), ...(dpi ? [chunk("pHYs", phys)] : []),
    chunk("IDAT", idat), chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const own = platform().deflate;
  if (own) return own(data);
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

let CRC_TABLE: Uint32Array | undefined;
/** CRC-32 (ISO-HDLC, as PNG and zlib use). */
export function crc32(bytes: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
