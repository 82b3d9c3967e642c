// Runs reductions over a dataset: the block feed (block-feed.ts) brings blocks of frames into the core's memory, each
// block is cut into every reduction's fixed tiles, the tiles' kernel calls go to the pool, partials fold into the
// results in tile order, ordered tiles run one after another, and ordered sinks see their tiles in frame order. The
// result is the same for any number of workers and any block size.
import type { Core, Task } from "./core.js";
import { type Dataset, frameBytes, sigShape } from "./dataset.js";
import { dtypeSize } from "./dtype.js";
import { blockFeed, type CoreBlock } from "./block-feed.js";
import { type FrameRange, frameRange, planBlocks } from "./pipeline.js";
import type { Buffers, Reduction, Tile, TileView } from "./reduction.js";
import { bufferTypeSize } from "./reduction.js";
import {
  type PartialState,
  type PlannedReduction,
  contextFor,
  defaultTileFrames,
  fillRegion,
  isPartial,
  lcm,
  planReductions,
  plannedBuffers,
  regionView,
  tileRegions,
} from "./reduction-plan.js";

export { type PartialState, defaultTileFrames, tileUnit } from "./reduction-plan.js";

export interface RunOptions {
  /** Frames per tile for reductions that do not fix their own: part of the partition, so part of the result. */
  tileFrames?: number;
  /** Approximate bytes of frames per block read (default 32 MiB). */
  blockBytes?: number;
  /** Frames [start, end) to reduce; default all (a shard runs a range). */
  range?: FrameRange;
  /** Partial states (one per reduction) to continue from instead of empty buffers: a stream reduced range after
   * range, each range starting on a tile boundary, then folds every tile in the same order as one pass does. */
  initial?: PartialState[];
  onProgress?: (framesDone: number, framesTotal: number) => void;
}

/** Runs several reductions in one pass over the frames and returns their results in order. */
export async function runReductions<T extends unknown[]>(
  core: Core,
  dataset: Dataset,
  reductions: { [K in keyof T]: Reduction<T[K]> },
  options: RunOptions = {},
): Promise<T> {
  const list = reductions as Reduction<unknown>[];
  const states = await runPartials(core, dataset, list, options);
  return states.map((st, i) => finishState(core, dataset, list[i]!, st)) as T;
}

/** Runs one reduction over the dataset. */
export async function runReduction<R>(
  core: Core,
  dataset: Dataset,
  reduction: Reduction<R>,
  options?: RunOptions,
): Promise<R> {
  const [r] = await runReductions<[R]>(core, dataset, [reduction], options);
  return r;
}

/** Runs reductions over `options.range` (default all frames) and returns their partial states. */
export async function runPartials(
  core: Core,
  dataset: Dataset,
  reductions: Reduction<unknown>[],
  options: RunOptions = {},
): Promise<PartialState[]> {
  const range = frameRange(dataset, options.range);
  const owned: number[] = [];
  const own = (ptr: number) => {
    owned.push(ptr);
    return ptr;
  };
  try {
    const planned = planReductions(core, dataset, reductions, own, options.initial, options.tileFrames);
    const blockFrames = blockSize(dataset, planned, range, options.blockBytes);
    const slots = planned.map((p) => tileRegions(core, p, Math.ceil(blockFrames / p.tile) + 1, own));
    const feed = blockFeed(core, dataset, planBlocks(range, blockFrames), blockFrames, own);
    for await (const block of feed.blocks()) {
      await runBlock(core, dataset, planned, slots, block);
      options.onProgress?.(block.range[1] - range[0], range[1] - range[0]);
    }
    return planned.map((p) => ({ range, buffers: copyResults(core, p) }));
  } finally {
    for (const ptr of owned) core.arena.release(ptr);
  }
}

/** Frames per block: a whole number of every reduction's tile (so tiles never straddle blocks), about
 * `blockBytes` of frames, and no larger than the range (rounded up to whole tiles). */
function blockSize(dataset: Dataset, planned: PlannedReduction[], range: FrameRange, blockBytes = 32 << 20): number {
  const unit = planned.reduce((a, p) => lcm(a, p.tile), 1);
  const target = Math.max(1, Math.floor(blockBytes / frameBytes(dataset)));
  return Math.min(Math.max(1, Math.round(target / unit)), Math.ceil((range[1] - range[0]) / unit) + 1) * unit;
}

/** The tiles of a block on a grid of `tile` frames: [t0, t1) pairs. */
function tilesOf(tile: number, [s, e]: FrameRange): FrameRange[] {
  const out: FrameRange[] = [];
  for (let t0 = s; t0 < e;) {
    const t1 = Math.min(e, (Math.floor(t0 / tile) + 1) * tile);
    out.push([t0, t1]);
    t0 = t1;
  }
  return out;
}

interface ScheduledTile {
  tile: Tile;
  pointers: Record<string, number>;
  /** `process`'s tasks, then `processAfter`'s (if any): each step starts when the one before has finished. */
  steps: Task[][];
}

/** Runs every reduction over one block: side-by-side tiles (fused with the workers' reads when all reductions
 * share a tile; a tile's second step after its first), then the folds of their partials in tile order, then
 * ordered tiles in order (runOrdered), then the emits. */
async function runBlock(
  core: Core,
  dataset: Dataset,
  planned: PlannedReduction[],
  slots: Record<string, number>[][],
  block: CoreBlock,
): Promise<void> {
  const fb = frameBytes(dataset),
    [rows, cols] = sigShape(dataset);
  const scheduled = planned.map((p, pi) =>
    tilesOf(p.tile, block.range).map(([t0, t1], k): ScheduledTile => {
      const tile: Tile = {
        start: t0,
        count: t1 - t0,
        ptr: block.ptr + (t0 - block.range[0]) * fb,
        dtype: dataset.dtype,
        rows,
        cols,
      };
      const pointers = tilePointers(core, p, slots[pi]![k]!, t0);
      const steps = [p.reduction.process(tile, pointers, p.ctx)];
      if (p.reduction.processAfter) steps.push(p.reduction.processAfter(tile, pointers, p.ctx));
      return { tile, pointers, steps };
    }),
  );
  // Side-by-side tiles by their first frame (so reads can be fused with their kernels), each a list of steps.
  const sideBySide = new Map<number, Task[][]>();
  planned.forEach((p, pi) => {
    if (p.ordered) return;
    for (const s of scheduled[pi]!) {
      const steps = sideBySide.get(s.tile.start) ?? [];
      s.steps.forEach((tasks, i) => (steps[i] = [...(steps[i] ?? []), ...tasks]));
      sideBySide.set(s.tile.start, steps);
    }
  });
  // A tile's read fused with its kernels makes one task of the whole tile: good when the block holds enough tiles
  // to keep every worker busy; with fewer (large frames, long tiles), the reads and then the lanes run in parallel.
  const sameTile = planned.every((p) => p.tile === planned[0]!.tile);
  const tiles = sameTile ? tilesOf(planned[0]!.tile, block.range) : [];
  if (block.readCalls && tiles.length >= 2 * core.workerCount && tiles.length > 0) {
    await core.run(
      tiles.map(([t0, t1]) => [
        ...block.readCalls!(t0, t1),
        ...(sideBySide.get(t0) ?? []).flat(2),
      ]),
    );
  } else {
    if (block.readCalls) {
      await core.run(tilesOf(defaultTileFrames(dataset), block.range).map(([t0, t1]) => block.readCalls!(t0, t1)));
    }
    const steps = Math.max(0, ...[...sideBySide.values()].map((s) => s.length));
    for (let i = 0; i < steps; i++) await core.run([...sideBySide.values()].flatMap((s) => s[i] ?? []));
  }
  planned.forEach((p, pi) => {
    for (const s of scheduled[pi]!) foldPartials(core, p, s.pointers);
  });
  for (const [pi, p] of planned.entries()) if (p.ordered) await runOrdered(core, scheduled[pi]!);
  for (const [pi, p] of planned.entries()) {
    if (p.reduction.emit) for (const s of scheduled[pi]!) await p.reduction.emit(s.tile, tileView(core, p, s), p.ctx);
  }
}

/** Runs the tiles of an ordered reduction in order: step by step, task i of the block being task i of every tile
 * one after another (the same part of the ordered buffers and of the scratch), so a block costs one run per step
 * rather than one per tile and step. */
async function runOrdered(core: Core, tiles: ScheduledTile[]): Promise<void> {
  const steps = Math.max(0, ...tiles.map((s) => s.steps.length));
  for (let i = 0; i < steps; i++) {
    const lanes: Task[] = [];
    for (const s of tiles) (s.steps[i] ?? []).forEach((task, j) => (lanes[j] ??= []).push(...task));
    await core.run(lanes);
  }
}

/** Where a tile writes each buffer: its frames' slice of nav results, its slot's partials (reset to the fill) and
 * scratch, the results themselves for ordered buffers. */
function tilePointers(
  core: Core,
  p: PlannedReduction,
  slot: Record<string, number>,
  t0: number,
): Record<string, number> {
  const pointers: Record<string, number> = {};
  for (const { name, spec, values } of p.buffers) {
    if (spec.kind === "nav") pointers[name] = p.results[name]! + t0 * spec.per * bufferTypeSize[spec.type];
    else if (spec.kind === "scratch") pointers[name] = slot[name]!;
    else if (isPartial(spec)) {
      pointers[name] = slot[name]!;
      if (!spec.initialises) fillRegion(core, slot[name]!, spec, values);
    } else pointers[name] = p.results[name]!;
  }
  return pointers;
}

function foldPartials(core: Core, p: PlannedReduction, pointers: Record<string, number>): void {
  for (const { name, spec, values } of p.buffers) {
    if (!isPartial(spec)) continue;
    const op = spec.merge === "sum" ? "Sum" : spec.merge === "max" ? "Max" : "Min";
    core.call(
      `merge${op}${spec.type.toUpperCase() as Uppercase<typeof spec.type>}`,
      p.results[name]!,
      pointers[name]!,
      values,
    );
  }
}

function tileView(core: Core, p: PlannedReduction, s: ScheduledTile): TileView {
  const fb = s.tile.rows * s.tile.cols * dtypeSize(s.tile.dtype);
  return {
    frames: () => core.arena.bytes(s.tile.ptr, s.tile.count * fb),
    buffer(name) {
      const b = p.buffers.find((x) => x.name === name);
      if (!b) throw new Error(`${p.reduction.name}: no buffer named ${name}`);
      const values = b.spec.kind === "nav" ? s.tile.count * b.spec.per : b.values;
      return regionView(core, s.pointers[name]!, b.spec, values);
    },
  };
}

function copyResults(core: Core, p: PlannedReduction): Buffers {
  const buffers: Buffers = {};
  for (const { name, spec, values } of p.buffers) {
    if (spec.kind !== "scratch") buffers[name] = regionView(core, p.results[name]!, spec, values).slice();
  }
  return buffers;
}

/** Merges two partial states of the same reduction over disjoint frame ranges (in any grouping: associative):
 * nav buffers concatenate, every other buffer combines by its merge operation. */
export function mergeStates(
  core: Core,
  dataset: Dataset,
  reduction: Reduction<unknown>,
  a: PartialState,
  b: PartialState,
): PartialState {
  const buffers: Buffers = {};
  for (const { name, spec } of plannedBuffers(reduction, contextFor(core, dataset))) {
    if (spec.kind === "scratch") continue;
    const x = a.buffers[name],
      y = b.buffers[name];
    if (!x || !y) throw new Error(`${reduction.name}: a partial state lacks buffer ${name}`);
    const out = x.slice();
    if (spec.kind === "nav") {
      out.set(y.subarray(b.range[0] * spec.per, b.range[1] * spec.per), b.range[0] * spec.per);
    } else {
      const op = spec.merge === "sum" ? (p: number, q: number) => p + q : spec.merge === "max" ? Math.max : Math.min;
      for (let i = 0; i < out.length; i++) out[i] = op(x[i]!, y[i]!);
    }
    buffers[name] = out;
  }
  const range: [number, number] = [Math.min(a.range[0], b.range[0]), Math.max(a.range[1], b.range[1])];
  return { range, buffers };
}

/** A copy of a partial state (its buffers copied), to finish while the state itself goes on. */
export function copyState(state: PartialState): PartialState {
  const buffers = Object.fromEntries(Object.entries(state.buffers).map(([k, v]) => [k, v.slice()]));
  return { range: state.range, buffers: buffers as PartialState["buffers"] };
}

/** Turns a (merged) partial state into the reduction's result. */
export function finishState<R>(core: Core, dataset: Dataset, reduction: Reduction<R>, state: PartialState): R {
  return reduction.finish(state.buffers, contextFor(core, dataset));
}
