import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRAGG_RADIUS_RULE, fourierAnalysis, fourierFigures } from "../../bindings/analyses/fourier-analysis.js";
import { scanFftGrid } from "../../bindings/analyses/fourier-scan.js";
import type { BraggFilter } from "../../bindings/analyses/fourier-bragg.js";
import type { SpatialFrequency } from "../../bindings/analyses/fourier-cbed.js";
import { writeScanFftNpy } from "../../bindings/analyses/fourier-node.js";
import { mapFigurePng } from "../../bindings/figures/map-figure.js";
import { UsageError, action, datasetPixels, inputOptions, openInput, parseIntList, parseNumberList, parsePositiveInt, progress, report, withCore, writeNpy, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output: string;
  peaks: string;
  at: string[];
  filter: string[];
  full?: boolean;
  memory?: string;
  window: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  inputOptions(declare(program, "fft")
    .requiredOption("-o, --output <dir>", "output directory")
    .option("--peaks <n>", "number of spectrum peaks to analyse (a +-k pair counts once)", "4")
    .option("--at <ry,rx...>", "spatial frequencies (signed FFT bins, row,col) whose CBED amplitude and phase to write; repeatable", collect, [])
    .option("--filter <ry,rx,radius...>", `Bragg filter: a disk of frequencies (signed bins) to keep; repeatable. Default: one around each --at frequency and peak, ${BRAGG_RADIUS_RULE}`, collect, [])
    .option("--window <w>", "apodisation of the scan before the power spectrum: hann or none (CBED patterns, Bragg maps and --full are never windowed)", "hann")
    .option("--full", "also write the full 4D transform F(ky,kx,u,v) as fft4d.npy (complex64, streamed)")
    .option("--memory <MiB>", "memory for the detector pixels transformed at once: enough for all of them (P x Q x 4 bytes) means one pass over the data", "2048"))
    .addHelpText("after", `
Writes to DIR (created with its parents if missing): power.npy (float64, numpy FFT order: DC at [0, 0]; Hann-windowed
unless --window none) and power.png (log scale, DC at the centre),
peaks.json, cbed_amp_<i>.npy/png and cbed_phase_<i>.npy/png for every frequency (i counts the --at frequencies
first, then the peaks), filtered_<i>.npy/png for every Bragg filter (the --filter disks, or one per frequency).`)
    .action(action("fft", async (file: string, o: Options) => {
      const peaks = Number(o.peaks);
      if (!Number.isInteger(peaks) || peaks < 0) throw new UsageError(`--peaks: expected a non-negative integer, got '${o.peaks}'`);
      const memoryBytes = parsePositiveInt(o.memory, "--memory") * 2 ** 20;
      if (o.window !== "hann" && o.window !== "none") throw new UsageError(`--window: expected hann or none, got '${o.window}' (default: hann)`);
      const window = o.window;
      const ds = await openInput(file, o);
      try {
        let grid;
        try { grid = scanFftGrid(ds, file); } catch (e) { throw new UsageError((e as Error).message); }
        const { ny, nx } = grid;
        const inGrid = (ky: number, kx: number, what: string) => {
          if (Math.abs(ky) >= ny || Math.abs(kx) >= nx) throw new UsageError(`${what}: bin (${ky}, ${kx}) is outside the ${ny} x ${nx} scan grid (|row| < ${ny}, |col| < ${nx})`);
        };
        const at: SpatialFrequency[] = o.at.flatMap((s) => s.split(/\s+/).filter(Boolean)).map((s) => {
          const [ky, kx] = parseIntList(s, "--at", 2) as [number, number];
          inGrid(ky, kx, `--at ${s}`);
          return { ky, kx };
        });
        const filters: BraggFilter[] = o.filter.flatMap((s) => s.split(/\s+/).filter(Boolean)).map((s) => {
          const [ky, kx, radius] = parseNumberList(s, "--filter", 3) as [number, number, number];
          inGrid(ky, kx, `--filter ${s}`);
          if (!(radius > 0)) throw new UsageError(`--filter ${s}: radius must be positive`);
          return { ky, kx, radius };
        });
        mkdirSync(o.output, { recursive: true });
        const t0 = performance.now();
        const files: string[] = [];
        const { analysis, figures } = await withCore(o, async (core) => {
          const spectrum = o.full ? await writeScanFftNpy(core, ds, join(o.output, "fft4d.npy"), { memoryBytes, onProgress: progress("fft 4D transform", o) }) : undefined;
          if (o.full) files.push("fft4d.npy");
          const spec = progress("fft spectrum", o), pat = progress("fft patterns", o);
          // The 4D transform is never windowed: its spectrum serves only when no window is asked for.
          const analysis = await fourierAnalysis(core, ds, {
            peaks, at, filters: filters.length ? filters : undefined, memoryBytes, window, spectrum: window === "none" ? spectrum : undefined,
            onProgress: (stage, d, t) => (stage === "spectrum" ? spec : pat)(d, t),
          });
          return { analysis, figures: await fourierFigures(core, ds, { analysis, pixels: datasetPixels(ds) }) };
        });
        const { rows, cols } = analysis.grid;
        const out = (name: string) => { files.push(name); return join(o.output, name); };
        await writeNpy(out("power.npy"), analysis.power, "f64", [ny, nx]);
        for (const [i, c] of analysis.cbed.entries()) {
          await writeNpy(out(`cbed_amp_${i}.npy`), c.amplitude, "f32", [rows, cols]);
          await writeNpy(out(`cbed_phase_${i}.npy`), c.phase, "f32", [rows, cols]);
        }
        for (const [i, m] of analysis.filters.entries()) await writeNpy(out(`filtered_${i}.npy`), m.maps[0]!, "f32", [ny, nx]);
        for (const [name, fig] of Object.entries(figures)) writeFileSync(out(`${name}.png`), await mapFigurePng(fig.figure));
        const peaksJson = {
          file, grid: [ny, nx], detector: [rows, cols],
          order: "signed FFT bins (row, col); power.npy is in numpy order (DC at [0, 0]); power.png is fftshifted",
          frequencies: analysis.frequencies.map((f, i) => ({ index: i, ...f, outputs: [`cbed_amp_${i}`, `cbed_phase_${i}`] })),
          peaks: analysis.peaks.map((p, i) => ({ index: i, ...p })),
          window: analysis.window,
          braggRadiusRule: filters.length ? "given by --filter" : BRAGG_RADIUS_RULE,
          filters: analysis.filters.map((m, i) => ({ index: i, ky: m.ky, kx: m.kx, radius: m.radius, bins: m.bins.length, output: `filtered_${i}` })),
        };
        writeFileSync(out("peaks.json"), JSON.stringify(peaksJson, null, 2) + "\n");
        report(o, {
          output: o.output, grid: [ny, nx], passes: analysis.passes,
          peaks: analysis.peaks.map((p) => ({ ky: p.ky, kx: p.kx, period: +p.period.toFixed(3), angleDeg: +p.angleDeg.toFixed(1), family: p.family })),
          files: files.length, seconds: +((performance.now() - t0) / 1000).toFixed(3),
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
