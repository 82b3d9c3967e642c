import type { Command } from "commander";
import { differentialPhaseContrast } from "../../bindings/analyses/dpc.js";
import { SUM_BYTES, runWithBrightField } from "../../bindings/analyses/ssb.js";
import { ptychoReduction, type WddParameters } from "../../bindings/analyses/wdd.js";
import { binnedSsbParameters, checkSsbParameters } from "../../bindings/analyses/ssb-plan.js";
import { binDetector } from "../../bindings/analyses/bin.js";
import { fourierRingCorrelation, pearson } from "../../bindings/analyses/ssb-metrics.js";
import {
  UsageError, action, inputOptions, openInput, progress, report, withCore, type CommonOptions,
} from "../common.js";
import { parseMethod, parseWiener, writeSsbFiles } from "../ssb-files.js";
import { declare } from "./index.js";
import { probeOptions, resolveProbe, type ProbeOptions } from "../probe-options.js";
import { readScanImage } from "./dpc.js";

interface Options extends CommonOptions, ProbeOptions {
  output: string;
  method: string;
  wiener?: string;
  epsilon?: string;
  truth?: string;
  bin?: string;
}

export function register(program: Command): void {
  probeOptions(inputOptions(declare(program, "ptycho")
    .requiredOption("-o, --output <dir>", "output directory")
    .option("--method <m>", "ssb (single-side-band: the trotters) or wdd (Wigner distribution deconvolution: the whole "
      + "bright-field disk)", "ssb")
    .option("--epsilon <eps>",
      "wdd: Wiener term of the deconvolution, a fraction of the largest |chi_A|^2 (default 1e-3)")
    .option("--bin <n>", "bin the detector by n as it is read (fewer trotter pixels: less memory and time)")
    .option("--wiener <eps>", "Wiener-style regularisation, a fraction of the bright-field intensity (default 0: plain SSB)")
    .option("--truth <phase.npy>", "a true phase on the scan grid: report correlation and FRC resolution of SSB and bright field")))
    .addHelpText("after", `
Writes to DIR: phase.npy (radians), amplitude.npy, object.npy (complex64), bright_field.npy, and phase.png,
amplitude.png, bright_field.png. Needs the voltage, convergence angle and scan step (options or the file); the
scan rotation comes from the options or the file, else from a first pass (centre of mass, minimum curl).`)
    .action(action("ptycho", async (file: string, o: Options) => {
      const wiener = parseWiener(o.wiener), method = parseMethod(o.method);
      const epsilon = o.epsilon === undefined ? undefined : parseWiener(o.epsilon, "--epsilon");
      const ds = await openInput(file, o);
      try {
        if (ds.shape.length !== 4) throw new UsageError(`${file}: SSB needs a 2D scan of 2D patterns; shape is [${ds.shape.join(", ")}]`);
        const probe = await resolveProbe(ds, o, file, true);
        const bin = o.bin === undefined ? 1 : Number(o.bin);
        if (!Number.isInteger(bin) || bin < 1) throw new UsageError(`--bin: expected a positive integer, got '${o.bin}'`);
        const p: WddParameters = {
          ...binnedSsbParameters({ ...probe.params, center: probe.center, wiener }, bin), epsilon,
        };
        const shape = [...ds.shape.slice(0, 2), Math.floor(ds.shape[2]! / bin), Math.floor(ds.shape[3]! / bin)];
        let warnings: string[];
        try { warnings = checkSsbParameters(shape, p, file); } catch (e) { throw new UsageError((e as Error).message); }
        for (const w of warnings) process.stderr.write(`stem4d ptycho: warning: ${w}\n`);
        const t0 = performance.now();
        const r = await withCore(o, async (core) => {
          const input = bin > 1 ? binDetector(core, ds, bin) : ds;
          try {
            if (!probe.frameKnown) {
              const dpc = await differentialPhaseContrast(core, input, p, { onProgress: progress("ptycho: rotation", o) });
              p.rotationDeg = dpc.frame.rotationDeg;
              p.flip = dpc.frame.flip;
            }
            const { reduction, tables } = ptychoReduction(method, p, input.shape);
            return await runWithBrightField(core, input, reduction, tables, { onProgress: progress("ptycho", o) });
          } finally {
            if (input !== ds) await input.source.close?.();
          }
        });
        const seconds = (performance.now() - t0) / 1000;
        const [ny, nx] = r.navShape;
        await writeSsbFiles(o.output, r, p, method.toUpperCase());
        const truth = o.truth === undefined ? undefined : readScanImage(o.truth, ny, nx);
        const compare = truth && (() => {
          const sign = pearson(r.brightField, truth) < 0 ? -1 : 1;
          const bf = r.brightField.map((v) => sign * v);
          return {
            phasePearsonWithTruth: +pearson(r.phase, truth).toFixed(4),
            brightFieldPearsonWithTruth: +pearson(bf, truth).toFixed(4),
            frcHalfCrossing: {
              [method]: +fourierRingCorrelation(r.phase, truth, ny, nx).crossing.toFixed(4),
              brightField: +fourierRingCorrelation(bf, truth, ny, nx).crossing.toFixed(4),
              unit: "cycles per scan pixel",
            },
          };
        })();
        report(o, {
          output: o.output, method,
          shape: r.navShape, detectorBin: bin, seconds: +seconds.toFixed(3), kv: p.kv, alphaMrad: p.alphaMrad, stepA: p.stepA,
          mradPerPixel: p.mradPerPixel, mradFrom: probe.mradFrom, center: p.center, rotationDeg: p.rotationDeg, flip: p.flip,
          rotationFound: !probe.frameKnown, defocusA: p.defocusA, c3mm: p.c3mm, wiener, epsilon,
          bfPixels: r.bfPixels, frequencies: r.frequencies, trotterPixels: r.trotterPixels, stateMB: +((r.trotterPixels * SUM_BYTES) / 2 ** 20).toFixed(1),
          warnings, ...(compare ?? {}),
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
