import type { ZstdBackendName } from "../../codec/zstd.js";
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { type CountingOptions, countToEvents, countingScanShape, describeThresholds } from "../../bindings/analyses/counting.js";
import { decodeNpyArray } from "../../bindings/npy.js";
import { framePixels, type Dataset } from "../../bindings/dataset.js";
import { concatEvents } from "../../codec/event-encoder.js";
import type { SparseEvents } from "../../codec/events.js";
import type { Core } from "../../bindings/core.js";
import { fileSink } from "../../codec/node-sink.js";
import { UsageError, action, ensureDir, inputOptions, openInput, progress, report, withCore, type CommonOptions } from "../common.js";
import { writeEventExports } from "../event-exports.js";
import { declare } from "./index.js";

export interface CountCliOptions extends CommonOptions {
  dark?: string;
  gain?: string;
  sigma?: string;
  xraySigma?: string;
  threshold?: string;
  xrayThreshold?: string;
  sampleFrames?: string;
  level?: string;
  zstd?: string;
}

/** The counting options shared by `count` and `compress --mode events`. */
export function countingCliOptions(cmd: Command): Command {
  return cmd
    .option("--dark <dark.npy>", "dark reference: one frame, or a stack of dark frames (averaged)")
    .option("--gain <gain.npy>", "gain map, multiplied after the dark subtraction")
    .option("--sigma <n>", "background threshold at the fitted noise Gaussian's mean + n sigma", "4")
    .option("--xray-sigma <n>", "X-ray threshold at the plain mean + n standard deviations of the sampled values", "10")
    .option("--threshold <adu>", "fixed background threshold instead of the fitted one")
    .option("--xray-threshold <adu>", "fixed X-ray threshold instead of the fitted one")
    .option("--sample-frames <n>", "frames sampled for the threshold fit", "40");
}

function num(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) throw new UsageError(`${what}: '${text}' is not a number`);
  return n;
}

function loadMap(path: string | undefined, q: number, what: string): Float32Array | undefined {
  if (!path) return undefined;
  let a;
  try { a = decodeNpyArray(readFileSync(path), path); } catch (e) { throw new UsageError(`${what} ${(e as Error).message}`); }
  if (a.data.length === 0 || a.data.length % q !== 0) throw new UsageError(`${path}: ${what} of shape [${a.shape.join(", ")}] does not match the detector's ${q} pixels`);
  const n = a.data.length / q, out = new Float32Array(q);
  for (let i = 0; i < a.data.length; i++) out[i % q]! += a.data[i]! / n;
  return out;
}

export function countingFromCli(ds: Dataset, o: CountCliOptions): CountingOptions {
  const q = framePixels(ds);
  const sampleFrames = num(o.sampleFrames, "--sample-frames");
  if (sampleFrames !== undefined && !(Number.isInteger(sampleFrames) && sampleFrames >= 1)) throw new UsageError(`--sample-frames: expected a positive integer, got '${o.sampleFrames}'`);
  return {
    dark: loadMap(o.dark, q, "--dark"), gain: loadMap(o.gain, q, "--gain"),
    backgroundSigma: num(o.sigma, "--sigma"), xraySigma: num(o.xraySigma, "--xray-sigma"),
    threshold: num(o.threshold, "--threshold"), xrayThreshold: num(o.xrayThreshold, "--xray-threshold"),
    sampleFrames,
  };
}

/** Counts a dataset into an events container; also collects the events when asked (for --records / --raw-csr). */
export async function countToContainer(core: Core, ds: Dataset, output: string, o: CountCliOptions, collect: boolean) {
  try { countingScanShape(ds); } catch (e) { throw new UsageError((e as Error).message); }
  const counting = countingFromCli(ds, o);
  ensureDir(output);
  const kept: SparseEvents[] = [];
  const r = await countToEvents(core, ds, fileSink(output), { ...counting, onProgress: progress("count", o) },
    { level: num(o.level, "--level"), zstd: o.zstd as ZstdBackendName | undefined, params: { dark: o.dark ?? null, gain: o.gain ?? null } },
    collect ? (ev) => { kept.push(ev); } : undefined);
  return { result: r, file: r, events: collect ? concatEvents(kept) : undefined };
}

interface Options extends CountCliOptions {
  output: string;
  records?: string;
  rawCsr?: string;
}

export function register(program: Command): void {
  countingCliOptions(inputOptions(declare(program, "count")))
    .requiredOption("-o, --output <events.s4d>", "the events container")
    .option("--records <events.bin>", "also write the plain 16-byte event records")
    .option("--raw-csr <events.toml>", "also export LiberTEM raw_csr (TOML + three raw files beside it)")
    .option("--level <n>", "zstd level of the event columns", "1")
    .option("--zstd <backend>", "zstd backend: auto (default, the same as stem4d), stem4d or zstd-codec (Node only)")
    .action(action("count", async (file: string, o: Options) => {
      const ds = await openInput(file, o);
      try {
        const t0 = performance.now();
        const { result, file: out, events } = await withCore(o, (core) => countToContainer(core, ds, o.output, o, !!(o.records || o.rawCsr)));
        const seconds = (performance.now() - t0) / 1000;
        if (events) writeEventExports(events, o);
        const t = result.thresholds;
        report(o, {
          output: o.output, frames: result.frames, electrons: result.electrons,
          electronsPerFrame: +(result.electrons / Math.max(1, result.frames)).toFixed(2),
          thresholds: describeThresholds(t),
          bytes: out.bytes, bytesPerElectron: result.electrons ? +(out.bytes / result.electrons).toFixed(3) : null,
          records: o.records ?? null, rawCsr: o.rawCsr ?? null, seconds: +seconds.toFixed(3),
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
