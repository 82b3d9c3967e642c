// Compiles the reference zstd library (C sources from the exactly pinned zstd-napi devDependency, which ships them)
// into build/zstd.wasm with clang: wasm32 + SIMD + bulk memory, no C library (codec/zstd-c/ has the few libc
// pieces), memory imported so that JavaScript owns it, malloc and free imported from JavaScript. Needs clang and
// lld (Debian: apt-get install clang lld). Skipped when build/zstd.wasm is newer than everything it is made from.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const LIB = "node_modules/zstd-napi/deps/zstd/lib";
const SHIM = "codec/zstd-c";
const OUT = "build/zstd.wasm";
/** What codec/zstd.ts calls; nothing else is exported. */
const EXPORTS = [
  "ZSTD_versionNumber", "ZSTD_compressBound", "ZSTD_isError", "ZSTD_getErrorName",
  "ZSTD_createCCtx", "ZSTD_compressCCtx", "ZSTD_createDCtx", "ZSTD_decompressDCtx",
];

if (!existsSync(LIB)) throw new Error(`${LIB}: missing; run npm ci (zstd-napi is the devDependency that ships zstd's C sources)`);
const sources = [
  ...["common", "compress", "decompress"].flatMap((d) => readdirSync(join(LIB, d)).filter((f) => f.endsWith(".c")).map((f) => join(LIB, d, f))),
  join(SHIM, "calloc.c"),
].filter((f) => !/(zstdmt_compress|threading|pool)\.c$/.test(f)); // single-threaded: no pthreads in wasm32 here
const inputs = [...sources, "scripts/build-zstd-wasm.mjs", join(SHIM, "imports.txt"), ...readdirSync(join(SHIM, "include")).map((f) => join(SHIM, "include", f))];
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));

if (existsSync(OUT) && statSync(OUT).mtimeMs > newest) process.exit(0);

const clang = ["clang", "clang-19", "clang-16", "clang-14"].find((c) => {
  try { execFileSync(c, ["--version"], { stdio: "ignore" }); return true; } catch { return false; }
});
if (!clang) throw new Error("building build/zstd.wasm needs clang and lld (Debian: apt-get install clang lld)");
mkdirSync("build", { recursive: true });
execFileSync(clang, [
  "--target=wasm32", "-O3", "-msimd128", "-mbulk-memory", "-mnontrapping-fptoint", "-msign-ext",
  "-nostdlib", "-isystem", join(SHIM, "include"),
  "-DNDEBUG", "-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0", "-DZSTD_MULTITHREAD=0",
  "-Wl,--no-entry", "-Wl,--import-memory", "-Wl,--strip-all", `-Wl,--allow-undefined-file=${join(SHIM, "imports.txt")}`,
  "-Wl,--export=__heap_base", ...EXPORTS.map((e) => `-Wl,--export=${e}`),
  "-o", OUT, ...sources,
], { stdio: "inherit" });
