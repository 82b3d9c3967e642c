// Gatan DigitalMicrograph .dm3/.dm4 tag trees. The file is a header (version 3 or 4, the root's length, the byte
// order of the data: 1 = little-endian) and one root tag group. A group is [sorted u8, open u8, tag count]; a tag is
// [kind u8: 20 group / 21 data, name length u16, name], in DM4 followed by the tag's byte length. A data tag is
// "%%%%", the length of its type description, the description (type codes), then the value. Counts, lengths and type
// codes are big-endian, 32-bit in DM3 and 64-bit in DM4; values are in the header's byte order.
// Large arrays (the image data above all) are not read: the tree keeps where they are, so a file of any size opens
// after reading its tags only.
import type { ByteSource } from "../../dataset.js";
import { ByteCursor, safeU64 } from "../cursor.js";
import type { ElementName } from "../elements.js";
import { ascii } from "../records.js";

/** Simple DM type codes: bytes per value and the element type. */
export const DM_SIMPLE: Record<number, { size: number; element: ElementName }> = {
  2: { size: 2, element: "i16" }, 3: { size: 4, element: "i32" }, 4: { size: 2, element: "u16" },
  5: { size: 4, element: "u32" }, 6: { size: 4, element: "f32" }, 7: { size: 8, element: "f64" },
  8: { size: 1, element: "bool" }, 9: { size: 1, element: "i8" }, 10: { size: 1, element: "u8" },
  11: { size: 8, element: "i64" }, 12: { size: 8, element: "u64" },
};

/** An array the parser did not read: where it is and what it holds. */
export interface DmArrayRef {
  kind: "array";
  /** Type code of one element (15 for structs). */
  type: number;
  length: number;
  offset: number;
  bytes: number;
}

export type DmValue = number | string | number[] | number[][] | DmArrayRef | DmGroup;

export interface DmGroup {
  kind: "group";
  entries: { name: string; value: DmValue }[];
}

export interface DmFile {
  version: 3 | 4;
  littleEndian: boolean;
  root: DmGroup;
}

/** Arrays up to this many bytes are read into the tree (strings, calibrations); larger ones are kept as references. */
const INLINE_ARRAY_BYTES = 1 << 16;
const MAX_DEPTH = 64;
const MAX_TYPE_CODES = 1024;

export async function parseDmTags(bytes: ByteSource): Promise<DmFile> {
  const c = new ByteCursor(bytes);
  const name = bytes.name;
  const head = await c.view(4, "DM header (version)");
  const version = head.getUint32(0, false);
  if (version !== 3 && version !== 4) throw new Error(`${name}: DM version ${version} (byte 0) is not supported; ` +
      `expected 3 or 4`);
  const p = new TagParser(c, version, true);
  await p.count("DM header (root length)");
  const order = (await c.view(4, "DM header (byte order)")).getUint32(0, false);
  if (order > 1) throw new Error(`${name}: DM byte order ${order} (byte ${c.pos - 4}) is not 0 (big-endian) or 1 ` +
      `(little-endian)`);
  p.littleEndian = order === 1;
  const root = await p.group("root", 0);
  return { version, littleEndian: p.littleEndian, root };
}

class TagParser {
  private readonly wide: boolean;
  constructor(private readonly c: ByteCursor, version: 3 | 4, public littleEndian: boolean) {
    this.wide = version === 4;
  }

  private get name(): string {
    return this.c.bytes.name;
  }

  /** A big-endian count: 32-bit in DM3, 64-bit in DM4. */
  async count(what: string): Promise<number> {
    const at = this.c.pos;
    const dv = await this.c.view(this.wide ? 8 : 4, what);
    return this.wide ? safeU64(dv, 0, false, () => `${this.name}: ${what} at byte ${at}`) : dv.getUint32(0, false);
  }

  async group(path: string, depth: number): Promise<DmGroup> {
    if (depth > MAX_DEPTH) throw new Error(`${this.name}: tag group ${path} at byte ${this.c.pos} is nested deeper ` +
        `than ${MAX_DEPTH} levels`);
    await this.c.take(2, `tag group ${path} (sorted, open flags)`);
    const ntags = await this.count(`tag count of ${path}`);
    const entries: DmGroup["entries"] = [];
    for (let i = 0; i < ntags; i++) {
      const at = this.c.pos;
      const h = await this.c.view(3, `tag ${i} of ${path}`);
      const kind = h.getUint8(0), nameLength = h.getUint16(1, false);
      const label = ascii(await this.c.take(nameLength, `name of tag ${i} of ${path}`));
      const where = `${path}.${label || `[${i}]`}`;
      let end = -1;
      if (this.wide) {
        const size = await this.count(`byte length of tag ${where}`);
        end = this.c.pos + size;
        if (end > this.c.bytes.size) throw new Error(`${this.name}: tag ${where} at byte ${at} is ${size} bytes ` +
            `long, but the file ends at byte ${this.c.bytes.size}`);
      }
      let value: DmValue;
      if (kind === 20) value = await this.group(where, depth + 1);
      else if (kind === 21) value = await this.data(where, label === "Data" && path.endsWith(".ImageData"), end);
      else throw new Error(`${this.name}: tag ${i} of ${path} at byte ${at} has kind ${kind}; expected 20 (group) ` +
          `or 21 (data)`);
      if (end >= 0 && this.c.pos !== end) {
        throw new Error(`${this.name}: tag ${where} at byte ${at} says it ends at byte ${end}, but its contents end ` +
            `at byte ${this.c.pos}`);
      }
      entries.push({ name: label, value });
    }
    return { kind: "group", entries };
  }

  /** A data tag's value; `end` (DM4's tag length) lets a type this parser does not know be stepped over. */
  private async data(where: string, isImageData: boolean, end: number): Promise<DmValue> {
    const at = this.c.pos;
    if (ascii(await this.c.take(4, `data tag ${where}`)) !== "%%%%") throw new Error(`${this.name}: data tag ` +
        `${where} at byte ${at}: expected the delimiter "%%%%"`);
    const n = await this.count(`type description length of ${where}`);
    if (n < 1 || n > MAX_TYPE_CODES) throw new Error(`${this.name}: data tag ${where} at byte ${at} has a type ` +
        `description of ${n} codes; expected 1 to ${MAX_TYPE_CODES}`);
    const info: number[] = [];
    for (let i = 0; i < n; i++) info.push(await this.count(`type code ${i} of ${where}`));
    const bad = (what: string): Error => new Error(`${this.name}: data tag ${where} at byte ${at}: ${what} (type ` +
        `codes [${info.slice(0, 8).join(", ")}${n > 8 ? ", ..." : ""}])`);
    const t = info[0]!;
    if (DM_SIMPLE[t]) {
      if (n !== 1) throw bad("a simple value has one type code");
      return this.simple(t, where);
    }
    if (t === 18) {
      if (n !== 2) throw bad("a string has two type codes");
      return this.text(info[1]!, where);
    }
    if (t === 15) {
      const fields = structFields(info, 1, bad);
      if (fields.end !== n) throw bad("the struct's field list does not end the description");
      const out: number[] = [];
      for (const f of fields.types) out.push(await this.simple(f, where));
      return out;
    }
    const unknown = (what: string): string => {
      if (end < 0) throw bad(what);
      this.c.skip(end - this.c.pos, `tag ${where}`);
      return `<not read: ${what}, type codes [${info.slice(0, 8).join(", ")}]>`;
    };
    if (t !== 20 || n < 3) return unknown(`type ${t} is not a known DM type`);
    const el = info[1]!;
    let elementBytes: number, length: number, fields: number[] | undefined;
    if (DM_SIMPLE[el]) {
      if (n !== 3) throw bad("an array of simple values has three type codes");
      elementBytes = DM_SIMPLE[el]!.size; length = info[2]!;
    } else if (el === 15) {
      const s = structFields(info, 2, bad);
      if (s.end !== n - 1) throw bad("an array of structs ends with its length");
      fields = s.types; elementBytes = s.types.reduce((a, f) => a + DM_SIMPLE[f]!.size, 0); length = info[n - 1]!;
    } else if (el === 18 && n === 4) {
      elementBytes = info[2]!; length = info[3]!;
    } else if (el === 20 && n === 5 && DM_SIMPLE[info[2]!]) {
      elementBytes = DM_SIMPLE[info[2]!]!.size * info[3]!; length = info[4]!;
    } else {
      return unknown(`arrays of type ${el} are not a known DM layout`);
    }
    const total = elementBytes * length;
    const ref: DmArrayRef = { kind: "array", type: el, length, offset: this.c.pos, bytes: total };
    if (!Number.isSafeInteger(total) || this.c.pos + total > this.c.bytes.size) {
      throw new Error(`${this.name}: array ${where} at byte ${this.c.pos} holds ${length} elements of ` +
          `${elementBytes} bytes, but the file ends at byte ${this.c.bytes.size}`);
    }
    const rows = fields ? length : 0;
    if (isImageData || total > INLINE_ARRAY_BYTES || !(DM_SIMPLE[el] || fields) || rows > 256) {
      this.c.skip(total, `array ${where}`);
      return ref;
    }
    const raw = await this.c.take(total, `array ${where}`);
    if (fields) return structArray(raw, fields, length, this.littleEndian);
    // DM keeps its strings as arrays of UTF-16 code units.
    if (el === 4) {
      return String.fromCharCode(...Array.from({ length }, (_, i) => readSimple(raw, i * 2, 4, this.littleEndian)));
    }
    if (length > 256) return ref;
    return Array.from({ length }, (_, i) => readSimple(raw, i * DM_SIMPLE[el]!.size, el, this.littleEndian));
  }

  private async simple(type: number, where: string): Promise<number> {
    const s = DM_SIMPLE[type]!;
    const raw = await this.c.take(s.size, `value of ${where}`);
    return readSimple(raw, 0, type, this.littleEndian);
  }

  private async text(length: number, where: string): Promise<string | DmArrayRef> {
    if (length > INLINE_ARRAY_BYTES) {
      const ref: DmArrayRef = { kind: "array", type: 18, length, offset: this.c.pos, bytes: length };
      this.c.skip(length, `string ${where}`);
      return ref;
    }
    return ascii(await this.c.take(length, `string ${where}`));
  }
}

function structFields(info: number[], from: number, bad: (what: string) => Error): { types: number[]; end: number } {
  const nfields = info[from + 1];
  if (nfields === undefined || from + 2 + 2 * nfields > info.length) throw bad("the struct's field list is cut short");
  const types: number[] = [];
  for (let f = 0; f < nfields; f++) {
    const type = info[from + 3 + 2 * f]!;
    if (!DM_SIMPLE[type]) throw bad(`struct field ${f} has type ${type}; only simple types are allowed in a struct`);
    types.push(type);
  }
  return { types, end: from + 2 + 2 * nfields };
}

function structArray(raw: Uint8Array, fields: number[], length: number, le: boolean): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (let i = 0; i < length; i++) {
    const row: number[] = [];
    for (const f of fields) { row.push(readSimple(raw, at, f, le)); at += DM_SIMPLE[f]!.size; }
    out.push(row);
  }
  return out;
}

function readSimple(raw: Uint8Array, at: number, type: number, le: boolean): number {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case 2: return dv.getInt16(at, le);
    case 3: return dv.getInt32(at, le);
    case 4: return dv.getUint16(at, le);
    case 5: return dv.getUint32(at, le);
    case 6: return dv.getFloat32(at, le);
    case 7: return dv.getFloat64(at, le);
    case 9: return dv.getInt8(at);
    case 11: return Number(dv.getBigInt64(at, le));
    case 12: return Number(dv.getBigUint64(at, le));
    default: return dv.getUint8(at); // 8 bool, 10 octet
  }
}

function isGroup(g: DmValue | undefined): g is DmGroup {
  return !!g && typeof g === "object" && "kind" in g && g.kind === "group";
}

/** The entry called `name` in a group (first match), if the group has one. */
export function child(g: DmValue | undefined, name: string): DmValue | undefined {
  return isGroup(g) ? g.entries.find((e) => e.name === name)?.value : undefined;
}

/** A group's entries, unnamed or not, in file order. */
export function children(g: DmValue | undefined): DmValue[] {
  return isGroup(g) ? g.entries.map((e) => e.value) : [];
}

/** Follows a path of names from a group. */
export function at(g: DmValue | undefined, ...path: string[]): DmValue | undefined {
  return path.reduce<DmValue | undefined>((v, p) => child(v, p), g);
}

/** The tag tree as plain JSON for metadata: groups of unnamed entries become lists, arrays left unread say so. */
export function tagsToJson(v: DmValue): unknown {
  if (typeof v !== "object" || Array.isArray(v)) return v;
  if (v.kind === "array") return `<array of ${v.length} elements of type ${v.type} at byte ${v.offset}>`;
  if (v.entries.length > 0 && v.entries.every((e) => e.name === "")) return v.entries.map((e) => tagsToJson(e.value));
  const out: Record<string, unknown> = {};
  v.entries.forEach((e, i) => { out[e.name || `[${i}]`] = tagsToJson(e.value); });
  return out;
}
