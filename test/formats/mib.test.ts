// Merlin .mib: the real 6-bit file against numpy on its raw bytes, and synthetic files (quad, U16/U32, raw 1/6/12/24
// bit, flyback) written here by an encoder that follows the format description, not the reader's code.
import { beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "../../bindings/node-files.js";
import { hasPython, runPython } from "../helpers/python.js";
import { firstDifference, openBytes, readAll, real, sumsOf } from "./helpers.js";

const MIB = real("merlin/001_4x2_6bit.mib");

describe.skipIf(!hasPython(["numpy"]))("real Merlin file (001_4x2_6bit.mib)", () => {
  // numpy's reading runs when the tests do (not while vitest collects them, and not when they are filtered out).
  let ref: { sums: number[]; weighted: number[]; max: number };
  beforeAll(() => {
    ref = JSON.parse(runPython(`
import numpy as np, sys, json
raw = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(8, 384 + 256 * 256)
px = raw[:, 384:].astype(np.int64)
w = np.arange(256 * 256, dtype=np.int64)
print(json.dumps({"sums": px.sum(1).tolist(), "weighted": (px * w).sum(1).tolist(), "max": int(px.max())}))
`, [MIB]));
  });

  it("reads 8 frames of 256 x 256 u8 with the scan given, matching numpy's per-frame sums", async () => {
    const ds = await openDataset(MIB, undefined, { scanShape: [4, 2] });
    expect(ds.shape).toEqual([4, 2, 256, 256]);
    expect(ds.dtype).toBe("u8");
    const v = await readAll(ds);
    expect(sumsOf(v, 8)).toEqual(ref.sums);
    const weighted = Array.from({ length: 8 }, (_, f) => {
      let s = 0;
      for (let i = 0; i < 65536; i++) s += v[f * 65536 + i]! * i;
      return s;
    });
    expect(weighted).toEqual(ref.weighted);
    let max = 0;
    for (let i = 0; i < v.length; i++) max = Math.max(max, v[i]!);
    expect(max).toBe(ref.max);
    expect(ref.max).toBeLessThanOrEqual(63); // 6-bit counter
    await ds.source.close?.();
  });

  it("keeps the frame header and the .hdr as metadata, and reads any sub-range of frames", async () => {
    const ds = await openDataset(MIB);
    expect(ds.shape).toEqual([8, 256, 256]); // hdr says 1 frame per trigger: the scan cannot be inferred beyond 1-D
    const md = ds.metadata as Record<string, any>;
    expect(md.format).toBe("mib");
    expect(md.counterDepth).toBe(6);
    expect(md.hdr["Counter Depth (number)"]).toBe("6");
    expect(md.hdr["Frames in Acquisition (Number)"]).toBe("8");
    expect(md.framesInFile).toBe(8);
    const part = new Uint8Array(3 * 65536);
    await ds.source.readFrames(3, 3, part);
    expect(sumsOf(part, 3)).toEqual(ref.sums.slice(3, 6));
    await ds.source.close?.();
  });
});

// ---- a small MIB writer for fixtures, following the format description ----
type Pixel = "U08" | "U16" | "U32" | "R64";
function header(seq: number, hb: number, chips: number, w: number, h: number, pix: Pixel, layout: string, depth: number): Uint8Array {
  const text = [`MQ1`, String(seq).padStart(6, "0"), String(hb).padStart(5, "0"), String(chips).padStart(2, "0"), String(w).padStart(4, "0"), String(h).padStart(4, "0"),
    pix, layout.padStart(6, " "), "15", "2024-01-01 00:00:00.000000", "0.001000", "0", "0", "0", "1.0E+1", "MQ1A", "2024-01-01T00:00:00.000000000Z", "1000000ns", String(depth), ""].join(",");
  const out = new Uint8Array(hb).fill(0x20);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
/** Pixels (one frame, linear) to raw 64-bit words: pixel k of a word sits in its bits [k*b, (k+1)*b), word big-endian. */
function rawWords(px: ArrayLike<number>, bits: 1 | 8 | 16): Uint8Array {
  const per = 64 / bits, words = px.length / per;
  const out = new Uint8Array(words * 8);
  for (let w = 0; w < words; w++) {
    let word = 0n;
    for (let k = 0; k < per; k++) word |= BigInt(px[w * per + k]!) << BigInt(k * bits);
    for (let b = 0; b < 8; b++) out[w * 8 + b] = Number((word >> BigInt(8 * (7 - b))) & 0xffn);
  }
  return out;
}
function be(px: ArrayLike<number>, size: 2 | 4): Uint8Array {
  const out = new Uint8Array(px.length * size), dv = new DataView(out.buffer);
  for (let i = 0; i < px.length; i++) size === 2 ? dv.setUint16(i * size, px[i]!, false) : dv.setUint32(i * size, px[i]!, false);
  return out;
}
/** The quad image (2H x 2W, quadrants 1 2 / 3 4) as raw rows [4 | 3 | 2 | 1], bottom chips rotated by 180 degrees. */
function quadToRaw(img: ArrayLike<number>, W: number, H: number): number[] {
  const raw = new Array<number>(4 * W * H);
  const at = (y: number, x: number) => img[y * 2 * W + x]!;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      raw[y * 4 * W + 3 * W + x] = at(y, x); // chip 1: top left
      raw[y * 4 * W + 2 * W + x] = at(y, W + x); // chip 2: top right
      raw[y * 4 * W + 1 * W + x] = at(2 * H - 1 - y, W - 1 - x); // chip 3: bottom left, rotated
      raw[y * 4 * W + 0 * W + x] = at(2 * H - 1 - y, 2 * W - 1 - x); // chip 4: bottom right, rotated
    }
  }
  return raw;
}
function frames(n: number, pixels: number, top: number, seed = 7): number[][] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => Array.from({ length: pixels }, () => Math.floor(rnd() * top)));
}
function flat(f: number[][]): number[] {
  return f.flat();
}

describe("synthetic Merlin files", () => {
  it("quad U16 (768-byte headers, 512 x 512 big-endian) with the scan from the .hdr", async () => {
    const fs = frames(6, 512 * 512, 4096);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 768, 4, 512, 512, "U16", "2x2", 12), be(f, 2)]));
    const hdr = new TextEncoder().encode("HDR,\t\nFrames in Acquisition (Number):\t6\nFrames per Trigger (Number):\t3\nEnd\t");
    const ds = await openBytes("q.mib", file, {}, { "q.hdr": hdr });
    expect(ds.shape).toEqual([2, 3, 512, 512]);
    expect(ds.dtype).toBe("u16");
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
    expect((ds.metadata as any).scanFrom).toBe("hdr");
  });

  it("U32 single chip", async () => {
    const fs = frames(4, 64 * 64, 1 << 24);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 384, 1, 64, 64, "U32", "1x1", 24), be(f, 4)]));
    const ds = await openBytes("a.mib", file);
    expect(ds.shape).toEqual([2, 2, 64, 64]); // 4 frames: a square scan is guessed
    expect(ds.dtype).toBe("u32");
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
  });

  it.each([
    [1, 1 as const, "u8"],
    [6, 8 as const, "u8"],
    [12, 16 as const, "u16"],
  ])("raw %i-bit single chip", async (depth, bits, dtype) => {
    const fs = frames(3, 64 * 64, 2 ** depth);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 384, 1, 64, 64, "R64", "1x1", depth), rawWords(f, bits)]));
    const ds = await openBytes("r.mib", file, { scanShape: [1, 3] });
    expect(ds.dtype).toBe(dtype);
    expect(ds.shape).toEqual([1, 3, 64, 64]);
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
  });

  it("raw 24-bit single chip: two 12-bit frames, the first holding the high bits", async () => {
    const fs = frames(2, 32 * 32, 2 ** 24);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 384, 1, 64, 32, "R64", "1x1", 24),
      rawWords(f.map((v) => v >>> 12), 16), rawWords(f.map((v) => v & 0xfff), 16)]));
    const ds = await openBytes("r24.mib", file, { scanShape: [2, 1] });
    expect(ds.shape).toEqual([2, 1, 32, 32]);
    expect(ds.dtype).toBe("u32");
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
  });

  it.each([
    [1, 1 as const],
    [6, 8 as const],
    [12, 16 as const],
  ])("raw %i-bit quad: chips [4|3|2|1] reassembled into the 2x2 image", async (depth, bits) => {
    const W = 64, fs = frames(2, 4 * W * W, 2 ** depth);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 768, 4, 4 * W, W, "R64", "2x2", depth), rawWords(quadToRaw(f, W, W), bits)]));
    const ds = await openBytes("rq.mib", file, { scanShape: [1, 2] });
    expect(ds.shape).toEqual([1, 2, 2 * W, 2 * W]);
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
  });

  it("raw 24-bit quad: two raw 12-bit quad frames (high bits first), each reassembled like a 12-bit quad", async () => {
    const W = 32, fs = frames(2, 4 * W * W, 2 ** 24);
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 768, 4, 8 * W, W, "R64", "2x2", 24),
      rawWords(quadToRaw(f.map((v) => v >>> 12), W, W), 16), rawWords(quadToRaw(f.map((v) => v & 0xfff), W, W), 16)]));
    const ds = await openBytes("rq24.mib", file, { scanShape: [2, 1] });
    expect([ds.shape, ds.dtype, (ds.metadata as any).pixels]).toEqual([[2, 1, 2 * W, 2 * W], "u32", "raw 24-bit quad"]);
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
  });

  it("drops flyback columns at the start (default) or end of each scan row", async () => {
    const fs = frames(8, 16 * 16, 256); // 2 rows of 3 + 1 flyback
    const file = concat(fs.flatMap((f, i) => [header(i + 1, 384, 1, 16, 16, "U08", "1x1", 6), Uint8Array.from(f)]));
    const start = await openBytes("f.mib", file, { scanShape: [2, 3], flyback: 1 });
    expect(start.shape).toEqual([2, 3, 16, 16]);
    expect(firstDifference(await readAll(start), flat([1, 2, 3, 5, 6, 7].map((i) => fs[i]!)))).toBe(-1);
    const end = await openBytes("f.mib", file, { scanShape: [2, 3], flyback: 1, flybackAt: "end" });
    expect(firstDifference(await readAll(end), flat([0, 1, 2, 4, 5, 6].map((i) => fs[i]!)))).toBe(-1);
    // a sub-range crossing a row boundary
    const part = new Uint8Array(3 * 256);
    await start.source.readFrames(2, 3, part);
    expect(Array.from(part)).toEqual(flat([3, 5, 6].map((i) => fs[i]!)));
  });
  it("a big scan (128 x 128 frames, 8.4 MB) is read across several bounded read batches", async () => {
    const n = 128 * 128, f = new Uint16Array(n * 64);
    for (let i = 0; i < f.length; i++) f[i] = (i * 2654435761) >>> 20;
    const parts: Uint8Array[] = [];
    for (let k = 0; k < n; k++) parts.push(header(k + 1, 384, 1, 8, 8, "U16", "1x1", 12), be(f.subarray(k * 64, (k + 1) * 64), 2));
    const ds = await openBytes("big.mib", concat(parts));
    expect(ds.shape).toEqual([128, 128, 8, 8]);
    const v = await readAll(ds);
    expect(firstDifference(v, f)).toBe(-1);
  });
});

describe("bad Merlin files", () => {
  const good = () => concat(frames(4, 16 * 16, 64).flatMap((f, i) => [header(i + 1, 384, 1, 16, 16, "U08", "1x1", 6), Uint8Array.from(f)]));

  it("a truncated file keeps its whole frames and says how many bytes were left over", async () => {
    const file = good().subarray(0, 3 * (384 + 256) + 100);
    const ds = await openBytes("t.mib", file);
    expect(ds.shape).toEqual([3, 16, 16]);
    expect((ds.metadata as any).trailingBytes).toBe(100);
  });

  it("a scan needing more frames than the file holds is refused, naming both counts", async () => {
    await expect(openBytes("t.mib", good(), { scanShape: [3, 2] })).rejects.toThrow(/t\.mib: scan shape \[3, 2\] needs 6 frames.*holds 4/);
  });

  it("a corrupt frame header is reported with its frame and byte offset", async () => {
    const file = good();
    file[2 * 640] = 0x58; // frame record 2 no longer starts with MQ1
    const ds = await openBytes("c.mib", file);
    await expect(readAll(ds)).rejects.toThrow(/c\.mib: frame record 2 at byte 1280: expected a header starting with "MQ1,"/);
  });

  it("wrong magic, bad fields and a file shorter than one frame each give one clear error", async () => {
    await expect(openBytes("x.mib", new TextEncoder().encode("HELLO,WORLD"))).rejects.toThrow(/x\.mib: not a Merlin .mib file at byte 0: expected a frame header starting with "MQ1,"/);
    await expect(openBytes("x.bin", new TextEncoder().encode("HELLO,WORLD"))).rejects.toThrow(/x\.bin: unknown format/);
    const h = header(1, 384, 1, 16, 16, "U08", "1x1", 6);
    const bad = h.slice();
    bad.set(new TextEncoder().encode("X08"), 30);
    await expect(openBytes("p.mib", bad)).rejects.toThrow(/p\.mib: .mib frame header field 6 \(pixel type\) is "X08"/);
    await expect(openBytes("s.mib", concat([h, new Uint8Array(10)]))).rejects.toThrow(/s\.mib: .mib file has 394 bytes, less than one 640-byte frame/);
    const rawNoDepth = header(1, 384, 1, 64, 64, "R64", "1x1", 5);
    await expect(openBytes("d.mib", concat([rawNoDepth, new Uint8Array(4096)]))).rejects.toThrow(/d\.mib: raw \(R64\) .mib frames need the counter depth/);
  });

});

describe("Merlin acquisitions over several numbered files", () => {
  const hdr = (frames: number, perTrigger: number) => new TextEncoder().encode(
    `HDR,\t\nFrames in Acquisition (Number):\t${frames}\nFrames per Trigger (Number):\t${perTrigger}\nCounter Depth ` +
        `(number):\t12\nEnd\t`);
  const fs = frames(10, 8 * 8, 4096, 11);
  const file = (from: number, to: number, w = 8) => concat(fs.slice(from, to).flatMap((f, k) =>
    [header(from + k + 1, 384, 1, w, w, "U16", "1x1", 12), be(f.slice(0, w * w), 2)]));
  const series = { "acq1.mib": file(0, 4), "acq2.mib": file(4, 8), "acq3.mib": file(8, 10), "acq.hdr": hdr(10, 5) };

  it("any numbered file opens the whole acquisition in frame order, the scan from the .hdr", async () => {
    const { "acq2.mib": main, ...siblings } = series;
    const ds = await openBytes("acq2.mib", main, {}, siblings);
    expect([ds.shape, ds.dtype]).toEqual([[2, 5, 8, 8], "u16"]);
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
    expect((ds.metadata as any).files).toEqual(["acq1.mib", "acq2.mib", "acq3.mib"]);
    expect((ds.metadata as any).framesPerFile).toEqual([4, 4, 2]);
    const part = new Uint8Array(4 * 128);
    await ds.source.readFrames(3, 4, part); // across the first two files
    expect(Array.from(new Uint16Array(part.buffer))).toEqual(flat(fs.slice(3, 7)));
  });

  it("the .hdr opens its frame files; series: false reads one file; no .hdr, no series", async () => {
    const { "acq.hdr": h, ...mibs } = series;
    const ds = await openBytes("acq.hdr", h, {}, mibs);
    expect(ds.shape).toEqual([2, 5, 8, 8]);
    expect(firstDifference(await readAll(ds), flat(fs))).toBe(-1);
    const { "acq1.mib": one, ...rest } = series;
    expect((await openBytes("acq1.mib", one, { series: false }, rest)).shape).toEqual([2, 2, 8, 8]);
    const { "acq.hdr": _, "acq1.mib": first, ...others } = series;
    expect((await openBytes("acq1.mib", first, {}, others)).shape).toEqual([2, 2, 8, 8]);
  });

  it("a missing or foreign file is refused, naming it and the frames that do not chain", async () => {
    const { "acq2.mib": _, "acq1.mib": first, ...gap } = series;
    await expect(openBytes("acq1.mib", first, {}, gap))
      .rejects.toThrow(/acq3\.mib: its first frame is number 9, but acq1\.mib ends with frame 4; a file .* missing/);
    const { "acq1.mib": one, ...rest } = series;
    await expect(openBytes("acq1.mib", one, {}, { ...rest, "acq2.mib": file(4, 8, 4) }))
      .rejects.toThrow(/acq2\.mib: frames of U16 4 x 4.* differ from acq1\.mib's \(U16 8 x 8/);
  });

  it("the real file's .hdr opens it (the folder listed by Node)", async () => {
    const ds = await openDataset(real("merlin/001_4x2_6bit.hdr"));
    expect([ds.shape, (ds.metadata as any).format]).toEqual([[8, 256, 256], "mib"]);
    await ds.source.close?.();
  });
});
