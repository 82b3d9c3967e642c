// The WASM LZ4 block decoder and bitshuffle filter chunks against the system's liblz4 (through Python's ctypes) and a
// numpy bitshuffle written from the format's description.
import { beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { BitshuffleLz4Decoder } from "../../bindings/formats/hdf5/bslz4.js";
import { hasPython, runPython } from "../helpers/python.js";
import { firstDifference } from "./helpers.js";
import { PY_BSLZ4 } from "../../bench/bslz4-reference.js";

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/** The chunks compared: numpy dtype, elements, bitshuffle block size (full, partial and leftover blocks). */
const CHUNKS: [dtype: string, n: number, block: number][] = [
  ["u1", 1000, 256], ["<u2", 1003, 256], ["<u4", 3 * 2048 + 5, 2048], ["<u4", 36864, 2048], ["<u4", 7, 2048], ["<f4", 4096, 512],
];

interface Cases { chunks: { dtype: string; n: number; data: string; chunk: string }[]; lz4: { raw: string; block: string } }

describe.skipIf(!hasPython(["numpy"]))("bitshuffle + LZ4 (WASM) against liblz4 and numpy", () => {
  // liblz4 and numpy make the cases when the tests run (not while vitest collects them).
  let cases: Cases;
  let dec: BitshuffleLz4Decoder;
  beforeAll(async () => {
    cases = JSON.parse(runPython(PY_BSLZ4 + `
import json, base64, sys
rng = np.random.default_rng(3)
out = []
for dtype, n, block in json.loads(sys.argv[1]):
    a = (rng.poisson(0.3, n) * (rng.random(n) < 0.9)).astype(dtype) if dtype != "<f4" else rng.normal(size=n).astype(dtype)
    c = chunk(a, block)
    assert (unchunk(c, n, dtype) == a).all()
    out.append({"dtype": dtype, "n": n, "data": base64.b64encode(a.tobytes()).decode(), "chunk": base64.b64encode(c).decode()})
# raw LZ4 blocks with repeats at every offset class (1, 3, 8, 12, 16, 100) and incompressible stretches
parts = [bytes([7]) * 300, b"abc" * 90, bytes(range(8)) * 40, bytes(range(12)) * 30, bytes(range(16)) * 20, rng.integers(0, 256, 100, dtype=np.uint8).tobytes() * 5, rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()]
raw = b"".join(parts)
print(json.dumps({"chunks": out, "lz4": {"raw": base64.b64encode(raw).decode(), "block": base64.b64encode(lz4c(raw)).decode()}}))
`, [JSON.stringify(CHUNKS)])) as Cases;
    dec = await BitshuffleLz4Decoder.create();
  });

  it("decodes LZ4 blocks made by liblz4, including overlapping matches at short offsets", () => {
    const raw = b64(cases.lz4.raw), out = new Uint8Array(raw.length);
    expect(dec.decodeLz4Block(b64(cases.lz4.block), out)).toBe(raw.length);
    expect(firstDifference(out, raw)).toBe(-1);
  });

  it.each(CHUNKS.map(([dtype, n], i) => [dtype, n, i] as const))("decodes %s chunks of %i elements (full, partial and leftover blocks)", (dtype, n, i) => {
    const c = cases.chunks[i]!;
    const size = dtype.endsWith("1") ? 1 : dtype.endsWith("2") ? 2 : 4;
    const want = b64(c.data), out = new Uint8Array(n * size);
    dec.decodeChunk(b64(c.chunk), out, size, "test chunk");
    expect(firstDifference(out, want)).toBe(-1);
  });

  it("rejects corrupt chunks with the offset of the fault, never writing past its buffers", () => {
    const c = b64(cases.chunks[3]!.chunk), out = new Uint8Array(36864 * 4);
    expect(() => dec.decodeChunk(c.subarray(0, c.length - 100), out, 4, "f.h5 chunk 0")).toThrow(/f\.h5 chunk 0: cannot decode bitshuffle\/LZ4 chunk at chunk byte \d+: a block's stated compressed size runs past the end of the chunk/);
    const bad = c.slice();
    bad.fill(0xff, 16, 40); // the first block's LZ4 stream: a literal run longer than anything
    expect(() => dec.decodeChunk(bad, out, 4, "f.h5 chunk 0")).toThrow(/chunk byte \d+: corrupt LZ4 block/);
    const off = c.slice();
    // a match offset of zero is never valid: find the first match of block 0 by decoding its first token
    let p = 17, lit = off[16]! >> 4;
    if (lit === 15) for (let b = 255; b === 255; p++) { b = off[p]!; lit += b; }
    const at = p + lit;
    off[at] = 0;
    off[at + 1] = 0;
    expect(() => dec.decodeChunk(off, out, 4, "g")).toThrow(new RegExp(`g: cannot decode bitshuffle/LZ4 chunk at chunk byte ${at}: corrupt LZ4 block`));
    expect(() => dec.decodeChunk(c, new Uint8Array(100), 4, "h")).toThrow(/h: bitshuffle\/LZ4 chunk header says 147456 uncompressed bytes; expected 100/);
    expect(() => dec.decodeLz4Block(new Uint8Array([0xf0, 255, 255]), new Uint8Array(10))).toThrow(/corrupt LZ4 block at byte/);
  });
});
