import type { Command } from "commander";
import { binDataset } from "../../bindings/analyses/bin.js";
import { writeDatasetNpy } from "../../bindings/node-files.js";
import { UsageError, action, inputOptions, openInput, parsePositiveInt, progress, report, withCore, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  detector?: string;
  scanBin?: string;
  output: string;
}

export function register(program: Command): void {
  inputOptions(declare(program, "bin"))
    .option("--detector <factor>", "detector pixels per bin along each axis")
    .option("--scan-bin <factor>", "probe positions per bin along each scan axis")
    .requiredOption("-o, --output <binned.npy>", "binned dataset")
    .action(action("bin", async (file: string, o: Options) => {
      if (!o.detector && !o.scanBin) throw new UsageError("give --detector and/or --scan-bin");
      const detector = parsePositiveInt(o.detector, "--detector", 1), scan = parsePositiveInt(o.scanBin, "--scan-bin", 1);
      const ds = await openInput(file, o);
      try {
        await withCore(o, async (core) => {
          let view;
          try { view = binDataset(core, ds, { detector, scan }); } catch (e) { throw new UsageError((e as Error).message); }
          try {
            await writeDatasetNpy(view, o.output, { onProgress: progress("bin", o) });
          } finally {
            await view.source.close?.();
          }
          report(o, { output: o.output, from: ds.shape, shape: view.shape, dtype: view.dtype, factors: { detector, scan } });
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
