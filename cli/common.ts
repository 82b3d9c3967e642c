// What every command shares: opening inputs, the core, progress on stderr, results on stdout (--json), and one-line
// errors with a non-zero exit. No analysis happens here.
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Core, estimateCenter, isDtype, openDataset, saveNpy, mapToPng, type Dataset, type ImageOptions, type RawLayout } from "../bindings/node.js";

/** Thrown for bad input: printed as one line, exit status 2. */
export class UsageError extends Error {}

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
    .option("-q, --quiet", "no progress on stderr");
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
  return openDataset(path, raw, { ...extra, ...(o.scan ? { scanShape: parseIntList(o.scan, "--scan", 2) } : {}) });
}

export async function withCore<T>(o: CommonOptions, fn: (core: Core) => Promise<T>): Promise<T> {
  const workers = o.workers === undefined ? undefined : Number(o.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new UsageError(`--workers: expected a non-negative integer, got '${o.workers}'`);
  const core = await Core.create({ workers });
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

export async function writePng(path: string, values: ArrayLike<number>, rows: number, cols: number, opts?: ImageOptions): Promise<void> {
  ensureDir(path);
  writeFileSync(path, await mapToPng(values, rows, cols, opts));
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
      process.stderr.write(`stem4d ${name}: error: ${msg.split("\n")[0]}\n`);
      if (process.env.STEM4D_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
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
