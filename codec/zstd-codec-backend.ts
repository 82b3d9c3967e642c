// The "zstd-codec" backend (the design card's package; Node only): its emscripten build reads its wasm with Node's
// fs and path, so no bundler can take it into a browser. It is not imported here: the Node platform hands its
// module loader over (Platform.loadZstdCodec, set by bindings/node.ts), and elsewhere asking for it is an error.
// Its heap is a fixed 16 MiB holding input, output and the compression context at once, so frames stay <= 4 MiB.
import { platform } from "../bindings/platform.js";
import { fail } from "./errors.js";
import { checkCapacity, checkFrame, withCopies, type ZstdBackend } from "./zstd-backend.js";

const NAME = "zstd-codec";

export async function loadZstdCodec(): Promise<ZstdBackend> {
  const load = platform().loadZstdCodec;
  if (!load) {
    throw new Error(`zstd backend "${NAME}" runs only in Node (its emscripten build loads Node's fs); use "stem4d"`);
  }
  // Its emscripten module itself (its Simple class copies through fresh vectors and arrays on every call).
  const { run } = (await load()) as { run(callback: (module: ZstdCodecModule) => void): void };
  // Wrapped: the emscripten module has a then() of its own, which would make a promise resolve with it forever.
  const { M } = await new Promise<{ M: ZstdCodecModule }>((resolve) => run((m) => resolve({ M: m })));
  const codec = new M.ZstdCodec();
  const maxInputBytes = 4 << 20;
  const bound = (n: number) => codec.compressBound(n);
  // Two byte vectors kept for the backend's life. One that must grow is replaced rather than resized, so that its
  // old and new storage never coexist in the small heap (and its capacity is exactly what was asked for).
  const vec = { src: new M.VectorU8(), dst: new M.VectorU8(), srcCap: 0, dstCap: 0 };
  const sized = (which: "src" | "dst", n: number): ZstdVector => {
    const capKey = which === "src" ? "srcCap" : "dstCap";
    if (n > vec[capKey]) {
      vec[which].delete();
      vec[which] = new M.VectorU8();
      vec[capKey] = n;
    }
    vec[which].resize(n, 0);
    return vec[which];
  };
  const fill = (bytes: Uint8Array): ZstdVector => {
    const v = sized("src", bytes.length);
    M.toTypedArrayView(v).set(bytes);
    return v;
  };
  return withCopies({
    name: NAME,
    maxInputBytes,
    compressBound: bound,
    compressInto(bytes, level, out) {
      const cap = bound(bytes.length);
      checkCapacity(NAME, bytes, cap, out, maxInputBytes);
      const src = fill(bytes), dst = sized("dst", cap);
      // zstd-codec maps level 0 to its default; negative levels (fast modes) pass through.
      const rc = codec.compress(dst, src, level === 0 ? 3 : level);
      if (rc < 0) throw new Error(`${NAME}: compression of ${bytes.length} bytes failed`);
      out.set(M.toTypedArrayView(dst).subarray(0, rc));
      return rc;
    },
    decompressInto(frame, out) {
      checkFrame({ name: NAME, maxInputBytes }, frame, out.length);
      if (out.length === 0) return; // zstd-codec reports an empty frame as a failure
      const src = fill(frame), dst = sized("dst", out.length);
      let rc: number;
      try {
        rc = codec.decompress(dst, src);
      } catch (e) {
        fail("zstd", `${NAME}: ${(e as Error).message}`);
      }
      if (rc < 0) fail("zstd", `${NAME}: the zstd frame is damaged`);
      if (rc !== out.length) fail("zstd", `${NAME}: the zstd frame decoded to ${rc} bytes, expected ${out.length}`);
      out.set(M.toTypedArrayView(dst).subarray(0, rc));
    },
  });
}

interface ZstdCodecModule {
  ZstdCodec: new () => {
    compressBound(n: number): number;
    compress(dst: ZstdVector, src: ZstdVector, level: number): number;
    decompress(dst: ZstdVector, src: ZstdVector): number;
  };
  VectorU8: new () => ZstdVector;
  toTypedArrayView(v: ZstdVector): Uint8Array;
}
interface ZstdVector { resize(n: number, fill: number): void; size(): number; delete(): void }
