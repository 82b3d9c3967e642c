// Node's platform for the core (wasm files beside dist/, worker_threads, file reads in workers), set on import.
// The Node entry (node.ts) imports it; so do the CLI's modules, which import only the parts they use.
import { readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setPlatform, workerUrl } from "./platform.js";

setPlatform({
  loadWasm: async (file) => new Uint8Array(await readFile(new URL(`../build/${file}`, import.meta.url))),
  createWorker: () => {
    const w = new Worker(workerUrl());
    return {
      postMessage: (m) => w.postMessage(m),
      onMessage: (h) => { w.removeAllListeners("message"); w.on("message", h); },
      terminate: async () => { await w.terminate(); },
    };
  },
  cores: availableParallelism(),
  canShareMemory: typeof SharedArrayBuffer !== "undefined",
  workersReadFiles: true,
  loadZstdCodec: () => import("zstd-codec/lib/module.js"),
  // zlib on libuv's thread pool: a third of CompressionStream's time on Node 20 (its web-stream adapters dominate
  // small images), and the calling thread stays free.
  deflate: async (data) => {
    const { deflate } = await import("node:zlib");
    return new Promise((resolve, reject) => deflate(data, (e, out) => (e ? reject(e) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)))));
  },
});
