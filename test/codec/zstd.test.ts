// The zstd backends' allocation-free calls: compressInto / decompressInto reuse regions of each backend's heap and
// write into the caller's buffer. Checked: frames of many sizes (the regions grow and are reused, smaller after
// bigger) decode through the other backend and through the allocating calls; our own build (build/zstd.wasm)
// loads without touching any global and its frames carry their content size and decode with the zstd command line
// (and the command line's with it); damaged frames and short output room are refused with typed errors.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import "../../bindings/node.js";
import { type ZstdBackendName, zstdBackend, zstdContentSize } from "../../bindings/index.js";
import { CodecError } from "../../codec/errors.js";

function data(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  // Compressible but not trivial: small random values with runs.
  return Uint8Array.from({ length: n }, (_, i) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 29) + ((i >> 6) & 3));
}

describe("zstd backends, allocation-free calls", () => {
  it("stem4d is the default, loads without replacing any WebAssembly global, and writes content sizes", async () => {
    const before = { ...Object.getOwnPropertyDescriptors(WebAssembly) };
    const b = await zstdBackend("stem4d");
    expect(Object.getOwnPropertyDescriptors(WebAssembly)).toEqual(before);
    expect([b.name, (await zstdBackend()).name, (await zstdBackend("auto")) === b]).toEqual(["stem4d", "stem4d", true]);
    for (const n of [0, 1, 255, 256, 65_791, 65_792, 3 << 20]) {
      expect(zstdContentSize(b.compress(data(n, n), 3), "frame")).toBe(n);
    }
  });

  const hasZstd = spawnSync("zstd", ["--version"]).status === 0;
  it.skipIf(!hasZstd)("stem4d and the zstd command line read each other's frames", async () => {
    const b = await zstdBackend("stem4d");
    for (const [i, n] of [0, 1000, 300_000].entries()) {
      const src = data(n, 40 + i);
      const ours = spawnSync("zstd", ["-d", "-c"], { input: b.compress(src, 5) });
      expect(ours.status, ours.stderr?.toString()).toBe(0);
      expect(Buffer.compare(ours.stdout, Buffer.from(src))).toBe(0);
      const theirs = spawnSync("zstd", ["-3", "-c", `--stream-size=${n}`], { input: src }).stdout;
      expect(Buffer.compare(Buffer.from(b.decompress(new Uint8Array(theirs), n)), Buffer.from(src))).toBe(0);
    }
  });

  for (const [enc, dec] of [["stem4d", "zstd-codec"], ["zstd-codec", "stem4d"], ["stem4d", "stem4d"], ["zstd-codec", "zstd-codec"]] as [ZstdBackendName, ZstdBackendName][]) {
    it(`${enc} compressInto -> ${dec} decompressInto, sizes growing and shrinking`, async () => {
      const e = await zstdBackend(enc), d = await zstdBackend(dec);
      const out = new Uint8Array(e.compressBound(3 << 20));
      for (const [i, n] of [0, 1, 100, 70_000, 1 << 20, 5000, 3 << 20, 17].entries()) {
        const src = data(n, i + 1);
        const len = e.compressInto(src, 1, out);
        expect(len).toBeLessThanOrEqual(e.compressBound(n));
        const frame = out.slice(0, len);
        const back = new Uint8Array(n).fill(0xaa);
        d.decompressInto(frame, back);
        expect(Buffer.compare(Buffer.from(back), Buffer.from(src)), `${n} bytes`).toBe(0);
        // The allocating calls agree with the reused ones.
        expect(Buffer.compare(Buffer.from(d.decompress(e.compress(src, 1), n)), Buffer.from(src))).toBe(0);
      }
    });
  }

  for (const name of ["stem4d", "zstd-codec"] as ZstdBackendName[]) {
    it(`${name} refuses damaged frames, wrong sizes and short output room`, async () => {
      const z = await zstdBackend(name);
      const src = data(50_000, 9);
      const frame = z.compress(src, 1);
      const bad = frame.slice();
      bad[Math.floor(bad.length / 2)] ^= 0xff;
      bad[bad.length - 1] ^= 0x55;
      expect(() => z.decompressInto(bad, new Uint8Array(src.length))).toThrow(CodecError);
      expect(() => z.decompressInto(frame, new Uint8Array(src.length - 1))).toThrow(/declares 50000 bytes/);
      expect(() => z.decompressInto(frame.subarray(0, 20), new Uint8Array(src.length))).toThrow(CodecError);
      expect(() => z.compressInto(src, 1, new Uint8Array(100))).toThrow(/compressBound/);
      // The backend still works after the errors.
      const back = new Uint8Array(src.length);
      z.decompressInto(frame, back);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(src))).toBe(0);
    });
  }
});
