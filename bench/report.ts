// The benchmark report: the machine and the conditions a run had, and every area's rows as markdown
// (out/bench.md). scripts/readme-table.mjs builds the README's Performance table from out/bench.json.
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { fmtMs, type BenchRow } from "./common.js";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** One-minute load average when the run started and when it ended: what else shared the cores. */
  loadStart: number;
  loadEnd?: number;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadStart: Math.round(loadavg()[0]! * 10) / 10,
  };
}

export function endRun(m: Machine): Machine {
  return { ...m, loadEnd: Math.round(loadavg()[0]! * 10) / 10 };
}

/** Free memory now, GiB (the page cache the file-reading rows rely on). */
export const freeGiB = () => Math.round(freemem() / 2 ** 30);

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** One area as a markdown table, then its rows' notes. */
export function areaMarkdown(area: string, date: string, quick: boolean, rows: BenchRow[]): string {
  const lines = [`## ${area}`, "", `${date}${quick ? " (--quick: small data)" : ""}`, ""];
  lines.push("| benchmark | min / median / max ms | runs | throughput | vs reference |", "|---|---|---|---|---|");
  for (const r of rows) {
    const t = r.minMs === undefined ? fmtMs(r.medianMs) : `${fmtMs(r.minMs)} / ${fmtMs(r.medianMs)} / ${fmtMs(r.maxMs)}`;
    const tp = r.throughput !== undefined ? `${r.throughput.toPrecision(3)} ${r.unit ?? ""}` : "";
    const vs = r.ratio !== undefined ? `${r.ratio.toFixed(2)}x ${r.reference}` : "";
    lines.push(`| ${cell(r.name)} | ${t} | ${r.samples ?? ""} | ${tp} | ${cell(vs)} |`);
  }
  const notes = rows.filter((r) => r.note);
  if (notes.length) lines.push("", ...notes.map((r) => `- ${cell(r.name)}: ${r.note}`));
  return lines.join("\n");
}

export function machineMarkdown(m: Machine): string {
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}.`,
    `Conditions: one-minute load average ${m.loadStart} at the start` +
      (m.loadEnd === undefined ? "" : `, ${m.loadEnd} at the end`) +
      " (other jobs share the cores when it is above ~1: compare ratios measured in the same run, not times across" +
      " runs).",
    "References (numpy, scikit-learn, SciPy) run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for their command " +
      "and OMP_NUM_THREADS=2; the rows name the BLAS kernel threadpoolctl reported.",
  ].join("\n");
}
