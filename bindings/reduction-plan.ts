// Planning a run of reductions: their buffers with defaults filled in, the result regions in the core's memory
// (seeded from earlier partial states when a run continues one), each reduction's tile, and the per-tile regions
// (partials and scratch) a block of tiles needs. The executor (executor.ts) schedules the tiles over this plan.
import type { Core } from "./core.js";
import { type Dataset, frameBytes, frameCount, framePixels } from "./dataset.js";
import { type BufferSpec, type Buffers, type Reduction, type ReductionContext, bufferTypeSize } from "./reduction.js";

export type FullSpec = Required<BufferSpec>;

/** The buffers of a reduction over a range of frames, before `finish`: what shards and streams send and merge.
 * Nav buffers span all frames; only the range's part is filled. */
export interface PartialState {
  range: [number, number];
  buffers: Buffers;
}

export interface PlannedBuffer {
  name: string;
  spec: FullSpec;
  /** Values in the whole buffer (scratch: per tile). */
  values: number;
}

export interface PlannedReduction {
  reduction: Reduction<unknown>;
  ctx: ReductionContext;
  buffers: PlannedBuffer[];
  /** Result regions of nav, sig and single buffers. */
  results: Record<string, number>;
  tile: number;
  /** Tiles run one after another (an ordered buffer). */
  ordered: boolean;
}

/** The default tile: about 2 MiB of frames, so a tile's partials and frames stay in cache. */
export function defaultTileFrames(ds: Pick<Dataset, "shape" | "dtype">): number {
  return Math.max(1, Math.floor((2 << 20) / frameBytes(ds)));
}

export function withDefaults(s: BufferSpec): FullSpec {
  const merge = s.merge ?? "sum";
  const fill = s.fill ?? (merge === "max" ? -Infinity : merge === "min" ? Infinity : 0);
  return {
    kind: s.kind, type: s.type, per: s.per ?? 1, write: s.write ?? "partial", merge, fill, initialises: !!s.initialises,
  };
}

/** Whether a buffer of the spec lives in a result region (rather than a per-tile one). */
export const isResult = (s: FullSpec) => s.kind !== "scratch";
/** Whether each tile writes the buffer into a partial of its own. */
export const isPartial = (s: FullSpec) => (s.kind === "sig" || s.kind === "single") && s.write === "partial";

export function contextFor(
  core: Core,
  dataset: Pick<Dataset, "shape" | "dtype">,
  input?: ReductionContext["input"],
): ReductionContext {
  return {
    core,
    shape: dataset.shape,
    dtype: dataset.dtype,
    input:
      input ??
      (() => {
        throw new Error("inputs can only be placed while a reduction runs");
      }),
  };
}

/** The buffers a reduction declares for a dataset, with defaults and sizes. */
export function plannedBuffers(reduction: Reduction<unknown>, ctx: ReductionContext): PlannedBuffer[] {
  const P = frameCount(ctx),
    Q = framePixels(ctx);
  return Object.entries(reduction.buffers(ctx)).map(([name, s]) => {
    const spec = withDefaults(s);
    const count = spec.kind === "nav" ? P : spec.kind === "sig" ? Q : 1;
    return { name, spec, values: count * spec.per };
  });
}

/** The frames per tile of a reduction (its own, the run's, or the default). */
export function tileOf(
  reduction: Reduction<unknown>,
  ctx: ReductionContext,
  dataset: Dataset,
  tileFrames?: number,
): number {
  const tile = reduction.tileFrames?.(ctx) ?? tileFrames ?? defaultTileFrames(dataset);
  if (!Number.isInteger(tile) || tile < 1) throw new RangeError(`${reduction.name}: tile of ${tile} frames`);
  return tile;
}

/** The least common multiple of the reductions' tiles: blocks and stream batches are whole numbers of it. */
export function tileUnit(core: Core, dataset: Dataset, reductions: Reduction<unknown>[], tileFrames?: number): number {
  return reductions.reduce((a, r) => lcm(a, tileOf(r, contextFor(core, dataset), dataset, tileFrames)), 1);
}

/**
 * Places every reduction's inputs and result regions in the core. `own` records every region for release.
 * Result regions start from `initial` states when given (a run continuing an earlier one), else from the fill.
 */
export function planReductions(
  core: Core,
  dataset: Dataset,
  reductions: Reduction<unknown>[],
  own: (ptr: number) => number,
  initial?: PartialState[],
  tileFrames?: number,
): PlannedReduction[] {
  return reductions.map((reduction, i) => {
    const ctx = contextFor(core, dataset, (data) => own(core.arena.put(data)));
    const buffers = plannedBuffers(reduction, ctx);
    const results: Record<string, number> = {};
    const seed = initial?.[i]?.buffers;
    for (const { name, spec, values } of buffers.filter((b) => isResult(b.spec))) {
      results[name] = own(core.arena.alloc(values * bufferTypeSize[spec.type]));
      const from = seed?.[name];
      if (!from) fillRegion(core, results[name]!, spec, values);
      else if (from.length === values) regionView(core, results[name]!, spec, values).set(from);
      else
        throw new RangeError(`${reduction.name}: initial buffer ${name} has ${from.length} values; expected ${values}`);
    }
    reduction.prepare?.(ctx);
    const ordered = buffers.some((b) => b.spec.write === "ordered");
    return { reduction, ctx, buffers, results, tile: tileOf(reduction, ctx, dataset, tileFrames), ordered };
  });
}

/** Per-tile regions (partials and scratch) for `slots` tiles in flight: slot k serves the k-th tile of a block.
 * Ordered reductions run one tile at a time, so they share one scratch region over all their tiles. */
export function tileRegions(
  core: Core,
  p: PlannedReduction,
  slots: number,
  own: (ptr: number) => number,
): Record<string, number>[] {
  const shared: Record<string, number> = {};
  return Array.from({ length: slots }, () => {
    const set: Record<string, number> = {};
    for (const { name, spec, values } of p.buffers) {
      const bytes = values * bufferTypeSize[spec.type];
      if (isPartial(spec)) set[name] = own(core.arena.alloc(bytes));
      else if (spec.kind === "scratch")
        set[name] = p.ordered ? (shared[name] ??= own(core.arena.alloc(bytes))) : own(core.arena.alloc(bytes));
    }
    return set;
  });
}

export function regionView(core: Core, ptr: number, spec: Pick<FullSpec, "type">, values: number) {
  const a = core.arena;
  switch (spec.type) {
    case "f32":
      return a.f32(ptr, values);
    case "f64":
      return a.f64(ptr, values);
    case "i32":
      return a.i32(ptr, values);
    case "u32":
      return a.u32(ptr, values);
  }
}

export function fillRegion(core: Core, ptr: number, spec: FullSpec, values: number): void {
  let v = spec.fill;
  if (spec.type === "i32" && !Number.isFinite(v)) v = v > 0 ? 2147483647 : -2147483648;
  if (spec.type === "u32" && !Number.isFinite(v)) v = v > 0 ? 4294967295 : 0;
  regionView(core, ptr, spec, values).fill(v);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
