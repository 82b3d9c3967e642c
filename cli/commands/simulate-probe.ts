// `simulate --model probe`: the physical simulator (bindings/simulate-probe.ts) written with any writer (.s4d keeps
// the calibration, so dpc and ptycho need no options), the true phase beside it, and every parameter as JSON.
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { Core } from "../../bindings/core.js";
import { writeDataset } from "../../bindings/writers/index.js";
import type { Dtype } from "../../bindings/dtype.js";
import { DEFAULT_CRYSTAL, simulateProbe, type ProbeSimulationOptions } from "../../bindings/simulate-probe.js";
import { UsageError, ensureDir, progress, report, writeNpy, type CommonOptions } from "../common.js";

export interface ProbeModelOptions extends CommonOptions {
  kv?: string;
  alpha?: string;
  defocus?: string;
  c3?: string;
  step?: string;
  mradPerPixel?: string;
  rotation?: string;
  flip?: boolean;
  absorption?: string;
  phases?: string;
  noiseless?: boolean;
}

export function probeModelOptions(cmd: Command): Command {
  return cmd
    .option("--kv <kV>", "probe model: accelerating voltage (default 300)")
    .option("--alpha <mrad>", "probe model: convergence semi-angle (default 20)")
    .option("--defocus <A>", "probe model: defocus, chi(k) = pi lambda df k^2 + pi/2 C3 lambda^3 k^4 (default 0)")
    .option("--c3 <mm>", "probe model: spherical aberration C3 (default 0)")
    .option("--step <A>", "probe model: scan step (default 0.2)")
    .option("--mrad-per-pixel <mrad>", "probe model: detector pixel size (default 1)")
    .option("--rotation <deg>", "probe model: scan rotation relative to the detector (default 0)")
    .option("--flip", "probe model: scan axes transposed relative to the detector")
    .option("--absorption <f>", "probe model: absorption as a fraction of the phase (default 0)")
    .option("--phases <n>", "probe model: crystal phases, 1 (2 A square lattice) or 2 (and a 2.5 A one rotated 12 degrees, "
      + "right of a slanted interface; default)")
    .option("--noiseless", "probe model: expected patterns (float32, each summing to 1) instead of Poisson counts");
}

function phaseCount(text: string): number {
  if (text !== "1" && text !== "2") throw new UsageError(`--phases: expected 1 or 2, got '${text}'`);
  return Number(text);
}

/** Runs the probe model; `common` holds the options both models share, already parsed. */
export async function simulateProbeModel(o: ProbeModelOptions & { output: string },
  common: { scan: [number, number]; detector: [number, number]; dose?: number; dtype: Dtype; seed?: number },
  num: (v: string | undefined, what: string) => number | undefined): Promise<void> {
  const options: ProbeSimulationOptions = {
    scan: common.scan, detector: common.detector, seed: common.seed,
    dose: o.noiseless ? Infinity : common.dose, dtype: o.noiseless ? "f32" : common.dtype,
    kv: num(o.kv, "--kv"), alphaMrad: num(o.alpha, "--alpha"), defocusA: num(o.defocus, "--defocus"),
    c3mm: num(o.c3, "--c3"), stepA: num(o.step, "--step"), mradPerPixel: num(o.mradPerPixel, "--mrad-per-pixel"),
    rotationDeg: num(o.rotation, "--rotation"),
    flip: !!o.flip, absorption: num(o.absorption, "--absorption"),
    phases: o.phases === undefined ? undefined : DEFAULT_CRYSTAL.slice(0, phaseCount(o.phases)),
  };
  const core = await Core.create();
  try {
    let sim;
    try { sim = simulateProbe(core, options); } catch (e) { throw new UsageError((e as Error).message); }
    ensureDir(o.output);
    const written = await writeDataset(sim.dataset, o.output, { onProgress: progress("simulate", o) });
    sim.close();
    const stem = o.output.replace(/\.[a-z0-9]+$/i, "");
    await writeNpy(`${stem}.phase.npy`, sim.phase, "f32", common.scan);
    const record = { calibration: sim.dataset.calibration, parameters: sim.parameters };
    writeFileSync(`${stem}.probe.json`, JSON.stringify(record, null, 2));
    report(o, {
      output: o.output, format: written.format, truth: `${stem}.phase.npy`, parameters: `${stem}.probe.json`,
      shape: sim.dataset.shape, dtype: sim.dataset.dtype,
      gridSize: sim.parameters.gridSize, wavelengthA: sim.parameters.wavelengthA,
    });
  } finally {
    await core.close();
  }
}
