// zstd frames are the wire format; the backend that makes them is replaceable. Two WASM builds of the reference
// library are wrapped here behind one small interface: zstd-codec (the design card's choice; a fixed 16 MiB heap, so
// callers keep inputs under `maxInputBytes`) and @bokuweb/zstd-wasm (a growable heap). Either decodes the other's
// frames (test/codec/zstd.test.ts). Neither wrapper imports a Node module: each package resolves to its own browser
// build under a bundler and to its Node build in Node.
//
// Every frame is checked here before it reaches a backend: the frame header must declare its content size and it
// must equal what the container expects. A frame that claims 4 GB is refused before either library allocates.
import { CodecError, fail } from "./errors.js";

export type ZstdBackendName = "auto" | "bokuweb" | "zstd-codec";

export interface ZstdBackend {
  readonly name: ZstdBackendName;
  /** Largest input (and decoded output) one call accepts. */
  readonly maxInputBytes: number;
  /** The largest frame compressing `n` bytes can give (ZSTD_compressBound): the room compressInto needs. */
  compressBound(n: number): number;
  /**
   * One zstd frame with its content size in the header, written into `out` (at least compressBound(src.length)
   * bytes, owned by the caller and reused from call to call); returns its length. Nothing is allocated per call:
   * input, output and context live in regions of the backend's heap that are reused, so a stream of calls leaves
   * no garbage behind (this is what keeps the streaming encoders' resident memory flat).
   */
  compressInto(src: Uint8Array, level: number, out: Uint8Array): number;
  /** The content of one frame, which must declare exactly out.length bytes, written into `out`. */
  decompressInto(frame: Uint8Array, out: Uint8Array): void;
  /** compressInto into a fresh array of the frame's size (for callers that keep the frame). */
  compress(src: Uint8Array, level: number): Uint8Array;
  /** decompressInto into a fresh array. */
  decompress(frame: Uint8Array, contentSize: number): Uint8Array;
}

/**
 * The backend used when none is named: "auto", zstd-codec for every frame its fixed heap can take (up to 4 MiB of
 * content; with both driven through reused buffers it is the faster of the two in bench/codec.ts: 1.2x on
 * bitshuffled frames, 1.5x in decoding, 2x on event planes) and bokuweb for bigger ones (a PCA basis). Both write
 * standard frames, so which one made a frame never matters to a decoder.
 */
export const DEFAULT_ZSTD: ZstdBackendName = "auto";
export const ZSTD_BACKENDS: readonly ZstdBackendName[] = ["auto", "bokuweb", "zstd-codec"];

const loading = new Map<ZstdBackendName, Promise<ZstdBackend>>();

export function zstdBackend(name: ZstdBackendName = DEFAULT_ZSTD): Promise<ZstdBackend> {
  let p = loading.get(name);
  if (!p) {
    p = name === "bokuweb" ? loadBokuweb() : name === "zstd-codec" ? loadZstdCodec() : name === "auto" ? loadAuto()
      : Promise.reject(new Error(`unknown zstd backend ${String(name)} (expected ${ZSTD_BACKENDS.join(", ")})`));
    loading.set(name, p);
  }
  return p;
}

async function loadAuto(): Promise<ZstdBackend> {
  // One after the other: bokuweb's loader watches WebAssembly instantiations while it initialises.
  const big = await zstdBackend("bokuweb");
  const small = await zstdBackend("zstd-codec");
  const pick = (n: number) => (n <= small.maxInputBytes ? small : big);
  return withCopies({
    name: "auto",
    maxInputBytes: big.maxInputBytes,
    compressBound: (n) => pick(n).compressBound(n),
    compressInto: (src, level, out) => pick(src.length).compressInto(src, level, out),
    decompressInto: (frame, out) => pick(out.length).decompressInto(frame, out),
  });
}

const ZSTD_MAGIC = 0xfd2fb528;

/** The Frame_Content_Size of a zstd frame header (RFC 8878, 3.1.1.1), or a typed error when it is absent or bad. */
export function zstdContentSize(frame: Uint8Array, what: string): number {
  if (frame.length < 6) fail("zstd", `${what}: ${frame.length} bytes is too short for a zstd frame header`);
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) fail("zstd", `${what}: zstd magic 0x${magic.toString(16)} (expected 0xfd2fb528)`);
  const fhd = frame[4]!;
  if (fhd & 0x08) fail("zstd", `${what}: zstd frame header reserved bit is set`);
  const fcsFlag = fhd >>> 6, single = (fhd >>> 5) & 1, did = fhd & 3;
  let at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][did]!;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) fail("zstd", `${what}: zstd frame does not declare its content size`);
  if (frame.length < at + fcsBytes) fail("zstd", `${what}: zstd frame header truncated`);
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i]!;
  if (fcsBytes === 2) size += 256;
  if (fcsBytes === 8 && frame[at + 7]! > 0x1f) fail("limit", `${what}: zstd content size beyond 2^53`);
  return size;
}

function checkFrame(backend: { name: string; maxInputBytes: number }, frame: Uint8Array, contentSize: number): void {
  const declared = zstdContentSize(frame, "zstd frame");
  if (declared !== contentSize) fail("zstd", `zstd frame declares ${declared} bytes of content, expected ${contentSize}`);
  if (contentSize > backend.maxInputBytes) fail("limit", `zstd frame of ${contentSize} bytes exceeds the ${backend.name} backend's ${backend.maxInputBytes}-byte limit`);
}

/** The two calls every backend shares, on top of its own compressInto / decompressInto. */
function withCopies(b: Omit<ZstdBackend, "compress" | "decompress">): ZstdBackend {
  const backend: ZstdBackend = {
    ...b,
    compress(src, level) {
      // The bound-sized scratch is reused; only the frame's own bytes are copied out.
      const out = scratch(b.compressBound(src.length));
      return out.slice(0, b.compressInto(src, level, out));
    },
    decompress(frame, contentSize) {
      zstdContentSize(frame, "zstd frame"); // a typed error before allocating for a frame that is not one
      if (contentSize > b.maxInputBytes) fail("limit", `zstd frame of ${contentSize} bytes exceeds the ${b.name} backend's ${b.maxInputBytes}-byte limit`);
      const out = new Uint8Array(contentSize);
      b.decompressInto(frame, out);
      return out;
    },
  };
  return backend;
}

let scratchBuf = new Uint8Array(0);
function scratch(n: number): Uint8Array {
  if (scratchBuf.length < n) scratchBuf = new Uint8Array(Math.max(n, 1 << 16));
  return scratchBuf;
}

function checkCapacity(name: string, src: Uint8Array, bound: number, out: Uint8Array, max: number): void {
  if (src.length > max) throw new RangeError(`${name}: zstd input of ${src.length} bytes exceeds the backend's ${max}-byte limit; use smaller chunks`);
  if (out.length < bound) throw new RangeError(`${name}: output room of ${out.length} bytes is below compressBound(${src.length}) = ${bound}`);
}

/** The zstd C API of @bokuweb/zstd-wasm's build, as exported by its wasm instance (emscripten minifies the names). */
interface BokuwebApi {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  compressBound(n: number): number;
  isError(code: number): number;
  createCCtx(): number;
  createDCtx(): number;
  compressUsingDict(cctx: number, dst: number, cap: number, src: number, n: number, dict: number, dictSize: number, level: number): number;
  decompressUsingDict(dctx: number, dst: number, cap: number, src: number, n: number, dict: number, dictSize: number): number;
}

/**
 * The package's public calls malloc, copy and free input and output and build a fresh context on every call, and
 * return a fresh array; it does not export its module. Its wasm instance is taken as the package's own init()
 * creates it (the only WebAssembly instantiation whose imports are the emscripten object { a: { a..e } }), and the
 * export names of version 0.0.27's build are checked by arity and by a round trip through the package's public
 * decompress before they are trusted. Any mismatch (another build) falls back to the public calls.
 */
async function bokuwebApi(init: () => Promise<void>): Promise<BokuwebApi | undefined> {
  const W = WebAssembly as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const orig = W.instantiate!, origStreaming = W.instantiateStreaming;
  let instance: WebAssembly.Instance | undefined;
  const isOurs = (imports: unknown) => {
    const a = (imports as { a?: Record<string, unknown> } | undefined)?.a;
    return !!a && ["a", "b", "c", "d", "e"].every((k) => typeof a[k] === "function");
  };
  const keep = (imports: unknown) => (r: unknown) => {
    if (isOurs(imports)) instance = r instanceof WebAssembly.Instance ? r : (r as { instance: WebAssembly.Instance }).instance;
    return r;
  };
  W.instantiate = (...a: unknown[]) => orig.apply(WebAssembly, a).then(keep(a[1]));
  if (origStreaming) W.instantiateStreaming = (...a: unknown[]) => origStreaming.apply(WebAssembly, a).then(keep(a[1]));
  try {
    await init();
  } finally {
    W.instantiate = orig;
    if (origStreaming) W.instantiateStreaming = origStreaming;
  }
  const e = instance?.exports as Record<string, unknown> | undefined;
  if (!e) return undefined;
  const fn = (k: string, arity: number) => (typeof e[k] === "function" && (e[k] as () => void).length === arity ? e[k] as (...a: number[]) => number : undefined);
  const memory = e.f instanceof WebAssembly.Memory ? e.f : undefined;
  const f = { h: fn("h", 1), i: fn("i", 1), j: fn("j", 0), l: fn("l", 8), n: fn("n", 0), q: fn("q", 7), s: fn("s", 1), t: fn("t", 1) };
  if (!memory || Object.values(f).some((x) => !x)) return undefined;
  return {
    memory, isError: f.h!, compressBound: f.i!, createCCtx: f.j!, compressUsingDict: f.l!, createDCtx: f.n!,
    decompressUsingDict: f.q!, malloc: f.s!, free: f.t!,
  };
}

async function loadBokuweb(): Promise<ZstdBackend> {
  const z = await import("@bokuweb/zstd-wasm");
  const api = await bokuwebApi(() => z.init());
  const maxInputBytes = 256 << 20; // the heap grows as needed; the cap matches the container's chunk limit
  const backend = api ? persistentBokuweb(api, maxInputBytes) : undefined;
  // Trust the export names only if a frame made here decodes through the package's own public call, and back.
  if (backend) {
    const probe = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 13);
    try {
      const ours = backend.compress(probe, 3), theirs = z.compress(asInt8(probe), 3);
      const a = new Uint8Array(z.decompress(asInt8(ours), { defaultHeapSize: probe.length }));
      const b = backend.decompress(theirs, probe.length);
      if (a.every((v, i) => v === probe[i]) && b.every((v, i) => v === probe[i]) && a.length === probe.length) return backend;
    } catch {
      // fall through to the public calls
    }
  }
  return publicBokuweb(z, maxInputBytes);
}

function persistentBokuweb(M: BokuwebApi, maxInputBytes: number): ZstdBackend & { persistent: true } {
  // One compression and one decompression context, reused for every frame (ZSTD_compress would build and free a
  // context per call), and one input and one output region that only grow.
  const cctx = M.createCCtx(), dctx = M.createDCtx();
  if (!cctx || !dctx) throw new Error("bokuweb: cannot create zstd contexts");
  const r = { inPtr: 0, inCap: 0, outPtr: 0, outCap: 0 };
  const grow = (input: boolean, n: number): number => {
    const cap = input ? r.inCap : r.outCap;
    if (n <= cap) return input ? r.inPtr : r.outPtr;
    const old = input ? r.inPtr : r.outPtr;
    if (old) M.free(old);
    const size = Math.max(n, 1 << 16), p = M.malloc(size);
    if (input) { r.inPtr = p; r.inCap = p ? size : 0; } else { r.outPtr = p; r.outCap = p ? size : 0; }
    if (!p) throw new RangeError(`bokuweb: cannot allocate ${size} bytes in the zstd heap`);
    return p;
  };
  // The heap's buffer is replaced when it grows (a malloc can grow it): views are made after the mallocs.
  const heap = () => new Uint8Array(M.memory.buffer);
  const bound = (n: number) => M.compressBound(n) >>> 0;
  const name = "bokuweb";
  return Object.assign(withCopies({
    name,
    maxInputBytes,
    compressBound: bound,
    compressInto(src, level, out) {
      const cap = bound(src.length);
      checkCapacity(name, src, cap, out, maxInputBytes);
      const ip = grow(true, src.length), op = grow(false, cap);
      const h = heap();
      h.set(src, ip);
      const code = M.compressUsingDict(cctx, op, cap, ip, src.length, 0, 0, level);
      if (M.isError(code)) throw new Error(`bokuweb: zstd compression of ${src.length} bytes failed (code ${code >>> 0})`);
      const n = code >>> 0;
      out.set(h.subarray(op, op + n));
      return n;
    },
    decompressInto(frame, out) {
      checkFrame({ name, maxInputBytes }, frame, out.length);
      const ip = grow(true, frame.length), op = grow(false, Math.max(1, out.length));
      const h = heap();
      h.set(frame, ip);
      const code = M.decompressUsingDict(dctx, op, out.length, ip, frame.length, 0, 0);
      if (M.isError(code)) fail("zstd", `bokuweb: the zstd frame is damaged (code ${code >>> 0})`);
      if (code >>> 0 !== out.length) fail("zstd", `bokuweb: the zstd frame decoded to ${code >>> 0} bytes, expected ${out.length}`);
      out.set(h.subarray(op, op + out.length));
    },
  }), { persistent: true as const });
}

/** The package's public calls (a fresh array per call): used only if its wasm exports are not the expected ones. */
function publicBokuweb(z: typeof import("@bokuweb/zstd-wasm"), maxInputBytes: number): ZstdBackend {
  const name = "bokuweb";
  return withCopies({
    name,
    maxInputBytes,
    compressBound: zstdCompressBound,
    compressInto(src, level, out) {
      checkCapacity(name, src, zstdCompressBound(src.length), out, maxInputBytes);
      const f = z.compress(asInt8(src), level);
      out.set(f);
      return f.length;
    },
    decompressInto(frame, out) {
      checkFrame({ name, maxInputBytes }, frame, out.length);
      let f: Uint8Array;
      try {
        f = z.decompress(asInt8(frame), { defaultHeapSize: out.length });
      } catch (e) {
        fail("zstd", `bokuweb: ${(e as Error).message}`);
      }
      if (f.length !== out.length) fail("zstd", `bokuweb: the zstd frame decoded to ${f.length} bytes, expected ${out.length}`);
      out.set(f);
    },
  });
}

/** ZSTD_COMPRESSBOUND of zstd.h. */
function zstdCompressBound(n: number): number {
  return n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0);
}

async function loadZstdCodec(): Promise<ZstdBackend> {
  // zstd-codec's emscripten module itself (its Simple class copies through fresh vectors and arrays on every call):
  // two byte vectors kept for the backend's life, written and read through views of its heap.
  const { run } = await import("zstd-codec/lib/module.js");
  // Wrapped: the emscripten module has a then() of its own, which would make a promise resolve with it forever.
  const { M } = await new Promise<{ M: ZstdCodecModule }>((resolve) => run((m) => resolve({ M: m })));
  const codec = new M.ZstdCodec();
  // Its heap is a fixed 16 MiB holding input, output and the compression context at once: 4 MiB each leaves room.
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
  const load = (bytes: Uint8Array): ZstdVector => {
    const v = sized("src", bytes.length);
    M.toTypedArrayView(v).set(bytes);
    return v;
  };
  return withCopies({
    name: "zstd-codec",
    maxInputBytes,
    compressBound: bound,
    compressInto(bytes, level, out) {
      const cap = bound(bytes.length);
      checkCapacity("zstd-codec", bytes, cap, out, maxInputBytes);
      const src = load(bytes), dst = sized("dst", cap);
      // zstd-codec maps level 0 to its default; negative levels (fast modes) pass through.
      const rc = codec.compress(dst, src, level === 0 ? 3 : level);
      if (rc < 0) throw new Error(`zstd-codec: compression of ${bytes.length} bytes failed`);
      out.set(M.toTypedArrayView(dst).subarray(0, rc));
      return rc;
    },
    decompressInto(frame, out) {
      checkFrame({ name: "zstd-codec", maxInputBytes }, frame, out.length);
      if (out.length === 0) return; // zstd-codec reports an empty frame as a failure
      const src = load(frame), dst = sized("dst", out.length);
      let rc: number;
      try {
        rc = codec.decompress(dst, src);
      } catch (e) {
        fail("zstd", `zstd-codec: ${(e as Error).message}`);
      }
      if (rc < 0) fail("zstd", "zstd-codec: the zstd frame is damaged");
      if (rc !== out.length) fail("zstd", `zstd-codec: the zstd frame decoded to ${rc} bytes, expected ${out.length}`);
      out.set(M.toTypedArrayView(dst).subarray(0, rc));
    },
  });
}

interface ZstdCodecModule {
  ZstdCodec: new () => { compressBound(n: number): number; compress(dst: ZstdVector, src: ZstdVector, level: number): number; decompress(dst: ZstdVector, src: ZstdVector): number };
  VectorU8: new () => ZstdVector;
  toTypedArrayView(v: ZstdVector): Uint8Array;
}
interface ZstdVector { resize(n: number, fill: number): void; size(): number; delete(): void }

/** The package's heap is an Int8Array: an Int8Array view makes its copy a plain memcpy rather than a converting loop. */
function asInt8(b: Uint8Array): Uint8Array {
  return new Int8Array(b.buffer, b.byteOffset, b.length) as unknown as Uint8Array;
}
