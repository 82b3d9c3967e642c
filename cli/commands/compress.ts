import { ZSTD_BACKENDS, type ZstdBackendName } from "../../codec/zstd.js";
import type { Command } from "commander";
import { FILTER_IDS, FILTER_LIST, type FilterName } from "../../codec/container-format.js";
import { appendLossless, compressLossless } from "../../bindings/compress.js";
import { compressPca } from "../../bindings/analyses/pca-compress.js";
import { describeThresholds } from "../../bindings/analyses/counting.js";
import { frameBytes, frameCount } from "../../bindings/dataset.js";
import { appendFileSink, fileSink } from "../../codec/node-sink.js";
import { planAppend } from "../../codec/container-append.js";
import { fileByteSource } from "../../bindings/node-files.js";
import { UsageError, action, ensureDir, inputOptions, openInput, progress, report, withCore, type CommonOptions } from "../common.js";
import { type CountCliOptions, countToContainer, countingCliOptions } from "./count.js";
import { declare } from "./index.js";

/** The codec flags `compress` and `stream send` share (the counting ones come from `count`). */
export interface CodecFlags extends CountCliOptions {
  filter: string;
  delta?: boolean;
  framesPerChunk?: string;
  components?: string;
  maxError?: string;
  residual?: string;
  fitFrames?: string;
}

interface Options extends CodecFlags {
  output: string;
  mode: string;
  append?: boolean;
}

export function register(program: Command): void {
  countingCliOptions(inputOptions(declare(program, "compress")))
    .requiredOption("-o, --output <out.s4d>", "the container")
    .option("--mode <mode>", "lossless (frames, bit-exact), events (electron counting) or pca (lossy)", "lossless")
    .option("--filter <name>", `lossless pre-filter: ${FILTER_LIST} (floor: the chunk's per-pixel minimum subtracted, for integrating detectors)`, "bitshuffle")
    .option("--delta", "lossless: delta within each frame before the filter")
    .option("--level <n>", "zstd level (default 1)")
    .option("--frames-per-chunk <n>", "lossless: frames per chunk (default about 1 MiB of frames)")
    .option("--zstd <backend>", "zstd backend: auto (default, the same as stem4d), stem4d or zstd-codec (Node only)")
    .option("--components <k>", "pca: number of components")
    .option("--max-error <e>", "pca: target relative Frobenius error (the achieved error is measured and stored)")
    .option("--residual <n>", "pca: keep the exact values of each frame's n largest errors", "0")
    .option("--append", "lossless: continue OUT.s4d (cut short by a crash, or finished early) with the frames it lacks")
    .option("--fit-frames <n>", "pca: fit the components on this many evenly spread frames (default: all, up to 4096)")
    .action(action("compress", async (file: string, o: Options) => {
      if (!["lossless", "events", "pca"].includes(o.mode)) throw new UsageError(`--mode: '${o.mode}' is not lossless, events or pca`);
      if (o.zstd !== undefined && !ZSTD_BACKENDS.includes(o.zstd as ZstdBackendName)) throw new UsageError(`--zstd: '${o.zstd}' is not auto, stem4d or zstd-codec`);
      if (o.append && o.mode !== "lossless") throw new UsageError("--append: only lossless containers can be continued from the command line (events: EventEncoder.resume)");
      if (o.mode === "pca" && (o.components === undefined) === (o.maxError === undefined)) throw new UsageError("--mode pca needs exactly one of --components K or --max-error E");
      const ds = await openInput(file, o);
      try {
        const t0 = performance.now();
        const inBytes = frameCount(ds) * frameBytes(ds);
        ensureDir(o.output);
        if (o.mode === "lossless") {
          if (!(o.filter in FILTER_IDS)) throw new UsageError(`--filter: '${o.filter}' is not ${FILTER_LIST}`);
          const level = o.level === undefined ? undefined : Number(o.level);
          if (level !== undefined && !(Number.isInteger(level) && level >= -7 && level <= 22)) throw new UsageError(`--level: expected an integer in [-7, 22], got '${o.level}'`);
          const fpc = o.framesPerChunk === undefined ? undefined : Number(o.framesPerChunk);
          if (fpc !== undefined && !(Number.isInteger(fpc) && fpc >= 1)) throw new UsageError(`--frames-per-chunk: expected a positive integer, got '${o.framesPerChunk}'`);
          let appended: Record<string, unknown> = {};
          let r: { bytes: number; chunks: number; frames: number };
          if (o.append) {
            // The container's own filter, level and chunking continue; only the frames it lacks are read.
            const plan = await planAppend(await fileByteSource(o.output));
            r = await appendLossless(ds, appendFileSink(o.output, plan.keepBytes), plan, { zstd: o.zstd as ZstdBackendName | undefined }, progress("compress", o));
            appended = { appendedFrom: plan.next, keptChunks: plan.chunks.length, droppedBytes: plan.droppedBytes, ...(plan.note ? { note: plan.note } : {}) };
          } else {
            r = await compressLossless(ds, fileSink(o.output), { filter: o.filter as FilterName, delta: !!o.delta, level, framesPerChunk: fpc, zstd: o.zstd as ZstdBackendName | undefined }, progress("compress", o));
          }
          const seconds = (performance.now() - t0) / 1000;
          report(o, { output: o.output, mode: "lossless", ...appended, frames: r.frames, chunks: r.chunks, bytesIn: inBytes, bytesOut: r.bytes, ratio: +(inBytes / r.bytes).toFixed(3), seconds: +seconds.toFixed(3), mbPerSecond: +(inBytes / seconds / 1e6).toFixed(1) });
        } else if (o.mode === "pca") {
          const int = (t: string | undefined, what: string) => { if (t === undefined) return undefined; const n = Number(t); if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what}: expected a non-negative integer, got '${t}'`); return n; };
          const components = int(o.components, "--components");
          if (components === 0) throw new UsageError("--components: expected a positive integer, got '0'");
          const maxError = o.maxError === undefined ? undefined : Number(o.maxError);
          if (maxError !== undefined && !(maxError > 0 && maxError < 1)) throw new UsageError(`--max-error: expected a number in (0, 1), got '${o.maxError}'`);
          const tick = progress("compress", o);
          const r = await withCore(o, (core) => compressPca(core, ds, fileSink(o.output), {
            components, maxError, residual: int(o.residual, "--residual"), fitFrames: int(o.fitFrames, "--fit-frames"),
            level: o.level === undefined ? undefined : Number(o.level), zstd: o.zstd as ZstdBackendName | undefined,
            onProgress: (d, t, stage) => { if (stage === "encode") tick(d, t); },
          }));
          const seconds = (performance.now() - t0) / 1000;
          report(o, { output: o.output, mode: "pca", components: r.components, bytesIn: inBytes, bytesOut: r.bytes, ratio: +(inBytes / r.bytes).toFixed(3),
            relativeFrobeniusError: r.relativeFrobeniusError, psnr: r.psnr, maxAbsError: r.maxAbsError, residualPerFrame: r.residualPerFrame, seconds: +seconds.toFixed(3) });
        } else {
          const { result, file: out } = await withCore(o, (core) => countToContainer(core, ds, o.output, o, false));
          const seconds = (performance.now() - t0) / 1000;
          report(o, { output: o.output, mode: "events", frames: result.frames, electrons: result.electrons, bytesIn: inBytes, bytesOut: out.bytes, ratio: +(inBytes / out.bytes).toFixed(3), bytesPerElectron: result.electrons ? +(out.bytes / result.electrons).toFixed(3) : null, thresholds: describeThresholds(result.thresholds), seconds: +seconds.toFixed(3) });
        }
      } finally {
        await ds.source.close?.();
      }
    }));
}
