// Direct Electron MRC movies (raster and custom scans from the coordinates CSV) and TVIPS series, written here from
// the format descriptions.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDataset } from "../../bindings/node.js";
import { firstDifference, readAll, tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir();
afterAll(cleanup);

function mrc(nx: number, ny: number, nz: number, mode: number, data: ArrayBufferView, next = 0): Uint8Array {
  const head = new Uint8Array(1024 + next);
  const dv = new DataView(head.buffer);
  dv.setInt32(0, nx, true); dv.setInt32(4, ny, true); dv.setInt32(8, nz, true); dv.setInt32(12, mode, true);
  dv.setInt32(92, next, true);
  head.set([0x4d, 0x41, 0x50, 0x20], 208); // "MAP "
  head.set([0x44, 0x44], 212);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), head.length);
  return out;
}
/** Frame k of a movie: every pixel k * 100 + pixel index. */
const movie = (nz: number, q: number) => Uint16Array.from({ length: nz * q }, (_, i) => Math.floor(i / q) * 100 + (i % q));

describe("Direct Electron MRC movies", () => {
  it("a raster movie takes its scan from <name>_info.txt", async () => {
    writeFileSync(join(dir, "20240101_00001_movie.mrc"), mrc(4, 3, 6, 6, movie(6, 12)));
    writeFileSync(join(dir, "20240101_00001_info.txt"), "Scan - Enable = Enable\nScan - Type = Raster\nScan - Size X = 3\nScan - Size Y = 2\nSpecimen Pixel Size X (nanometers) = 0.5\n");
    const ds = await openDataset(join(dir, "20240101_00001_movie.mrc"));
    expect(ds.shape).toEqual([2, 3, 3, 4]);
    expect(ds.dtype).toBe("u16");
    expect(firstDifference(await readAll(ds), movie(6, 12))).toBe(-1);
    expect(ds.calibration?.axes?.[1]).toEqual({ name: "x", step: 0.5, unit: "nm" });
    expect((ds.metadata as any).info["Scan - Type"]).toBe("Raster");
    await ds.source.close?.();
  });

  it("a custom scan places frames by the coordinates CSV: random order, a repeated position, an empty one", async () => {
    // 2 x 3 grid; position (x=1, y=1) never visited, (x=0, y=0) visited twice
    const pos = [[2, 0], [0, 1], [0, 0], [1, 0], [2, 1], [0, 0]];
    writeFileSync(join(dir, "S_2_movie.mrc"), mrc(4, 3, 6, 6, movie(6, 12)));
    writeFileSync(join(dir, "S_2_scan_coordinates.csv"), "x,y\n" + pos.map((p) => p.join(",")).join("\n") + "\n");
    const ds = await openDataset(join(dir, "S_2_movie.mrc"));
    expect(ds.shape).toEqual([2, 3, 2, 3, 4]); // rows, cols, repeats, frame
    const v = await readAll(ds);
    // expected: (y, x, r) -> movie frame (or zeros)
    const want = new Map<string, number>([["0,0,0", 2], ["0,0,1", 5], ["0,1,0", 3], ["0,2,0", 0], ["1,0,0", 1], ["1,2,0", 4]]);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let r = 0; r < 2; r++) {
      const f = want.get(`${y},${x},${r}`), at = ((y * 3 + x) * 2 + r) * 12;
      expect([v[at], v[at + 11]]).toEqual(f === undefined ? [0, 0] : [f * 100, f * 100 + 11]);
    }
    expect((ds.metadata as any).emptyPositions).toBe(1);
    await ds.source.close?.();
  });

  describe("ROI scans (Scan - ROI Enable)", () => {
    // A 32 x 16 scan field whose 29 x 12 ROI at (2, 1) was scanned: 348 frames of 2 x 2.
    const roiInfo = (enable: string) => ["Scan - Enable = Enable", "Scan - Size X = 16", "Scan - Size Y = 32",
      `Scan - ROI Enable = ${enable}`, "Scan - ROI Size X = 12", "Scan - ROI Size Y = 29", "Scan - ROI Offset X = 2",
      "Scan - ROI Offset Y = 1"].join("\n");
    const frames = 29 * 12;

    it("a raster ROI scan is ROI Size Y x X, frame for frame", async () => {
      writeFileSync(join(dir, "R_1_movie.mrc"), mrc(2, 2, frames, 6, movie(frames, 4)));
      writeFileSync(join(dir, "R_1_info.txt"), roiInfo("Enable") + "\nScan - Type = Raster\n");
      const ds = await openDataset(join(dir, "R_1_movie.mrc"));
      expect(ds.shape).toEqual([29, 12, 2, 2]);
      expect(firstDifference(await readAll(ds), movie(frames, 4))).toBe(-1);
      expect((ds.metadata as any).roi).toEqual({ x: 2, y: 1, width: 12, height: 29 });
      await ds.source.close?.();
      writeFileSync(join(dir, "R_1_info.txt"), roiInfo("Disable") + "\n");
      const off = await openDataset(join(dir, "R_1_movie.mrc"));
      expect(off.shape).toEqual([348, 2, 2]); // 32 x 16 needs 512 frames: no ROI, no scan that fits
      await off.source.close?.();
    });

    it("a random ROI scan puts coordinates on the ROI grid, relative or absolute; outside is an error", async () => {
      // a seeded shuffle of the ROI's positions
      const order = Array.from({ length: frames }, (_, i) => i);
      let seed = 7;
      for (let i = frames - 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const j = seed % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      writeFileSync(join(dir, "Q_1_movie.mrc"), mrc(2, 2, frames, 6, movie(frames, 4)));
      writeFileSync(join(dir, "Q_1_info.txt"), roiInfo("On") + "\nScan - Type = Random\n");
      for (const [dx, dy] of [[0, 0], [2, 1]]) {
        const lines = order.map((p) => `${(p % 12) + dx},${Math.floor(p / 12) + dy}`);
        writeFileSync(join(dir, "Q_1_scan_coordinates.csv"), lines.join("\n"));
        const ds = await openDataset(join(dir, "Q_1_movie.mrc"));
        expect(ds.shape).toEqual([29, 12, 2, 2]);
        const v = await readAll(ds);
        // position p holds movie frame k where order[k] = p
        for (let k = 0; k < frames; k++) expect(v[order[k]! * 4]).toBe(k * 100);
        expect((ds.metadata as any).emptyPositions).toBe(0);
        await ds.source.close?.();
      }
      writeFileSync(join(dir, "Q_1_scan_coordinates.csv"), "0,0\n15,3\n");
      await expect(openDataset(join(dir, "Q_1_movie.mrc")))
        .rejects.toThrow(/Q_1_scan_coordinates\.csv: position 2 \(15, 3\) lies outside the 12 x 29 scan ROI/);
    });
  });

  it("converts signed 16-bit and float16 movies to f32; refuses truncated files", async () => {
    const s = Int16Array.from({ length: 2 * 6 }, (_, i) => i - 6);
    writeFileSync(join(dir, "signed.mrc"), mrc(3, 2, 2, 1, s));
    const a = await openDataset(join(dir, "signed.mrc"));
    expect([a.shape, a.dtype]).toEqual([[2, 2, 3], "f32"]);
    expect(Array.from(await readAll(a))).toEqual(Array.from(s));
    await a.source.close?.();
    const h = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x0000]); // 1, -2, 0.5, 0
    writeFileSync(join(dir, "half.mrc"), mrc(2, 2, 1, 12, h, 128));
    const b = await openDataset(join(dir, "half.mrc"));
    expect(Array.from(await readAll(b))).toEqual([1, -2, 0.5, 0]);
    await b.source.close?.();
    writeFileSync(join(dir, "cut.mrc"), mrc(4, 3, 6, 6, movie(6, 12)).subarray(0, 1024 + 24 * 4 + 5));
    await expect(openDataset(join(dir, "cut.mrc"))).rejects.toThrow(/cut\.mrc: MRC header promises 6 frames of 4 x 3 \(24 bytes each from byte 1024\), but the file holds 4 whole frames/);
    const bad = mrc(4, 3, 6, 6, movie(6, 12));
    new DataView(bad.buffer).setInt32(12, 4, true);
    writeFileSync(join(dir, "complex.mrc"), bad);
    await expect(openDataset(join(dir, "complex.mrc"))).rejects.toThrow(/complex\.mrc: MRC mode 4 \(byte 12\) is not supported/);
  });
});

function tvipsHeader(dimx: number, dimy: number, bits: number, frameHeader: number): Uint8Array {
  const h = new Uint8Array(256), dv = new DataView(h.buffer);
  [256, 2, dimx, dimy, bits, 0, 0, 1, 1, 7, 300, 100, frameHeader].forEach((v, i) => dv.setUint32(i * 4, v, true));
  return h;
}
function tvipsRecords(first: number, n: number, q: number, frameHeader: number): Uint8Array {
  const out = new Uint8Array(n * (frameHeader + q * 2));
  for (let k = 0; k < n; k++) {
    const o = k * (frameHeader + q * 2);
    new DataView(out.buffer).setUint32(o, first + k, true);
    const px = new Uint16Array(out.buffer, o + frameHeader, q);
    px.fill(first + k);
  }
  return out;
}

describe("TVIPS series", () => {
  it("reads a two-part series, with the scan start and a snake (winding) scan", async () => {
    const q = 5 * 4;
    writeFileSync(join(dir, "rec_000.tvips"), new Uint8Array([...tvipsHeader(5, 4, 16, 64), ...tvipsRecords(0, 5, q, 64)]));
    writeFileSync(join(dir, "rec_001.tvips"), tvipsRecords(5, 6, q, 64));
    const ds = await openDataset(join(dir, "rec_000.tvips"), undefined, { scanShape: [3, 3], scanStart: 2 });
    expect(ds.shape).toEqual([3, 3, 4, 5]);
    expect(ds.dtype).toBe("u16");
    const v = await readAll(ds);
    expect(Array.from({ length: 9 }, (_, f) => v[f * q])).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await ds.source.close?.();
    const snake = await openDataset(join(dir, "rec_000.tvips"), undefined, { scanShape: [3, 3], scanStart: 2, winding: "x" });
    const w = await readAll(snake);
    expect(Array.from({ length: 9 }, (_, f) => w[f * q])).toEqual([2, 3, 4, 7, 6, 5, 8, 9, 10]);
    expect((snake.metadata as any).files.length).toBe(2);
    await snake.source.close?.();
  });

  it("refuses a later part, an unknown version and a scan longer than the recording", async () => {
    await expect(openDataset(join(dir, "rec_001.tvips"))).rejects.toThrow(/rec_001\.tvips: (a TVIPS series is opened from its first part|TVIPS header version)/);
    const h = tvipsHeader(5, 4, 16, 64);
    new DataView(h.buffer).setUint32(4, 7, true);
    writeFileSync(join(dir, "v7_000.tvips"), new Uint8Array([...h, ...tvipsRecords(0, 2, 20, 64)]));
    await expect(openDataset(join(dir, "v7_000.tvips"))).rejects.toThrow(/v7_000\.tvips: TVIPS header version 7 \(byte 4\) is not supported/);
    await expect(openDataset(join(dir, "rec_000.tvips"), undefined, { scanShape: [4, 4] })).rejects.toThrow(/rec_000\.tvips: scan shape \[4, 4\] needs 16 frames after the scan start, but the file holds 11/);
  });
});
