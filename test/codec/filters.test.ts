// The pre-filter kernels (assembly/shuffle.ts) against literal JS readings of codec/SPEC.md section 3, on sizes that
// are not multiples of the SIMD width or of the bitshuffle block.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core } from "../../bindings/index.js";
import { bitShuffleRef, byteShuffleRef, deltaRef, sameBytes } from "./helpers.js";
import { Rng } from "../../bindings/simulate.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

function randomBytes(n: number, seed: number, sparse = 0.5): Uint8Array {
  const rng = new Rng(seed), b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.next() < sparse ? 0 : Math.floor(rng.next() * 256);
  return b;
}

function run(fn: string, input: Uint8Array, outBytes: number, ...args: number[]): Uint8Array {
  const src = core.arena.put(input), dst = core.arena.alloc(outBytes), tmp = core.arena.alloc(8192);
  try {
    core.call(fn, src, dst, ...args.map((a) => (a === -1 ? tmp : a)));
    return core.arena.bytes(dst, outBytes).slice();
  } finally {
    core.arena.release(src); core.arena.release(dst); core.arena.release(tmp);
  }
}

const SIZES = [1, 7, 8, 15, 16, 17, 33, 100, 2047, 2048, 4096 + 13, 8192 + 8, 20001];

describe("byte shuffle kernel", () => {
  for (const w of [1, 2, 4, 8]) {
    it(`matches the spec and inverts exactly, w=${w}`, () => {
      for (const n of SIZES) {
        const src = randomBytes(n * w, n + w);
        const shuffled = run("shufBytes", src, n * w, n, w);
        expect(sameBytes(shuffled, byteShuffleRef(src, n, w))).toBe(true);
        expect(sameBytes(run("unshufBytes", shuffled, n * w, n, w), src)).toBe(true);
      }
    });
  }
});

describe("bit shuffle kernel", () => {
  for (const w of [1, 2, 4]) {
    it(`matches the spec (bitshuffle layout) and inverts exactly, w=${w}`, () => {
      for (const n of SIZES) {
        const src = randomBytes(n * w, 3 * n + w, 0.3);
        const shuffled = run("shufBits", src, n * w, n, w, -1);
        expect(sameBytes(shuffled, bitShuffleRef(src, n, w)), `n=${n}`).toBe(true);
        expect(sameBytes(run("unshufBits", shuffled, n * w, n, w, -1), src), `n=${n}`).toBe(true);
      }
    });
  }
});

describe("delta kernels", () => {
  for (const [w, suffix] of [[1, "U8"], [2, "U16"], [4, "U32"]] as const) {
    it(`encode matches the spec and decode is its inverse, ${suffix}`, () => {
      for (const [frames, q] of [[1, 1], [3, 7], [2, 33], [4, 1000], [1, 4099]] as const) {
        const src = randomBytes(frames * q * w, frames * q + w, 0.2);
        const enc = run(`shufDeltaEncode${suffix}`, src, src.length, frames, q);
        expect(sameBytes(enc, deltaRef(src, frames, q, w))).toBe(true);
        const p = core.arena.put(enc);
        core.call(`shufDeltaDecode${suffix}`, p, frames, q);
        expect(sameBytes(core.arena.bytes(p, enc.length).slice(), src)).toBe(true);
        core.arena.release(p);
      }
    });
  }
});

describe("bit shuffle layout", () => {
  it("is what the HDF5 bitshuffle decoder (assembly/bitshuffle.ts, checked against numpy) reads", () => {
    expect(typeof core.exports.bitshuffleUntranspose).toBe("function"); // its own tests pin it to numpy
    for (const w of [1, 2, 4]) {
      const B = 8192 / w, n = 2 * B + 24; // two full blocks and a short one (a multiple of 8)
      const src = randomBytes(n * w, w + 40, 0.4);
      const shuffled = run("shufBits", src, n * w, n, w, -1);
      const out = new Uint8Array(n * w);
      for (let s = 0; s < n; s += B) {
        const b = Math.min(B, n - s);
        // (src, dst, n, elemSize, scratch): the scratch pointer is what run() substitutes for -1.
        out.set(run("bitshuffleUntranspose", shuffled.subarray(s * w, (s + b) * w), b * w, b, w, -1), s * w);
      }
      expect(sameBytes(out, src), `w=${w}`).toBe(true);
    }
  });
});

describe("floor filter kernels (SPEC section 3, filter 3)", () => {
  const widths: [string, number][] = [["U8", 1], ["U16", 2], ["U32", 4]];
  for (const [suffix, w] of widths) {
    it(`writes the per-pixel minimum, then each frame less it modulo 2^${8 * w}, and inverts exactly, w=${w}`, () => {
      for (const [frames, q] of [[1, 7], [3, 100], [17, 33], [5, 2049]] as const) {
        const src = randomBytes(frames * q * w, frames * 31 + q, 0.2);
        const out = run(`floorEncode${suffix}`, src, (frames + 1) * q * w, frames, q);
        // Straight JS reading of the spec.
        const get = (b: Uint8Array, i: number) => { let v = 0; for (let j = w - 1; j >= 0; j--) v = v * 256 + b[i * w + j]!; return v; };
        const want = new Uint8Array((frames + 1) * q * w);
        const put = (i: number, v: number) => { for (let j = 0; j < w; j++) { want[i * w + j] = v % 256; v = Math.floor(v / 256); } };
        const mod = 2 ** (8 * w);
        for (let k = 0; k < q; k++) {
          let m = Infinity;
          for (let f = 0; f < frames; f++) m = Math.min(m, get(src, f * q + k));
          put(k, m);
          for (let f = 0; f < frames; f++) put(q + f * q + k, (get(src, f * q + k) - m + mod) % mod);
        }
        expect(sameBytes(out, want)).toBe(true);
        expect(sameBytes(run(`floorDecode${suffix}`, out, frames * q * w, frames, q), src)).toBe(true);
      }
    });
  }
});
