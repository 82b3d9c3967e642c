// The codec core's CRC-32C (codec/crc32c-core.ts), which encoders write into every chunk header, against the
// JavaScript one the readers check with: the same value for any length and alignment, through its window or in place.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core } from "../../bindings/core.js";
import { coreCrc32c } from "../../codec/crc32c-core.js";
import { crc32c } from "../../codec/crc32c.js";

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("the codec core's CRC-32C", () => {
  it("gives the check value of RFC 3720 (0xE3069283 for '123456789')", async () => {
    const sum = coreCrc32c(await Core.create({ workers: 0 }));
    expect(sum(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(sum(new Uint8Array(0))).toBe(0);
  });

  it("matches the JavaScript CRC-32C for lengths around its 16 KiB window and unaligned views", async () => {
    const sum = coreCrc32c(await Core.create({ workers: 0 }));
    const bytes = noise(70_000, 7);
    for (const [start, length] of [[0, 1], [3, 7], [1, 16383], [0, 16384], [5, 16385], [2, 32768], [1, 49153], [0, 70_000]] as const) {
      const view = bytes.subarray(start, start + length);
      expect(sum(view), `${length} bytes at ${start}`).toBe(crc32c(view));
    }
  });

  it("checks bytes that lie in the core's memory where they are, beyond its window", async () => {
    const core = await Core.create({ workers: 0 });
    const sum = coreCrc32c(core);
    const data = noise(40_001, 11), ptr = core.arena.alloc(data.length + 1);
    const inCore = core.arena.bytes(ptr + 1, data.length);
    inCore.set(data);
    expect(inCore.buffer).toBe(core.memory.buffer);
    expect(sum(inCore)).toBe(crc32c(data));
  });
});
