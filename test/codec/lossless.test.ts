// Lossless frame mode end to end: bit-exact round trips for every dtype, filter and delta setting, random access
// to any frame range through the index, and both zstd backends reading each other's containers.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { DTYPES, type Dtype, bufferByteSource, frameBytes, memoryDataset } from "../../bindings/index.js";
import { MemorySink, compressLossless, openContainerDataset, type FilterName, type ZstdBackendName } from "../../bindings/index.js";
import { bitPatterns, bytesOf, sameBytes } from "./helpers.js";

async function roundTrip(dtype: Dtype, shape: number[], o: { filter?: FilterName; delta?: boolean; framesPerChunk?: number; zstd?: ZstdBackendName; decodeWith?: ZstdBackendName; sparse?: number }) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = bitPatterns(dtype, n, shape.length * 7 + n, o.sparse ?? 0.6);
  const sink = new MemorySink();
  const r = await compressLossless(memoryDataset(data, shape), sink, { filter: o.filter, delta: o.delta, framesPerChunk: o.framesPerChunk, zstd: o.zstd });
  const file = sink.bytes();
  const ds = await openContainerDataset(bufferByteSource(file, "rt.s4d"), { zstd: o.decodeWith ?? o.zstd });
  return { data, file, ds, r };
}

describe("lossless round trip", () => {
  for (const dtype of DTYPES) {
    for (const filter of ["none", "byteshuffle", "bitshuffle", "floor"] as const) {
      if (filter === "floor" && dtype === "f32") continue; // refused: see below
      for (const delta of [false, true]) {
        it(`is bit-exact for ${dtype}, ${filter}${delta ? " + delta" : ""}`, async () => {
          const shape = [3, 5, 9, 13];
          const { data, ds, r } = await roundTrip(dtype, shape, { filter, delta, framesPerChunk: 4 });
          expect(r.chunks).toBe(4);
          expect(ds.shape).toEqual(shape);
          expect(ds.dtype).toBe(dtype);
          const out = new Uint8Array(data.byteLength);
          await ds.source.readFrames(0, 15, out);
          expect(sameBytes(out, bytesOf(data))).toBe(true);
        });
      }
    }
  }

  it("refuses the floor filter on f32 frames with one line", async () => {
    await expect(roundTrip("f32", [2, 2, 4, 4], { filter: "floor" })).rejects.toThrow("the floor filter takes integer frames (u8, u16, u32), not f32");
  });

  it("floor compresses an integrating detector's frames (dark level, read noise, sparse electrons) 1.3x better than bitshuffle", async () => {
    const { simulateElectronFrames } = await import("../../bindings/index.js");
    const ds = simulateElectronFrames({ scan: [8, 16], detector: [128, 128], dose: 0.005, seed: 3 }).dataset;
    const size = async (filter: FilterName) => { const sink = new MemorySink(); await compressLossless(ds, sink, { filter }); return sink.bytes(); };
    const [bit, floor] = [await size("bitshuffle"), await size("floor")];
    expect(bit.length / floor.length).toBeGreaterThan(1.3);
    const back = await openContainerDataset(bufferByteSource(floor, "floor.s4d"));
    const want = new Uint8Array(128 * frameBytes(ds)), got = new Uint8Array(want.length);
    await ds.source.readFrames(0, 128, want);
    await back.source.readFrames(0, 128, got);
    expect(sameBytes(got, want)).toBe(true);
  });

  it("reads any frame range through the index, across chunk boundaries", async () => {
    const shape = [7, 3, 16, 16];
    const { data, ds } = await roundTrip("u16", shape, { framesPerChunk: 5 });
    const fb = frameBytes(ds);
    for (const [s, c] of [[0, 1], [4, 2], [5, 5], [3, 13], [20, 1], [0, 21], [11, 0]] as const) {
      const out = new Uint8Array(c * fb);
      await ds.source.readFrames(s, c, out);
      expect(sameBytes(out, bytesOf(data).subarray(s * fb, (s + c) * fb)), `frames [${s}, ${s + c})`).toBe(true);
    }
    await expect(ds.source.readFrames(20, 2, new Uint8Array(2 * fb))).rejects.toThrow(/outside the 21 frames/);
  });

  it("keeps shape, dtype and calibration in the metadata", async () => {
    const { ds } = await roundTrip("u8", [2, 2, 4, 4], {});
    expect(ds.metadata?.mode).toBe("lossless");
    expect(ds.metadata?.complete).toBe(true);
    expect((ds.metadata?.params as Record<string, unknown>).filter).toBe("bitshuffle");
  });
});

describe("zstd backends", () => {
  for (const [enc, dec] of [["stem4d", "zstd-codec"], ["zstd-codec", "stem4d"]] as const) {
    it(`${dec} decodes a container written with ${enc}`, async () => {
      const { data, ds } = await roundTrip("u16", [4, 4, 32, 32], { zstd: enc, decodeWith: dec, framesPerChunk: 3 });
      const out = new Uint8Array(data.byteLength);
      await ds.source.readFrames(0, 16, out);
      expect(sameBytes(out, bytesOf(data))).toBe(true);
    });
  }
});
