// One way to start any WebAssembly module of build/ (the core, the codec's zstd, the HDF5 bitshuffle decoder):
// the bytes come from the platform, each file is compiled once, and every instance runs on a memory that
// JavaScript creates and owns, imported as env.memory beside the module's other env imports.
import { platform, type Platform } from "./platform.js";

export interface WasmInstance<E> {
  /** The compiled module (shared by every instance of the file; workers instantiate it on a shared memory). */
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: E;
  /** The first byte above the module's static data and stack: where an arena may start handing out regions. */
  readonly heapBase: number;
}

export interface WasmStart {
  /** The memory to create and import as env.memory. */
  memory: WebAssembly.MemoryDescriptor;
  /** The module's other imports from env (abort, malloc, ...). */
  env?: Record<string, WebAssembly.ImportValue>;
}

const compiled = new WeakMap<Platform, Map<string, Promise<WebAssembly.Module>>>();

/** The compiled module of a file in build/, compiled once per file (and per platform). */
export function compileWasm(file: string): Promise<WebAssembly.Module> {
  const p = platform();
  let byFile = compiled.get(p);
  if (!byFile) compiled.set(p, (byFile = new Map()));
  let module = byFile.get(file);
  if (!module) {
    module = p.loadWasm(file).then((bytes) => WebAssembly.compile(bytes as BufferSource));
    byFile.set(file, module);
    module.catch(() => byFile.delete(file)); // a failed load may be retried
  }
  return module;
}

/** Instantiates a file of build/ on a new memory; `E` names the exports the caller uses. */
export async function instantiateWasm<E>(file: string, start: WasmStart): Promise<WasmInstance<E>> {
  const module = await compileWasm(file);
  const memory = new WebAssembly.Memory(start.memory);
  const instance = await WebAssembly.instantiate(module, { env: { ...start.env, memory } });
  const exports = instance.exports as Record<string, unknown>;
  return { module, memory, exports: exports as E, heapBase: heapBaseOf(file, exports) };
}

/** AssemblyScript modules export heapBase(); clang's export the __heap_base global. */
function heapBaseOf(file: string, exports: Record<string, unknown>): number {
  const fn = exports.heapBase, global = exports.__heap_base;
  if (typeof fn === "function") return (fn as () => number)();
  if (global instanceof WebAssembly.Global) return global.value as number;
  throw new Error(`${file}: exports neither heapBase() nor __heap_base; cannot tell where its free memory starts`);
}
