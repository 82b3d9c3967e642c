// Every command of the CLI: its usage and one-line summary, and its module, loaded on demand. Adding one is a file
// in this folder and a line here. A run loads only the module of the command it names (start-up time matters for
// scripts calling stem4d per file); --help, --version and unknown commands load none: the summaries below are
// enough to list the commands and suggest the nearest name.
import type { Command } from "commander";

interface CommandEntry {
  usage: string;
  summary: string;
  load: () => Promise<{ register(program: Command): void }>;
  /** Runs on the core: its workers start while the command's modules load (cli/early-core.ts). */
  computes?: true;
}

export const commands: Record<string, CommandEntry> = {
  demo: {
    usage: "demo", load: () => import("./demo.js"), computes: true,
    summary: "the main job on a built-in default: simulate a two-phase dataset, then write its virtual BF/ADF " +
      "images, COM maps and mean pattern",
  },
  info: {
    usage: "info <file>", load: () => import("./info.js"),
    summary: "print shape, dtype, calibration and the file's own metadata",
  },
  simulate: {
    usage: "simulate", load: () => import("./simulate.js"),
    summary: "write a simulated dataset and its ground truth: two-phase (.npy, streamed; .truth.json) or the " +
      "physical probe model (any output format; .s4d keeps the calibration; .phase.npy and .probe.json beside it)",
  },
  virtual: {
    usage: "virtual <file>", load: () => import("./virtual.js"), computes: true,
    summary: "virtual detector image: bright-field disk, annular dark field, or any mask",
  },
  com: {
    usage: "com <file>", load: () => import("./com.js"), computes: true,
    summary: "centre of mass of every pattern, relative to the pattern centre (detector pixels)",
  },
  dpc: {
    usage: "dpc <file>", load: () => import("./dpc.js"), computes: true,
    summary: "differential phase contrast: centre of mass in mrad, scan rotation by minimum curl, divergence, " +
      "iCoM phase",
  },
  ptycho: {
    usage: "ptycho <file>", load: () => import("./ptycho.js"), computes: true,
    summary: "single-side-band ptychography: the complex object from the double-overlap regions of the scan FFT, " +
      "in one pass",
  },
  mean: {
    usage: "mean <file>", load: () => import("./mean.js"), computes: true,
    summary: "mean (and max) diffraction pattern over all probe positions",
  },
  bin: {
    usage: "bin <file>", load: () => import("./bin.js"), computes: true,
    summary: "bin detector pixels and/or probe positions by integer factors (float32 sums)",
  },
  crop: {
    usage: "crop <file>", load: () => import("./crop.js"),
    summary: "crop scan and detector ranges (half-open start,end)",
  },
  fft: {
    usage: "fft <file>", load: () => import("./fft.js"), computes: true,
    summary: "Fourier analysis over the scan axes: power spectrum summed over the detector, its peaks, CBED " +
      "amplitude/phase at spatial frequencies, Bragg-filtered maps",
  },
  pca: {
    usage: "pca <file>", load: () => import("./pca.js"), computes: true,
    summary: "principal component analysis of the unfolded P x Q data: eigenvalues, scores, components, scree plots",
  },
  denoise: {
    usage: "denoise <file>", load: () => import("./denoise.js"),
    summary: "PCA denoising: the dataset rebuilt from its first q components, streamed to a float32 .npy",
  },
  compress: {
    usage: "compress <file>", load: () => import("./compress.js"), computes: true,
    summary: "compress a dataset into a stem4d container (.s4d)",
  },
  decompress: {
    usage: "decompress <file>", load: () => import("./decompress.js"),
    summary: "decode a stem4d container: frames (for events: dense counted frames) to .npy, events to records or " +
      "raw_csr",
  },
  verify: {
    usage: "verify <file>", load: () => import("./verify.js"),
    summary: "check every checksum of a stem4d container and print what is intact (exit 1 when anything is not)",
  },
  count: {
    usage: "count <file>", load: () => import("./count.js"), computes: true,
    summary: "electron counting: frames -> events container (stempy's method)",
  },
  convert: {
    usage: "convert <input> <output>", load: () => import("./convert.js"),
    summary: "copy a dataset into another format, streaming (.npy, EMD 1.0 .h5, Zarr v3, .s4d)",
  },
  analyze: {
    usage: "analyze <file>", load: () => import("./analyze.js"), computes: true,
    summary: "the paper's pipeline: bin, PCA, k-means, dendrogram of the centroids, cluster maps and mean patterns, " +
      "with an HTML report",
  },
  kmeans: {
    usage: "kmeans <scores.npy>", load: () => import("./kmeans.js"), computes: true,
    summary: "k-means of PCA scores (rows = probe positions): centroids.npy and labels_k<K>.npy",
  },
  hcluster: {
    usage: "hcluster <centroids.npy>", load: () => import("./hcluster.js"), computes: true,
    summary: "agglomerative clustering of k-means centroids: linkage.npy (SciPy layout), dendrogram.svg, " +
      "labels_cut<N>.npy, mean_patterns_cut<N>.npy",
  },
  serve: {
    usage: "serve [files...]", load: () => import("./serve.js"),
    summary: "serve the browser explorer (cross-origin isolated, for its Web Workers) and open the given files in " +
      "it, read lazily over HTTP Range requests",
  },
  stream: {
    usage: "stream", load: () => import("./stream.js"),
    summary: "live streams of compressed frames over ZeroMQ: the edge encodes (raw, lossless, events, pca) and sends " +
      "checksummed container chunks; the receiver stores, decodes and reduces them as they arrive, and nothing is " +
      "lost when either side restarts",
  },
  shard: {
    usage: "shard [file]", load: () => import("./shard.js"),
    summary: "split a file every worker machine can read into frame ranges, reduce them on `stem4d worker` processes " +
      "via BullMQ/Redis, merge in order; --list/--cancel manage runs",
  },
  worker: {
    usage: "worker", load: () => import("./worker.js"),
    summary: "serve `stem4d shard` and `stem4d analyze --redis` runs: run passes over frame ranges of files this " +
      "machine can read; stops on SIGINT/SIGTERM within 5 s, handing its jobs back",
  },
};

/** The command `name` with its usage and summary, for its module to add options and an action to. */
export function declare(program: Command, name: string): Command {
  const entry = commands[name]!;
  return program.command(entry.usage).description(entry.summary);
}

/**
 * Registers what a run with these arguments needs: the named command's module (for `help NAME` too), or for
 * anything else only the usage lines, which commander turns into the command list or an unknown-command error.
 */
export async function registerCommands(program: Command, args: string[]): Promise<void> {
  const named = args[0] === "help" ? args[1] : args[0];
  const entry = named !== undefined && Object.hasOwn(commands, named) ? commands[named] : undefined;
  if (entry) (await entry.load()).register(program);
  else for (const name of Object.keys(commands)) declare(program, name);
}
