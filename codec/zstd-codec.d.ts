// Types for the zstd-codec package (it ships none): only what codec/zstd.ts uses - its emscripten module loader,
// whose callback receives the module (typed in codec/zstd.ts).
declare module "zstd-codec/lib/module.js" {
  export function run(callback: (module: any) => void): void;
}

