import type { Command } from "commander";
import { centerOfMass } from "../../bindings/analyses/com.js";
import { runReduction } from "../../bindings/executor.js";
import { sigShape } from "../../bindings/dataset.js";
import { action, datasetPixels, inputOptions, openInput, progress, report, resolveCenter, withCore, writeNpy, writePng, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  center?: string;
  output: string;
  png?: boolean;
}

export function register(program: Command): void {
  inputOptions(declare(program, "com"))
    .option("--center <cy,cx>", "pattern centre; default: found from the bright-field disk")
    .requiredOption("-o, --output <prefix>", "writes <prefix>_y.npy and <prefix>_x.npy (scan-shaped float32)")
    .option("--png", "also write <prefix>_y.png and <prefix>_x.png")
    .action(action("com", async (file: string, o: Options) => {
      const ds = await openInput(file, o);
      try {
        const [rows, cols] = sigShape(ds);
        const center = await resolveCenter(ds, o.center);
        const r = await withCore(o, (core) => runReduction(core, ds, centerOfMass(rows, cols, center), { onProgress: progress("com", o) }));
        const nav = r.navShape, w = r.comY.length / nav[0]!;
        const out = o.output.replace(/\.npy$/, "");
        for (const [axis, img] of [["y", r.comY], ["x", r.comX]] as const) {
          await writeNpy(`${out}_${axis}.npy`, img, "f32", nav);
          if (o.png) await writePng(`${out}_${axis}.png`, { values: img, rows: nav[0]!, cols: w, title: `Centre of mass, ${axis === "y" ? "row" : "column"} shift`, units: "detector px from the centre", kind: "signed", space: "scan", pixel: datasetPixels(ds).scan });
        }
        const finite = (a: Float32Array) => a.filter((v) => Number.isFinite(v));
        const rms = (a: Float32Array) => Math.sqrt(finite(a).reduce((s, v) => s + v * v, 0) / Math.max(1, finite(a).length));
        report(o, { outputs: [`${out}_y.npy`, `${out}_x.npy`], shape: nav, center, rmsY: rms(r.comY), rmsX: rms(r.comX) });
      } finally {
        await ds.source.close?.();
      }
    }));
}
