// The one analysis contract (after LiberTEM's UDFs): walk the frames once, keep a small state, merge states.
//
// A reduction declares its result buffers, says which kernel calls process a tile of frames, how a tile writes each
// buffer and how two partial states merge. The executor (executor.ts) runs it in-process or on the worker pool; the
// scale-out engines run the same reduction on a live stream or on shards and merge the states. Results never depend
// on how the work was spread over workers: tiles are a fixed partition of the frames, folded in tile order.
import type { Core, Task } from "./core.js";
import type { Dtype } from "./dtype.js";

export type BufferKind =
  | "nav" //     `per` values for every frame; each tile writes the slice of its own frames; states concatenate
  | "sig" //     `per` values for every detector pixel
  | "single" //  `per` values in all
  | "scratch"; // `per` values of working space for the kernels of one tile: never merged, never copied out

export type BufferType = "f32" | "f64" | "i32" | "u32";

/** How the tiles of one run write a sig or single buffer:
 * - "partial": each tile into a partial of its own, folded into the result in tile order; tiles run side by side.
 * - "ordered": straight into the result, tile after tile (the tasks of one tile side by side, on disjoint parts):
 *   for results too large for a partial per tile, such as PCA's Z = D^T Y or the Gram matrix. A reduction with an
 *   ordered buffer has its tiles run in order, so one scratch region serves every tile: task i of a tile must
 *   write the same part of the ordered buffers (and use the same part of the scratch) as task i of every other
 *   tile, which lets a block run task i of all its tiles one after another as one task. With two steps
 *   (processAfter), the first step of a block's tiles runs before the second step of any of them. */
export type WriteMode = "partial" | "ordered";

/** Tasks per tile of the reductions that split a tile's work into lanes (disjoint rows or pixel ranges): a fixed
 * number, so that results do not depend on the worker count, and at least the worker count of any machine we plan
 * for (the pool defaults to at most 8). */
export const LANES = 8;

/** How the states of two disjoint frame ranges combine (and how partials fold): nav buffers always concatenate. */
export type MergeOp = "sum" | "max" | "min";

export interface BufferSpec {
  kind: BufferKind;
  type: BufferType;
  /** Values per frame (nav), per pixel (sig), in all (single) or per tile (scratch). Default 1. */
  per?: number;
  /** Default "partial". */
  write?: WriteMode;
  /** Default "sum". */
  merge?: MergeOp;
  /** Initial value of the buffer and of every partial; default 0, or -Infinity/Infinity for max/min. */
  fill?: number;
  /** Partial buffers: the tile's kernel writes every value of its partial before it reads any, so the executor does
   * not reset the partial to `fill` first (a large partial, such as SSB's, costs a pass over memory to reset).
   * Default false. */
  initialises?: boolean;
}

/** A contiguous run of frames in the core's memory. */
export interface Tile {
  /** Flat index of the first frame (probe position). */
  start: number;
  count: number;
  /** Byte offset of the first frame in the core's memory. */
  ptr: number;
  dtype: Dtype;
  /** Detector rows and columns of each frame. */
  rows: number;
  cols: number;
}

/** Pointers handed to `process`: nav buffers point at the tile's first frame, sig/single at the tile's partial. */
export type Pointers = Record<string, number>;
export type Buffers = Record<string, Float32Array | Float64Array | Int32Array | Uint32Array>;

export interface ReductionContext {
  core: Core;
  /** Shape of the dataset being reduced: [...nav, rows, cols]. */
  shape: readonly number[];
  dtype: Dtype;
  /** Allocates an input that lives for the whole run (masks, matrices) and returns its pointer. */
  input(data: ArrayBufferView): number;
}

export interface Reduction<R> {
  readonly name: string;
  buffers(ctx: ReductionContext): Record<string, BufferSpec>;
  /** Called once before the first tile: place inputs in the core's memory. */
  prepare?(ctx: ReductionContext): void;
  /** The kernel calls for one tile: tasks that may run concurrently with each other. */
  process(tile: Tile, ptr: Pointers, ctx: ReductionContext): Task[];
  /** More kernel calls for the tile, started once every task of `process` for it has finished: a second step that
   * needs all of the tile's first results (PCA's fused pass multiplies the tile's frames by the rows of Y = D Z that
   * every lane of the first step computed). */
  processAfter?(tile: Tile, ptr: Pointers, ctx: ReductionContext): Task[];
  /** Turns the final buffers (copied out of the core) into the result. */
  finish(buffers: Buffers, ctx: ReductionContext): R;
  /** Frames per tile, when the reduction needs a particular partition; otherwise the executor's default. */
  tileFrames?(ctx: ReductionContext): number;
  /** For ordered sinks (encoders): called for every tile in frame order, on the calling thread, once its kernels
   * have run and before its memory is reused. `view` gives fresh views of the tile's frames and buffers. */
  emit?(tile: Tile, view: TileView, ctx: ReductionContext): void | Promise<void>;
}

/** Views of a tile's memory, rebuilt on every call (the core's memory may grow between calls). */
export interface TileView {
  frames(): Uint8Array;
  /** A buffer of the tile: nav buffers give the tile's frames' slice, scratch the tile's region. */
  buffer(name: string): Float32Array | Float64Array | Int32Array | Uint32Array;
}

export const bufferTypeSize: Record<BufferType, number> = { f32: 4, f64: 8, i32: 4, u32: 4 };
