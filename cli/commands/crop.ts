import type { Command } from "commander";
import { cropDataset } from "../../bindings/analyses/crop.js";
import { writeDatasetNpy } from "../../bindings/node-files.js";
import { UsageError, action, inputOptions, openInput, parseIntList, progress, report, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  scanRows?: string;
  scanCols?: string;
  detRows?: string;
  detCols?: string;
  output: string;
}

const range = (v: string | undefined, what: string) => (v === undefined ? undefined : (parseIntList(v, what, 2) as [number, number]));

export function register(program: Command): void {
  inputOptions(declare(program, "crop"))
    .option("--scan-rows <start,end>", "scan rows to keep")
    .option("--scan-cols <start,end>", "scan columns to keep")
    .option("--det-rows <start,end>", "detector rows to keep")
    .option("--det-cols <start,end>", "detector columns to keep")
    .requiredOption("-o, --output <cropped.npy>", "cropped dataset")
    .action(action("crop", async (file: string, o: Options) => {
      const ranges = { scanRows: range(o.scanRows, "--scan-rows"), scanCols: range(o.scanCols, "--scan-cols"), detRows: range(o.detRows, "--det-rows"), detCols: range(o.detCols, "--det-cols") };
      if (!Object.values(ranges).some(Boolean)) throw new UsageError("give at least one of --scan-rows, --scan-cols, --det-rows, --det-cols");
      const ds = await openInput(file, o);
      try {
        let view;
        try { view = cropDataset(ds, ranges); } catch (e) { throw new UsageError((e as Error).message); }
        await writeDatasetNpy(view, o.output, { onProgress: progress("crop", o) });
        report(o, { output: o.output, from: ds.shape, shape: view.shape, dtype: view.dtype });
      } finally {
        await ds.source.close?.();
      }
    }));
}
