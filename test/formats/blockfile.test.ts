// NanoMegas blockfile: the real test1.blo against numpy on its raw bytes, and broken copies of it.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { openDataset, fileByteSource } from "../../bindings/node-files.js";
import { readBlockfileNavigator } from "../../bindings/formats/index.js";
import { hasPython, runPython } from "../helpers/python.js";
import { openBytes, readAll, real, sumsOf } from "./helpers.js";

const BLO = real("blockfile/test1.blo");

describe.skipIf(!hasPython(["numpy"]))("real blockfile (test1.blo)", () => {
  // numpy reads the header fields and frames straight from the bytes, as the format description gives them, when
  // the tests run (not while vitest collects them, and not when they are filtered out).
  let ref: {
    nx: number; ny: number; dp: number; sx: number; e: number; sums: number[]; idx: number[]; nav: number[]; first: number[];
  };
  beforeAll(() => {
    ref = JSON.parse(runPython(`
import numpy as np, sys, json
b = np.fromfile(sys.argv[1], dtype=np.uint8)
h = np.frombuffer(b[:240].tobytes(), dtype=np.dtype([("id","S6"),("magic","<u2"),("o1","<u4"),("o2","<u4"),("u","<u4"),("dp","<u2"),("rot","<u2"),("nx","<u2"),("ny","<u2"),("srot","<u2"),("sx","<f8"),("sy","<f8"),("e","<u4"),("sdp","<u2"),("cl","<u4"),("t","<f8")]), count=1)[0]
nx, ny, dp, o1, o2 = int(h["nx"]), int(h["ny"]), int(h["dp"]), int(h["o1"]), int(h["o2"])
rec = b[o2:o2 + nx * ny * (dp * dp + 6)].reshape(nx * ny, dp * dp + 6)
px = rec[:, 6:].astype(np.int64)
print(json.dumps({"nx": nx, "ny": ny, "dp": dp, "sx": float(h["sx"]), "e": int(h["e"]), "sums": px.sum(1).tolist(),
  "idx": rec[:, 2:6].copy().view("<u4").ravel().tolist(), "nav": b[o1:o1 + nx * ny].tolist(), "first": px[0, :50].tolist()}))
`, [BLO]));
  });

  it("reads the 3 x 2 scan of 144 x 144 u8 patterns with numpy's per-frame sums", async () => {
    const ds = await openDataset(BLO);
    expect(ds.shape).toEqual([ref.ny, ref.nx, ref.dp, ref.dp]);
    expect(ds.shape).toEqual([3, 2, 144, 144]);
    expect(ds.dtype).toBe("u8");
    const v = await readAll(ds);
    expect(sumsOf(v, 6)).toEqual(ref.sums);
    expect(Array.from(v as Uint8Array).slice(0, 50)).toEqual(ref.first);
    expect(ref.idx).toEqual([0, 1, 2, 3, 4, 5]);
    await ds.source.close?.();
  });

  it("carries the calibration and header: scan step in nm, beam energy, note", async () => {
    const ds = await openDataset(BLO);
    expect(ds.calibration?.axes?.[0]).toEqual({ name: "y", step: ref.sx, unit: "nm" });
    expect(ds.calibration?.beamEnergyKeV).toBe(ref.e / 1000);
    const md = ds.metadata as any;
    expect(md.header.note).toContain("Precession angle");
    expect(md.trailingBytes).toBe(0);
    await ds.source.close?.();
  });

  it("reads the stored navigator image", async () => {
    const src = await fileByteSource(BLO);
    const nav = await readBlockfileNavigator(src);
    expect([nav.rows, nav.cols]).toEqual([3, 2]);
    expect(Array.from(nav.data)).toEqual(ref.nav);
    await src.close?.();
  });
});

describe("bad blockfiles", () => {
  const file = () => new Uint8Array(readFileSync(BLO));

  it("a file shorter than its header promises is refused, naming the first incomplete frame", async () => {
    await expect(openBytes("cut.blo", file().subarray(0, 100000))).rejects.toThrow(/cut\.blo: blockfile header promises 6 frames of 144 x 144 from byte 4112 .* file has 100000 bytes \(frame 4 is the first incomplete one\)/);
    await expect(openBytes("tiny.blo", file().subarray(0, 100))).rejects.toThrow(/tiny\.blo: blockfile is 100 bytes long/);
  });

  it("a wrong magic or a broken record marker names the offset", async () => {
    const f = file();
    f[6] = 0x99;
    await expect(openBytes("m.blo", f)).rejects.toThrow(/m\.blo: blockfile magic at byte 6 is 0x199; expected 0x102/);
    const g = file();
    const stride = 6 + 144 * 144;
    g[4112 + 3 * stride] = 0;
    const ds = await openBytes("r.blo", g);
    await expect(readAll(ds)).rejects.toThrow(new RegExp(`r\\.blo: blockfile frame 3 at byte ${4112 + 3 * stride}: expected the record marker AA 55, found 00 55`));
  });

  it("inconsistent offsets are refused", async () => {
    const f = file();
    new DataView(f.buffer).setUint32(12, 4097, true); // patterns would overlap the 6-byte navigator
    await expect(openBytes("o.blo", f)).rejects.toThrow(/o\.blo: blockfile data offsets 4096 \(navigator\) and 4097 \(patterns\)/);
  });
});
