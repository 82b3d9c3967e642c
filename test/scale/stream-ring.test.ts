// The sender's ring of unacknowledged chunks: one buffer used as a circular queue. Random pushes and releases
// against a plain list of copies: every held chunk keeps its bytes until released, the held bytes never pass the
// capacity, an empty ring takes any chunk (one larger than the ring on its own), and frame ranges outlive the bytes.
import { describe, expect, it } from "vitest";
import { ChunkRing } from "../../bindings/scale/stream-ring.js";

function lcg(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
}

describe("ChunkRing", () => {
  it("keeps every held chunk's bytes intact through pushes and releases in any order of sizes", () => {
    const rnd = lcg(7), cap = 10_000, ring = new ChunkRing(cap);
    const model: Uint8Array[] = []; // model[i] is chunk ring.oldest + i
    let pushed = 0, waited = 0;
    for (let step = 0; step < 5000; step++) {
      const n = 1 + Math.floor(rnd() * (rnd() < 0.05 ? 12_000 : 3000));
      if (rnd() < 0.55 && ring.fits(n)) {
        const bytes = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
        ring.push(pushed, bytes, [pushed * 10, pushed * 10 + 10]);
        bytes.fill(0); // the ring copied it: the caller may reuse its buffer
        model.push(Uint8Array.from({ length: n }, (_, i) => ring.get(pushed)!.bytes[i]!));
        pushed++;
      } else {
        if (!ring.fits(n)) waited++;
        const k = Math.floor(rnd() * (model.length + 1));
        ring.release(ring.oldest + k);
        model.splice(0, k);
      }
      expect(ring.heldBytes).toBe(model.reduce((a, m) => a + m.length, 0));
      if (model.length > 1) expect(ring.heldBytes).toBeLessThanOrEqual(cap);
      if (model.length === 0) expect(ring.fits(n)).toBe(true);
      model.forEach((m, i) => expect(Buffer.from(ring.get(ring.oldest + i)!.bytes).equals(Buffer.from(m))).toBe(true));
    }
    expect(pushed).toBeGreaterThan(1000);
    expect(waited).toBeGreaterThan(10);
    expect(ring.framesOf(0, 2)).toEqual([0, 30]);
  });

  it("copies what it is given: a chunk pushed from a reused buffer keeps the bytes it had", () => {
    const ring = new ChunkRing(100), buf = new Uint8Array(40);
    buf.fill(1);
    ring.push(0, buf, null);
    buf.fill(2);
    ring.push(1, buf, null);
    expect([...ring.get(0)!.bytes].every((v) => v === 1)).toBe(true);
    expect([...ring.get(1)!.bytes].every((v) => v === 2)).toBe(true);
    expect(ring.fits(40)).toBe(false);
    ring.release(1);
    expect(ring.fits(40)).toBe(true);
  });

  it("takes a chunk larger than the whole ring when it is empty, and nothing beside it", () => {
    const ring = new ChunkRing(100);
    ring.push(0, new Uint8Array(250).fill(9), [0, 5]);
    expect(ring.get(0)!.bytes.length).toBe(250);
    expect(ring.fits(1)).toBe(false);
    ring.release(1);
    expect(ring.fits(100)).toBe(true);
    expect(ring.framesOf(0, 0)).toEqual([0, 5]);
  });
});
