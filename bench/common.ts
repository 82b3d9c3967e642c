// Shared by every benchmark: tinybench tasks and whole runs summarised as min / median / max, printed as a table,
// collected as JSON and as a markdown report (bench/report.ts). Each bench/<area>.ts exports `run(opts)` returning
// BenchRows; bench/run.ts runs them all and writes out/bench.json and out/bench.md.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Bench } from "tinybench";

export interface BenchRow {
  /** What was measured, e.g. "virtual detector u16, 2 workers". */
  name: string;
  /** Median wall time of one iteration, in milliseconds. */
  medianMs: number;
  /** Fastest and slowest of the samples, in milliseconds. */
  minMs?: number;
  maxMs?: number;
  /** Throughput derived from the median (e.g. GB/s), when it means something. */
  throughput?: number;
  unit?: string;
  /** The reference this row is compared with (another row's name), and the speed-up over it (> 1 is faster). */
  reference?: string;
  ratio?: number;
  samples?: number;
  note?: string;
}

export interface BenchOptions {
  /** A quicker run with smaller data (CI smoke). */
  quick: boolean;
}

/** Runs each task with tinybench and returns rows with median times; `bytes` turns times into GB/s. */
export interface BenchTask { name: string; fn: () => unknown | Promise<unknown>; bytes?: number; unit?: string; units?: number }

export async function measure(tasks: BenchTask[], opts: { time?: number; iterations?: number } = {}): Promise<BenchRow[]> {
  const bench = new Bench({ time: opts.time ?? 500, iterations: opts.iterations ?? 5, warmup: true, warmupIterations: 1 });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  return bench.tasks.map((task, i) => {
    const t = tasks[i]!;
    const latency = (task.result as unknown as { latency?: { p50?: number; min?: number; max?: number; samplesCount?: number } }).latency;
    const median = latency?.p50 ?? NaN;
    const row: BenchRow = { name: t.name, medianMs: median, minMs: latency?.min, maxMs: latency?.max, samples: latency?.samplesCount };
    if (t.bytes) { row.throughput = t.bytes / (median / 1000) / 1e9; row.unit = "GB/s"; }
    else if (t.units) { row.throughput = t.units / (median / 1000); row.unit = t.unit ?? "/s"; }
    return row;
  });
}

/** Heavy jobs: `runs` calls (at least 3), each timed; min / median / max in milliseconds and the last result. */
export async function timeRuns<T>(runs: number, fn: (run: number) => T | Promise<T>): Promise<Spread & { last: T }> {
  const ms: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn(i);
    ms.push(performance.now() - t0);
  }
  return { ...spread(ms), last };
}

export interface Spread { minMs: number; medianMs: number; maxMs: number; samples: number }

/** Min / median / max of some times (milliseconds). */
export function spread(ms: number[]): Spread {
  const s = [...ms].sort((a, b) => a - b);
  return { minMs: s[0]!, medianMs: s[Math.floor(s.length / 2)]!, maxMs: s.at(-1)!, samples: s.length };
}

/** Runs per heavy row: 3 (the fewest that give a median), 1 with --quick. */
export const heavyRuns = (o: BenchOptions) => (o.quick ? 1 : 3);

export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/**
 * The environment for a numpy / scikit-learn reference command: OpenBLAS picks its own kernel and cache sizes
 * (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines set to slow it down for reproducibility, are
 * removed for that command only), 2 threads as the cores.
 */
export function referenceEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: "2" };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Python with the reference environment; returns stdout (stderr passes through). */
export function runReference(source: string, args: string[] = []): string {
  const stdio: ["ignore", "pipe", "inherit"] = ["ignore", "pipe", "inherit"];
  return execFileSync(PYTHON, ["-c", source, ...args], { maxBuffer: 1 << 28, stdio, env: referenceEnv() }).toString();
}

/** The last line of a reference's output (its JSON result; anything printed before is progress). */
export const lastLine = (out: string) => out.trim().split("\n").pop()!;

/** True when Python imports every module. */
export function hasPython(modules: string[]): boolean {
  try {
    execFileSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Python lines that print, on stderr-free stdout's last line, the BLAS kernel numpy uses (threadpoolctl). */
export const PY_BLAS_KERNEL = `
def blas_kernel():
    try:
        from threadpoolctl import threadpool_info
        import numpy as _np
        _np.dot(_np.ones((64, 64)), _np.ones((64, 64)))
        return ", ".join(f"{i['internal_api']} {i.get('architecture')} {i['num_threads']} threads"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except Exception as e:
        return f"unknown ({e})"
`;

/** Sets ratio = reference median / row median for every row naming a reference. */
export function compare(rows: BenchRow[], pairs: [row: string, reference: string][]): BenchRow[] {
  for (const [n, ref] of pairs) {
    const a = rows.find((r) => r.name === n), b = rows.find((r) => r.name === ref);
    if (a && b) { a.reference = ref; a.ratio = b.medianMs / a.medianMs; }
  }
  return rows;
}

/** Milliseconds as a table cell: 3 significant figures at least. */
export const fmtMs = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) ? "" : ms.toFixed(ms < 10 ? 3 : ms < 1000 ? 1 : 0);

export function printTable(title: string, rows: BenchRow[]): void {
  const head = ["benchmark", "min / median / max ms", "n", "throughput", "vs reference"];
  const body = rows.map((r) => [
    r.name,
    r.minMs !== undefined ? `${fmtMs(r.minMs)} / ${fmtMs(r.medianMs)} / ${fmtMs(r.maxMs)}` : fmtMs(r.medianMs),
    String(r.samples ?? ""),
    r.throughput !== undefined ? `${r.throughput.toPrecision(3)} ${r.unit ?? ""}` : "",
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x ${r.reference}` : "",
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(w[i]!)).join(" | ") + " |";
  console.log(`\n## ${title}\n`);
  console.log(line(head));
  console.log("|" + w.map((x) => "-".repeat(x + 2)).join("|") + "|");
  for (const b of body) console.log(line(b));
  const notes = rows.filter((r) => r.note);
  if (notes.length) console.log("\n" + notes.map((r) => `- ${r.name}: ${r.note}`).join("\n"));
}

/** The `pca` section of an analyze summary.json, as far as the benchmarks read it. */
export interface PcaSummary {
  block: number;
  blocks: number;
  arithmetic: string;
  milliseconds: Record<string, number>;
}

/** The time and rate of PCA's passes with products (each product 2 P Q block operations: a multiply and an add per
 * element, in float32 or in 16-bit integers): the first adjoint, the sketch-and-adjoint passes (two products each),
 * the last sketch. */
export function pcaPassText(pca: PcaSummary, P: number, Q: number): string {
  const unit = pca.arithmetic === "int16" ? "G int16 op/s" : "GFLOP/s";
  const pass = (name: string, label: string, count: number, products: number) => {
    const seconds = (pca.milliseconds[`pass.${name}`] ?? 0) / 1000;
    if (!count || !seconds) return [];
    const rate = (2 * P * Q * pca.block * products * count) / seconds / 1e9;
    return [`${count} ${label} ${(seconds / count).toFixed(1)} s${count > 1 ? " each" : ""} (${rate.toFixed(1)} ${unit})`];
  };
  return [
    `first ${(pca.milliseconds["pass.first"]! / 1000).toFixed(1)} s`,
    ...pass("adjoint", "adjoint", 1, 1),
    ...pass("sketchAdjoint", "sketch+adjoint", pca.blocks - 1, 2),
    ...pass("sketch", "sketch", 1, 1),
    `${pca.block} columns, ${pca.arithmetic} products`,
  ].join(", ");
}
