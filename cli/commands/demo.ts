import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { annulusMask, diskMask } from "../../bindings/analyses/masks.js";
import { centerOfMass } from "../../bindings/analyses/com.js";
import { estimateCenter } from "../../bindings/analyses/center.js";
import { openDataset, writeDatasetNpy } from "../../bindings/node-files.js";
import { patternStats } from "../../bindings/analyses/patterns.js";
import { runReductions } from "../../bindings/executor.js";
import { simulateTwoPhase } from "../../bindings/simulate.js";
import { virtualImages } from "../../bindings/analyses/virtual.js";
import type { MapFigure } from "../../bindings/figures/map-figure.js";
import { action, ensureDir, parseIntList, progress, report, withCore, writeNpy, writePng, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output: string;
  scan: string;
  detector: string;
}

export function register(program: Command): void {
  declare(program, "demo")
    .option("-o, --output <dir>", "output folder (created with its parents if missing)", "out/demo")
    .option("--scan <rows,cols>", "scan shape", "64,64")
    .option("--detector <rows,cols>", "detector shape", "96,96")
    .option("--workers <n>", "worker threads")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("demo", async (o: Options) => {
      const scan = parseIntList(o.scan, "--scan", 2) as [number, number];
      const detector = parseIntList(o.detector, "--detector", 2) as [number, number];
      const dataPath = join(o.output, "simulated.npy");
      ensureDir(dataPath);
      const sim = simulateTwoPhase({ scan, detector, seed: 1 });
      await writeDatasetNpy(sim.dataset, dataPath, { onProgress: progress("simulate", o) });
      writeFileSync(join(o.output, "truth_phase.json"), JSON.stringify({ scan, phase: Array.from(sim.truth.phase) }));

      // From here on, the file is processed exactly as a measured dataset would be.
      const ds = await openDataset(dataPath);
      const disk = await estimateCenter(ds);
      const [rows, cols] = detector;
      const bf = diskMask(rows, cols, disk, disk.radius);
      const adf = annulusMask(rows, cols, disk, disk.radius * 1.5, Math.min(rows, cols) / 2);
      const t0 = performance.now();
      const [images, com, stats] = await withCore(o, (core) =>
        runReductions(core, ds, [virtualImages([bf, adf]), centerOfMass(rows, cols, disk), patternStats()], { onProgress: progress("analyse", o) }));
      const seconds = (performance.now() - t0) / 1000;
      await ds.source.close?.();
      const [sr, sc] = scan;
      const files: string[] = [];
      const save = async (name: string, values: Float32Array, figure: Omit<MapFigure, "values" | "rows" | "cols" | "space">, space: "scan" | "detector" = "scan") => {
        const [r, c] = space === "scan" ? scan : detector;
        await writeNpy(join(o.output, `${name}.npy`), values, "f32", [r, c]);
        await writePng(join(o.output, `${name}.png`), { values, rows: r, cols: c, space, ...figure });
        files.push(`${name}.npy`, `${name}.png`);
      };
      await save("virtual_bf", images.images[0]!, { title: "Virtual bright field", units: "counts in the disk" });
      await save("virtual_adf", images.images[1]!, { title: "Virtual annular dark field", units: "counts in the annulus" });
      await save("com_y", com.comY, { title: "Centre of mass, row shift", units: "detector px from the centre", kind: "signed" });
      await save("com_x", com.comX, { title: "Centre of mass, column shift", units: "detector px from the centre", kind: "signed" });
      await save("mean_pattern", stats.mean, { title: "Mean pattern", units: "mean counts (log scale)", log: true, colormap: "magma" }, "detector");
      await writePng(join(o.output, "truth_phase.png"), { values: sim.truth.phase, rows: sr, cols: sc, title: "True phase of each probe position", kind: "labels", labels: { names: ["phase 0", "phase 1"] }, space: "scan" });
      files.push("truth_phase.png");
      report(o, { output: o.output, dataset: dataPath, shape: ds.shape, center: { cy: disk.cy, cx: disk.cx }, bfRadius: disk.radius, analysisSeconds: +seconds.toFixed(3), files });
    }));
}
