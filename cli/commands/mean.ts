import type { Command } from "commander";
import { brightFieldDisk } from "../../bindings/analyses/center.js";
import { patternStats } from "../../bindings/analyses/patterns.js";
import { runReduction } from "../../bindings/executor.js";
import { action, datasetPixels, inputOptions, openInput, progress, report, withCore, writeNpy, writePng, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output: string;
  max?: string;
  png?: string;
}

export function register(program: Command): void {
  inputOptions(declare(program, "mean"))
    .requiredOption("-o, --output <mean.npy>", "mean pattern, float32")
    .option("--max <max.npy>", "also write the max pattern")
    .option("--png <mean.png>", "also write the mean pattern as a log-scaled PNG")
    .action(action("mean", async (file: string, o: Options) => {
      const ds = await openInput(file, o);
      try {
        const s = await withCore(o, (core) => runReduction(core, ds, patternStats(), { onProgress: progress("mean", o) }));
        await writeNpy(o.output, s.mean, "f32", [s.rows, s.cols]);
        if (o.max) await writeNpy(o.max, s.max, "f32", [s.rows, s.cols]);
        if (o.png) await writePng(o.png, { values: s.mean, rows: s.rows, cols: s.cols, title: `Mean pattern over ${s.frames} probe positions`, units: `mean ${ds.dtype === "f32" ? "intensity" : "counts"} (log scale)`, log: true, colormap: "magma", space: "detector", pixel: datasetPixels(ds).detector });
        let disk: unknown = null;
        try { disk = brightFieldDisk(s.mean, s.rows, s.cols); } catch { /* a pattern with no disk is still a result */ }
        report(o, { output: o.output, shape: [s.rows, s.cols], frames: s.frames, brightFieldDisk: disk });
      } finally {
        await ds.source.close?.();
      }
    }));
}
