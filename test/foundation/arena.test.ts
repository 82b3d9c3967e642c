// The JS-owned memory: aligned regions, reuse and coalescing, growth with fresh views, the 1 GiB region limit; and
// the single-threaded fallback when shared memory is missing.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Arena, Core, memoryDataset, platform, runReduction, setPlatform, virtualImages } from "../../bindings/index.js";

describe("arena", () => {
  it("hands out 16-byte-aligned, non-overlapping regions and reuses freed space", () => {
    const a = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 100 }), 1000);
    const p = [a.alloc(1), a.alloc(17), a.alloc(0), a.alloc(100)];
    for (const x of p) expect(x % 16).toBe(0);
    expect(p[0]).toBeGreaterThanOrEqual(1000);
    expect(new Set(p).size).toBe(4);
    expect(p[1]! - p[0]!).toBe(16);
    a.release(p[1]!);
    expect(a.alloc(20)).toBe(p[1]); // first fit: the freed 32-byte span
    a.release(p[0]!);
    a.release(p[1]!);
    expect(a.alloc(40)).toBe(p[0]); // the two freed neighbours coalesced
    expect(() => a.release(12345)).toThrow(/not an allocated region/);
  });

  it("grows the memory when needed, and views taken afterwards see the data", () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const a = new Arena(mem, 0);
    const small = a.put(new Uint8Array([1, 2, 3]));
    const big = a.alloc(5 * 65536);
    expect(mem.buffer.byteLength).toBeGreaterThanOrEqual(big + 5 * 65536);
    expect(Array.from(a.bytes(small, 3))).toEqual([1, 2, 3]);
    expect(a.usage.peak).toBeGreaterThanOrEqual(5 * 65536);
  });

  it("refuses a region over 1 GiB and a memory that cannot grow", () => {
    const a = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 0);
    expect(() => a.alloc(2 ** 30 + 1)).toThrow(/exceeds the 1 GiB limit/);
    expect(() => a.alloc(3 * 65536)).toThrow(/cannot grow the core's memory/);
    expect(() => a.alloc(-1)).toThrow(/cannot allocate -1 bytes/);
    // A failed growth leaves the arena as it was: what still fits is handed out from the start.
    expect(a.alloc(65536)).toBe(0);
    expect(a.alloc(65536)).toBe(65536);
  });
});

describe("single-threaded fallback", () => {
  it("runs every kernel on the calling thread with the simd build where shared memory is missing", async () => {
    const saved = platform();
    setPlatform({ ...saved, canShareMemory: false });
    try {
      const core = await Core.create({ workers: 2 });
      expect(core.build).toBe("simd");
      expect(core.workerCount).toBe(0);
      const ds = memoryDataset(Uint8Array.from({ length: 4 * 4 }, (_, i) => i), [2, 2, 2, 2]);
      const r = await runReduction(core, ds, virtualImages([new Float32Array([1, 0, 0, 1])]));
      expect(Array.from(r.images[0]!)).toEqual([3, 11, 19, 27]);
      await core.close();
    } finally {
      setPlatform(saved);
    }
  });
});

describe("focal series", () => {
  it("accepts extra leading navigation axes (5D) and returns nav-shaped images", async () => {
    const core = await Core.create({ workers: 0 });
    const data = Uint16Array.from({ length: 3 * 2 * 2 * 2 * 2 }, (_, i) => i);
    const r = await runReduction(core, memoryDataset(data, [3, 2, 2, 2, 2]), virtualImages([new Float32Array([1, 1, 1, 1])]));
    expect(r.navShape).toEqual([3, 2, 2]);
    expect(Array.from(r.images[0]!)).toEqual(Array.from({ length: 12 }, (_, f) => 4 * f * 4 + 6));
    await core.close();
  });
});
