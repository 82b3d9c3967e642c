// What differs between Node, browsers and edge runtimes, behind one small interface. The browser default lives
// here; bindings/node.ts installs the Node one. Nothing else in bindings/ imports a Node module.

export interface WorkerLike {
  postMessage(msg: unknown): void;
  onMessage(handler: (msg: any) => void): void;
  terminate(): Promise<void> | void;
}

export interface Platform {
  /** The bytes of a file in the package's build/ folder. */
  loadWasm(file: string): Promise<Uint8Array>;
  /** A worker running bindings/kernel-worker.js, or undefined where workers are not available. */
  createWorker?(): WorkerLike;
  /** Logical cores available to the pool. */
  cores: number;
  /** Whether a shared WebAssembly.Memory can be handed to workers here. */
  canShareMemory: boolean;
  /** Whether pool workers can open local files by path (Node). */
  workersReadFiles?: boolean;
  /** Imports zstd-codec's emscripten module (Node: it loads its wasm with fs); absent where it cannot run. */
  loadZstdCodec?(): Promise<unknown>;
  /** zlib-wrapped deflate (RFC 1950) off the calling thread; absent: CompressionStream("deflate"). */
  deflate?(data: Uint8Array): Promise<Uint8Array>;
}

const buildUrl = (file: string) => new URL(`../build/${file}`, import.meta.url);
const workerUrl = () => new URL("./kernel-worker.js", import.meta.url);

function browserPlatform(): Platform {
  const g = globalThis as any;
  const canShare = typeof SharedArrayBuffer !== "undefined" && (g.crossOriginIsolated ?? true) === true;
  return {
    async loadWasm(file) {
      const res = await fetch(buildUrl(file));
      if (!res.ok) throw new Error(`cannot load ${file}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    createWorker: typeof g.Worker === "function" ? () => {
      const w = new g.Worker(workerUrl(), { type: "module" });
      return {
        postMessage: (m: unknown) => w.postMessage(m),
        onMessage: (h: (m: any) => void) => { w.onmessage = (e: MessageEvent) => h(e.data); },
        terminate: () => w.terminate(),
      };
    } : undefined,
    cores: g.navigator?.hardwareConcurrency ?? 1,
    canShareMemory: canShare,
  };
}

let current: Platform | undefined;

export function platform(): Platform {
  return (current ??= browserPlatform());
}

export function setPlatform(p: Platform): void {
  current = p;
}

export { workerUrl };
