// The zstd backends' allocation-free calls: compressInto / decompressInto reuse regions of each backend's heap and
// write into the caller's buffer. Checked: frames of many sizes (the regions grow and are reused, smaller after
// bigger) decode through the other backend and through the allocating calls; bokuweb runs on its reused contexts
// (not the package's per-call fallback); damaged frames and short output room are refused with typed errors.
import { describe, expect, it } from "vitest";
import { type ZstdBackendName, zstdBackend } from "../../bindings/index.js";
import { CodecError } from "../../codec/errors.js";

function data(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  // Compressible but not trivial: small random values with runs.
  return Uint8Array.from({ length: n }, (_, i) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 29) + ((i >> 6) & 3));
}

describe("zstd backends, allocation-free calls", () => {
  it("bokuweb drives its own reused contexts and regions", async () => {
    const b = await zstdBackend("bokuweb");
    expect((b as { persistent?: boolean }).persistent).toBe(true);
  });

  for (const [enc, dec] of [["bokuweb", "zstd-codec"], ["zstd-codec", "bokuweb"], ["bokuweb", "bokuweb"], ["zstd-codec", "zstd-codec"]] as [ZstdBackendName, ZstdBackendName][]) {
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

  for (const name of ["bokuweb", "zstd-codec"] as ZstdBackendName[]) {
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
