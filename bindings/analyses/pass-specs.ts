// Passes over the frames described as plain data: a name, small parameters and the large arrays the pass reads.
// A pass runner (pca.ts's `runPasses`, analyze's `runner`) gets these instead of reductions, so the same pass can
// be rebuilt on another machine (the shard engine, bindings/scale/) or run on the local core (`localPasses`).
// Arrays read per frame (a row of `per` values for every probe position) are marked as such: a shard needs only the
// rows of its own frames.
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { runReductions } from "../executor.js";
import type { Reduction } from "../reduction.js";
import type { BinFactors } from "./bin.js";
import { clusterSums } from "./cluster-means.js";
import { centerOfMass } from "./com.js";
import {
  type IntegerProducts, adjointPass, columnSums, firstPass, sketchAdjointPass, sketchPass,
} from "./pca-passes.js";
import { patternStats } from "./patterns.js";
import { virtualImages } from "./virtual.js";

export type PassArray = Float32Array | Int32Array;
export type PassParams = Record<string, number | boolean | string>;

export interface PassSpec {
  pass: keyof typeof builders;
  params: PassParams;
  /** Inputs every frame range needs whole. */
  arrays: Record<string, PassArray>;
  /** Inputs with `per` values for every frame: a frame range needs only its rows. */
  navArrays: Record<string, { data: PassArray; per: number }>;
}

/** Runs passes over the frames and returns their results in order (each pass's reduction's `finish`). */
export type PassRunner = (passes: PassSpec[], onProgress?: (done: number, total: number) => void) => Promise<unknown[]>;

/** Makes the runner for an analysis of `dataset`, which is the caller's input binned by `view`: the shard engine
 * rebuilds the same view from the file on every machine. */
export type ViewPassRunner = (view: BinFactors, dataset: Dataset) => PassRunner;

type Builder = (params: PassParams, arrays: Record<string, PassArray>) => Reduction<unknown>;
const num = (p: PassParams, name: string) => {
  const v = p[name];
  if (typeof v !== "number") throw new TypeError(`pass parameter ${name}: expected a number, got ${JSON.stringify(v)}`);
  return v;
};
const f32 = (a: Record<string, PassArray>, name: string) => {
  const v = a[name];
  if (!(v instanceof Float32Array)) throw new TypeError(`pass input ${name}: expected a Float32Array`);
  return v;
};
const i32 = (a: Record<string, PassArray>, name: string) => {
  const v = a[name];
  if (!(v instanceof Int32Array)) throw new TypeError(`pass input ${name}: expected an Int32Array`);
  return v;
};

/** A pass's integer products, when its spec has them (see withInteger). */
const integerProducts = (p: PassParams, a: Record<string, PassArray>): IntegerProducts | undefined =>
  p.kcp === undefined ? undefined : { scale: f32(a, "scale"), kcp: num(p, "kcp") };

const builders = {
  columnSums: (p) => columnSums(p.tile === undefined ? undefined : num(p, "tile")),
  firstPass: (p, a) => firstPass({ s: num(p, "s"), idx: i32(a, "idx"), val: f32(a, "val") }, num(p, "l"), num(p, "tile")),
  sketch: (p, a) => sketchPass(f32(a, "Z"), num(p, "l"), f32(a, "centre"), undefined, integerProducts(p, a)),
  adjoint: (p, a) => adjointPass(f32(a, "Y"), num(p, "l"), f32(a, "centre"), f32(a, "yCentre"), p.sumSquares === true, p.kcp === undefined ? 0 : num(p, "kcp")),
  sketchAdjoint: (p, a) => sketchAdjointPass(f32(a, "Z"), num(p, "l"), f32(a, "centre"), f32(a, "yCentre"), integerProducts(p, a)),
  virtual: (p, a) => {
    const masks = f32(a, "masks"), count = num(p, "count"), q = masks.length / count;
    return virtualImages(Array.from({ length: count }, (_, i) => masks.subarray(i * q, (i + 1) * q)), String(p.name ?? "virtual detector"));
  },
  centerOfMass: (p) => centerOfMass(num(p, "rows"), num(p, "cols"), { cy: num(p, "cy"), cx: num(p, "cx") }),
  patternStats: () => patternStats(),
  clusterSums: (p, a) => clusterSums(i32(a, "labels"), num(p, "k")),
} satisfies Record<string, Builder>;

/** The reduction a spec describes; nav arrays must be whole (every frame's row). */
export function buildPass(spec: PassSpec): Reduction<unknown> {
  const build: Builder | undefined = builders[spec.pass];
  if (!build) throw new Error(`unknown pass '${spec.pass}'`);
  const arrays: Record<string, PassArray> = { ...spec.arrays };
  for (const [name, { data }] of Object.entries(spec.navArrays)) arrays[name] = data;
  return build(spec.params, arrays);
}

/** The default runner: every pass on the local core, in one pass over the frames. */
export function localPasses(core: Core, dataset: Dataset): PassRunner {
  return (passes, onProgress) => runReductions(core, dataset, passes.map(buildPass), { onProgress });
}

const spec = (pass: PassSpec["pass"], params: PassParams, arrays: PassSpec["arrays"] = {}, navArrays: PassSpec["navArrays"] = {}): PassSpec =>
  ({ pass, params, arrays, navArrays });

/** A PCA pass's spec with its 16-bit integer products (their scales and pairs per 32-bit sum), if any. */
const withInteger = (s: PassSpec, integer?: IntegerProducts): PassSpec =>
  integer ? { ...s, params: { ...s.params, kcp: integer.kcp }, arrays: { ...s.arrays, scale: integer.scale } } : s;

/** The specs of the passes analyses use (see each builder for what it computes). */
export const passes = {
  columnSums: (tile?: number) => spec("columnSums", tile === undefined ? {} : { tile }),
  firstPass: (o: { s: number; idx: Int32Array; val: Float32Array }, l: number, tile: number) =>
    spec("firstPass", { s: o.s, l, tile }, { idx: o.idx, val: o.val }),
  sketch: (Z: Float32Array, l: number, centre: Float32Array, integer?: IntegerProducts) =>
    withInteger(spec("sketch", { l }, { Z, centre }), integer),
  adjoint: (Y: Float32Array, l: number, centre: Float32Array, yCentre: Float32Array, sumSquares: boolean, kcp = 0) =>
    spec("adjoint", { l, sumSquares, ...(kcp ? { kcp } : {}) }, { centre, yCentre }, { Y: { data: Y, per: l } }),
  sketchAdjoint: (Z: Float32Array, l: number, centre: Float32Array, yCentre: Float32Array, integer?: IntegerProducts) =>
    withInteger(spec("sketchAdjoint", { l }, { Z, centre, yCentre }), integer),
  virtual: (masks: Float32Array[], name = "virtual detector") => {
    const q = masks[0]?.length ?? 0, all = new Float32Array(masks.length * q);
    masks.forEach((m, i) => all.set(m, i * q));
    return spec("virtual", { count: masks.length, name }, { masks: all });
  },
  centerOfMass: (rows: number, cols: number, c: { cy: number; cx: number }) => spec("centerOfMass", { rows, cols, cy: c.cy, cx: c.cx }),
  patternStats: () => spec("patternStats", {}),
  clusterSums: (labels: Int32Array, k: number) => spec("clusterSums", { k }, {}, { labels: { data: labels, per: 1 } }),
};
