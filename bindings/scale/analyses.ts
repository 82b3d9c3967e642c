// Node-only (scale-out; writes files). The analyses a stream receiver or a shard worker runs, described as plain
// data (a job carries this, not code), built into reductions on each machine the same way, and their results
// written as .npy + .png like the virtual and com commands do.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Dtype } from "../dtype.js";
import type { Reduction } from "../reduction.js";
import { type Center, annulusMask, diskMask } from "../analyses/masks.js";
import type { VirtualImages } from "../analyses/virtual.js";
import type { CenterOfMass } from "../analyses/com.js";
import type { PatternStats } from "../analyses/patterns.js";
import { type PassSpec, buildPass, passes } from "../analyses/pass-specs.js";
import { saveNpy } from "../node-files.js";
import { mapFigurePng, type MapFigure } from "../figures/map-figure.js";

export interface AnalysisSpec {
  /** Pattern centre (detector pixels); required by bf, adf and com. */
  center?: Center;
  /** Bright-field disk radius. */
  bf?: number;
  /** Annular dark field inner and outer radii. */
  adf?: [number, number];
  com?: boolean;
  /** Sum, mean and max pattern. */
  stats?: boolean;
}

export function hasAnalyses(spec: AnalysisSpec): boolean {
  return spec.bf !== undefined || spec.adf !== undefined || !!spec.com || !!spec.stats;
}

/** The passes for `spec` on a detector of the dataset's shape, in a fixed order: virtual images (bf, adf), then
 * centre of mass, then pattern statistics. Throws a clear error for a detector that covers no pixel. */
export function analysisPasses(spec: AnalysisSpec, layout: { shape: readonly number[]; dtype: Dtype }): PassSpec[] {
  if (!hasAnalyses(spec)) throw new Error("no analysis chosen (give --bf, --adf, --com or --stats)");
  const [rows, cols] = layout.shape.slice(-2) as [number, number];
  const out: PassSpec[] = [];
  const needCenter = spec.bf !== undefined || spec.adf !== undefined || spec.com;
  if (needCenter && !spec.center) throw new Error("bf, adf and com need the pattern centre");
  const c = spec.center!;
  const masks: Float32Array[] = [];
  if (spec.bf !== undefined) masks.push(diskMask(rows, cols, c, spec.bf));
  if (spec.adf !== undefined) masks.push(annulusMask(rows, cols, c, spec.adf[0], spec.adf[1]));
  for (const m of masks) {
    if (!m.some((v) => v !== 0)) throw new Error(`a detector covers no pixel of the ${rows} x ${cols} detector (check the radius and centre ${c.cy},${c.cx})`);
  }
  if (masks.length) out.push(passes.virtual(masks));
  if (spec.com) out.push(passes.centerOfMass(rows, cols, c));
  if (spec.stats) out.push(passes.patternStats());
  return out;
}

/** The reductions of analysisPasses(spec, layout). */
export function buildReductions(spec: AnalysisSpec, layout: { shape: readonly number[]; dtype: Dtype }): Reduction<unknown>[] {
  return analysisPasses(spec, layout).map(buildPass);
}

/** Writes the results of buildReductions(spec) into `dir`; returns the files written. */
export async function writeResults(dir: string, spec: AnalysisSpec, shape: readonly number[], results: unknown[], png = true): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const nav = shape.slice(0, -2), [rows, cols] = shape.slice(-2) as [number, number];
  const h = nav[0]!, w = nav.slice(1).reduce((a, b) => a * b, 1), sig = [rows, cols];
  const files: string[] = [];
  const image = async (name: string, data: Float32Array, imgShape: readonly number[], r: number, c: number, figure: Omit<MapFigure, "values" | "rows" | "cols" | "space">, space: MapFigure["space"] = "scan") => {
    const f = join(dir, `${name}.npy`);
    await saveNpy(f, data, "f32", imgShape);
    files.push(f);
    if (png) {
      writeFileSync(join(dir, `${name}.png`), await mapFigurePng({ values: data, rows: r, cols: c, space, ...figure }));
      files.push(join(dir, `${name}.png`));
    }
  };
  let i = 0;
  if (spec.bf !== undefined || spec.adf !== undefined) {
    const v = results[i++] as VirtualImages;
    let m = 0;
    if (spec.bf !== undefined) await image("bf", v.images[m++]!, nav, h, w, { title: `Virtual bright field (disk of radius ${spec.bf} px)`, units: "counts in the disk" });
    if (spec.adf !== undefined) await image("adf", v.images[m++]!, nav, h, w, { title: `Virtual annular dark field (${spec.adf[0]} to ${spec.adf[1]} px)`, units: "counts in the annulus" });
  }
  if (spec.com) {
    const r = results[i++] as CenterOfMass;
    await image("com_y", r.comY, nav, h, w, { title: "Centre of mass, row shift", units: "detector px from the centre", kind: "signed" });
    await image("com_x", r.comX, nav, h, w, { title: "Centre of mass, column shift", units: "detector px from the centre", kind: "signed" });
  }
  if (spec.stats) {
    const r = results[i++] as PatternStats;
    await image("mean", r.mean, sig, rows, cols, { title: "Mean pattern", units: "mean counts (log scale)", log: true, colormap: "magma" }, "detector");
    await image("max", r.max, sig, rows, cols, { title: "Max pattern", units: "max counts (log scale)", log: true, colormap: "magma" }, "detector");
  }
  return files;
}
