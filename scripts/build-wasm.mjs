// Compiles assembly/ into the two builds chosen at load time: simd (private memory) and threads (shared memory),
// then the zstd library into build/zstd.wasm (scripts/build-zstd-wasm.mjs).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

mkdirSync("build", { recursive: true });
for (const target of ["simd", "threads"]) {
  execFileSync(process.execPath, ["node_modules/assemblyscript/bin/asc.js", "--config", "asconfig.json", "--target", target], { stdio: "inherit" });
}
execFileSync(process.execPath, ["scripts/build-zstd-wasm.mjs"], { stdio: "inherit" });
