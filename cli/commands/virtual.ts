import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { annulusMask, diskMask } from "../../bindings/analyses/masks.js";
import { decodeNpyArray } from "../../bindings/npy.js";
import { runReduction } from "../../bindings/executor.js";
import { sigShape } from "../../bindings/dataset.js";
import { virtualImages } from "../../bindings/analyses/virtual.js";
import { maskSaturation, outsideFrame } from "../../bindings/analyses/detector-checks.js";
import { UsageError, action, datasetPixels, inputOptions, notice, openInput, parseNumberList, progress, report, resolveCenter, withCore, writeNpy, writePng, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  bf?: string;
  adf?: string;
  mask?: string;
  center?: string;
  output: string;
  png?: string;
}

export function register(program: Command): void {
  inputOptions(declare(program, "virtual"))
    .option("--bf <radius>", "bright-field disk of this radius (detector pixels)")
    .option("--adf <inner,outer>", "annulus between these radii (detector pixels)")
    .option("--mask <mask.npy>", "any detector-shaped mask (weights)")
    .option("--center <cy,cx>", "pattern centre (detector pixels); default: found from the bright-field disk")
    .requiredOption("-o, --output <image.npy>", "the image, scan-shaped float32 .npy")
    .option("--png <image.png>", "also write a PNG figure")
    .action(action("virtual", async (file: string, o: Options) => {
      const chosen = [o.bf, o.adf, o.mask].filter((x) => x !== undefined).length;
      if (chosen !== 1) throw new UsageError("give exactly one of --bf, --adf or --mask");
      const ds = await openInput(file, o);
      try {
        const [rows, cols] = sigShape(ds);
        let mask: Float32Array, detector: Record<string, unknown>, name: string;
        const warnings: string[] = [];
        if (o.mask) {
          let m;
          try { m = decodeNpyArray(readFileSync(o.mask), o.mask); } catch (e) { throw new UsageError((e as Error).message); }
          if (m.data.length !== rows * cols) throw new UsageError(`${o.mask}: mask shape [${m.shape.join(", ")}] does not match the detector ${rows} x ${cols}`);
          mask = Float32Array.from(m.data);
          detector = { mask: o.mask };
          name = `mask ${o.mask}`;
        } else {
          const center = await resolveCenter(ds, o.center);
          if (o.bf) {
            const [r] = parseNumberList(o.bf, "--bf", 1) as [number];
            if (!(r > 0)) throw new UsageError(`--bf: radius must be positive, got ${r}`);
            mask = diskMask(rows, cols, center, r);
            detector = { bf: r, center };
            name = `bright field (disk of radius ${r} px)`;
            const out = outsideFrame(rows, cols, center, r, `--bf: the disk`);
            if (out) warnings.push(out);
          } else {
            const [r1, r2] = parseNumberList(o.adf!, "--adf", 2) as [number, number];
            if (!(r1 >= 0 && r2 > r1)) throw new UsageError(`--adf: expected 0 <= inner < outer, got ${r1},${r2}`);
            mask = annulusMask(rows, cols, center, r1, r2);
            detector = { adf: [r1, r2], center };
            name = `annular dark field (${r1} to ${r2} px)`;
            const out = outsideFrame(rows, cols, center, r2, `--adf: the annulus`);
            if (out) warnings.push(out);
          }
          if (!mask.some((v) => v !== 0)) throw new UsageError(`the detector covers no pixel of the ${rows} x ${cols} detector (check the radius and centre)`);
        }
        const sat = await maskSaturation(ds, mask);
        if (sat && sat.framesHit > 0) {
          const share = `${+(100 * sat.fraction).toPrecision(2)}% of the pixels`;
          warnings.push(`saturation: ${share} inside the ${name} sit at the counter's maximum (${sat.max}) in ${sat.framesHit} of ${sat.frames} frames sampled, so the image under-reports the intensity there`);
        }
        for (const w of warnings) notice("virtual", "warning", w);
        const t0 = performance.now();
        const r = await withCore(o, (core) => runReduction(core, ds, virtualImages([mask]), { onProgress: progress("virtual", o) }));
        const seconds = (performance.now() - t0) / 1000;
        const img = r.images[0]!, nav = r.navShape;
        await writeNpy(o.output, img, "f32", nav);
        const counts = ds.dtype === "f32" ? "intensity" : "counts";
        if (o.png) await writePng(o.png, { values: img, rows: nav[0]!, cols: nav.length > 1 ? img.length / nav[0]! : 1, title: `Virtual ${name}`, units: `${counts} in the detector`, space: "scan", pixel: datasetPixels(ds).scan });
        let min = Infinity, max = -Infinity;
        for (const v of img) { if (v < min) min = v; if (v > max) max = v; }
        report(o, { output: o.output, png: o.png ?? null, shape: nav, detector, min, max, warnings, seconds: +seconds.toFixed(3) });
      } finally {
        await ds.source.close?.();
      }
    }));
}
