// Zarr stores read as datasets: what `convert` writes (v3, whole-frame zstd chunks) read back bit for bit, a v3 array
// laid out as zarr-python lays it out (chunks across frames, edge chunks, gzip, a missing chunk = fill value) and a
// HyperSpy .zspy (v2 groups, zlib chunks, axes in the signal group's attributes), both written here by Python from
// the Zarr specifications with numpy's values as the reference.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryDataset, openDataset, writeDataset } from "../../bindings/node.js";
import { hasPython, runPython } from "../helpers/python.js";
import { readAll, tempDir } from "./helpers.js";
import { mutate } from "../helpers/mutate.js";
import { Rng } from "../../bindings/simulate.js";
import { cpSync, readFileSync, writeFileSync } from "node:fs";

const { dir, cleanup } = tempDir();
afterAll(cleanup);

describe("Zarr v3 as convert writes it", () => {
  it("reads back every frame and the calibration", async () => {
    const data = Uint16Array.from({ length: 3 * 4 * 5 * 6 }, (_, i) => (i * 37) % 65536);
    const axes = [{ name: "y", step: 2, unit: "nm" }, { name: "x" }, { name: "ky" }, { name: "kx" }];
    const src = { ...memoryDataset(data, [3, 4, 5, 6]), calibration: { axes } };
    const out = join(dir, "ours.zarr");
    await writeDataset(src, out);
    const ds = await openDataset(out);
    expect([ds.shape, ds.dtype]).toEqual([[3, 4, 5, 6], "u16"]);
    expect(Array.from(await readAll(ds))).toEqual(Array.from(data));
    expect(ds.calibration?.axes?.[0]).toEqual({ name: "y", step: 2, unit: "nm" });
    expect((ds.metadata as any).format).toBe("zarr v3");
    const part = new Uint8Array(7 * 60);
    await ds.source.readFrames(2, 7, part);
    expect(Array.from(new Uint16Array(part.buffer))).toEqual(Array.from(data.subarray(2 * 30, 9 * 30)));
  });
});

describe.skipIf(!hasPython(["numpy"]))("Zarr written by Python from the specifications", () => {
  const ref = JSON.parse(runPython(`
import numpy as np, json, os, sys, gzip, zlib, itertools, struct
root = sys.argv[1]
a = (np.arange(3 * 4 * 5 * 6, dtype=np.int64).reshape(3, 4, 5, 6) * 97 % 2000 - 1000).astype(np.int16)
a[2, 2:, :, :] = 0  # the chunk we leave out reads as the fill value
def chunks(arr, cs):
    for idx in itertools.product(*[range(-(-n // c)) for n, c in zip(arr.shape, cs)]):
        block = np.zeros(cs, arr.dtype)
        sl = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, cs, arr.shape))
        part = arr[sl]; block[tuple(slice(0, s) for s in part.shape)] = part
        yield idx, block
# v3, as zarr-python writes: chunks across frames, padded edge chunks, bytes + gzip, "c/i/j/k/l" keys
v3 = os.path.join(root, "py3.zarr"); os.makedirs(v3)
cs = [2, 3, 4, 4]
json.dump({"zarr_format": 3, "node_type": "array", "shape": list(a.shape), "data_type": "int16",
  "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": cs}},
  "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": 0,
  "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 5}}],
  "attributes": {"note": "python"}, "dimension_names": ["y", "x", "ky", "kx"]},
  open(os.path.join(v3, "zarr.json"), "w"))
for idx, block in chunks(a, cs):
    if idx[0] == 1 and idx[1] == 1: continue  # rows 2-3, cols 3-5: all zero in a, left out
    p = os.path.join(v3, "c", *map(str, idx)); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(gzip.compress(block.astype("<i2").tobytes()))
# v2 as HyperSpy's .zspy: Experiments/<title>/data, zlib, "." keys, axes in the group's attributes
z = os.path.join(root, "hs.zspy"); d = os.path.join(z, "Experiments", "__unnamed__", "data"); os.makedirs(d)
for g in [z, os.path.join(z, "Experiments"), os.path.dirname(d)]:
    json.dump({"zarr_format": 2}, open(os.path.join(g, ".zgroup"), "w"))
b = (a.astype(np.int64) + 1000).astype(np.uint16)
axes = {f"axis-{i}": {"name": n, "scale": s, "offset": 0.0, "units": u, "size": int(k), "navigate": i < 2}
        for i, (n, s, u, k) in enumerate(zip(["y", "x", "ky", "kx"], [0.5, 0.5, 0.01, 0.01],
                                               ["nm", "nm", "1/nm", "1/nm"], b.shape))}
json.dump({**axes, "title": "hs"}, open(os.path.join(os.path.dirname(d), ".zattrs"), "w"))
json.dump({"zarr_format": 2, "shape": list(b.shape), "chunks": [1, 2, 5, 6], "dtype": "<u2",
  "compressor": {"id": "zlib", "level": 1},
  "fill_value": 0, "filters": None, "order": "C", "dimension_separator": "."}, open(os.path.join(d, ".zarray"), "w"))
for idx, block in chunks(b, [1, 2, 5, 6]):
    open(os.path.join(d, ".".join(map(str, idx))), "wb").write(zlib.compress(block.tobytes(), 1))
# blosc frames, stored uncompressed ("memcpyed", flag 0x02): the 16-byte header, then the bytes. HyperSpy's default
# compressor in v2, blosc in v3: decoded by zarrita's numcodecs
def blosc(raw, typesize):
    return struct.pack("<BBBBIII", 2, 1, 0x02, typesize, len(raw), len(raw), len(raw) + 16) + raw
for version in (2, 3):
    root2 = os.path.join(root, f"blosc{version}.zarr"); os.makedirs(root2)
    if version == 2:
        json.dump({"zarr_format": 2, "shape": list(b.shape), "chunks": [1, 4, 5, 6], "dtype": "<u2",
          "compressor": {"id": "blosc", "cname": "zstd", "clevel": 1, "shuffle": 1, "blocksize": 0},
          "fill_value": 0, "filters": None, "order": "C"}, open(os.path.join(root2, ".zarray"), "w"))
    else:
        json.dump({"zarr_format": 3, "node_type": "array", "shape": list(b.shape), "data_type": "uint16",
          "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 4, 5, 6]}},
          "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": 0,
          "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "blosc", "configuration":
            {"cname": "lz4", "clevel": 5, "shuffle": "noshuffle", "typesize": 2, "blocksize": 0}}]},
          open(os.path.join(root2, "zarr.json"), "w"))
    for idx, block in chunks(b, [1, 4, 5, 6]):
        key = ".".join(map(str, idx)) if version == 2 else os.path.join("c", *map(str, idx))
        os.makedirs(os.path.dirname(os.path.join(root2, key)), exist_ok=True)
        open(os.path.join(root2, key), "wb").write(blosc(block.astype("<u2").tobytes(), 2))
print(json.dumps({"a": a.ravel().tolist(), "b": b.ravel().tolist()}))
`, [dir])) as { a: number[]; b: number[] };

  it("v3 chunked across frames (gzip, edge chunks, a chunk missing) reads as numpy's, int16 as f32", async () => {
    const ds = await openDataset(join(dir, "py3.zarr"));
    expect([ds.shape, ds.dtype]).toEqual([[3, 4, 5, 6], "f32"]);
    expect(Array.from(await readAll(ds))).toEqual(ref.a);
    const part = new Uint8Array(5 * 30 * 4);
    await ds.source.readFrames(3, 5, part); // frames across two rows of chunks
    expect(Array.from(new Float32Array(part.buffer))).toEqual(ref.a.slice(3 * 30, 8 * 30));
    expect((ds.metadata as any).dimensionNames).toEqual(["y", "x", "ky", "kx"]);
  });

  it("a HyperSpy .zspy (Zarr v2) finds its signal and takes the axes from the signal group", async () => {
    const ds = await openDataset(join(dir, "hs.zspy"));
    expect([ds.shape, ds.dtype, (ds.metadata as any).array])
      .toEqual([[3, 4, 5, 6], "u16", "Experiments/__unnamed__/data"]);
    expect(Array.from(await readAll(ds))).toEqual(ref.b);
    expect(ds.calibration?.axes?.[0]).toEqual({ name: "y", step: 0.5, unit: "nm" });
    expect(ds.calibration?.axes?.[3]).toEqual({ name: "kx", step: 0.01, unit: "1/nm" });
  });

  it("blosc chunks (v2 as HyperSpy writes by default, v3) decode through zarrita's numcodecs", async () => {
    for (const v of [2, 3]) {
      const ds = await openDataset(join(dir, `blosc${v}.zarr`));
      expect([ds.shape, ds.dtype, (ds.metadata as any).format]).toEqual([[3, 4, 5, 6], "u16", `zarr v${v}`]);
      expect(Array.from(await readAll(ds))).toEqual(ref.b);
    }
  });

  it("a group without a known signal asks for --dataset; a wrong path says so", async () => {
    await expect(openDataset(join(dir, "hs.zspy", "Experiments", "__unnamed__")))
      .rejects.toThrow(/__unnamed__: the Zarr root is a group; say which array to read/);
    await expect(openDataset(join(dir, "hs.zspy"), undefined, { dataset: "nope" }))
      .rejects.toThrow(/hs\.zspy: no Zarr array at "nope"/);
  });
});

describe("damaged Zarr stores", () => {
  it("mutated metadata or chunks: the frames or one error naming the store, never another failure", async () => {
    const data = Uint16Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i * 11);
    const good = join(dir, "good.zarr");
    await writeDataset(memoryDataset(data, [2, 3, 4, 5]), good);
    const rng = new Rng(31, 1);
    let opened = 0, refused = 0;
    for (let i = 0; i < 300; i++) {
      const bad = join(dir, `bad${i}.zarr`);
      cpSync(good, bad, { recursive: true });
      const file = join(bad, i % 2 ? "zarr.json" : join("c", "1", "2", "0", "0"));
      const bytes = new Uint8Array(readFileSync(file));
      mutate(bytes, rng);
      writeFileSync(file, bytes);
      try {
        const ds = await openDataset(bad);
        await readAll(ds);
        opened++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.startsWith(bad), (e as Error).message).toBe(true);
        refused++;
      }
    }
    expect(opened + refused).toBe(300);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});

