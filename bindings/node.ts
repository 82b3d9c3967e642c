// The Node entry: everything in the isomorphic entry, plus files and worker_threads.
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

export * from "./index.js";
export * from "./node-files.js";
export * from "./formats/node.js";
// The Node entry's formats() lists the Node-only readers too (an explicit export wins over the star exports).
export { formats } from "./formats/node.js";
export * from "./writers/index.js";
