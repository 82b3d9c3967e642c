// The container's fixed structures (codec/SPEC.md sections 1, 2 and 5): header, metadata, chunk headers, index and
// trailer, as bytes and back. Parsing never trusts a length before its checksum has been verified.
import { type Dtype, isDtype } from "../bindings/dtype.js";
import type { Calibration } from "../bindings/dataset.js";
import { ByteReader, getU32, putU16, putU32, putU64 } from "./bytes.js";
import { crc32c } from "./crc32c.js";
import { CodecError, fail } from "./errors.js";

export const MAGIC = Uint8Array.of(0x89, 0x53, 0x34, 0x44, 0x0d, 0x0a, 0x1a, 0x0a);
export const VERSION_MAJOR = 1;
export const VERSION_MINOR = 1; // 1.1: segmented EVENTS columns (SPEC 4.3)
export const HEADER_BYTES = 20;
export const MAX_METADATA_BYTES = 1 << 20;
export const CHUNK_HEADER_BYTES = 36;
/** Largest payload or decoded length of one chunk; anything larger is refused before allocating. */
export const MAX_CHUNK_BYTES = 1 << 28;
export const TRAILER_BYTES = 16;
export const INDEX_ENTRY_BYTES = 24;

const CHUNK_TAG = 0x4b443453; // "S4DK"
const TRAILER_TAG = 0x58443453; // "S4DX"

export const ChunkKind = { Frames: 1, Events: 2, PcaBasis: 3, PcaScores: 4, PcaResidual: 5, Summary: 6, Index: 15 } as const;
export const KIND_NAMES: Record<number, string> = { 1: "frames", 2: "events", 3: "pca-basis", 4: "pca-scores", 5: "pca-residual", 6: "summary", 15: "index" };

/** FRAMES chunks' pre-filters (SPEC section 3). Floor: the chunk's per-pixel minimum subtracted, then byte shuffle
 * (integer frames). */
export const Filter = { None: 0, ByteShuffle: 1, BitShuffle: 2, Floor: 3 } as const;
export type FilterName = "none" | "byteshuffle" | "bitshuffle" | "floor";
export const FILTER_IDS: Record<FilterName, number> = { none: 0, byteshuffle: 1, bitshuffle: 2, floor: 3 };
/** The filters' names as the CLI lists them. */
export const FILTER_LIST = "none, byteshuffle, bitshuffle or floor";

export type ContainerMode = "lossless" | "events" | "pca";

export interface ContainerMetadata {
  mode: ContainerMode;
  shape: number[];
  dtype: Dtype;
  calibration?: Calibration;
  source?: Record<string, unknown>;
  params?: Record<string, unknown>;
  software?: string;
  created?: string;
  [key: string]: unknown;
}

export interface ChunkHeader {
  kind: number;
  filter: number;
  flags: number;
  /** Payload bytes. */
  length: number;
  /** Decoded bytes. */
  rawLength: number;
  first: number;
  count: number;
  payloadCrc: number;
}

export function encodeHeader(meta: ContainerMetadata): Uint8Array {
  validateMetadata(meta, "metadata");
  const json = new TextEncoder().encode(JSON.stringify(meta));
  if (json.length > MAX_METADATA_BYTES) throw new RangeError(`container metadata is ${json.length} bytes; the limit is ${MAX_METADATA_BYTES}`);
  const out = new Uint8Array(HEADER_BYTES + json.length);
  out.set(MAGIC, 0);
  putU16(out, 8, VERSION_MAJOR);
  putU16(out, 10, VERSION_MINOR);
  putU32(out, 12, json.length);
  putU32(out, 16, crc32c(json));
  out.set(json, HEADER_BYTES);
  return out;
}

export function hasMagic(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b);
}

/** The fixed 20 bytes: version and metadata length (checked against the limit before the metadata is read). */
export function parseHeaderStart(head: Uint8Array, name: string): { minor: number; metadataBytes: number; metadataCrc: number } {
  if (head.length < HEADER_BYTES) fail(head.length >= MAGIC.length && hasMagic(head) ? "truncated" : "format", `${name}: ${head.length} bytes is too short for a stem4d container header (${HEADER_BYTES} bytes)`);
  if (!hasMagic(head)) fail("format", `${name}: not a stem4d container (bad magic at byte 0)`);
  const r = new ByteReader(head, name);
  r.pos = 8;
  const major = r.u16("major version"), minor = r.u16("minor version");
  if (major !== VERSION_MAJOR) fail("format", `${name}: container version ${major}.${minor} at byte 8; this decoder reads version ${VERSION_MAJOR}.x`);
  const metadataBytes = r.u32("metadata length");
  if (metadataBytes < 2 || metadataBytes > MAX_METADATA_BYTES) fail("limit", `${name}: metadata length ${metadataBytes} at byte 12 is outside [2, ${MAX_METADATA_BYTES}]`);
  return { minor, metadataBytes, metadataCrc: r.u32("metadata CRC") };
}

export function parseMetadata(json: Uint8Array, crc: number, name: string): ContainerMetadata {
  if (crc32c(json) !== crc) fail("corrupt", `${name}: metadata (bytes ${HEADER_BYTES}..${HEADER_BYTES + json.length}) fails its CRC-32C`);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (e) {
    fail("format", `${name}: metadata at byte ${HEADER_BYTES} is not UTF-8 JSON (${(e as Error).message})`);
  }
  validateMetadata(meta, `${name}: metadata`);
  return meta;
}

export function validateMetadata(meta: unknown, what: string): asserts meta is ContainerMetadata {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) fail("format", `${what} is not a JSON object`);
  const m = meta as Record<string, unknown>;
  if (m.mode !== "lossless" && m.mode !== "events" && m.mode !== "pca") fail("format", `${what}: mode ${JSON.stringify(m.mode)} is not lossless, events or pca`);
  if (typeof m.dtype !== "string" || !isDtype(m.dtype)) fail("format", `${what}: dtype ${JSON.stringify(m.dtype)} is not u8, u16, u32 or f32`);
  if (m.mode === "events" && m.dtype === "f32") fail("format", `${what}: events decode to counts; dtype f32 is not allowed`);
  if (m.mode === "pca" && m.dtype !== "f32") fail("format", `${what}: PCA-lossy decodes to f32, not ${m.dtype}`);
  const s = m.shape;
  if (!Array.isArray(s) || s.length < 3 || !s.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    fail("format", `${what}: shape ${JSON.stringify(s)} is not at least 3 positive integers`);
  }
  if (m.mode === "events" && (s.length !== 4 || s.some((n: number) => n > 65536))) {
    fail("format", `${what}: events need shape [scanRows, scanCols, detRows, detCols], each at most 65536 (16-bit record fields), got ${JSON.stringify(s)}`);
  }
  const total = (s as number[]).reduce((a, b) => a * b, 1) * 4;
  if (!Number.isSafeInteger(total)) fail("limit", `${what}: shape ${JSON.stringify(s)} is too large to address`);
}

export function encodeChunkHeader(h: ChunkHeader, b = new Uint8Array(CHUNK_HEADER_BYTES)): Uint8Array {
  putU32(b, 0, CHUNK_TAG);
  b[4] = h.kind; b[5] = h.filter; b[6] = h.flags; b[7] = 0;
  putU32(b, 8, h.length);
  putU32(b, 12, h.rawLength);
  putU64(b, 16, h.first);
  putU32(b, 24, h.count);
  putU32(b, 28, h.payloadCrc);
  putU32(b, 32, crc32c(b.subarray(0, 32)));
  return b;
}

/** A chunk header, or null when the bytes there are not one (bad tag or header CRC). */
export function parseChunkHeader(b: Uint8Array): ChunkHeader | null {
  if (b.length < CHUNK_HEADER_BYTES || getU32(b, 0) !== CHUNK_TAG) return null;
  if (crc32c(b.subarray(0, 32)) !== getU32(b, 32)) return null;
  const r = new ByteReader(b, "chunk header");
  r.pos = 8;
  const length = r.u32("length"), rawLength = r.u32("raw length");
  let first: number;
  try {
    first = r.u64("first");
  } catch (e) {
    if (e instanceof CodecError) return null;
    throw e;
  }
  return { kind: b[4]!, filter: b[5]!, flags: b[6]!, length, rawLength, first, count: r.u32("count"), payloadCrc: r.u32("payload CRC") };
}

export interface IndexEntry {
  offset: number;
  first: number;
  count: number;
  kind: number;
}

export function encodeIndexPayload(entries: IndexEntry[]): Uint8Array {
  const b = new Uint8Array(4 + INDEX_ENTRY_BYTES * entries.length);
  putU32(b, 0, entries.length);
  entries.forEach((e, i) => putIndexEntry(b, i, e));
  return b;
}

/** Entry `i` of an index payload `b` (after its 4-byte count). */
export function putIndexEntry(b: Uint8Array, i: number, e: IndexEntry): void {
  const at = 4 + i * INDEX_ENTRY_BYTES;
  putU64(b, at, e.offset);
  putU64(b, at + 8, e.first);
  putU32(b, at + 16, e.count);
  b[at + 20] = e.kind;
}

export function parseIndexPayload(b: Uint8Array, name: string): IndexEntry[] {
  const r = new ByteReader(b, `${name}: index`);
  const n = r.u32("entry count");
  if (b.length !== 4 + n * INDEX_ENTRY_BYTES) fail("format", `${name}: index holds ${b.length} bytes, but ${n} entries need ${4 + n * INDEX_ENTRY_BYTES}`);
  const out: IndexEntry[] = [];
  for (let i = 0; i < n; i++) {
    const offset = r.u64("offset"), first = r.u64("first"), count = r.u32("count"), kind = r.u8("kind");
    r.pos += 3;
    out.push({ offset, first, count, kind });
  }
  return out;
}

export function encodeTrailer(indexOffset: number): Uint8Array {
  const b = new Uint8Array(TRAILER_BYTES);
  putU64(b, 0, indexOffset);
  putU32(b, 8, TRAILER_TAG);
  putU32(b, 12, crc32c(b.subarray(0, 12)));
  return b;
}

/** The index chunk's offset, or null when these are not a valid trailer. */
export function parseTrailer(b: Uint8Array): number | null {
  if (b.length !== TRAILER_BYTES || getU32(b, 8) !== TRAILER_TAG || crc32c(b.subarray(0, 12)) !== getU32(b, 12)) return null;
  const hi = getU32(b, 4);
  if (hi > 0x1fffff) return null;
  return hi * 4294967296 + getU32(b, 0);
}
