// Gatan DigitalMicrograph: the real DM3/DM4 stacks (written by GMS from a script that sets voxel (x, y, z) to
// 1 + x + 2y + 4z, so C order reads 1..8), and files written here from the format description: every numeric data
// type, 4D scans in both layouts, a DM4 whose data sit beyond 4 GiB (a sparse file), damaged files.
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDataset, writeDataset } from "../../bindings/node.js";
import { hasPython, runPython } from "../helpers/python.js";
import { Core } from "../../bindings/core.js";
import { diskMask, runReductions, virtualImages } from "../../bindings/index.js";
import { dmBytes, dmImage, dmRoot, writeDmFile } from "../../bench/dm-writer.js";
import { everyTruncation, randomMutations } from "./fuzz.js";
import { openBytes, readAll, real, tempDir } from "./helpers.js";
import { transposedReader } from "../../bindings/formats/dm/transposed.js";
import { elementType } from "../../bindings/formats/elements.js";
import { bufferByteSource } from "../../bindings/sources.js";

const { dir, cleanup } = tempDir();
afterAll(cleanup);

describe("real DM files (GMS test stacks, 2 x 2 x 2)", () => {
  const files = [
    ["test-1.dm4", "f32", "int16 (read as f32)"], ["test-10.dm4", "u16", "uint16"], ["test-6.dm3", "u8", "uint8"],
  ];
  for (const [file, dtype, stored] of files as [string, string, string][]) {
    it(`${file}: ${stored}, C order 1..8, the thumbnail skipped`, async () => {
      const ds = await openDataset(real(`dm/${file}`));
      expect(ds.shape).toEqual([2, 2, 2]);
      expect(ds.dtype).toBe(dtype);
      expect(Array.from(await readAll(ds))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const md = ds.metadata as Record<string, any>;
      expect(md.format).toBe(file.endsWith("dm3") ? "dm3" : "dm4");
      expect(md.dataType).toBe(stored);
      expect(md.image).toBe(1);
      expect(md.images[0]).toMatchObject({ index: 0, dimensions: [64, 64], dataType: "RGBA", thumbnail: true });
      expect(md.tags.ImageList[1].Name).toBe("test");
      expect(md.tags.ImageList[1].ImageData.Dimensions).toEqual([2, 2, 2]);
      expect(ds.calibration?.axes?.map((a) => a.name)).toEqual(["frame", "y", "x"]);
      await ds.source.close?.();
    });
  }

  it("image 0 (the RGBA thumbnail) opens for info but refuses to give frames, naming the type", async () => {
    const ds = await openDataset(real("dm/test-10.dm4"), undefined, { image: 0 });
    expect(ds.shape).toEqual([1, 64, 64]);
    expect((ds.metadata as any).dataType).toBe("RGBA (not readable)");
    await expect(ds.source.readFrames(0, 1, new Uint8Array(64 * 64 * 4)))
      .rejects.toThrow(/test-10\.dm4: image 0 .* holds RGBA pixels \(DataType 23\)/);
    await ds.source.close?.();
  });
});

/** Values for n elements of each type: signed ones negative too, float64 beyond float32's precision. */
const TYPES: [dataType: number, arrayType: number, make: (n: number) => ArrayBufferView, want: string][] = [
  [6, 10, (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256), "u8"],
  [14, 8, (n) => Uint8Array.from({ length: n }, (_, i) => i % 2), "u8"],
  [10, 4, (n) => Uint16Array.from({ length: n }, (_, i) => i * 997), "u16"],
  [11, 5, (n) => Uint32Array.from({ length: n }, (_, i) => i * 99991), "u32"],
  [2, 6, (n) => Float32Array.from({ length: n }, (_, i) => i / 3 - 2), "f32"],
  [9, 9, (n) => Int8Array.from({ length: n }, (_, i) => i * 11 - 128), "f32"],
  [1, 2, (n) => Int16Array.from({ length: n }, (_, i) => i * 1000 - 12000), "f32"],
  [7, 3, (n) => Int32Array.from({ length: n }, (_, i) => i * 123457 - 1000000), "f32"],
  [12, 7, (n) => Float64Array.from({ length: n }, (_, i) => Math.PI * (i - 5) * 1e-3), "f32"],
];

describe("every numeric DataType", () => {
  for (const [dataType, arrayType, make, want] of TYPES) {
    it(`DataType ${dataType} reads as ${want}, each value as JS converts it`, async () => {
      const values = make(3 * 4 * 5);
      const bytes = new Uint8Array(values.buffer);
      const file = dmBytes(4, dmRoot(dmImage("t", dataType, arrayType, [5, 4, 3], bytes)));
      const ds = await openBytes(`t${dataType}.dm4`, file);
      expect([ds.shape, ds.dtype]).toEqual([[3, 4, 5], want]);
      const expected = want === "f32" ? Float32Array.from(values as unknown as ArrayLike<number>) : values;
      expect(Array.from(await readAll(ds))).toEqual(Array.from(expected as ArrayLike<number>));
    });
  }

  it("big-endian files (byte order 0): values and pixels swapped, int16 read as f32", async () => {
    const values = Int16Array.from({ length: 24 }, (_, i) => i * 300 - 3000);
    const be = new Uint8Array(48);
    values.forEach((v, i) => new DataView(be.buffer).setInt16(i * 2, v, false));
    const u = Uint16Array.from({ length: 24 }, (_, i) => i * 2000), ube = new Uint8Array(48);
    u.forEach((v, i) => new DataView(ube.buffer).setUint16(i * 2, v, false));
    const beFile = dmBytes(3, dmRoot(dmImage("be", 1, 2, [4, 3, 2], be, { scales: [0.5] })), false);
    const signed = await openBytes("be.dm3", beFile);
    expect([signed.shape, signed.dtype, signed.calibration?.axes?.[2]?.step]).toEqual([[2, 3, 4], "f32", 0.5]);
    expect(Array.from(await readAll(signed))).toEqual(Array.from(values));
    const unsigned = await openBytes("ube.dm4", dmBytes(4, dmRoot(dmImage("be", 10, 4, [4, 3, 2], ube)), false));
    expect(Array.from(await readAll(unsigned))).toEqual(Array.from(u));
  });

  it("complex images open for info and refuse frames with the type's name", async () => {
    // complex64: 8 bytes per pixel, stored as an array of float32 pairs
    const file = dmBytes(3, dmRoot(dmImage("c", 3, 6, [4, 2, 2], new Uint8Array(4 * 2 * 2 * 8))));
    const ds = await openBytes("c.dm3", file);
    expect((ds.metadata as any).dataType).toBe("complex64 (not readable)");
    await expect(ds.source.readFrames(0, 1, new Uint8Array(32)))
      .rejects.toThrow(/c\.dm3: image 1 .* holds complex64 pixels \(DataType 3\); stem4d analyses need real-valued/);
  });

  it("says which dimension and byte count disagree", async () => {
    const file = dmBytes(4, dmRoot(dmImage("t", 10, 4, [5, 4, 3], new Uint8Array(2 * 50))));
    await expect(openBytes("short.dm4", file)).rejects.toThrow(new RegExp(
      "short\\.dm4: image 1 \\(ImageList\\.\\[1\\]\\.ImageData\\): Dimensions \\[5, 4, 3\\] of uint16 " +
      "need 120 bytes, but the Data array at byte \\d+ holds 100"));
  });
});

/** frame f (probe position), pixel p: a value that says both. */
const value4d = (f: number, p: number) => f * 100 + p;

describe("4D scans", () => {
  const [sy, sx, ky, kx] = [3, 4, 5, 6], N = sy * sx, Q = ky * kx;

  it("C order (Data Order Swapped): dimensions [kx, ky, scanX, scanY], calibrated axes in dataset order", async () => {
    const data = Uint16Array.from({ length: N * Q }, (_, i) => value4d(Math.floor(i / Q), i % Q));
    const img = dmImage("scan", 10, 4, [kx, ky, sx, sy], new Uint8Array(data.buffer),
      { swapped: true, scales: [0.1, 0.2, 1.5, 2.5], units: ["1/nm", "1/nm", "nm", "nm"], origins: [3, 2.5, 0, 0] });
    const path = join(dir, "c.dm4");
    writeDmFile(path, 4, dmRoot(img));
    const ds = await openDataset(path);
    expect([ds.shape, ds.dtype]).toEqual([[sy, sx, ky, kx], "u16"]);
    expect(Array.from(await readAll(ds))).toEqual(Array.from(data));
    expect(ds.calibration?.axes).toEqual([
      { name: "y", step: 2.5, unit: "nm" }, { name: "x", step: 1.5, unit: "nm" },
      { name: "ky", step: expect.closeTo(0.2, 6), unit: "1/nm" },
      { name: "kx", step: expect.closeTo(0.1, 6), unit: "1/nm" },
    ]);
    expect((ds.calibration as any).offsets.slice(2).map((v: number) => Number(v.toFixed(6)))).toEqual([-0.5, -0.3]);
    expect((ds.metadata as any).layout).toBe("C order (Data Order Swapped)");
    // the same bytes through a virtual detector on two workers (which read the file themselves) and a JS loop
    const core = await Core.create({ workers: 2 });
    try {
      const mask = diskMask(ky, kx, { cy: 2, cx: 2.5 }, 2);
      const [bf] = await runReductions(core, ds, [virtualImages([mask])]);
      for (let f = 0; f < N; f++) {
        let want = 0;
        for (let p = 0; p < Q; p++) want += mask[p]! * value4d(f, p);
        expect(bf.images[0]![f]).toBeCloseTo(want, 2);
      }
    } finally {
      await core.close();
      await ds.source.close?.();
    }
  });

  it("transposed (no Data Order Swapped tag): pixel by pixel, int32 read as f32, any range of frames", async () => {
    // stored [ky][kx][scanY][scanX]: pixel p's values for every probe position in a row
    const data = Int32Array.from({ length: N * Q }, (_, i) => -value4d(i % N, Math.floor(i / N)));
    const file = dmBytes(4, dmRoot(dmImage("scan", 7, 3, [sx, sy, kx, ky], new Uint8Array(data.buffer))));
    const ds = await openBytes("t.dm4", file);
    expect([ds.shape, ds.dtype]).toEqual([[sy, sx, ky, kx], "f32"]);
    expect((ds.metadata as any).layout).toBe("transposed (detector pixel by pixel)");
    const part = new Uint8Array(5 * Q * 4);
    await ds.source.readFrames(4, 5, part);
    const got = new Float32Array(part.buffer);
    for (let f = 0; f < 5; f++) for (let p = 0; p < Q; p++) expect(got[f * Q + p]).toBe(-value4d(4 + f, p));
    const forced = await openBytes("t.dm4", file, { dmOrder: "c" });
    expect(forced.shape).toEqual([ky, kx, sy, sx]);
  });
});

describe.skipIf(!hasPython(["numpy"]))("convert", () => {
  it("a transposed int32 DM4 converts to .npy equal to numpy's transpose of the stored array", async () => {
    const [sy, sx, ky, kx] = [3, 4, 5, 6], N = sy * sx, Q = ky * kx;
    const stored = Int32Array.from({ length: N * Q }, (_, i) => (i * 7919) % 100003 - 50000);
    const path = join(dir, "conv.dm4"), out = join(dir, "conv.npy"), raw = join(dir, "conv.raw");
    writeDmFile(path, 4, dmRoot(dmImage("scan", 7, 3, [sx, sy, kx, ky], new Uint8Array(stored.buffer))));
    writeFileSync(raw, stored);
    const ds = await openDataset(path);
    await writeDataset(ds, out);
    await ds.source.close?.();
    const same = runPython(`
import numpy as np, sys
ref = np.fromfile(sys.argv[1], "<i4").reshape(${ky}, ${kx}, ${sy}, ${sx}).transpose(2, 3, 0, 1).astype(np.float32)
got = np.load(sys.argv[2])
print(got.shape == ref.shape and got.dtype == np.float32 and bool((got == ref).all()))
`, [raw, out]).trim();
    expect(same).toBe("True");
  });
});

describe("transposed reads in windows", () => {
  it("windows smaller than the scan (a read per pixel) or larger (pixels read together): same frames", async () => {
    const N = 12, Q = 10, stored = Int16Array.from({ length: N * Q }, (_, i) => -1 - value4d(i % N, Math.floor(i / N)));
    const bytes = bufferByteSource(new Uint8Array(stored.buffer), "w.dm4");
    for (const windowBytes of [3 * Q * 2, 5 * Q * 2, 64 * Q * 2]) {
      const et = elementType("i16");
      const read = transposedReader({ bytes, offset: 0, et, frames: N, pixels: Q, littleEndian: true, windowBytes });
      for (const [start, count] of [[0, 12], [2, 7], [5, 1], [11, 1], [0, 4]]) {
        const out = new Uint8Array(count! * Q * 4);
        await read(start!, count!, out);
        const got = new Float32Array(out.buffer);
        for (let f = 0; f < count!; f++) {
          for (let p = 0; p < Q; p++) expect(got[f * Q + p]).toBe(-1 - value4d(start! + f, p));
        }
      }
    }
  });
});

describe("DM4 beyond 4 GiB (a sparse file)", () => {
  it("reads a 4D scan whose Data array starts past byte 2^32, after a 5 GiB array it never reads", async () => {
    const [sy, sx, ky, kx] = [2, 3, 4, 4], N = sy * sx, Q = ky * kx;
    const data = Uint16Array.from({ length: N * Q }, (_, i) => value4d(Math.floor(i / Q), i % Q));
    const padding = { name: "Padding", array: 10, length: 5 * 2 ** 30 };
    const path = join(dir, "big.dm4");
    const image = dmImage("big", 10, 4, [kx, ky, sx, sy], new Uint8Array(data.buffer), { swapped: true });
    const layout = writeDmFile(path, 4, dmRoot(image, [padding]));
    expect(layout.size).toBeGreaterThan(5 * 2 ** 30);
    expect(statSync(path).blocks * 512).toBeLessThan(1 << 20); // sparse: the holes take no disk
    const ds = await openDataset(path);
    expect((ds.metadata as any).dataOffset).toBeGreaterThan(2 ** 32);
    expect(Array.from(await readAll(ds))).toEqual(Array.from(data));
    expect((ds.metadata as any).tags.Padding).toMatch(/^<array of 5368709120 elements of type 10 at byte \d+>$/);
    await ds.source.close?.();
  });
});

describe("damaged DM files", () => {
  const data = Uint16Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);
  const files = {
    "small.dm4": dmBytes(4, dmRoot(dmImage("s", 10, 4, [4, 3, 2], new Uint8Array(data.buffer)))),
    "small.dm3": dmBytes(3, dmRoot(dmImage("s", 10, 4, [4, 3, 2], new Uint8Array(data.buffer)))),
  };
  for (const [name, file] of Object.entries(files)) {
    it(`${name} cut at every offset: one clear error naming the file and offset, or the original frames`, async () => {
      const r = await everyTruncation(name, file, new Uint8Array(data.buffer));
      expect(r.refused).toBeGreaterThan(file.length - 20);
      expect([...r.messages].some((m) => /needs N bytes, but the file ends at byte N/.test(m))).toBe(true);
    }, 120_000);

    it(`${name} under 3000 random mutations: frames or one clear error`, async () => {
      const r = await randomMutations(name, file, 3000, name.length);
      expect(r.opened + r.refused).toBe(3000);
    }, 120_000);
  }

  it("a DM4 tag of a type the parser does not know is stepped over by its length; in DM3 it is an error", async () => {
    const odd = { name: "Odd", info: [99, 1], raw: new Uint8Array(5) };
    const image = dmImage("s", 10, 4, [4, 3, 2], new Uint8Array(data.buffer));
    const withOdd = (v: 3 | 4) => dmBytes(v, dmRoot(image, [odd]));
    const ds = await openBytes("odd.dm4", withOdd(4));
    expect((ds.metadata as any).tags.Odd).toBe("<not read: type 99 is not a known DM type, type codes [99, 1]>");
    expect(Array.from(await readAll(ds))).toEqual(Array.from(data));
    await expect(openBytes("odd.dm3", withOdd(3)))
      .rejects.toThrow(/odd\.dm3: data tag root\.Odd at byte \d+: type 99 is not a known DM type/);
  });

  it("names the version, the delimiter and the nesting when they are wrong", async () => {
    const f = files["small.dm4"].slice();
    f[3] = 5;
    await expect(openBytes("v.dm4", f)).rejects.toThrow(/v\.dm4: unknown format|v\.dm4: DM version 5 \(byte 0\)/);
    const g = files["small.dm3"].slice();
    const pct = Buffer.from(g).indexOf("%%%%");
    g[pct] = 0x41;
    await expect(openBytes("d.dm3", g)).rejects.toThrow(new RegExp(`d\\.dm3: data tag root\\.\\S+ at byte ${pct}: ` +
        `expected the delimiter "%%%%"`));
  });
});
