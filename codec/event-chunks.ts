// EVENTS chunk payloads (codec/SPEC.md 4.2): per-position counts, detector-index steps within each position,
// optional time bases and offsets; each column byte-shuffled (written plane by plane directly) and zstd-compressed.
// At low dose the steps are small, so their high bytes are runs of zeros that zstd all but removes.
import { ByteReader, putU32 } from "./bytes.js";
import type { ChunkHeader } from "./container-format.js";
import { fail } from "./errors.js";
import { type SparseEvents, electronsOf, positionsOf } from "./events.js";
import { type ZstdBackend, zstdContentSize } from "./zstd.js";
import type { Core } from "../bindings/core.js";
import { Region, codecCore } from "./engine.js";

/** Electrons one chunk may hold: bounds what a decoder allocates for a chunk (at 4 bytes each, 256 MiB). */
export const MAX_CHUNK_ELECTRONS = 1 << 26;
const TWO32 = 4294967296;

function widthFor(max: number): 1 | 2 | 4 | 8 {
  return max < 256 ? 1 : max < 65536 ? 2 : max < TWO32 ? 4 : 8;
}

/** Values as w little-endian bytes each, byte-shuffled: plane j holds byte j of every value. */
export function planes(values: ArrayLike<number>, n: number, w: number): Uint8Array {
  const out = new Uint8Array(n * w);
  if (w === 1) { for (let i = 0; i < n; i++) out[i] = values[i]!; return out; }
  if (w === 2) { for (let i = 0; i < n; i++) { const v = values[i]!; out[i] = v & 0xff; out[n + i] = v >>> 8; } return out; }
  if (w === 4) {
    for (let i = 0; i < n; i++) { const v = values[i]!; out[i] = v & 0xff; out[n + i] = (v >>> 8) & 0xff; out[2 * n + i] = (v >>> 16) & 0xff; out[3 * n + i] = v >>> 24; }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!, lo = v % TWO32, hi = Math.floor(v / TWO32);
    for (let j = 0; j < 4; j++) { out[j * n + i] = (lo >>> (8 * j)) & 0xff; out[(4 + j) * n + i] = (hi >>> (8 * j)) & 0xff; }
  }
  return out;
}

export function unplanes(b: Uint8Array, n: number, w: number, out: { [i: number]: number }): void {
  if (w === 1) { for (let i = 0; i < n; i++) out[i] = b[i]!; return; }
  if (w === 2) { for (let i = 0; i < n; i++) out[i] = b[i]! | (b[n + i]! << 8); return; }
  if (w === 4) { for (let i = 0; i < n; i++) out[i] = (b[i]! | (b[n + i]! << 8) | (b[2 * n + i]! << 16) | (b[3 * n + i]! << 24)) >>> 0; return; }
  for (let i = 0; i < n; i++) {
    let lo = 0, hi = 0;
    for (let j = 3; j >= 0; j--) { lo = lo * 256 + b[j * n + i]!; hi = hi * 256 + b[(4 + j) * n + i]!; }
    out[i] = hi * TWO32 + lo;
  }
}

export interface EncodedEventChunk {
  payload: Uint8Array;
  rawLength: number;
  /** Chunk header flags (EVENTS_FLAG_PLANES). */
  flags: number;
}

/** EVENTS chunk flag: every column is stored as segments (codec/SPEC.md 4.3) rather than as one zstd frame. */
export const EVENTS_FLAG_SEGMENTS = 1;
/** A segment's u32 word: mode in bits 30-31, byte length below. */
const SEG_ZSTD = 0, SEG_STORED = 2, SEG_PACKED = 1;
const SEG_LENGTH = 0x3fffffff;
/**
 * A byte plane whose byte entropy is at least this many bits is stored as it is: zstd could shrink it by at most
 * 1 - 7.5/8 = 6%, and zstd is slowest exactly on such near-random bytes (the low byte of random time offsets).
 */
export const STORED_ENTROPY_BITS = 7.5;
/** Bytes of a plane its entropy is estimated from (the largest byte is always found over all of it). */
const ENTROPY_SAMPLE_BYTES = 8192;
/** Columns smaller than this go through zstd whole (one call: each call costs tens of microseconds of setup). */
const WHOLE_COLUMN_BYTES = 16384;

/**
 * Encodes grouped events into EVENTS chunk payloads (codec/SPEC.md 4.2). The columns are built by WASM kernels
 * (assembly/events.ts) in the codec core, straight into byte planes; each plane goes through zstd into one
 * payload buffer that is reused from chunk to chunk. Nothing is allocated per chunk once the buffers have grown
 * to the largest chunk.
 */
export class EventChunkEncoder {
  private readonly region: Region;
  private out = new Uint8Array(0);

  private constructor(private readonly core: Core, readonly zstd: ZstdBackend) {
    this.region = new Region(core);
  }

  static async create(zstd: ZstdBackend): Promise<EventChunkEncoder> {
    return new EventChunkEncoder(await codecCore(), zstd);
  }

  /** Encodes all positions of `ev` as one chunk payload; `payload` is a view valid until the next encode(). */
  encode(ev: SparseEvents, level: number): EncodedEventChunk {
    const P = positionsOf(ev), E = electronsOf(ev);
    if (E > MAX_CHUNK_ELECTRONS) throw new RangeError(`an events chunk may hold at most ${MAX_CHUNK_ELECTRONS} electrons, got ${E}; use fewer positions per chunk`);
    if (ev.offsets[0] !== 0) throw new RangeError(`events: offsets[0] is ${ev.offsets[0]}, expected 0`);
    const timed = !!ev.times;
    // One region, carved up (8-byte aligned): inputs, then scratch, then the columns' byte planes.
    const at: Record<string, number> = {};
    let size = 0;
    const carve = (name: string, bytes: number) => { at[name] = size; size += (bytes + 7) & ~7; };
    carve("offsets", 4 * (P + 1)); carve("pixels", 4 * E); carve("counts", 4 * P); carve("stats", 8); carve("hist", 4096);
    carve("countPlanes", 4 * P); carve("stepPlanes", 4 * E);
    carve("packed", E);
    if (timed) { carve("times", 8 * E); carve("bases", 8 * P); carve("zig", 8 * P); carve("offsetPlanes", 8 * E); }
    const base = this.region.ensure(size), ptr = (k: string) => base + at[k]!;
    const core = this.core, arena = core.arena;
    arena.u32(ptr("offsets"), P + 1).set(ev.offsets.subarray(0, P + 1));
    arena.u32(ptr("pixels"), E).set(ev.pixels.subarray(0, E));
    const bad = core.call("evCounts", ptr("offsets"), ptr("pixels"), P, ptr("counts"), ptr("stats"));
    if (bad >= 0) throw new RangeError(`events of position ${ev.first + bad} are not in canonical order (detector indices must ascend); use groupEvents`);
    const stats = arena.u32(ptr("stats"), 2);
    const wc = widthFor(stats[0]!), wd = widthFor(stats[1]!);
    core.call("evPlanesU32", ptr("counts"), P, wc, ptr("countPlanes"));
    core.call("evStepPlanes", ptr("offsets"), ptr("pixels"), P, E, wd, ptr("stepPlanes"));
    const columns: [string, number, number][] = [["countPlanes", P, wc], ["stepPlanes", E, wd]];
    let timeMode = 0, wt = 0;
    if (timed) {
      arena.f64(ptr("times"), E).set(ev.times!.subarray(0, E));
      if (!core.call("evTimesAreFrames", ptr("offsets"), ptr("times"), P, ev.first)) {
        const maxOff = core.call("evTimeBases", ptr("offsets"), ptr("times"), P, ptr("bases"), ptr("zig"));
        if (maxOff < 0) throw new RangeError("events: times must be integer ticks in [0, 2^53)");
        timeMode = 1;
        wt = widthFor(maxOff);
        core.call("evTimeOffsetPlanes", ptr("offsets"), ptr("times"), P, E, ptr("bases"), wt, ptr("offsetPlanes"));
        columns.push(["zig", P, 8], ["offsetPlanes", E, wt]);
      }
    }
    // The payload: 8 bytes of head, then each column as segments (a u32 word, then the segment's bytes).
    let room = 8, raw = 0;
    for (const [, n, w] of columns) { room += w * (8 + this.zstd.compressBound(n)); raw += n * w; }
    if (this.out.length < room) this.out = new Uint8Array(room);
    const out = this.out;
    out[0] = wc; out[1] = wd; out[2] = timeMode; out[3] = wt;
    putU32(out, 4, E);
    let o = 8;
    const zstdOrStored = (src: number, n: number) => {
      if (n === 0) return; // an empty column has no segments
      const len = this.zstd.compressInto(arena.bytes(src, n), level, out.subarray(o + 4));
      if (len >= n) { out.set(arena.bytes(src, n), o + 4); putU32(out, o, ((SEG_STORED << 30) | n) >>> 0); o += 4 + n; }
      else { putU32(out, o, len); o += 4 + len; }
    };
    for (const [name, n, w] of columns) {
      if (n * w < WHOLE_COLUMN_BYTES) { zstdOrStored(ptr(name), n * w); continue; }
      for (let j = 0; j < w; j++) {
        // Each plane by what its bytes look like: near-random -> stored; a few small values spread evenly (the high
        // byte of time offsets) -> bit-packed, where zstd would spend its time on countless short matches for no
        // gain; anything else -> zstd.
        const plane = ptr(name) + j * n;
        const bits = core.call("evEntropy", plane, n, ptr("hist"), ENTROPY_SAMPLE_BYTES), top = arena.u32(ptr("hist"), 1)[0]!;
        const b = top < 2 ? 1 : top < 4 ? 2 : top < 16 ? 4 : 0;
        if (bits >= STORED_ENTROPY_BITS) {
          out.set(arena.bytes(plane, n), o + 4);
          putU32(out, o, ((SEG_STORED << 30) | n) >>> 0);
          o += 4 + n;
        } else if (b > 0 && bits >= 0.75 * b) {
          const len = 1 + Math.ceil((n * b) / 8);
          out[o + 4] = b;
          core.call("evPack", plane, n, b, ptr("packed"));
          out.set(arena.bytes(ptr("packed"), len - 1), o + 5);
          putU32(out, o, ((SEG_PACKED << 30) | len) >>> 0);
          o += 4 + len;
        } else zstdOrStored(plane, n);
      }
    }
    return { payload: out.subarray(0, o), rawLength: raw, flags: EVENTS_FLAG_SEGMENTS };
  }

  dispose(): void {
    this.region.release();
  }
}

export class EventChunkDecoder {
  readonly scanShape: [number, number];
  readonly detShape: [number, number];

  constructor(readonly zstd: ZstdBackend, shape: readonly number[]) {
    this.scanShape = [shape[0]!, shape[1]!];
    this.detShape = [shape[2]!, shape[3]!];
  }

  /** Decodes a verified EVENTS chunk; every length is checked against the header before anything is allocated. */
  decode(h: ChunkHeader, payload: Uint8Array, what: string): SparseEvents {
    const P = h.count, Q = this.detShape[0] * this.detShape[1];
    if (h.filter !== 0 || (h.flags & ~EVENTS_FLAG_SEGMENTS) !== 0) fail("format", `${what}: events chunks have no filter and no flags but ${EVENTS_FLAG_SEGMENTS}, found ${h.filter}/${h.flags}`);
    const bySegments = (h.flags & EVENTS_FLAG_SEGMENTS) !== 0;
    const r = new ByteReader(payload, what);
    const wc = r.u8("count width"), wd = r.u8("step width"), timeMode = r.u8("time mode"), wt = r.u8("time width");
    const E = r.u32("electron count");
    if (![1, 2, 4].includes(wc) || ![1, 2, 4].includes(wd)) fail("format", `${what}: column widths ${wc}/${wd} (expected 1, 2 or 4)`);
    if (timeMode > 1 || (timeMode === 0 ? wt !== 0 : ![1, 2, 4, 8].includes(wt))) fail("format", `${what}: time mode ${timeMode} with width ${wt}`);
    if (E > MAX_CHUNK_ELECTRONS) fail("limit", `${what}: ${E} electrons exceed the ${MAX_CHUNK_ELECTRONS} a chunk may hold`);
    const sizes = [P * wc, E * wd, ...(timeMode ? [P * 8, E * wt] : [])];
    const raw = sizes.reduce((a, b) => a + b, 0);
    if (raw !== h.rawLength) fail("format", `${what}: columns of ${raw} bytes, but the chunk header says ${h.rawLength}`);
    const perPlane = [P, E, P, E];
    const col = (i: number) => {
      if (!bySegments) {
        const len = r.u32(`column ${i} length`);
        return this.zstd.decompress(r.take(len, `column ${i}`), sizes[i]!);
      }
      // Segments fill the column in order: a zstd frame (its content size), stored bytes, or one bit-packed plane.
      const size = sizes[i]!, n = perPlane[i]!, out = new Uint8Array(size);
      for (let filled = 0, k = 0; filled < size; k++) {
        const where = `column ${i} segment ${k}`;
        const word = r.u32(`${where} word`), mode = word >>> 30, len = word & SEG_LENGTH, left = size - filled;
        const bytes = r.take(len, where);
        if (mode === SEG_ZSTD) {
          const cs = zstdContentSize(bytes, where);
          if (cs === 0 || cs > left) fail("format", `${what}: ${where} decodes to ${cs} bytes, but ${left} of the column are left`);
          this.zstd.decompressInto(bytes, out.subarray(filled, filled + cs));
          filled += cs;
        } else if (mode === SEG_STORED) {
          if (len === 0 || len > left) fail("format", `${what}: ${where} stores ${len} bytes, but ${left} of the column are left`);
          out.set(bytes, filled);
          filled += len;
        } else if (mode === SEG_PACKED) {
          const b = bytes[0] ?? 0;
          if (![1, 2, 4].includes(b) || len !== 1 + Math.ceil((n * b) / 8) || n > left) fail("format", `${what}: ${where} packs ${n} values of ${b} bits into ${len} bytes (${left} of the column left)`);
          const per = 8 / b, mask = (1 << b) - 1;
          for (let v = 0; v < n; v++) out[filled + v] = (bytes[1 + Math.floor(v / per)]! >>> ((v % per) * b)) & mask;
          filled += n;
        } else fail("format", `${what}: ${where} has unknown mode ${mode}`);
      }
      return out;
    };
    const offsets = new Uint32Array(P + 1);
    const counts = new Uint32Array(P);
    unplanes(col(0), P, wc, counts);
    for (let i = 0; i < P; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
    if (offsets[P] !== E) fail("format", `${what}: the counts sum to ${offsets[P]}, but the chunk holds ${E} electrons`);
    const pixels = new Uint32Array(E);
    unplanes(col(1), E, wd, pixels);
    for (let i = 0; i < P; i++) {
      let d = 0;
      for (let e = offsets[i]!; e < offsets[i + 1]!; e++) {
        d += pixels[e]!;
        if (d >= Q) fail("format", `${what}: electron ${e} has detector index ${d}, outside the ${this.detShape[0]} x ${this.detShape[1]} detector`);
        pixels[e] = d;
      }
    }
    let times: Float64Array | undefined;
    if (timeMode === 1) {
      const zb = col(2);
      times = new Float64Array(E);
      unplanes(col(3), E, wt, times);
      let base = 0n;
      for (let i = 0; i < P; i++) {
        let z = 0n;
        for (let j = 7; j >= 0; j--) z = (z << 8n) | BigInt(zb[j * P + i]!);
        base += z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
        if (base < 0n || base > BigInt(Number.MAX_SAFE_INTEGER)) fail("format", `${what}: the time base of position ${h.first + i} is outside [0, 2^53)`);
        const b = Number(base);
        for (let e = offsets[i]!; e < offsets[i + 1]!; e++) {
          const t = b + times[e]!;
          if (t > Number.MAX_SAFE_INTEGER) fail("format", `${what}: electron ${e} has a time beyond 2^53`);
          times[e] = t;
        }
      }
    }
    if (r.left !== 0) fail("format", `${what}: ${r.left} bytes after the last column`);
    return { scanShape: this.scanShape, detShape: this.detShape, first: h.first, offsets, pixels, ...(times ? { times } : {}) };
  }
}
