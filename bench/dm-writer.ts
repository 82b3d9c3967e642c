// Writes DigitalMicrograph .dm3/.dm4 files from the format description, for the reader's tests and benchmark: a tag
// tree of groups, simple values, UTF-16 strings and arrays. An array given a length but no bytes is left as a hole, so
// a test can write a file far larger than memory (or disk: a sparse file) with its header and tags only.
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";

export type DmTag =
  | { name: string; tags: DmTag[] }
  | { name: string; type: number; value: number }
  | { name: string; text: string }
  | { name: string; array: number; length: number; data?: Uint8Array }
  | { name: string; info: number[]; raw: Uint8Array };

const SIZES: Record<number, number> = { 2: 2, 3: 4, 4: 2, 5: 4, 6: 4, 7: 8, 8: 1, 9: 1, 10: 1, 11: 8, 12: 8 };

export interface DmLayout {
  segments: { offset: number; bytes: Uint8Array }[];
  size: number;
}

class Out {
  segments: { offset: number; bytes: Uint8Array }[] = [];
  pos = 0;
  constructor(readonly wide: boolean, readonly le: boolean) {}
  put(b: Uint8Array): void {
    this.segments.push({ offset: this.pos, bytes: b });
    this.pos += b.length;
  }
  u8(...v: number[]): void { this.put(Uint8Array.from(v)); }
  u16be(v: number): void { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, false); this.put(b); }
  u32be(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, false); this.put(b); }
  count(v: number): void {
    const b = new Uint8Array(this.wide ? 8 : 4), dv = new DataView(b.buffer);
    if (this.wide) dv.setBigUint64(0, BigInt(v), false); else dv.setUint32(0, v, false);
    this.put(b);
  }
  /** A placeholder count to fill in later (DM4 tag sizes). */
  mark(): { segment: number; at: number } {
    this.count(0);
    return { segment: this.segments.length - 1, at: this.pos };
  }
  fill(m: { segment: number; at: number }): void {
    new DataView(this.segments[m.segment]!.bytes.buffer).setBigUint64(0, BigInt(this.pos - m.at), false);
  }
  hole(n: number): void { this.pos += n; }
}

function simpleBytes(type: number, v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(SIZES[type]!), dv = new DataView(b.buffer);
  switch (type) {
    case 2: dv.setInt16(0, v, le); break;
    case 3: dv.setInt32(0, v, le); break;
    case 4: dv.setUint16(0, v, le); break;
    case 5: dv.setUint32(0, v, le); break;
    case 6: dv.setFloat32(0, v, le); break;
    case 7: dv.setFloat64(0, v, le); break;
    case 11: dv.setBigInt64(0, BigInt(v), le); break;
    case 12: dv.setBigUint64(0, BigInt(v), le); break;
    default: dv.setUint8(0, v);
  }
  return b;
}

function writeGroup(o: Out, tags: DmTag[]): void {
  o.u8(1, 0);
  o.count(tags.length);
  for (const t of tags) {
    o.u8("tags" in t ? 20 : 21);
    o.u16be(t.name.length);
    o.put(new TextEncoder().encode(t.name));
    const m = o.wide ? o.mark() : undefined;
    if ("tags" in t) writeGroup(o, t.tags);
    else {
      o.put(new TextEncoder().encode("%%%%"));
      if ("info" in t) { o.count(t.info.length); t.info.forEach((c) => o.count(c)); o.put(t.raw); }
      else if ("value" in t) { o.count(1); o.count(t.type); o.put(simpleBytes(t.type, t.value, o.le)); }
      else if ("text" in t) {
        o.count(3); o.count(20); o.count(4); o.count(t.text.length);
        const b = new Uint8Array(t.text.length * 2);
        for (let i = 0; i < t.text.length; i++) new DataView(b.buffer).setUint16(i * 2, t.text.charCodeAt(i), o.le);
        o.put(b);
      } else {
        o.count(3); o.count(20); o.count(t.array); o.count(t.length);
        if (t.data) o.put(t.data); else o.hole(t.length * SIZES[t.array]!);
      }
    }
    if (m) o.fill(m);
  }
}

/** The file's pieces; values in little-endian order unless `littleEndian` is false (array data go as given). */
export function dmLayout(version: 3 | 4, root: DmTag[], littleEndian = true): DmLayout {
  const o = new Out(version === 4, littleEndian);
  o.u32be(version);
  const rootLen = o.wide ? o.mark() : undefined;
  if (!rootLen) o.u32be(0);
  o.u32be(littleEndian ? 1 : 0); // the byte order of the values
  writeGroup(o, root);
  o.put(new Uint8Array(8)); // the closing zeros GMS writes
  if (rootLen) o.fill(rootLen);
  return { segments: o.segments, size: o.pos };
}

/** The whole file in memory (for files without holes, or small ones). */
export function dmBytes(version: 3 | 4, root: DmTag[], littleEndian = true): Uint8Array {
  const l = dmLayout(version, root, littleEndian);
  const out = new Uint8Array(l.size);
  for (const s of l.segments) out.set(s.bytes, s.offset);
  return out;
}

/** Writes the file with positional writes: holes take no disk. */
export function writeDmFile(path: string, version: 3 | 4, root: DmTag[]): DmLayout {
  const l = dmLayout(version, root);
  const fd = openSync(path, "w");
  try {
    for (const s of l.segments) writeSync(fd, s.bytes, 0, s.bytes.length, s.offset);
    ftruncateSync(fd, l.size);
  } finally {
    closeSync(fd);
  }
  return l;
}

/** The tags of an ImageList entry holding `data` with DM `dims` (fastest first). */
export function dmImage(name: string, dataType: number, arrayType: number, dims: number[], data: Uint8Array | undefined,
  o: { scales?: number[]; units?: string[]; origins?: number[]; swapped?: boolean } = {}): DmTag {
  const length = dims.reduce((a, b) => a * b, 1);
  return {
    name: "", tags: [
      { name: "ImageData", tags: [
        { name: "Calibrations", tags: [
          { name: "Brightness", tags: [
            { name: "Origin", type: 6, value: 0 }, { name: "Scale", type: 6, value: 1 }, { name: "Units", text: "" },
          ] },
          { name: "Dimension", tags: dims.map((_, i) => ({ name: "", tags: [
            { name: "Origin", type: 6, value: o.origins?.[i] ?? 0 },
            { name: "Scale", type: 6, value: o.scales?.[i] ?? 1 },
            { name: "Units", text: o.units?.[i] ?? "" },
          ] })) },
        ] },
        data ? { name: "Data", array: arrayType, length: data.length / SIZES[arrayType]!, data }
          : { name: "Data", array: arrayType, length },
        { name: "DataType", type: 3, value: dataType },
        { name: "Dimensions", tags: dims.map((d) => ({ name: "", type: 5, value: d })) },
        { name: "PixelDepth", type: 5, value: SIZES[arrayType]! },
      ] },
      { name: "ImageTags", tags: o.swapped === undefined ? [] : [{ name: "Meta Data", tags: [
        { name: "Data Order Swapped", type: 8, value: o.swapped ? 1 : 0 },
        { name: "Format", text: "Diffraction image" },
      ] }] },
      { name: "Name", text: name },
    ],
  };
}

/** A whole DM file: a 4 x 4 RGBA thumbnail (listed under Thumbnails) and the image. */
export function dmRoot(image: DmTag, before: DmTag[] = []): DmTag[] {
  const thumb = dmImage("thumb", 23, 5, [4, 4], new Uint8Array(64));
  const thumbnails = { name: "Thumbnails", tags: [{ name: "", tags: [{ name: "ImageIndex", type: 5, value: 0 }] }] };
  return [...before, { name: "ImageList", tags: [thumb, image] }, thumbnails];
}
