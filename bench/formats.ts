// Formats: how fast each reader feeds a virtual-detector pass (GB/s of frame payload, files in the page cache),
// against the same frames as .npy (the foundation's reader: one read per block, no decoding); bitshuffle+LZ4
// chunk decoding on one core (our WASM decoder) on DECTRIS-like synthetic chunks, and the real ARINA file read
// through the whole reader. (No liblz4 row: from Python it could only be timed one 8 KiB block per call.)
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, diskMask, openDataset, runReduction, saveNpy, virtualImages, frameBytes, frameCount, type Dataset } from "../bindings/node.js";
import { BitshuffleLz4Decoder } from "../bindings/formats/hdf5/bslz4.js";
import { writeDataset } from "../bindings/writers/index.js";
import { compare, measure, type BenchOptions, type BenchRow } from "./common.js";
import { PY_BSLZ4 } from "./bslz4-reference.js";
import { dmImage, dmRoot, writeDmFile } from "./dm-writer.js";
import { serFile } from "./ser-writer.js";
import { mibRecords } from "./mib-writer.js";

const ARINA = new URL("../../../shared/data/real/arina/test_00_master.h5", import.meta.url).pathname;

const PY = "/usr/bin/python3";

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const dir = join(tmpdir(), `stem4d-bench-formats-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    return [...(await readers(o, dir)), ...(await decoding(o, dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sparse counts like an electron-counting detector's: mostly zeros, a few small values. */
function counts(n: number): Uint16Array {
  const v = new Uint16Array(n);
  for (let i = 0; i < n; i++) { const h = Math.imul(i, 2654435761) >>> 0; v[i] = h >>> 28 === 0 ? (h >>> 20) & 15 : 0; }
  return v;
}

async function readers(o: BenchOptions, dir: string): Promise<BenchRow[]> {
  const side = o.quick ? 32 : 64, det = 128, F = side * side, q = det * det;
  const data = counts(F * q);
  const path = (n: string) => join(dir, n);
  await saveNpy(path("ref.npy"), data, "u16", [side, side, det, det]);
  // MIB U16: 384-byte ASCII header per frame, big-endian pixels.
  const mib = mibRecords(data, F, det);
  writeFileSync(path("data.mib"), mib);
  // MRC mode 6 (u16).
  const mrcHead = new Uint8Array(1024), mdv = new DataView(mrcHead.buffer);
  mdv.setInt32(0, det, true); mdv.setInt32(4, det, true); mdv.setInt32(8, F, true); mdv.setInt32(12, 6, true);
  mrcHead.set([0x4d, 0x41, 0x50, 0x20, 0x44, 0x44], 208);
  writeFileSync(path("data.mrc"), Buffer.concat([mrcHead, new Uint8Array(data.buffer)]));
  // TVIPS v2, 64-byte frame headers.
  const tv = new Uint8Array(256 + F * (64 + 2 * q)), tdv = new DataView(tv.buffer);
  [256, 2, det, det, 16, 0, 0, 1, 1, 1, 300, 0, 64].forEach((v, i) => tdv.setUint32(4 * i, v, true));
  for (let f = 0; f < F; f++) tv.set(new Uint8Array(data.buffer, f * 2 * q, 2 * q), 256 + f * (64 + 2 * q) + 64);
  writeFileSync(path("data_000.tvips"), tv);
  // Blockfile: u8 patterns.
  const blo = new Uint8Array(4096 + F + 16 + F * (6 + q)), bdv = new DataView(blo.buffer);
  blo.set(new TextEncoder().encode("IMGBLO"));
  bdv.setUint16(6, 0x0102, true); bdv.setUint32(8, 4096, true); bdv.setUint32(12, 4096 + F + 16, true);
  bdv.setUint16(20, det, true); bdv.setUint16(24, side, true); bdv.setUint16(26, side, true);
  for (let f = 0; f < F; f++) {
    const at = 4096 + F + 16 + f * (6 + q);
    blo[at] = 0xaa; blo[at + 1] = 0x55; bdv.setUint32(at + 2, f, true);
    for (let i = 0; i < q; i++) blo[at + 6 + i] = data[f * q + i]!;
  }
  writeFileSync(path("data.blo"), blo);
  // EMPAD: f32 frames of 128 x 130 (the detector's fixed size).
  const emp = new Float32Array(F * 130 * 128);
  for (let f = 0; f < F; f++) for (let i = 0; i < q; i++) emp[f * 130 * 128 + i] = data[f * q + i]!;
  writeFileSync(path(`scan_x${side}_y${side}.raw`), emp);
  // EMD 1.0 via our writer (h5wasm reads it back hyperslab by hyperslab).
  const ref = await openDataset(path("ref.npy"));
  await writeDataset(ref, path("data.emd"));
  await ref.source.close?.();
  // DigitalMicrograph 4D (C order, int16, transposed), a TIA series (int32) and Zarr v3 from our writer.
  writeDm4(path, data, side, det);
  const ser = new Int32Array(data);
  const scanDim = (description: string) => ({ size: side, delta: 1, units: "", description });
  const serFrames = Array.from({ length: F }, (_, f) => new Uint8Array(ser.buffer, f * 4 * q, 4 * q));
  const serDims = [scanDim("x"), scanDim("y")];
  const serSpec = { dataType: 6, size: 4, sx: det, sy: det, dims: serDims, frames: serFrames };
  writeFileSync(path("data_1.ser"), serFile(serSpec));
  const zref = await openDataset(path("ref.npy"));
  await writeDataset(zref, path("data.zarr"));
  await zref.source.close?.();
  // DECTRIS-style bitshuffle+LZ4 chunks, written by h5py with the system's liblz4 (skipped without Python).
  const bslz4 = writeBslz4(path("data_bslz4.h5"), path("ref.npy"));

  const inputs: [string, string, Record<string, unknown>][] = [
    [".npy (reference)", path("ref.npy"), {}],
    ["MIB U16 (big-endian)", path("data.mib"), { scanShape: [side, side] }],
    ["MRC u16", path("data.mrc"), { scanShape: [side, side] }],
    ["TVIPS u16", path("data_000.tvips"), { scanShape: [side, side] }],
    ["blockfile u8", path("data.blo"), {}],
    ["EMPAD f32 (128 x 130)", path(`scan_x${side}_y${side}.raw`), {}],
    ["EMD 1.0 HDF5 (h5wasm)", path("data.emd"), {}],
    ["DM4 u16 (C order)", path("c.dm4"), {}],
    ["DM4 int16 (read as f32)", path("i16.dm4"), {}],
    ["DM4 u16 transposed (pixel by pixel)", path("t.dm4"), {}],
    ["TIA .ser int32 (read as f32)", path("data_1.ser"), {}],
    ["Zarr v3 (convert's, zstd)", path("data.zarr"), {}],
    ...(bslz4 ? [["DECTRIS bitshuffle+LZ4 HDF5", `${path("data_bslz4.h5")}:/entry/data/data`, { scanShape: [side, side] }] as [string, string, Record<string, unknown>]] : []),
  ];
  const core = await Core.create();
  const mask = diskMask(det, det, { cy: det / 2 - 0.5, cx: det / 2 - 0.5 }, det / 4);
  const tasks: Parameters<typeof measure>[0] = [];
  const open: Dataset[] = [];
  for (const [name, file, opts] of inputs) {
    const ds = await openDataset(file, undefined, opts);
    open.push(ds);
    tasks.push({ name: `virtual image from ${name}`, bytes: frameCount(ds) * frameBytes(ds), fn: () => runReduction(core, ds, virtualImages([mask])) });
  }
  const rows = await measure(tasks, { time: o.quick ? 300 : 1500, iterations: 3 });
  compare(rows, rows.slice(1).map((r) => [r.name, rows[0]!.name] as [string, string]));
  for (const ds of open) await ds.source.close?.();
  const workers = core.workerCount;
  await core.close();
  rows.forEach((r) => { r.note = `${side} x ${side} scan of ${det} x ${det}, ${workers} workers`; });
  return rows;
}

/** The same counts as DM4 4D images: u16 and int16 in C order (Data Order Swapped), u16 detector pixel by pixel. */
function writeDm4(path: (n: string) => string, data: Uint16Array, side: number, det: number): void {
  const F = side * side, q = det * det;
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeDmFile(path("c.dm4"), 4, dmRoot(dmImage("c", 10, 4, [det, det, side, side], bytes(data), { swapped: true })));
  const signed = bytes(new Int16Array(data));
  writeDmFile(path("i16.dm4"), 4, dmRoot(dmImage("i", 1, 2, [det, det, side, side], signed, { swapped: true })));
  const t = new Uint16Array(F * q);
  for (let f = 0; f < F; f++) for (let p = 0; p < q; p++) t[p * F + f] = data[f * q + p]!;
  writeDmFile(path("t.dm4"), 4, dmRoot(dmImage("t", 10, 4, [side, side, det, det], bytes(t))));
}

// The shared Python reference (liblz4 through ctypes, numpy), plus what the scripts here use.
const PY_SCRIPT = PY_BSLZ4 + "\nimport sys, h5py, time\n";

/** A bitshuffle+LZ4 dataset as DECTRIS writes it (u32 frames, one chunk each); false when Python cannot make it. */
function writeBslz4(out: string, npy: string): boolean {
  const r = spawnSync(PY, ["-c", PY_SCRIPT + `
from h5py import h5z, h5p, h5d, h5s, h5t
a = np.load(sys.argv[2]); a = a.reshape(-1, a.shape[-2], a.shape[-1]).astype("<u4")
with h5py.File(sys.argv[1], "w") as f:
    g = f.create_group("entry/data")
    dcpl = h5p.create(h5p.DATASET_CREATE); dcpl.set_chunk((1,) + a.shape[1:])
    dcpl.set_filter(32008, h5z.FLAG_OPTIONAL, (0, 3, 4, 0, 2))
    d = h5d.create(g.id, b"data", h5t.STD_U32LE, h5s.create_simple(a.shape), dcpl=dcpl)
    for i in range(a.shape[0]): d.write_direct_chunk((i, 0, 0), chunk(a[i].ravel(), 2048))
`, out, npy], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) console.error(`bench formats: skipping the bitshuffle+LZ4 file (${r.stderr?.toString().trim().split("\n").pop()})`);
  return r.status === 0;
}

/** Bitshuffle+LZ4 chunks of DECTRIS-like frames decoded on one core: ours (WASM) against liblz4 + numpy. */
async function decoding(o: BenchOptions, dir: string): Promise<BenchRow[]> {
  const n = o.quick ? 64 : 256, q = 192 * 192;
  const file = join(dir, "chunks.bin"), raw = join(dir, "frames.bin");
  const frames = new Uint32Array(n * q);
  frames.set(counts(n * q));
  writeFileSync(raw, frames);
  // Python compresses each frame as a filter chunk (liblz4 in C, shuffle in numpy).
  const r = spawnSync(PY, ["-c", PY_SCRIPT + `
a = np.fromfile(sys.argv[2], "<u4").reshape(-1, ${q})
cs = [chunk(f, 2048) for f in a]
with open(sys.argv[1], "wb") as fh:
    for c in cs: fh.write(struct.pack("<I", len(c))); fh.write(c)
`, file, raw], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`bench formats: skipping bitshuffle+LZ4 decoding (Python: ${r.stderr.trim().split("\n").pop()})`);
    return [];
  }
  const buf = new Uint8Array(readFileSync(file));
  const chunks: Uint8Array[] = [];
  for (let p = 0; p < buf.length;) { const len = new DataView(buf.buffer, buf.byteOffset + p, 4).getUint32(0, true); chunks.push(buf.subarray(p + 4, p + 4 + len)); p += 4 + len; }
  const dec = await BitshuffleLz4Decoder.create();
  const out = new Uint8Array(q * 4);
  const bytes = n * q * 4;
  const rows = await measure([{
    name: "bitshuffle+LZ4 decode of synthetic DECTRIS-like chunks, WASM, 1 core", bytes,
    fn: () => { for (const c of chunks) dec.decodeChunk(c, out, 4, "bench"); },
  }], { time: o.quick ? 300 : 1000 });
  const compressed = chunks.reduce((a, c) => a + c.length, 0);
  rows[0]!.note = `${n} frames of 192 x 192 u32, ${(bytes / compressed).toFixed(1)}x compressed; ${(bytes / 1e6 / (rows[0]!.medianMs / 1000)).toFixed(0)} MB/s`;
  // The real file: its 16 frames (one bitshuffle+LZ4 chunk each) through the whole reader, HDF5 included.
  const arina = await openDataset(ARINA, undefined, { scanShape: [4, 4] });
  const all = new Uint8Array(frameCount(arina) * frameBytes(arina));
  const real = await measure([{
    name: "DECTRIS ARINA real file (16 frames of 192 x 192 u32), whole reader", bytes: all.length,
    fn: () => arina.source.readFrames(0, frameCount(arina), all),
  }], { time: o.quick ? 300 : 1000 });
  await arina.source.close?.();
  real[0]!.note = "a 17 KB data file: mostly HDF5 and call overhead, not decoding speed";
  return [...rows, ...real];
}

