// EVENTS chunk columns (codec/SPEC.md 4.2-4.3): the WASM-built columns and their segments (zstd, stored, bit-packed)
// decode to exactly the events that went in, for frame times, tick times of every offset width, wide detector steps
// and empty positions; each segment mode is really used; and payloads of the 1.0 layout (one zstd frame per column,
// no flag) still decode.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import {
  CodecError, EventGrouper, EventChunkDecoder, EventChunkEncoder, type SparseEvents, ChunkKind, groupEvents, planes, zstdBackend,
} from "../../bindings/index.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** P positions of ~perPos electrons on a detR x detC detector; times: none, frame indices, or base + offsets < span. */
function events(P: number, perPos: number, det: [number, number], times: "none" | "frames" | number, seed: number): SparseEvents {
  const r = rng(seed), pos: number[] = [], pix: number[] = [], t: number[] = [];
  const Q = det[0] * det[1];
  for (let p = 0; p < P; p++) {
    const n = p % 7 === 3 ? 0 : Math.floor(r() * 2 * perPos); // some empty positions
    for (let k = 0; k < n; k++) {
      pos.push(p); pix.push(Math.floor(r() * Q));
      t.push(times === "frames" ? p : typeof times === "number" ? 5e12 + p * times + Math.floor(r() * times) : 0);
    }
  }
  const g = groupEvents([1, P], det, 0, P, Uint32Array.from(pos), Uint32Array.from(pix), times === "none" ? undefined : Float64Array.from(t));
  return g;
}

describe("EVENTS chunk columns", () => {
  const det: [number, number] = [256, 256];
  const cases: [string, SparseEvents][] = [
    ["no times", events(64, 600, det, "none", 1)],
    ["frame times", events(64, 600, det, "frames", 2)],
    ["tick times, offsets < 2^8", events(64, 600, det, 200, 3)],
    ["tick times, offsets < 2^16", events(64, 600, det, 640, 4)],
    ["tick times, offsets < 2^32", events(40, 500, det, 3e6, 5)],
    ["tick times, offsets < 2^53", events(10, 300, det, 2 ** 40, 6)],
    ["sparse: wide steps", events(300, 3, [1024, 1024], 640, 7)],
    ["nothing at all", events(5, 0, det, 640, 8)],
  ];
  for (const backend of ["stem4d", "zstd-codec"] as const) {
    for (const [label, ev] of cases) {
      it(`${label} [${backend}]: decodes to exactly the events encoded`, async () => {
        const z = await zstdBackend(backend);
        const enc = await EventChunkEncoder.create(z);
        const { payload, rawLength, flags } = enc.encode(ev, 1);
        const P = ev.offsets.length - 1;
        const dec = new EventChunkDecoder(z, [1, P, ...ev.detShape]);
        const back = dec.decode({ kind: ChunkKind.Events, filter: 0, flags, length: payload.length, rawLength, first: 0, count: P, payloadCrc: 0 }, payload.slice(), "chunk 0");
        expect(Array.from(back.offsets)).toEqual(Array.from(ev.offsets));
        expect(Array.from(back.pixels)).toEqual(Array.from(ev.pixels));
        const timesAreFrames = ev.times?.every((t, e) => { let p = 0; while (ev.offsets[p + 1]! <= e) p++; return t === p; });
        if (ev.times && !timesAreFrames) expect(Array.from(back.times!)).toEqual(Array.from(ev.times));
        else expect(back.times).toBeUndefined();
        enc.dispose();
      });
    }
  }

  it("uses every segment mode on low-dose data with tick times (random low offset byte stored, high byte packed)", async () => {
    const z = await zstdBackend("stem4d");
    const ev = events(64, 600, det, 640, 4);
    const enc = await EventChunkEncoder.create(z);
    const { payload } = enc.encode(ev, 1);
    const P = 64, E = ev.offsets[P]!;
    // counts (1 or 2 bytes), steps (2 planes), bases (8 planes), offsets (2 planes)
    const wc = payload[0]!, wd = payload[1]!, wt = payload[3]!;
    expect([wd, wt, payload[2]]).toEqual([2, 2, 1]);
    const dv = new DataView(payload.buffer, payload.byteOffset);
    // Walk: the small columns are one segment each; steps and offsets are one segment per plane.
    const modes: number[] = [];
    let at = 8;
    const skip = () => { const w = dv.getUint32(at, true); modes.push(w >>> 30); at += 4 + (w & 0x3fffffff); };
    skip(); // counts (P * wc < 16 KB: whole)
    skip(); skip(); // step planes
    skip(); // bases (whole)
    skip(); skip(); // offset planes
    expect(at).toBe(payload.length);
    expect(wc * P).toBeLessThan(16384);
    expect(E * wd).toBeGreaterThan(16384);
    expect(modes[4]).toBe(2); // low byte of offsets in [0, 640): near-random -> stored
    expect(modes[5]).toBe(1); // high byte in {0, 1, 2} -> packed 2 bits
    expect(modes[2]).toBe(0); // high byte of steps: mostly 0 -> zstd
    // And it is compact: well under the 4 bytes per electron the issue allows with time.
    expect(payload.length / E).toBeLessThan(3);
  });

  it("survives 2000 random mutations of a payload with every segment mode: the events, or a typed error", async () => {
    const z = await zstdBackend("auto");
    const ev = events(40, 600, det, 640, 12);
    const enc = await EventChunkEncoder.create(z);
    const { payload, rawLength, flags } = enc.encode(ev, 1);
    const good = payload.slice(), P = 40;
    const dec = new EventChunkDecoder(z, [1, P, ...det]);
    const r = rng(99);
    let typed = 0, same = 0;
    for (let k = 0; k < 2000; k++) {
      const bad = good.slice();
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        const back = dec.decode({ kind: ChunkKind.Events, filter: 0, flags, length: bad.length, rawLength, first: 0, count: P, payloadCrc: 0 }, bad, "chunk 0");
        // A mutation may land where it changes nothing decodable (e.g. a stored byte): then the result is
        // well-formed events of the right shape, whatever their values.
        expect(back.offsets.length).toBe(P + 1);
        expect(back.pixels.length).toBe(back.offsets[P]);
        same++;
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(CodecError);
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(500);
    expect(typed + same).toBe(2000);
  });

  it("still decodes the 1.0 layout (one zstd frame per byte-shuffled column, no flag)", async () => {
    const z = await zstdBackend("zstd-codec");
    const ev = events(20, 50, det, 1000, 9);
    const P = 20, E = ev.offsets[P]!;
    const counts = Array.from({ length: P }, (_, i) => ev.offsets[i + 1]! - ev.offsets[i]!);
    const steps: number[] = [], bases: number[] = [], offs: number[] = [];
    let prevBase = 0;
    for (let p = 0; p < P; p++) {
      let prev = 0, base = prevBase;
      const a = ev.offsets[p]!, b = ev.offsets[p + 1]!;
      if (b > a) base = Math.min(...Array.from(ev.times!.subarray(a, b)));
      for (let e = a; e < b; e++) { steps.push(ev.pixels[e]! - prev); prev = ev.pixels[e]!; offs.push(ev.times![e]! - base); }
      bases.push(base - prevBase); // non-negative here: zigzag = 2s
      prevBase = base;
    }
    const zig = new Uint8Array(P * 8);
    bases.forEach((s, i) => { let v = BigInt(s) * 2n; for (let j = 0; j < 8; j++) { zig[j * P + i] = Number(v & 0xffn); v >>= 8n; } });
    const cols = [planes(counts, P, 1), planes(steps, E, 4), zig, planes(offs, E, 2)];
    const parts: number[] = [1, 4, 1, 2, E & 255, (E >> 8) & 255, (E >> 16) & 255, E >>> 24];
    for (const c of cols) { const f = z.compress(c, 3); parts.push(f.length & 255, (f.length >> 8) & 255, (f.length >> 16) & 255, f.length >>> 24, ...f); }
    const payload = Uint8Array.from(parts);
    const rawLength = cols.reduce((a, c) => a + c.length, 0);
    const back = new EventChunkDecoder(z, [1, P, ...det]).decode({ kind: ChunkKind.Events, filter: 0, flags: 0, length: payload.length, rawLength, first: 0, count: P, payloadCrc: 0 }, payload, "chunk 0");
    expect(Array.from(back.pixels)).toEqual(Array.from(ev.pixels));
    expect(Array.from(back.times!)).toEqual(Array.from(ev.times!));
  });
});

describe("grouping loose events in WASM", () => {
  it("gives what groupEvents gives (order by position, pixel, then input), with and without times", async () => {
    const g = await EventGrouper.create();
    for (const [P, E, Q, seed] of [[64, 20000, 65536, 1], [7, 500, 16, 2], [1, 0, 4, 3], [300, 3000, 1024 * 1024, 4]] as const) {
      const r = rng(seed);
      const pos = Uint32Array.from({ length: E }, () => 10 + Math.floor(r() * P));
      const pix = Uint32Array.from({ length: E }, () => Math.floor(r() * Q)); // small Q: many duplicates
      const t = Float64Array.from({ length: E }, (_, i) => 1e9 + i);
      const det: [number, number] = Q === 16 ? [4, 4] : Q === 4 ? [2, 2] : Q === 65536 ? [256, 256] : [1024, 1024];
      for (const time of [undefined, t]) {
        const a = groupEvents([1, P + 10], det, 10, P, pos, pix, time), b = g.group([1, P + 10], det, 10, P, pos, pix, time);
        expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
        expect(Array.from(b.pixels)).toEqual(Array.from(a.pixels));
        if (time) expect(Array.from(b.times!)).toEqual(Array.from(a.times!));
        else expect(b.times).toBeUndefined();
      }
    }
    expect(() => g.group([1, 4], [2, 2], 0, 4, Uint32Array.of(1, 4), Uint32Array.of(0, 0))).toThrow(/event 1: position 4 is outside \[0, 4\)/);
    expect(() => g.group([1, 4], [2, 2], 0, 4, Uint32Array.of(1, 2), Uint32Array.of(0, 4))).toThrow(/event 1: detector index 4 is outside the 2 x 2 detector/);
    g.dispose();
  });
});
