// .npy in and out: versions 1-3, both byte orders, every supported dtype, and clear errors for bad files.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DTYPES, bufferByteSource, encodeNpy, npyDataset, openDataset, saveNpy, typedArray, dtypeSize, decodeNpyArray, decodeNpyFloat32, type Dtype } from "../../bindings/node.js";
import { hasPython, runPython } from "../helpers/python.js";
import { randomArray } from "../helpers/data.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-npy-"));

async function readAll(bytes: Uint8Array, name = "t.npy") {
  const ds = await npyDataset(bufferByteSource(bytes, name));
  const n = ds.shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * dtypeSize(ds.dtype));
  await ds.source.readFrames(0, n / (ds.shape.at(-1)! * ds.shape.at(-2)!), out);
  return { ds, values: Array.from(typedArray(ds.dtype, out.buffer, 0, n)) };
}

/** A header written by hand, independently of the writer under test. */
function handMade(version: 1 | 2 | 3, descr: string, shape: number[], data: Uint8Array, pad = 0): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }` + " ".repeat(pad) + "\n";
  const text = new TextEncoder().encode(dict);
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, text.length, true); else dv.setUint32(8, text.length, true);
  out.set(text, pre);
  out.set(data, pre + text.length);
  return out;
}

describe(".npy reading and writing", () => {
  for (const dtype of DTYPES) {
    it(`round-trips ${dtype} through the writer and the reader`, async () => {
      const a = randomArray(dtype, 2 * 3 * 4 * 5, 3);
      const path = join(dir, `rt_${dtype}.npy`);
      await saveNpy(path, a, dtype, [2, 3, 4, 5]);
      const { ds, values } = await readAll(readFileSync(path));
      expect(ds.shape).toEqual([2, 3, 4, 5]);
      expect(ds.dtype).toBe(dtype);
      expect(values).toEqual(Array.from(a));
      expect(readFileSync(path).indexOf(0x0a) + 1).toBe(128); // header padded to a multiple of 64 bytes
    });
  }

  it("reads big-endian data by swapping bytes", async () => {
    const le = new Uint16Array([1, 258, 65535, 4660, 0, 7, 8, 9]);
    const be = new Uint8Array(le.length * 2);
    le.forEach((v, i) => { be[2 * i] = v >> 8; be[2 * i + 1] = v & 255; });
    const { values } = await readAll(handMade(1, ">u2", [2, 1, 2, 2], be));
    expect(values).toEqual(Array.from(le));
    const f = new Float32Array([1.5, -2.25, 3e7, 0]);
    const fbe = new Uint8Array(16);
    const dv = new DataView(fbe.buffer);
    f.forEach((v, i) => dv.setFloat32(4 * i, v, false));
    expect((await readAll(handMade(1, ">f4", [1, 1, 2, 2], fbe))).values).toEqual(Array.from(f));
  });

  it("reads version 2 and 3 headers", async () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const v of [2, 3] as const) {
      const { ds, values } = await readAll(handMade(v, "|u1", [2, 1, 2, 2], data, 70000));
      expect(ds.shape).toEqual([2, 1, 2, 2]);
      expect(ds.metadata?.version).toBe(`${v}.0`);
      expect(values).toEqual(Array.from(data));
    }
  });

  it("decodes small arrays of any numeric type (masks)", () => {
    const f8 = new Float64Array([0.5, 1, 0, 2]);
    const m = decodeNpyArray(handMade(1, "<f8", [2, 2], new Uint8Array(f8.buffer)), "m.npy");
    expect(m.shape).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([0.5, 1, 0, 2]);
    expect(Array.from(decodeNpyArray(handMade(1, "|b1", [3], new Uint8Array([1, 0, 1])), "b.npy").data)).toEqual([1, 0, 1]);
  });

  it("decodes every numeric type in either byte order to the values a DataView reads", () => {
    const values = [-3, 0, 7, 1000, -120];
    type Setter = (d: DataView, o: number, v: number, le: boolean) => void;
    type Getter = (d: DataView, o: number, le: boolean) => number;
    const types: [string, number, Setter, Getter][] = [
      ["i1", 1, (d, o, v) => d.setInt8(o, v), (d, o) => d.getInt8(o)],
      ["i2", 2, (d, o, v, le) => d.setInt16(o, v, le), (d, o, le) => d.getInt16(o, le)],
      ["u2", 2, (d, o, v, le) => d.setUint16(o, Math.abs(v), le), (d, o, le) => d.getUint16(o, le)],
      ["i4", 4, (d, o, v, le) => d.setInt32(o, v, le), (d, o, le) => d.getInt32(o, le)],
      ["u4", 4, (d, o, v, le) => d.setUint32(o, Math.abs(v), le), (d, o, le) => d.getUint32(o, le)],
      ["f4", 4, (d, o, v, le) => d.setFloat32(o, v / 8, le), (d, o, le) => d.getFloat32(o, le)],
      ["f8", 8, (d, o, v, le) => d.setFloat64(o, v / 3, le), (d, o, le) => d.getFloat64(o, le)],
      ["i8", 8, (d, o, v, le) => d.setBigInt64(o, BigInt(v), le), (d, o, le) => Number(d.getBigInt64(o, le))],
    ];
    for (const [code, size, set, get] of types) {
      for (const le of [true, false]) {
        const bytes = new Uint8Array(values.length * size), dv = new DataView(bytes.buffer);
        values.forEach((v, i) => set(dv, i * size, v, le));
        const descr = `${size === 1 ? "|" : le ? "<" : ">"}${code}`;
        const decoded = decodeNpyArray(handMade(1, descr, [values.length], bytes), `${code}.npy`).data;
        expect(Array.from(decoded), descr).toEqual(values.map((_, i) => get(dv, i * size, le)));
        // A Node Buffer inside a larger pool (as readFileSync may return) decodes the same.
        const pooled = Buffer.concat([Buffer.alloc(3), handMade(1, descr, [values.length], bytes)]).subarray(3);
        expect(Array.from(decodeNpyArray(pooled, `${code}.npy`).data), `${descr} in a Buffer`).toEqual(Array.from(decoded));
      }
    }
  });

  it("decodes float32 matrices in place and other types by conversion, to the same values", () => {
    const f4 = new Float32Array([0.1, -2.5, 3e7, 1e-30, 7, 8]);
    const file = encodeNpy(f4, "f32", [2, 3]);
    const viewed = decodeNpyFloat32(file, "s.npy");
    expect(viewed.shape).toEqual([2, 3]);
    expect(viewed.data.buffer).toBe(file.buffer);
    expect(Array.from(viewed.data)).toEqual(Array.from(f4));
    const big = new Uint8Array(f4.length * 4), dv = new DataView(big.buffer);
    f4.forEach((v, i) => dv.setFloat32(i * 4, v, false));
    expect(Array.from(decodeNpyFloat32(handMade(1, ">f4", [2, 3], big), "b.npy").data)).toEqual(Array.from(f4));
    expect(Array.from(decodeNpyFloat32(handMade(1, "<f8", [2], new Uint8Array(new Float64Array([0.5, -1]).buffer)), "d.npy").data)).toEqual([0.5, -1]);
    expect(() => decodeNpyFloat32(file.subarray(0, file.length - 4), "t.npy")).toThrow(/t\.npy: shape \[2, 3\] needs 24 data bytes after byte 128, but the file has 20/);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ["a wrong magic", new Uint8Array(64).fill(65), /t\.npy: not a valid \.npy file at byte 0: expected the magic/],
    ["a file shorter than the preamble", new Uint8Array([0x93, 0x4e, 0x55]), /t\.npy: .*3 bytes long/],
    ["a header longer than the file", handMade(1, "<u2", [1, 1, 2, 2], new Uint8Array(8)).subarray(0, 40), /header needs \d+ bytes, but the file has 40/],
    ["data shorter than the shape", handMade(1, "<u2", [2, 1, 2, 2], new Uint8Array(8)), /needs \d+ bytes, but the file has/],
    ["an unsupported dtype", handMade(1, "<c16", [1, 1, 2, 2], new Uint8Array(64)), /dtype '<c16' is not supported/],
    ["a 2D array", handMade(1, "|u1", [2, 2], new Uint8Array(4)), /expected at least 3/],
    ["an unknown version", (() => { const b = handMade(1, "|u1", [1, 1, 1], new Uint8Array(1)); b[6] = 9; return b; })(), /format version 9\.0/],
  ];
  for (const [what, bytes, err] of cases) {
    it(`rejects ${what} with a clear error`, async () => {
      await expect(readAll(bytes)).rejects.toThrow(err);
    });
  }

  it("rejects Fortran order, naming the fix", async () => {
    const b = handMade(1, "|u1", [1, 1, 1], new Uint8Array(1));
    const t = new TextDecoder().decode(b).replace("'fortran_order': False", "'fortran_order': True ");
    await expect(readAll(new Uint8Array([...b.subarray(0, 10), ...new TextEncoder().encode(t.slice(10))]))).rejects.toThrow(/Fortran order/);
  });

  it.skipIf(!hasPython(["numpy"]))("agrees with numpy both ways, including a version 3 header and big-endian data", async () => {
    const p = join(dir, "np.npy"), q = join(dir, "np_be.npy"), mine = join(dir, "mine.npy");
    runPython(`
import numpy as np, sys
a = (np.arange(2*3*4*5, dtype=np.int64) * 2654435761 % 100000).reshape(2,3,4,5)
np.lib.format.write_array(open(sys.argv[1], 'wb'), a.astype('<u4'), version=(3, 0))
np.save(sys.argv[2], a.astype('>u2'))
`, [p, q]);
    const ds = await openDataset(p);
    expect(ds.metadata?.version).toBe("3.0");
    await ds.source.close?.();
    const { values } = await readAll(readFileSync(p));
    const expected = Array.from({ length: 120 }, (_, i) => Number((BigInt(i) * 2654435761n) % 100000n));
    expect(values).toEqual(expected);
    expect((await readAll(readFileSync(q))).values).toEqual(expected.map((v) => v % 65536));
    await saveNpy(mine, Float32Array.from(expected), "f32", [2, 3, 4, 5]);
    const back = runPython("import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, int(a.sum()))", [mine]).trim();
    expect(back).toBe(`float32 (2, 3, 4, 5) ${expected.reduce((s, v) => s + v, 0)}`);
  });
});

describe("encodeNpy", () => {
  it("writes a file whose header our reader parses back to the same dtype and shape", async () => {
    for (const d of DTYPES as Dtype[]) {
      const { ds } = await readAll(encodeNpy(randomArray(d, 6), d, [1, 2, 1, 3]));
      expect([ds.dtype, ds.shape]).toEqual([d, [1, 2, 1, 3]]);
    }
  });
});

// keep the temp files small and local to this run
writeFileSync(join(dir, "README"), "stem4d test scratch\n");
