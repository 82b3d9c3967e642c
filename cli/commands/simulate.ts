import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { isDtype } from "../../bindings/dtype.js";
import { simulateTwoPhase, simulatedBytes } from "../../bindings/simulate.js";
import { writeDatasetNpy } from "../../bindings/node-files.js";
import { UsageError, action, ensureDir, parseIntList, progress, report, type CommonOptions } from "../common.js";
import { probeModelOptions, simulateProbeModel, type ProbeModelOptions } from "./simulate-probe.js";
import { declare } from "./index.js";

interface Options extends CommonOptions, ProbeModelOptions {
  model: string;
  output: string;
  scan: string;
  detector: string;
  dose?: string;
  dtype: string;
  seed: string;
  darkOffset?: string;
  darkSigma?: string;
  gain?: string;
  maxShift?: string;
  haloFraction?: string;
  columnContrast?: string;
  braggBeating?: string;
}

export function register(program: Command): void {
  probeModelOptions(declare(program, "simulate")
    .requiredOption("-o, --output <file>", "output file (.npy for two-phase; .npy, .s4d, .h5, .zarr for probe; missing folders are created)")
    .option("--model <name>", "two-phase (a fast pattern model) or probe (|FFT(probe x exp(i sigma V))|^2)", "two-phase")
    .option("--scan <rows,cols>", "scan shape", "64,64")
    .option("--detector <rows,cols>", "detector shape", "96,96")
    .option("--dose <electrons>", "mean electrons per pattern (default 20000; probe model 100000)")
    .option("--dtype <dtype>", "u8, u16, u32 or f32", "u16")
    .option("--seed <n>", "random seed", "1")
    .option("--gain <g>", "detector gain (value per electron)")
    .option("--dark-offset <v>", "dark offset added to every pixel")
    .option("--dark-sigma <v>", "Gaussian dark noise (standard deviation)")
    .option("--max-shift <px>", "largest pattern shift as the probe crosses a column (default 0.1 x the disk radius)")
    .option("--halo-fraction <f>", "fraction of the dose in the diffuse halo between columns (default 0.05)")
    .option("--column-contrast <f>", "extra fraction of the dose in the halo on a column (default 0.2)")
    .option("--bragg-beating <f>", "modulation of the Bragg disks across the unit cell (default 0.2)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr"))
    .action(action("simulate", async (o: Options) => {
      if (!isDtype(o.dtype)) throw new UsageError(`--dtype: '${o.dtype}' is not one of u8, u16, u32, f32`);
      const num = (v: string | undefined, what: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new UsageError(`${what}: '${v}' is not a number`);
        return n;
      };
      if (o.model === "probe") {
        const common = {
          scan: parseIntList(o.scan, "--scan", 2) as [number, number],
          detector: parseIntList(o.detector, "--detector", 2) as [number, number],
          dose: num(o.dose, "--dose"), dtype: o.dtype, seed: num(o.seed, "--seed"),
        };
        return simulateProbeModel(o, common, num);
      }
      if (o.model !== "two-phase") throw new UsageError(`--model: '${o.model}' is not one of two-phase, probe`);
      const opts = {
        scan: parseIntList(o.scan, "--scan", 2) as [number, number],
        detector: parseIntList(o.detector, "--detector", 2) as [number, number],
        dose: num(o.dose, "--dose"), dtype: o.dtype, seed: num(o.seed, "--seed"),
        gain: num(o.gain, "--gain"), darkOffset: num(o.darkOffset, "--dark-offset"), darkSigma: num(o.darkSigma, "--dark-sigma"),
        maxShift: num(o.maxShift, "--max-shift"), haloFraction: num(o.haloFraction, "--halo-fraction"),
        columnContrast: num(o.columnContrast, "--column-contrast"), braggBeating: num(o.braggBeating, "--bragg-beating"),
      };
      let sim;
      try { sim = simulateTwoPhase(opts); } catch (e) { throw new UsageError((e as Error).message); }
      ensureDir(o.output);
      await writeDatasetNpy(sim.dataset, o.output, { onProgress: progress("simulate", o) });
      const truthPath = o.output.replace(/\.npy$/, "") + ".truth.json";
      const t = sim.truth;
      writeFileSync(truthPath, JSON.stringify({ scan: opts.scan, center: t.center, bfRadius: t.bfRadius, phases: t.phases, phase: Array.from(t.phase), cell: Array.from(t.cell, (v) => +v.toFixed(4)) }));
      report(o, { output: o.output, truth: truthPath, shape: sim.dataset.shape, dtype: o.dtype, bytes: simulatedBytes(opts), center: t.center, bfRadius: t.bfRadius });
    }));
}
