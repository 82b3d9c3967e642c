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
});
