// Every decoder against damaged input: a small lossless file and a small events file cut at every byte offset,
// thousands of seeded random mutations, and mutations whose checksums are then recomputed so that the inner
// decoders (metadata, chunk headers, index, zstd frames, event columns, record streams) see the garbage. Each
// attempt must end in data or a typed CodecError (no other exception, no hang), must never read past the file or
// allocate what a field merely claims, and whatever data it returns for an unaltered part must be the original.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { type ByteSource, bufferByteSource, frameBytes, frameCount, memoryDataset } from "../../bindings/index.js";
import { Rng } from "../../bindings/simulate.js";
import {
  CodecError, EventEncoder, MemorySink, compressLossless, compressPca, crc32c, groupEvents, openContainerDataset, readRecords, writeRecords,
} from "../../bindings/index.js";
import { Core } from "../../bindings/core.js";
import { CHUNK_HEADER_BYTES, HEADER_BYTES, MAX_CHUNK_BYTES, encodeChunkHeader, parseChunkHeader } from "../../codec/container-format.js";
import { putU32 } from "../../codec/bytes.js";
import { mutate } from "../helpers/mutate.js";

/** A ByteSource that remembers its largest read and the bytes read in all, to show no field makes the decoder
 * read (or allocate) beyond the file, or read it over and over. */
function watched(bytes: Uint8Array): ByteSource & { largest: number; total: number } {
  const inner = bufferByteSource(bytes, "fuzz.s4d");
  const s = {
    name: inner.name, size: inner.size, largest: 0, total: 0,
    read: (o: number, d: Uint8Array) => { s.largest = Math.max(s.largest, d.length); s.total += d.length; return inner.read(o, d); },
  };
  return s;
}

type Outcome = { ok: true; frames: Uint8Array; count: number } | { ok: false; error: CodecError };

async function decodeAll(bytes: Uint8Array, src = watched(bytes)): Promise<Outcome> {
  try {
    const ds = await openContainerDataset(src);
    const n = frameCount(ds), fb = frameBytes(ds);
    // A decoder may only offer frames it can hold: never more than the file could describe.
    expect(n * fb).toBeLessThanOrEqual(64 << 20);
    const frames = new Uint8Array(n * fb);
    await ds.source.readFrames(0, n, frames);
    return { ok: true, frames, count: n };
  } catch (e) {
    if (e instanceof CodecError) return { ok: false, error: e };
    throw new Error(`untyped failure: ${(e as Error)?.stack ?? e}`);
  } finally {
    expect(src.largest).toBeLessThanOrEqual(bytes.length);
  }
}

async function losslessFile(): Promise<{ file: Uint8Array; frames: Uint8Array; fb: number }> {
  const rng = new Rng(77, 1);
  const data = new Uint16Array(6 * 12 * 10);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.7 ? 0 : Math.floor(rng.next() * 3000);
  const sink = new MemorySink();
  await compressLossless(memoryDataset(data, [2, 3, 12, 10]), sink, { framesPerChunk: 2, delta: true });
  return { file: sink.bytes(), frames: new Uint8Array(data.buffer), fb: 240 };
}

async function eventsFile(): Promise<{ file: Uint8Array; frames: Uint8Array; fb: number }> {
  const rng = new Rng(78, 1);
  const pos: number[] = [], pix: number[] = [], t: number[] = [];
  for (let p = 0; p < 6; p++) for (let k = 0; k < 5; k++) { pos.push(p); pix.push(Math.floor(rng.next() * 64)); t.push(1000 * p + Math.floor(rng.next() * 900)); }
  const ev = groupEvents([2, 3], [8, 8], 0, 6, Uint32Array.from(pos), Uint32Array.from(pix), Float64Array.from(t));
  const sink = new MemorySink();
  const enc = await EventEncoder.create(sink, { scanShape: [2, 3], detShape: [8, 8] }, { positionsPerChunk: 2 });
  await enc.push(ev);
  await enc.finish();
  const frames = new Uint16Array(6 * 64);
  for (let p = 0; p < 6; p++) for (let e = ev.offsets[p]!; e < ev.offsets[p + 1]!; e++) frames[p * 64 + ev.pixels[e]!]!++;
  return { file: sink.bytes(), frames: new Uint8Array(frames.buffer), fb: 128 };
}

async function pcaFile(): Promise<{ file: Uint8Array; frames: Uint8Array; fb: number }> {
  const rng = new Rng(79, 1);
  const data = new Float32Array(8 * 6 * 5);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i / 7) * 50 + rng.next() * 5;
  const core = await Core.create({ workers: 0 });
  const sink = new MemorySink();
  await compressPca(core, memoryDataset(data, [2, 4, 6, 5]), sink, { components: 3, framesPerChunk: 3, residual: 2 });
  await core.close();
  const file = sink.bytes();
  // What an intact file decodes to: the reference any partial decode must agree with.
  const ok = await decodeAll(file);
  if (!ok.ok) throw ok.error;
  return { file, frames: ok.frames, fb: 120 };
}

/** Recomputes every checksum the damage may have invalidated: metadata, chunk headers and payloads (walking the
 * original chunk layout), trailer. */
function fixChecksums(b: Uint8Array, layout: number[]): void {
  const m = b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24);
  if (HEADER_BYTES + m <= b.length) putU32(b, 16, crc32c(b.subarray(HEADER_BYTES, HEADER_BYTES + m)));
  for (let i = 0; i < layout.length; i++) {
    const at = layout[i]!, end = i + 1 < layout.length ? layout[i + 1]! : b.length - 16;
    if (end > b.length || at + CHUNK_HEADER_BYTES > end) continue;
    putU32(b, at + 28, crc32c(b.subarray(at + CHUNK_HEADER_BYTES, end)));
    putU32(b, at + 32, crc32c(b.subarray(at, at + 32)));
  }
  putU32(b, b.length - 4, crc32c(b.subarray(b.length - 16, b.length - 4)));
}

function chunkOffsets(file: Uint8Array): number[] {
  const m = file[12]! | (file[13]! << 8);
  const out: number[] = [];
  for (let at = HEADER_BYTES + m; at + CHUNK_HEADER_BYTES <= file.length - 16;) {
    const h = parseChunkHeader(file.subarray(at, at + CHUNK_HEADER_BYTES))!;
    out.push(at);
    at += CHUNK_HEADER_BYTES + h.length;
  }
  return out;
}

for (const [label, make] of [["lossless", losslessFile], ["events", eventsFile], ["pca", pcaFile]] as const) {
  describe(`${label} container under damage`, () => {
    it("decodes every cut-short copy up to its last whole chunk, and nothing else", async () => {
      const { file, frames, fb } = await make();
      let whole = 0, refused = 0;
      for (let cut = 0; cut < file.length; cut++) {
        const r = await decodeAll(file.subarray(0, cut));
        if (r.ok) {
          whole++;
          // The frames offered are a prefix of the original, bit for bit.
          expect(Buffer.compare(Buffer.from(r.frames), Buffer.from(frames.subarray(0, r.count * fb))), `cut at ${cut}`).toBe(0);
        } else {
          refused++;
          expect(["truncated", "format", "limit", "corrupt"]).toContain(r.error.code);
        }
      }
      expect(whole).toBeGreaterThan(file.length / 2); // everything after the header decodes partially
      expect(refused).toBeGreaterThan(0);
    }, 120_000);

    it("survives 3000 random mutations: original data or a typed error", async () => {
      const { file, frames } = await make();
      const rng = new Rng(1234, label.length);
      let ok = 0;
      for (let i = 0; i < 3000; i++) {
        const b = file.slice();
        mutate(b, rng);
        const r = await decodeAll(b);
        if (r.ok) {
          ok++;
          // The checksums let no altered byte through: what decodes is the original (perhaps a prefix).
          expect(Buffer.compare(Buffer.from(r.frames), Buffer.from(frames.subarray(0, r.frames.length))), `mutation ${i}`).toBe(0);
        }
      }
      expect(ok).toBeGreaterThan(0);
    }, 120_000);

    it("survives 3000 mutations with recomputed checksums (the inner decoders see the damage)", async () => {
      const { file } = await make();
      const layout = chunkOffsets(file);
      const rng = new Rng(4321, label.length);
      const codes = new Map<string, number>();
      for (let i = 0; i < 3000; i++) {
        const b = file.slice();
        mutate(b, rng);
        fixChecksums(b, layout);
        const r = await decodeAll(b);
        const key = r.ok ? "ok" : r.error.code;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
      // Damage reached the inner decoders: some was caught by them, not only by checksums.
      expect([...codes.keys()].some((k) => k === "format" || k === "zstd")).toBe(true);
    }, 120_000);
  });
}

describe("limits are enforced before allocating", () => {
  it("refuses a chunk claiming 4 GB (payload or decoded) with a typed error, reading no more than the file", async () => {
    const { file } = await losslessFile();
    const layout = chunkOffsets(file);
    for (const field of [8, 12]) {
      const b = file.slice();
      const at = layout[1]!;
      const h = parseChunkHeader(b.subarray(at, at + CHUNK_HEADER_BYTES))!;
      const forged = field === 8 ? { ...h, length: 0xffffffff } : { ...h, rawLength: 0xfffffff0 };
      b.set(encodeChunkHeader(forged), at);
      putU32(b, b.length - 4, crc32c(b.subarray(b.length - 16, b.length - 4)));
      const src = watched(b);
      const r = await decodeAll(b, src);
      expect(src.total).toBeLessThanOrEqual(2 * b.length); // the work done is bounded by the file, not the claim
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/chunk 1 at byte \d+|beyond the 268435456-byte limit|inconsistent|disagrees/);
    }
    expect(MAX_CHUNK_BYTES).toBe(1 << 28);
  });

  it("reports a corrupt chunk by number and byte offset", async () => {
    const { file } = await losslessFile();
    const at = chunkOffsets(file)[2]!;
    const b = file.slice();
    b[at + CHUNK_HEADER_BYTES + 3]! ^= 0x10;
    const r = await decodeAll(b);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe(`chunk 2 at byte ${at}: the payload fails its CRC-32C`);
  });
});

describe("record stream decoder", () => {
  it("survives truncation at every offset and 3000 mutations: records or a typed error", () => {
    const rng = new Rng(5, 5);
    const ev = groupEvents([3, 3], [16, 16], 0, 9, Uint32Array.from({ length: 40 }, () => Math.floor(rng.next() * 9)), Uint32Array.from({ length: 40 }, () => Math.floor(rng.next() * 256)), Float64Array.from({ length: 40 }, () => Math.floor(rng.next() * 1e9)));
    const bytes = writeRecords(ev);
    const attempt = (b: Uint8Array) => {
      try { readRecords(b, [3, 3], [16, 16]); return "ok"; } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        return e.code;
      }
    };
    for (let cut = 0; cut <= bytes.length; cut++) expect(attempt(bytes.subarray(0, cut))).toBe(cut % 16 === 0 ? "ok" : "truncated");
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) { const b = bytes.slice(); mutate(b, rng); seen.add(attempt(b)); }
    expect(seen.has("format")).toBe(true);
  });
});
