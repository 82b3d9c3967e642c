// Compiles the reference zstd library (C sources from the exactly pinned zstd-napi devDependency, which ships them)
// into build/zstd.wasm with clang: wasm32 + SIMD + bulk memory, no C library (codec/zstd-c/ has the few libc
// pieces), memory imported so that JavaScript owns it, malloc and free imported from JavaScript. Needs clang and
// lld (Debian: apt-get install clang lld). Skipped when build/zstd.wasm was made from exactly these inputs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LIB = "node_modules/zstd-napi/deps/zstd/lib";
const SHIM = "codec/zstd-c";
const OUT = "build/zstd.wasm";
/** What codec/zstd.ts calls; nothing else is exported. */
const EXPORTS = [
  "ZSTD_versionNumber", "ZSTD_compressBound", "ZSTD_isError", "ZSTD_getErrorName",
  "ZSTD_createCCtx", "ZSTD_compressCCtx", "ZSTD_createDCtx", "ZSTD_decompressDCtx",
];

if (!existsSync(LIB)) {
  throw new Error(`${LIB}: missing; run npm ci (zstd-napi is the devDependency that ships zstd's C sources)`);
}
const filesIn = (dir, ending) =>
  readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(ending)).sort().map((f) => join(dir, f));
// Single-threaded: no pthreads in wasm32 here, so no zstdmt, thread pool or threading shim.
const sources = ["common", "compress", "decompress"].flatMap((d) => filesIn(join(LIB, d), ".c"))
  .filter((f) => !/(zstdmt_compress|threading|pool)\.c$/.test(f))
  .concat(join(SHIM, "calloc.c"));
const inputs = [...sources, ...filesIn(LIB, ".h"), ...filesIn(SHIM, ".h"), join(SHIM, "imports.txt")]
  .concat("scripts/build-zstd-wasm.mjs");
// npm extracts packages with a fixed old mtime, so what the module is made of is compared by content.
const hash = createHash("sha256");
for (const f of inputs) hash.update(f).update(readFileSync(f));
const digest = hash.digest("hex"), STAMP = `${OUT}.sha256`;
if (existsSync(OUT) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === digest) process.exit(0);

const clang = ["clang", "clang-19", "clang-16", "clang-14"].find((c) => {
  try { execFileSync(c, ["--version"], { stdio: "ignore" }); return true; } catch { return false; }
});
if (!clang) throw new Error("building build/zstd.wasm needs clang and lld (Debian: apt-get install clang lld)");
// clang runs any wasm-opt it finds on PATH after linking, without our feature flags (binaryen's, under npm run,
// then rejects the bulk-memory instructions): keep npm's node_modules/.bin folders off clang's PATH.
const pathWithoutNodeBins = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules")).join(":");
mkdirSync("build", { recursive: true });
execFileSync(clang, [
  "--target=wasm32", "-O3", "-msimd128", "-mbulk-memory", "-mnontrapping-fptoint", "-msign-ext",
  "-nostdlib", "-isystem", join(SHIM, "include"),
  "-DNDEBUG", "-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0", "-DZSTD_MULTITHREAD=0",
  "-Wl,--no-entry", "-Wl,--import-memory", "-Wl,--strip-all", `-Wl,--allow-undefined-file=${join(SHIM, "imports.txt")}`,
  "-Wl,--export=__heap_base", ...EXPORTS.map((e) => `-Wl,--export=${e}`),
  "-o", OUT, ...sources,
], { stdio: "inherit", env: { ...process.env, PATH: pathWithoutNodeBins } });
writeFileSync(STAMP, digest);
