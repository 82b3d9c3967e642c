// PCA-lossy mode: the error the encoder stores equals the error measured on the decoded frames, the error is what an
// exact rank-K PCA (numpy's SVD) leaves plus a little quantization, a target error picks enough components, the
// sparse residual lowers the error, and the decoded container is a dataset analyses accept.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, bufferByteSource, diskMask, memoryDataset, runReduction, simulateTwoPhase, virtualImages } from "../../bindings/index.js";
import { MemorySink, compressPca, openContainerDataset, type PcaLossyOptions } from "../../bindings/index.js";
import { hasPython, runPython } from "../helpers/python.js";

let core: Core;
let data: Uint16Array;
const shape = [12, 10, 24, 24], P = 120, Q = 576;
beforeAll(async () => {
  core = await Core.create({ workers: 0 });
  const { dataset } = simulateTwoPhase({ scan: [12, 10], detector: [24, 24], dose: 4000, seed: 5 });
  const bytes = new Uint8Array(P * Q * 2);
  await dataset.source.readFrames(0, P, bytes);
  data = new Uint16Array(bytes.buffer);
});
afterAll(async () => { await core.close(); });

async function roundTrip(o: PcaLossyOptions) {
  const sink = new MemorySink();
  const r = await compressPca(core, memoryDataset(data, shape), sink, { framesPerChunk: 50, ...o });
  const ds = await openContainerDataset(bufferByteSource(sink.bytes(), "pca.s4d"));
  const out = new Float32Array(P * Q);
  await ds.source.readFrames(0, P, new Uint8Array(out.buffer));
  return { r, ds, out, bytes: sink.bytes().length };
}

function measured(out: Float32Array) {
  let sse = 0, ss = 0, max = 0, lo = Infinity, hi = -Infinity;
  for (let t = 0; t < data.length; t++) {
    const d = data[t]!, e = d - out[t]!;
    sse += e * e; ss += d * d;
    if (Math.abs(e) > max) max = Math.abs(e);
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  return { rel: Math.sqrt(sse / ss), psnr: 10 * Math.log10((hi - lo) ** 2 / (sse / data.length)), max };
}

describe("PCA-lossy", () => {
  it("stores exactly the error measured after decoding", async () => {
    const { r, ds, out } = await roundTrip({ components: 6 });
    const m = measured(out);
    expect(r.relativeFrobeniusError).toBe(m.rel);
    expect(r.psnr).toBe(m.psnr);
    expect(r.maxAbsError).toBe(m.max);
    expect((ds.metadata?.summary as { error: { relativeFrobeniusError: number } }).error.relativeFrobeniusError).toBe(m.rel);
    expect(ds.dtype).toBe("f32");
    expect(ds.shape).toEqual(shape);
  });

  it.skipIf(!hasPython(["numpy"]))("leaves the error of an exact rank-K PCA, plus a little quantization", async () => {
    for (const k of [2, 6, 12]) {
      const { r } = await roundTrip({ components: k });
      const ref = Number(runPython(`
import sys, numpy as np
d = np.frombuffer(sys.stdin.buffer.read(), "<u2").astype(np.float64).reshape(${P}, ${Q})
k = int(sys.argv[1]); m = d.mean(0); u, s, vt = np.linalg.svd(d - m, full_matrices=False)
rec = m + (u[:, :k] * s[:k]) @ vt[:k]
print(np.linalg.norm(d - rec) / np.linalg.norm(d))`, [String(k)], new Uint8Array(data.buffer)));
      expect(r.relativeFrobeniusError).toBeGreaterThanOrEqual(ref * 0.999);
      expect(r.relativeFrobeniusError).toBeLessThan(ref * 1.02 + 1e-4);
    }
  });

  it("picks enough components for a target error, and says what it achieved", async () => {
    const loose = await roundTrip({ maxError: 0.2 }), tight = await roundTrip({ maxError: 0.08 });
    expect(loose.r.relativeFrobeniusError).toBeLessThanOrEqual(0.2);
    expect(tight.r.relativeFrobeniusError).toBeLessThanOrEqual(0.08);
    expect(tight.r.components).toBeGreaterThan(loose.r.components);
    expect(tight.bytes).toBeGreaterThan(loose.bytes);
  });

  it("lowers the error with a sparse residual of the largest errors", async () => {
    const plain = await roundTrip({ components: 3 }), withRes = await roundTrip({ components: 3, residual: 20 });
    expect(withRes.r.maxAbsError).toBeLessThan(plain.r.maxAbsError);
    expect(withRes.r.relativeFrobeniusError).toBeLessThan(plain.r.relativeFrobeniusError);
    expect(withRes.r.relativeFrobeniusError).toBe(measured(withRes.out).rel);
  });

  it("decodes to a dataset the analyses accept", async () => {
    const { ds, out } = await roundTrip({ components: 8 });
    const mask = diskMask(24, 24, { cy: 11.5, cx: 11.5 }, 5);
    const a = await runReduction(core, ds, virtualImages([mask]));
    const b = await runReduction(core, memoryDataset(out, shape), virtualImages([mask]));
    expect(Array.from(a.images[0]!)).toEqual(Array.from(b.images[0]!));
  });
});
