// FEI/Thermo TIA .emi + .ser: the real 5-frame int32 diffraction series against numpy on the raw bytes, and series
// written here from the format description: a 2-D scan with position tags, other pixel types, a scan stopped early,
// scattered elements, 32-bit offsets, damaged files.
import { describe, expect, it } from "vitest";
import { openDataset } from "../../bindings/node.js";
import { hasPython, runPython } from "../helpers/python.js";
import { everyTruncation, randomMutations } from "./fuzz.js";
import { openBytes, readAll, real, sumsOf } from "./helpers.js";
import { serFile } from "../../bench/ser-writer.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";

const SER = real("tia/128x128x5-diffraction_preview_1.ser");
const EMI = real("tia/128x128x5-diffraction_preview.emi");

describe.skipIf(!hasPython(["numpy"]))("real TIA series (128 x 128 x 5, int32)", () => {
  // numpy reads the header fields it needs itself: offsets array, element header, pixels (bottom row first)
  const ref = JSON.parse(runPython(`
import numpy as np, sys, json
b = open(sys.argv[1], 'rb').read()
valid = int(np.frombuffer(b, '<u4', 1, 18)[0]); oao = int(np.frombuffer(b, '<u8', 1, 22)[0])
offs = np.frombuffer(b, '<u8', valid, oao)
frames = []
for o in offs:
    o = int(o); sx, sy = np.frombuffer(b, '<u4', 2, o + 42)
    frames.append(np.frombuffer(b, '<i4', sx * sy, o + 50).reshape(sy, sx)[::-1].astype(np.int64))
d = np.stack(frames)
print(json.dumps({"shape": list(d.shape), "sums": d.sum((1, 2)).tolist(), "row0": d[:, 0, :].sum(1).tolist(),
                  "first": d[0, 0, :4].tolist()}))
`, [SER])) as { shape: number[]; sums: number[]; row0: number[]; first: number[] };

  for (const [label, path] of [[".ser", SER], [".emi", EMI]]) {
    it(`opened by its ${label}: 5 frames of 128 x 128 int32 as f32, equal to numpy's, the .emi's XML as ` +
        `metadata`, async () => {
      const ds = await openDataset(path);
      expect(ds.shape).toEqual(ref.shape);
      expect(ds.dtype).toBe("f32");
      const v = await readAll(ds);
      expect(sumsOf(v, 5)).toEqual(ref.sums);
      const row0 = (f: number) => { let s = 0; for (let c = 0; c < 128; c++) s += v[f * 16384 + c]!; return s; };
      expect([0, 1, 2, 3, 4].map(row0)).toEqual(ref.row0);
      expect(Array.from(v).slice(0, 4)).toEqual(ref.first);
      const md = ds.metadata as Record<string, any>;
      expect([md.format, md.version, md.dataType, md.validElements])
        .toEqual(["tia", "0x220", "int32 (read as f32)", 5]);
      expect(md.emi.ExperimentalDescription["High tension (kV)"]).toBe("200");
      expect(md.emi.ExperimentalConditions.MicroscopeConditions.AcceleratingVoltage).toBe("200000");
      expect(ds.calibration?.axes?.[1]).toMatchObject({ name: "ky", unit: "1/m" });
      await ds.source.close?.();
    });
  }
});

/** Frame k stored bottom row first: pixel (r, c) holds k * 1000 + r * sx + c. */
function storedFrame(k: number, sx: number, sy: number, kind: "u16" | "f64"): Uint8Array {
  const vals = Array.from({ length: sx * sy }, (_, i) => k * 1000 + (sy - 1 - Math.floor(i / sx)) * sx + (i % sx));
  return new Uint8Array((kind === "u16" ? Uint16Array.from(vals) : Float64Array.from(vals.map((v) => v / 8))).buffer);
}
const expected = (frames: number, sx: number, sy: number, scale = 1) =>
  Array.from({ length: frames * sx * sy }, (_, i) => (Math.floor(i / (sx * sy)) * 1000 + (i % (sx * sy))) / scale);
const position = (size: number, delta: number) => ({ size, delta, units: "meters", description: "Position" });
const scanDims = [position(3, 2e-9), position(2, 3e-9)];
const series = (size: number) => [{ size, delta: 1, units: "", description: "Number" }];

describe("synthetic TIA series", () => {
  it("a 2 x 3 scan: rows from dimension 2, x moving first by the position tags, uint16 kept as u16", async () => {
    const frames = Array.from({ length: 6 }, (_, k) => storedFrame(k, 4, 3, "u16"));
    const positions = Array.from({ length: 6 }, (_, k) => [k % 3, Math.floor(k / 3)] as [number, number]);
    const spec = { dataType: 2, size: 2, sx: 4, sy: 3, frames, dims: scanDims };
    const ds = await openBytes("scan_1.ser", serFile({ ...spec, positions }));
    expect([ds.shape, ds.dtype]).toEqual([[2, 3, 3, 4], "u16"]);
    expect(Array.from(await readAll(ds))).toEqual(expected(6, 4, 3));
    expect(ds.calibration?.axes?.slice(0, 2))
      .toEqual([{ name: "y", step: 3e-9, unit: "m" }, { name: "x", step: 2e-9, unit: "m" }]);
    // y moving first: the first dimension is the slow axis
    const yFirst = positions.map(([x, y]) => [y, x] as [number, number]);
    const t = await openBytes("t_1.ser", serFile({ ...spec, positions: yFirst }));
    expect(t.shape).toEqual([3, 2, 3, 4]);
  });

  it("a stopped scan reads zeros where it stopped; float64 as f32; 32-bit offsets; scattered elements", async () => {
    const frames = Array.from({ length: 4 }, (_, k) => storedFrame(k, 2, 2, "f64"));
    const gap = (k: number) => 3 * k;
    const file = serFile({ version: 0x210, dataType: 8, size: 8, sx: 2, sy: 2, frames, dims: scanDims, total: 6, gap });
    const ds = await openBytes("stop_1.ser", file);
    expect([ds.shape, ds.dtype, (ds.metadata as any).emptyPositions]).toEqual([[2, 3, 2, 2], "f32", 2]);
    expect(Array.from(await readAll(ds))).toEqual([...expected(4, 2, 2, 8), ...new Array(8).fill(0)]);
  });

  it("complex series open for info and refuse frames; a .emi without its .ser says which file it wanted", async () => {
    const complex = serFile({ dataType: 9, size: 8, sx: 2, sy: 2, frames: [new Uint8Array(32)], dims: series(1) });
    const ds = await openBytes("c_1.ser", complex);
    expect((ds.metadata as any).dataType).toBe("complex64 (not readable)");
    await expect(ds.source.readFrames(0, 1, new Uint8Array(16)))
      .rejects.toThrow(/c_1\.ser: the series holds complex64 pixels \(data type 9\)/);
    await expect(openBytes("lonely.emi", new Uint8Array(100)))
      .rejects.toThrow(/lonely\.emi: cannot open its series file lonely_1\.ser/);
  });
});

describe("damaged TIA series", () => {
  const frames = Array.from({ length: 3 }, (_, k) => storedFrame(k, 3, 2, "u16"));
  const file = serFile({ dataType: 2, size: 2, sx: 3, sy: 2, frames, dims: series(3) });
  const original = new Uint8Array(Uint16Array.from(expected(3, 3, 2)).buffer);
  it("cut at every offset: one clear error naming the file, or the original frames", async () => {
    const r = await everyTruncation("d_1.ser", file, original);
    expect(r.refused).toBe(file.length); // the offset arrays sit at the end: any cut loses them
  }, 120_000);
  it("3000 random mutations: frames or one clear error", async () => {
    const r = await randomMutations("d_1.ser", file, 3000, 15);
    expect(r.opened + r.refused).toBe(3000);
  }, 120_000);
});

describe.skipIf(!cliBuilt)("stem4d info and convert on the new readers", () => {
  it("info shows shape, dtype, calibration and the file's metadata (TIA via its .emi, DM)", () => {
    const tia = stem4d("info", EMI, "--json");
    expect(tia.status).toBe(0);
    const t = JSON.parse(tia.stdout);
    expect([t.shape, t.dtype, t.metadata.format, t.calibration.axes[1].unit])
      .toEqual([[5, 128, 128], "f32", "tia", "1/m"]);
    const dm = JSON.parse(stem4d("info", real("dm/test-6.dm3"), "--json").stdout);
    expect([dm.shape, dm.dtype, dm.metadata.format, dm.metadata.images.length]).toEqual([[2, 2, 2], "u8", "dm3", 2]);
  });

  it("a bad option or a damaged file is one line on stderr with a non-zero status", () => {
    const bad = stem4d("info", real("dm/test-6.dm3"), "--dm-order", "sideways");
    expect([bad.status, bad.stderr.trim().split("\n").length]).toEqual([2, 1]);
    const missing = stem4d("info", real("dm/test-6.dm3"), "--image", "7");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/test-6\.dm3: image 7 does not exist; the file's ImageList holds 2 \(0-1\)/);
  });
});

