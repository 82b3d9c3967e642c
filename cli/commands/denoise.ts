import type { Command } from "commander";
import { writeDatasetNpy } from "../../bindings/node-files.js";
import { pcaDenoisedDataset } from "../../bindings/analyses/pca-denoise.js";
import { UsageError, action, ensureDir, inputOptions, parsePositiveInt, progress, report } from "../common.js";
import { pcaOptions, runPcaCommand, type PcaCliOptions } from "./pca.js";
import { declare } from "./index.js";

export function register(program: Command): void {
  pcaOptions(inputOptions(declare(program, "denoise")))
    .requiredOption("-o, --output <denoised.npy>", "the reconstructed dataset")
    .option("--keep <q>", "components kept in the reconstruction (default: all --components)")
    .action(action("denoise", async (file: string, o: PcaCliOptions & { output: string; keep?: string }) => {
      const t0 = performance.now();
      const summary = await runPcaCommand(file, o, async (r, ds, core) => {
        const q = o.keep === undefined ? r.k : parsePositiveInt(o.keep, "--keep");
        if (q > r.k) throw new UsageError(`--keep: ${q} is more than the ${r.k} components computed (raise --components)`);
        const view = pcaDenoisedDataset(core, r, q);
        ensureDir(o.output);
        await writeDatasetNpy(view, o.output, { onProgress: progress("write", o) });
        return {
          input: file, output: o.output, shape: view.shape, dtype: "f32", kept: q, components: r.k, meanCenter: r.meanCentered,
          explained: +r.explainedRatio.subarray(0, q).reduce((a, b) => a + b, 0).toFixed(6),
          seconds: +((performance.now() - t0) / 1000).toFixed(3),
          source: ds.source.name,
        };
      });
      report(o, summary);
    }));
}
