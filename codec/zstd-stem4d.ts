// The "stem4d" zstd backend: the reference zstd library compiled into build/zstd.wasm (scripts/build-zstd-wasm.mjs),
// driven through its C API. Like the core, it runs on a memory JavaScript owns: one arena (bindings/arena.ts) plans
// it, serving zstd's own malloc and free (imported) and the input and output regions, which only grow. One
// compression and one decompression context are kept for the backend's life, so a call allocates nothing.
import { Arena } from "../bindings/arena.js";
import { instantiateWasm } from "../bindings/wasm-module.js";
import { Region } from "./engine.js";
import { fail } from "./errors.js";
import { checkCapacity, checkFrame, withCopies, type ZstdBackend } from "./zstd-backend.js";

/** The zstd C API, as build/zstd.wasm exports it (size_t is 32-bit; error codes come back negative). */
interface ZstdExports {
  ZSTD_versionNumber(): number;
  ZSTD_compressBound(n: number): number;
  ZSTD_isError(code: number): number;
  ZSTD_getErrorName(code: number): number;
  ZSTD_createCCtx(): number;
  ZSTD_compressCCtx(cctx: number, dst: number, cap: number, src: number, n: number, level: number): number;
  ZSTD_createDCtx(): number;
  ZSTD_decompressDCtx(dctx: number, dst: number, cap: number, src: number, n: number): number;
}

const NAME = "stem4d";
/** The container's chunk limit; the heap grows as needed up to wasm32's 4 GiB. */
const MAX_INPUT = 256 << 20;

export async function loadStem4dZstd(): Promise<ZstdBackend> {
  let arena: Arena | undefined;
  const { memory, exports: z, heapBase } = await instantiateWasm<ZstdExports>("zstd.wasm", {
    memory: { initial: 16, maximum: 65536 },
    env: {
      // zstd reports a failed allocation as its memory_allocation error, so malloc answers 0 rather than throwing.
      malloc: (bytes: number) => { try { return arena!.alloc(bytes >>> 0); } catch { return 0; } },
      free: (ptr: number) => { if (ptr) arena!.release(ptr); },
    },
  });
  const owner = { arena: (arena = new Arena(memory, heapBase)) };
  const cctx = z.ZSTD_createCCtx(), dctx = z.ZSTD_createDCtx();
  if (!cctx || !dctx) throw new Error("stem4d zstd: cannot create the compression and decompression contexts");
  const input = new Region(owner), output = new Region(owner);
  const bound = (n: number) => z.ZSTD_compressBound(n) >>> 0;
  const errorName = (code: number) => {
    const at = z.ZSTD_getErrorName(code), heap = new Uint8Array(memory.buffer);
    let end = at;
    while (heap[end] !== 0) end++;
    return new TextDecoder().decode(heap.subarray(at, end));
  };
  return withCopies({
    name: NAME,
    maxInputBytes: MAX_INPUT,
    compressBound: bound,
    compressInto(src, level, out) {
      const cap = bound(src.length);
      checkCapacity(NAME, src, cap, out, MAX_INPUT);
      const ip = input.ensure(src.length), op = output.ensure(cap);
      arena!.bytes(ip, src.length).set(src);
      const code = z.ZSTD_compressCCtx(cctx, op, cap, ip, src.length, level);
      if (z.ZSTD_isError(code)) {
        throw new Error(`${NAME}: zstd compression of ${src.length} bytes failed: ${errorName(code)}`);
      }
      const n = code >>> 0;
      out.set(arena!.bytes(op, n));
      return n;
    },
    decompressInto(frame, out) {
      checkFrame({ name: NAME, maxInputBytes: MAX_INPUT }, frame, out.length);
      const ip = input.ensure(frame.length), op = output.ensure(out.length);
      arena!.bytes(ip, frame.length).set(frame);
      const code = z.ZSTD_decompressDCtx(dctx, op, out.length, ip, frame.length);
      if (z.ZSTD_isError(code)) fail("zstd", `${NAME}: the zstd frame is damaged: ${errorName(code)}`);
      if (code >>> 0 !== out.length) {
        fail("zstd", `${NAME}: the zstd frame decoded to ${code >>> 0} bytes, expected ${out.length}`);
      }
      out.set(arena!.bytes(op, out.length));
    },
  });
}
