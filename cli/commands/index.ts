// Every command of the CLI, loaded on demand: adding one is a file in this folder and a line here. A run loads only
// the module of the command it names (start-up time matters for scripts calling stem4d per file); help and
// unknown commands load them all.
import type { Command } from "commander";

type Loader = () => Promise<{ register(program: Command): void }>;

export const commands: Record<string, Loader> = {
  demo: () => import("./demo.js"),
  info: () => import("./info.js"),
  simulate: () => import("./simulate.js"),
  virtual: () => import("./virtual.js"),
  com: () => import("./com.js"),
  dpc: () => import("./dpc.js"),
  ptycho: () => import("./ptycho.js"),
  mean: () => import("./mean.js"),
  bin: () => import("./bin.js"),
  crop: () => import("./crop.js"),
  fft: () => import("./fft.js"),
  pca: () => import("./pca.js"),
  denoise: () => import("./denoise.js"),
  compress: () => import("./compress.js"),
  decompress: () => import("./decompress.js"),
  verify: () => import("./verify.js"),
  count: () => import("./count.js"),
  convert: () => import("./convert.js"),
  analyze: () => import("./analyze.js"),
  kmeans: () => import("./kmeans.js"),
  hcluster: () => import("./hcluster.js"),
  stream: () => import("./stream.js"),
  shard: () => import("./shard.js"),
  worker: () => import("./worker.js"),
};
