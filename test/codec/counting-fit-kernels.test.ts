// The threshold fit's passes run as kernels of the core (assembly/counting.ts, bindings/analyses/counting.ts): they
// must give JavaScript's loops' sums and histogram to the bit, block after block, or the thresholds (and so the
// events and the wire bytes) would change with the JavaScript tier.
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core } from "../../bindings/core.js";
import { GaussianFitter } from "../../codec/gaussian-fit.js";

/** Noise of sigma 3 around 0.2 with a tail of electrons, a NaN and infinities (skipped by the histogram). */
function values(n: number): Float32Array {
  const v = new Float32Array(n);
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let i = 0; i < n; i++) v[i] = 0.2 + 3 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()) + (rnd() < 0.01 ? 35 : 0);
  v[7] = NaN; v[11] = Infinity; v[13] = -Infinity;
  return v;
}

describe("the threshold fit's kernels", () => {
  it("sum, sum the squared deviations and histogram as JavaScript does, to the bit, over blocks", async () => {
    const core = await Core.create({ workers: 0 });
    const data = values(50_000), blocks = [0, 1, 4096, 20_000, 33_333, 50_000];
    const ptr = core.arena.alloc(data.byteLength);
    core.arena.bytes(ptr, data.byteLength).set(new Uint8Array(data.buffer));
    const finite = data.filter(Number.isFinite);
    const fp = core.arena.alloc(finite.byteLength);
    core.arena.bytes(fp, finite.byteLength).set(new Uint8Array(finite.buffer));

    let sum = 0, kernelSum = 0, ss = 0, kernelSs = 0;
    for (const x of finite) sum += x;
    const mean = sum / finite.length;
    for (const x of finite) ss += (x - mean) ** 2;
    for (let b = 0; b + 1 < blocks.length; b++) {
      const at = Math.min(blocks[b]!, finite.length), end = Math.min(blocks[b + 1]!, finite.length);
      kernelSum = core.call("fitSumF32", fp + 4 * at, end - at, kernelSum);
      kernelSs = core.call("fitSquaredDeviationsF32", fp + 4 * at, end - at, mean, kernelSs);
    }
    expect(Object.is(kernelSum, sum)).toBe(true);
    expect(Object.is(kernelSs, ss)).toBe(true);

    const js = new GaussianFitter(data.length), wasm = new GaussianFitter(data.length);
    js.sample(data);
    wasm.sample(data);
    const h = wasm.histogram()!, hist = core.arena.alloc(h.hist.byteLength);
    core.arena.bytes(hist, h.hist.byteLength).fill(0);
    for (let b = 0; b + 1 < blocks.length; b++) {
      js.count(data.subarray(blocks[b], blocks[b + 1]));
      core.call("fitHistogramF32", ptr + 4 * blocks[b]!, blocks[b + 1]! - blocks[b]!, h.lo, h.width, hist, h.hist.length);
    }
    h.hist.set(new Float64Array(core.memory.buffer, hist, h.hist.length));
    expect(h.hist.reduce((a, c) => a + c, 0)).toBeGreaterThan(40_000);
    expect(wasm.fit()).toEqual(js.fit());
    expect(Array.from(h.hist)).toEqual(Array.from(js.histogram()!.hist));
  });
});
