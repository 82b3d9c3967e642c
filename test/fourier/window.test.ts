// The Hann-windowed scan power spectrum (the default of `fft` and of the report) against numpy: the data multiplied
// by scipy.signal.get_window("hann", n) along each scan axis, transformed with numpy.fft.fft2 over the scan axes,
// |.|^2 summed over the detector. Also: the window suppresses the streak a non-periodic scan puts on the axes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, memoryDataset } from "../../bindings/index.js";
import { hannWindow, scanPowerSpectrum } from "../../bindings/analyses/fourier-scan.js";
import { hasPython, runPython } from "../helpers/python.js";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 2 }); });
afterAll(async () => { await core.close(); });

describe("Hann apodisation of the scan power spectrum", () => {
  it.skipIf(!hasPython(["numpy", "scipy"]))("equals numpy on the windowed data, for even, odd, 2-wide and line scans and several passes", async () => {
    for (const [ny, nx, rows, cols, memory] of [[12, 10, 3, 4, 1 << 20], [7, 9, 5, 3, 7 * 9 * 8 * 2], [1, 9, 2, 3, 1 << 20], [2, 5, 3, 3, 1 << 20]] as const) {
      const n = ny * nx * rows * cols;
      const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 101) / 10 + (i % 13));
      const ds = memoryDataset(values, [ny, nx, rows, cols]);
      const ours = await scanPowerSpectrum(core, ds, { window: "hann", memoryBytes: memory });
      const ref = JSON.parse(runPython(`
import json, sys, numpy as np
from scipy.signal import get_window
ny, nx, r, c = map(int, sys.argv[1:5])
d = np.frombuffer(sys.stdin.buffer.read(), dtype="<f4").reshape(ny, nx, r, c).astype(np.float64)
w = get_window("hann", ny)[:, None] * get_window("hann", nx)[None, :]
p = (np.abs(np.fft.fft2(d * w[:, :, None, None], axes=(0, 1))) ** 2).sum(axis=(2, 3))
print(json.dumps(p.ravel().tolist()))`, [ny, nx, rows, cols].map(String), new Uint8Array(values.buffer)));
      const max = Math.max(...ref);
      ours.power.forEach((v, i) => expect(Math.abs(v - ref[i]) / max).toBeLessThan(1e-5));
    }
  });

  it("is the periodic Hann window, and removes the streak a linear ramp puts on the axes", async () => {
    Array.from(hannWindow(4)).forEach((v, i) => expect(v).toBeCloseTo([0, 0.5, 1, 0.5][i]!, 15));
    expect(Array.from(hannWindow(1))).toEqual([1]);
    // A ramp along x is not periodic: unwindowed, its power leaks along the kx axis far from DC.
    const ny = 16, nx = 16, ds = memoryDataset(Float32Array.from({ length: ny * nx }, (_, i) => (i % nx) + 100), [ny, nx, 1, 1]);
    const plain = (await scanPowerSpectrum(core, ds, { window: "none" })).power, hann = (await scanPowerSpectrum(core, ds, { window: "hann" })).power;
    const far = (p: Float64Array) => p[6]! / p[0]!; // (ky, kx) = (0, 6) relative to DC
    expect(far(plain)).toBeGreaterThan(1e-5);
    expect(far(hann)).toBeLessThan(far(plain) / 100);
  });
});
