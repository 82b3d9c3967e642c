// What every command shares: opening inputs, the core, progress on stderr, results on stdout (--json), and one-line
// errors with a non-zero exit. No analysis happens here.
import type { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import "../bindings/node-platform.js";
import { Core } from "../bindings/core.js";
import { estimateCenter } from "../bindings/analyses/center.js";
import { isDtype } from "../bindings/dtype.js";
import { openDataset, saveNpy } from "../bindings/node-files.js";
import type { Dataset } from "../bindings/dataset.js";
import type { RawLayout } from "../bindings/sources.js";
import { pixelSize, type PixelSize } from "../bindings/figures/calibration.js";
import type { MapFigure } from "../bindings/figures/map-figure.js";
import { USAGE_EXIT, UsageError } from "./usage.js";
import { takeEarlyCore } from "./early-core.js";

export { UsageError };

export interface CommonOptions {
  json?: boolean;
  workers?: string;
  rawShape?: string;
  rawDtype?: string;
  rawOffset?: string;
  bigEndian?: boolean;
  scan?: string;
  quiet?: boolean;
}

/** Options every command that reads a dataset takes. */
export function inputOptions(cmd: Command): Command {
  return cmd
    .option("--raw-shape <dims>", "read FILE as raw binary of this shape, e.g. 192,192,96,96")
    .option("--raw-dtype <dtype>", "dtype of raw binary: u8, u16, u32, f32", "u16")
    .option("--raw-offset <bytes>", "byte offset of the first frame in raw binary", "0")
    .option("--big-endian", "raw binary is big-endian")
    .option("--scan <rows,cols>", "scan shape, when the file does not say it")
    .option("--workers <n>", "worker threads (0 = run on the main thread; default: one per core)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .addHelpText("after", "\nOutput paths (-o, --png, ...) may name folders that do not exist yet: they are created, parents included.");
}

export function parseIntList(text: string, what: string, count?: number): number[] {
  const v = text.split(",").map((s) => s.trim());
  const out = v.map((s) => {
    const n = Number(s);
    if (s === "" || !Number.isInteger(n)) throw new UsageError(`${what}: '${s}' in '${text}' is not an integer`);
    return n;
  });
  if (count !== undefined && out.length !== count) throw new UsageError(`${what}: expected ${count} comma-separated integers, got '${text}'`);
  return out;
}

export function parseNumberList(text: string, what: string, count?: number): number[] {
  const v = text.split(",").map((s) => s.trim());
  const out = v.map((s) => {
    const n = Number(s);
    if (s === "" || !Number.isFinite(n)) throw new UsageError(`${what}: '${s}' in '${text}' is not a number`);
    return n;
  });
  if (count !== undefined && out.length !== count) throw new UsageError(`${what}: expected ${count} comma-separated numbers, got '${text}'`);
  return out;
}

export function parsePositiveInt(text: string | undefined, what: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`${what} is required`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what}: expected a positive integer, got '${text}'`);
  return n;
}

/** `extra` carries format options (flyback, flatfield, dataset...) through to the reader. */
export async function openInput(path: string, o: CommonOptions, extra: Record<string, unknown> = {}): Promise<Dataset> {
  let raw: RawLayout | undefined;
  if (o.rawShape) {
    const dtype = o.rawDtype ?? "u16";
    if (!isDtype(dtype)) throw new UsageError(`--raw-dtype: '${dtype}' is not one of u8, u16, u32, f32`);
    raw = { shape: parseIntList(o.rawShape, "--raw-shape"), dtype, offset: Number(o.rawOffset ?? 0), littleEndian: !o.bigEndian };
  }
  const local = path.replace(/:\/[^:]*$/, ""); // FILE.h5:/group/dataset names a file too
  if (existsSync(local) && statSync(local).isDirectory()) throw new Error(`${local}: is a directory; expected a data file (e.g. .npy, .mib, .blo, .h5)`);
  return openDataset(path, raw, { ...extra, ...(o.scan ? { scanShape: parseIntList(o.scan, "--scan", 2) } : {}) });
}

/** Pixel sizes of a dataset's scan and detector from its calibration, for scale bars: times the bin factors given,
 * or those of a binned view (binDataset keeps the calibration of the data it bins and records its factors). */
export function datasetPixels(ds: Dataset, detectorBin?: number, scanBin?: number): { scan?: PixelSize; detector?: PixelSize } {
  const binned = ds.metadata?.binned as { detector?: number; scan?: number } | undefined;
  detectorBin ??= binned?.detector ?? 1;
  scanBin ??= binned?.scan ?? 1;
  return { scan: pixelSize(ds.calibration, ds.shape, "scan", scanBin), detector: pixelSize(ds.calibration, ds.shape, "detector", detectorBin) };
}

export async function withCore<T>(o: CommonOptions, fn: (core: Core) => Promise<T>): Promise<T> {
  const workers = o.workers === undefined ? undefined : Number(o.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new UsageError(`--workers: expected a non-negative integer, got '${o.workers}'`);
  const core = await (takeEarlyCore(workers) ?? Core.create({ workers }));
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** Progress on stderr: a rewritten line on a terminal, a line every 10% otherwise. */
export function progress(label: string, o: CommonOptions): (done: number, total: number) => void {
  if (o.quiet) return () => {};
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let lastPct = -1;
  return (done, total) => {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (tty ? pct === lastPct : Math.floor(pct / 10) === Math.floor(lastPct / 10)) return;
    lastPct = pct;
    const s = (performance.now() - t0) / 1000;
    const line = `${label}: ${pct}% (${done}/${total}) ${s.toFixed(1)} s`;
    if (tty) process.stderr.write(`\r${line}${done >= total ? "\n" : ""}`);
    else process.stderr.write(line + "\n");
  };
}

export function ensureDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}

export async function writeNpy(path: string, data: ArrayBufferView, dtype: Parameters<typeof saveNpy>[2], shape: readonly number[]): Promise<void> {
  ensureDir(path);
  await saveNpy(path, data, dtype, shape);
}

/** A map as a PNG figure: title, colour bar, scale bar, 2x density (bindings/figures/map-figure.ts, loaded here:
 * the commands that write no figure, e.g. an edge computer's `stream send`, do not load its fonts and PNG code). */
export async function writePng(path: string, figure: MapFigure): Promise<void> {
  ensureDir(path);
  const { mapFigurePng } = await import("../bindings/figures/map-figure.js");
  writeFileSync(path, await mapFigurePng(figure));
}

/** One line on stderr that is not progress (printed even with --quiet): an adapted default or a warning. */
export function notice(command: string, kind: "notice" | "warning", text: string): void {
  process.stderr.write(`stem4d ${command}: ${kind}: ${text}\n`);
}

/** The process's peak resident memory over windows of time (stages): Linux resets the kernel's high-water mark
 * (VmHWM) through /proc/self/clear_refs; elsewhere the peak is sampled every 20 ms. */
export function peakMemoryWindows(): { reset(): void; peak(): number; stop(): void } {
  const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    if (hwm() > 0) return { reset: () => writeFileSync("/proc/self/clear_refs", "5"), peak: hwm, stop: () => {} };
  } catch { /* not Linux, or not allowed: sample instead */ }
  let max = process.memoryUsage.rss();
  const timer = setInterval(() => { max = Math.max(max, process.memoryUsage.rss()); }, 20);
  timer.unref();
  return {
    reset: () => { max = process.memoryUsage.rss(); },
    peak: () => (max = Math.max(max, process.memoryUsage.rss())),
    stop: () => clearInterval(timer),
  };
}

/** Prints the summary: JSON on stdout with --json, otherwise `key: value` lines. */
export function report(o: CommonOptions, summary: Record<string, unknown>): void {
  summary = { ...summary, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return;
  }
  for (const [k, v] of Object.entries(summary)) {
    process.stdout.write(`${k}: ${typeof v === "object" ? JSON.stringify(brief(v)) : String(v)}\n`);
  }
}

/** For people reading a terminal: long arrays (inside any object) become their first values and a count;
 * `--json` keeps everything. */
function brief(v: unknown): unknown {
  if (Array.isArray(v)) return v.length > 32 ? [...v.slice(0, 6).map(brief), `... ${v.length} values`] : v.map(brief);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, brief(x)]));
  return v;
}

/** Wraps a command's action: errors become one line on stderr and a non-zero exit status. */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const usage = e instanceof UsageError;
      process.stderr.write(`stem4d ${name}: error: ${msg.split("\n")[0]}${usage ? `; see 'stem4d ${name} --help'` : ""}\n`);
      if (process.env.STEM4D_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exitCode = usage ? USAGE_EXIT : 1;
    }
  };
}

/** The pattern centre from --center, or found from the bright-field disk of a sample of frames. */
export async function resolveCenter(ds: Dataset, text: string | undefined): Promise<{ cy: number; cx: number }> {
  if (text !== undefined) {
    const [cy, cx] = parseNumberList(text, "--center", 2) as [number, number];
    return { cy, cx };
  }
  const d = await estimateCenter(ds);
  return { cy: +d.cy.toFixed(3), cx: +d.cx.toFixed(3) };
}
