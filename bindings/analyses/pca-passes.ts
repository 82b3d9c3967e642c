// The passes of PCA over the frames, as reductions (see pca.ts for how they combine):
//   sketch:   Y = (D - 1 m^T) Z   for Z (Q x l) in memory, Y (P x l) a per-frame buffer;
//   adjoint:  W = (D - 1 m^T)^T (Y - 1 g^T) for Y (P x l) in memory and its centre g, W (Q x l) accumulated tile
//             after tile;
//   sketch and adjoint: both on each tile while it is in memory, the adjoint of the Y just made (one read of the
//             data instead of two);
//   sums:     the column sums of D (float64), which give the centre m.
// D is the P x Q matrix of frames, m a float32 centre subtracted while each tile is converted to float32.
// Integer data of a small range (counted electrons) take 16-bit integer products instead (assembly/gemm-i16.ts: twice
// the multiply-adds per instruction): the frames less an integer centre are exact in 16 bits, Z is scaled column by
// column by a power of two and rounded, each tile's rows of Y less g likewise with scales of their own, and the
// results are scaled back, exactly.
//
// Every pass uses a fixed number of lanes per tile, each with its own part of the tile's scratch buffer for the
// converted frames. Lanes write disjoint rows of Y or disjoint row panels of Z, so the results do not depend on the
// number of workers. Y is a nav buffer (states concatenate); Z, the sums of squares and the Gram matrix are too large
// for a partial per tile, so tiles write them in order ("ordered") and states from shards add ("sum").
import type { Task } from "../core.js";
import { dtypeSize, kernelSuffix } from "../dtype.js";
import { LANES, type Reduction, type ReductionContext, type Tile } from "../reduction.js";
import { paddedStride } from "../linalg-core.js";


/** Bytes of converted float32 frames per lane: small enough to stay in L2 while the product sweeps over them. */
const LANE_BYTES = 1 << 20;

/** Detector pixels per block of the sketch pass: Z (q x l floats) is taken in blocks of this many rows, each read
 * from memory once per lane's group of rows. Up to 16384 pixels, Z comes from the L3 cache and is taken whole; a
 * full-resolution detector (384 x 384: Z of 80 MB) is taken in blocks that fit the L2 cache. */
export function columnBlock(q: number): number {
  return q <= 16384 ? q : 1024;
}

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

/** Rows of a tile each lane converts at a time in the sketch pass: a multiple of 4 in [4, 64], so that a group's
 * converted block of pixels is about LANE_BYTES. */
export function sketchLaneRows(q: number): number {
  return Math.min(64, Math.max(4, Math.floor(LANE_BYTES / (columnBlock(q) * 4) / 4) * 4));
}

/** Leading dimension of a lane's converted block (padded so that its rows do not alias in the cache). */
const blockStride = (q: number) => paddedStride(columnBlock(q));

/** How the sketch multiplies in 16-bit integers: Z is taken as round(Z diag(scale)), each scale a power of two with
 * |Z scale| <= 32767, and `kcp` pairs of products are summed in 32 bits before each conversion to float32
 * (2 kcp max|D - centre| 32767 < 2^31: no sum overflows). The adjoint takes the same `kcp`. */
export interface IntegerProducts {
  scale: Float32Array;
  kcp: number;
}

/** The integer centre as the 16-bit conversions take it (assembly/pca.ts, rowsI16): each value modulo 2^16. */
const centreI16 = (centre: Float32Array) => Int16Array.from(centre);

/** A row stride of 16-bit integers, even, whose byte size is an odd multiple of 64 (see paddedStride). */
const pairStride = (n: number) => 2 * paddedStride(Math.ceil(n / 2));

/** Where the sketch product of a tile finds its operands: Z (or its 16-bit pairs) and the centre in the core, the
 * lanes' scratch for converted frames, and the rows each lane converts at a time. */
interface SketchOperands {
  l: number;
  zPtr: number;
  cPtr: number;
  scratch: number;
  laneRows: number;
  integer?: IntegerProducts;
}

/** Places Z (packed into 16-bit pairs for integer products) and the centre in the core for the sketch product. */
function prepareSketch(ctx: ReductionContext, Z: Float32Array, l: number, centre: Float32Array, integer?: IntegerProducts): Omit<SketchOperands, "scratch"> {
  const q = pixels(ctx.shape);
  if (Z.length !== q * l) throw new RangeError(`sketch: Z has ${Z.length} values, expected ${q} x ${l}`);
  if (centre.length !== q) throw new RangeError(`sketch: the centre has ${centre.length} values for ${q} pixels`);
  if (integer && integer.scale.length !== l) throw new RangeError(`sketch: ${integer.scale.length} scales for ${l} columns`);
  let zPtr = ctx.input(Z);
  if (integer) {
    const pairs = ctx.input(new Int32Array(Math.ceil(q / 2) * l));
    ctx.core.call("gemmI16PackB", zPtr, q, l, l, ctx.input(integer.scale), pairs);
    zPtr = pairs;
  }
  return { l, zPtr, cPtr: ctx.input(integer ? centreI16(centre) : centre), laneRows: sketchLaneRows(q), integer };
}

/** The sketch product's tasks for one tile, Y's rows for the tile at y: each lane takes its rows of the tile in groups
 * of laneRows; for each block of pixels it converts the group's pixels and adds their product with that block of Z
 * to the group's rows of Y. */
function sketchTasks(tile: Tile, y: number, o: SketchOperands): Task[] {
  const q = tile.rows * tile.cols,
    k = kernelSuffix(tile.dtype),
    { l, integer } = o;
  const per = roundUp4(Math.ceil(tile.count / LANES)),
    block = columnBlock(q),
    ld = integer ? pairStride(block) : blockStride(q);
  const tasks: Task[] = [];
  for (let lane = 0; lane < LANES; lane++) {
    const r0 = lane * per,
      r1 = Math.min(tile.count, r0 + per);
    if (r0 >= r1) break;
    const scr = o.scratch + lane * o.laneRows * ld * (integer ? 2 : 4);
    const task: Task = [];
    for (let a = r0; a < r1; a += o.laneRows) {
      const n = Math.min(r1, a + o.laneRows) - a;
      for (let c0 = 0; c0 < q; c0 += block) {
        const c1 = Math.min(q, c0 + block);
        const src = tile.ptr + a * q * dtypeSize(tile.dtype), ya = y + a * l * 4, acc = c0 > 0 ? 1 : 0;
        task.push(
          integer
            ? { fn: `pcaRowsI16${k}`, args: [src, n, q, c0, c1, o.cPtr, scr, ld] }
            : { fn: `pcaRows${k}`, args: [src, n, q, c0, c1, o.cPtr, scr, ld] },
          integer
            ? { fn: "gemmI16", args: [n, l, Math.ceil((c1 - c0) / 2), scr, ld, o.zPtr + (c0 / 2) * l * 4, l, ya, l, acc, integer.kcp] }
            : { fn: "gemmF32", args: [n, l, c1 - c0, scr, ld, o.zPtr + c0 * l * 4, l, ya, l, acc] },
        );
      }
    }
    tasks.push(task);
  }
  return tasks;
}

/** Scratch of the sketch product for a dataset of this shape: each lane's converted group of rows. */
const sketchScratch = (shape: readonly number[]) => LANES * sketchLaneRows(pixels(shape)) * blockStride(pixels(shape));

/** Frames per tile of the sketch product: one group of rows per lane. */
const sketchTile = (shape: readonly number[]) => LANES * sketchLaneRows(pixels(shape));

/** Y = (D - 1 centre^T) Z, Z row-major Q x l. Tiles of `tileFrames` (default: one lane's rows per lane). With
 * `integer`, Z is packed once into 16-bit pairs (gemmI16PackB) and the lanes multiply in integers. */
export function sketchPass(
  Z: Float32Array,
  l: number,
  centre: Float32Array,
  tileFrames?: number,
  integer?: IntegerProducts,
): Reduction<Float32Array> {
  let ops: Omit<SketchOperands, "scratch">;
  return {
    name: "PCA sketch Y = D Z",
    buffers: (ctx) => ({
      Y: { kind: "nav", type: "f32", per: l },
      converted: { kind: "scratch", type: "f32", per: sketchScratch(ctx.shape) },
    }),
    tileFrames: (ctx) => tileFrames ?? sketchTile(ctx.shape),
    prepare(ctx) {
      ops = prepareSketch(ctx, Z, l, centre, integer);
    },
    process: (tile, ptr) => sketchTasks(tile, ptr.Y!, { ...ops, scratch: ptr.converted! }),
    finish: (buf) => unscale(buf.Y as Float32Array, l, integer?.scale),
  };
}

/** M diag(1 / scale) in place (M rows x l): the integer products' results in the data's units (exact: powers of 2). */
function unscale(M: Float32Array, l: number, scale: Float32Array | undefined): Float32Array {
  if (!scale) return M;
  const inv = scale.map((s) => 1 / s);
  for (let i = 0; i < M.length; i += l) for (let j = 0; j < l; j++) M[i + j]! *= inv[j]!;
  return M;
}

/** Frames per tile of the adjoint pass: each lane's part of Z is read and written once per tile, so the tile is
 * long enough that this traffic is small beside the product (2 x ADJOINT_TILE flops per float of Z). */
export const ADJOINT_TILE = 256;

/** Bytes of converted float32 frames a lane multiplies at a time: they stay in the L2 cache between conversion and
 * product. */
const SUBPANEL_BYTES = 1 << 20;

/** Pixels per sub-panel of a lane's panel of `width` pixels, for tiles of `frames`: a multiple of 4. */
function subPanelWidth(width: number, frames: number): number {
  const most = Math.max(4, Math.floor(SUBPANEL_BYTES / (frames * 4) / 4) * 4);
  return roundUp4(Math.ceil(width / Math.ceil(width / most)));
}

const roundUp16 = (n: number) => Math.ceil(n / 16) * 16;

/** Where the adjoint product of a tile finds its operands: the centres of the frames and of Y in the core, the
 * lanes' scratch (laneBytes each: the converted sub-panel, then the tile's rows of Y less their centre, as 16-bit
 * pairs and their scales, or float32), each lane's panel of pixels and its sub-panels, the centred sums of squares
 * (0: none) and integer products' pairs per 32-bit sum (0: float32). */
interface AdjointOperands {
  l: number;
  cPtr: number;
  yCentre: number;
  scratch: number;
  laneBytes: number;
  panel: number;
  sub: number;
  ss: number;
  kcp: number;
}

/** Bytes of adjoint scratch per lane for tiles of `frames`. */
function adjointLaneBytes(frames: number, l: number, kcp: number): number {
  return SUBPANEL_BYTES + (kcp ? roundUp16(Math.ceil(frames / 2) * l * 4) + roundUp16(l * 4) : roundUp16(frames * l * 4));
}

/** The adjoint product's tasks for one tile, Y's rows for the tile at y: each lane adds its panel of Z's rows,
 * (D - 1 centre^T)^T (Y - 1 yCentre^T) over the tile's frames. With integer products the lane packs the tile's rows
 * of Y less their centre into 16-bit pairs with scales of its own (gemmI16PackCentredB) and undoes them as it adds. */
function adjointTasks(tile: Tile, y: number, z: number, o: AdjointOperands): Task[] {
  const q = tile.rows * tile.cols,
    k = kernelSuffix(tile.dtype),
    n = tile.count,
    { l } = o;
  const pairs = Math.ceil(n / 2);
  const tasks: Task[] = [];
  for (let lane = 0; lane < LANES; lane++) {
    const c0 = lane * o.panel,
      c1 = Math.min(q, c0 + o.panel);
    if (c0 >= c1) break;
    // The lane's panel of pixels in sub-panels: each converted (transposed) and multiplied while in cache.
    const scr = o.scratch + lane * o.laneBytes,
      yOp = scr + SUBPANEL_BYTES,
      yScale = yOp + roundUp16(pairs * l * 4);
    const task: Task = o.kcp
      ? [{ fn: "gemmI16PackCentredB", args: [y, n, l, l, o.yCentre, yScale, yOp] }]
      : [{ fn: "pcaRowsF32", args: [y, n, l, 0, l, o.yCentre, yOp, l] }];
    for (let s0 = c0; s0 < c1; s0 += o.sub) {
      const s1 = Math.min(c1, s0 + o.sub), zs = z + s0 * l * 4;
      if (o.kcp) {
        task.push(
          { fn: `pcaColsI16${k}`, args: [tile.ptr, n, q, s0, s1, o.cPtr, scr, o.ss] },
          { fn: "gemmI16Scaled", args: [s1 - s0, l, pairs, scr, 2 * pairs, yOp, l, zs, l, o.kcp, yScale] },
        );
      } else {
        task.push(
          { fn: `pcaCols${k}`, args: [tile.ptr, n, q, s0, s1, o.cPtr, scr, o.ss] },
          { fn: "gemmF32", args: [s1 - s0, l, n, scr, n, yOp, l, zs, l, 1] },
        );
      }
    }
    tasks.push(task);
  }
  return tasks;
}

/** Checks and places the adjoint product's centres; the panels for tiles of `frames`. */
function prepareAdjoint(ctx: ReductionContext, l: number, centre: Float32Array, yCentre: Float32Array, frames: number, kcp: number): Omit<AdjointOperands, "scratch" | "ss"> {
  const q = pixels(ctx.shape);
  if (centre.length !== q) throw new RangeError(`adjoint: the centre has ${centre.length} values for ${q} pixels`);
  if (yCentre.length !== l) throw new RangeError(`adjoint: Y's centre has ${yCentre.length} values for ${l} columns`);
  const panel = roundUp4(Math.ceil(q / LANES));
  return {
    l, cPtr: ctx.input(kcp ? centreI16(centre) : centre), yCentre: ctx.input(yCentre), laneBytes: adjointLaneBytes(frames, l, kcp),
    panel, sub: subPanelWidth(panel, frames), kcp,
  };
}

export interface AdjointResult {
  /** Q x l, row-major. */
  Z: Float32Array;
  /** Per pixel, the sum over frames of (d - centre)^2 (float64), when asked for. */
  sumSquares?: Float64Array;
}

/** Z = (D - 1 centre^T)^T (Y - 1 yCentre^T), Y row-major P x l; optionally the centred sums of squares per pixel.
 * yCentre (Y's column means, or near them) keeps the float32 products from adding large multiples of the nearly zero
 * column sums of the centred frames, and the 16-bit values of Y from spending their range on an offset. `kcp` > 0:
 * 16-bit integer products with that many pairs per 32-bit sum (see IntegerProducts). */
export function adjointPass(
  Y: Float32Array,
  l: number,
  centre: Float32Array,
  yCentre: Float32Array,
  sumSquares = false,
  kcp = 0,
): Reduction<AdjointResult> {
  let yPtr = 0,
    ops: Omit<AdjointOperands, "scratch" | "ss">;
  return {
    name: "PCA adjoint Z = D^T Y",
    buffers: (ctx) => ({
      Z: { kind: "single", type: "f32", per: pixels(ctx.shape) * l, write: "ordered" },
      ...(sumSquares ? { ss: { kind: "single", type: "f64", per: pixels(ctx.shape), write: "ordered" } as const } : {}),
      converted: { kind: "scratch", type: "f32", per: (LANES * adjointLaneBytes(ADJOINT_TILE, l, kcp)) / 4 },
    }),
    tileFrames: () => ADJOINT_TILE,
    prepare(ctx) {
      const P = frames(ctx.shape);
      if (Y.length !== P * l) throw new RangeError(`adjoint: Y has ${Y.length} values, expected ${P} x ${l}`);
      ops = prepareAdjoint(ctx, l, centre, yCentre, ADJOINT_TILE, kcp);
      yPtr = ctx.input(Y);
    },
    process: (tile, ptr) =>
      adjointTasks(tile, yPtr + tile.start * l * 4, ptr.Z!, { ...ops, scratch: ptr.converted!, ss: sumSquares ? ptr.ss! : 0 }),
    finish: (buf) => ({ Z: buf.Z as Float32Array, sumSquares: sumSquares ? (buf.ss as Float64Array) : undefined }),
  };
}

export interface SketchAdjointResult {
  /** P x l: (D - 1 centre^T) Z. */
  Y: Float32Array;
  /** Q x l: (D - 1 centre^T)^T (Y - 1 yCentre^T). */
  W: Float32Array;
}

/** The sketch and the adjoint in one pass over the frames: each tile's rows of Y = (D - 1 centre^T) Z first, then,
 * with the tile's frames still in memory, W += (D - 1 centre^T)^T (Y - 1 yCentre^T) over the tile (yCentre known
 * in advance: Y's column means follow from the column sums). One read and one conversion per tile instead of
 * two passes; the same products, so the same results as sketchPass then adjointPass, up to rounding. With
 * `integer`, Z is taken as in sketchPass and the adjoint multiplies in integers as in adjointPass. */
export function sketchAdjointPass(
  Z: Float32Array,
  l: number,
  centre: Float32Array,
  yCentre: Float32Array,
  integer?: IntegerProducts,
): Reduction<SketchAdjointResult> {
  let sketch: Omit<SketchOperands, "scratch">,
    adjoint: Omit<AdjointOperands, "scratch" | "ss">;
  const kcp = integer?.kcp ?? 0;
  return {
    name: "PCA sketch and adjoint Y = D Z, W = D^T Y",
    buffers: (ctx) => ({
      Y: { kind: "nav", type: "f32", per: l },
      W: { kind: "single", type: "f32", per: pixels(ctx.shape) * l, write: "ordered" },
      converted: { kind: "scratch", type: "f32", per: sketchScratch(ctx.shape) },
      adjoint: { kind: "scratch", type: "f32", per: (LANES * adjointLaneBytes(sketchTile(ctx.shape), l, kcp)) / 4 },
    }),
    tileFrames: (ctx) => sketchTile(ctx.shape),
    prepare(ctx) {
      sketch = prepareSketch(ctx, Z, l, centre, integer);
      // The sketch's integer products leave Y scaled by the scales of Z: its centre too.
      const scaled = integer ? yCentre.map((v, j) => v * integer.scale[j]!) : yCentre;
      adjoint = prepareAdjoint(ctx, l, centre, scaled, sketchTile(ctx.shape), kcp);
    },
    process: (tile, ptr) => sketchTasks(tile, ptr.Y!, { ...sketch, scratch: ptr.converted! }),
    processAfter: (tile, ptr) => adjointTasks(tile, ptr.Y!, ptr.W!, { ...adjoint, scratch: ptr.adjoint!, ss: 0 }),
    finish: (buf) => ({
      Y: unscale(buf.Y as Float32Array, l, integer?.scale),
      W: unscale(buf.W as Float32Array, l, integer?.scale),
    }),
  };
}

/** The largest and smallest value of the data, and the largest distance of any value from an integer (NaN when a
 * value is not finite): whether PCA can multiply in 16-bit integers. */
export interface ValueRange {
  hi: number;
  lo: number;
  frac: number;
}

/** The column sums of D in float64: the sum pattern. `tileFrames` should match the passes it runs beside, so that
 * the executor's blocks (a whole number of every reduction's tiles) stay small. */
export function columnSums(tileFrames?: number): Reduction<Float64Array> {
  return {
    name: "PCA column sums",
    tileFrames: tileFrames ? () => tileFrames : undefined,
    buffers: () => ({ sum: { kind: "sig", type: "f64" } }),
    process(tile, ptr) {
      return [
        [
          {
            fn: `accumulateF64${kernelSuffix(tile.dtype)}`,
            args: [tile.ptr, tile.count, tile.rows * tile.cols, ptr.sum!],
          },
        ],
      ];
    },
    finish: (buf) => buf.sum as Float64Array,
  };
}

function pixels(shape: readonly number[]): number {
  return shape[shape.length - 2]! * shape[shape.length - 1]!;
}
function frames(shape: readonly number[]): number {
  return shape.slice(0, -2).reduce((a, b) => a * b, 1);
}

/** Frames per tile of the Gram pass: the float32 products sum this many frames before each float64 addition. */
export const GRAM_TILE = 256;

/** Column panels of the Gram matrix (lower triangle by row panels) and the lane that computes each: panel i costs
 * about i + 1, so panels are dealt to lanes back and forth (0 1 .. L-1 L-1 .. 1 0 0 1 ..) to even the work out. */
export function gramPanels(q: number): { c0: number; c1: number; lane: number }[] {
  const pw = roundUp4(Math.ceil(q / (LANES * 4)));
  const out: { c0: number; c1: number; lane: number }[] = [];
  for (let i = 0, c0 = 0; c0 < q; i++, c0 += pw) {
    const t = i % (2 * LANES);
    out.push({ c0, c1: Math.min(q, c0 + pw), lane: t < LANES ? t : 2 * LANES - 1 - t });
  }
  return out;
}

/** The Gram matrix G = (D - 1 centre^T)^T (D - 1 centre^T), Q x Q row-major: the lower triangle and the diagonal
 * blocks of the panel grid are computed (the rest is left at zero). Sums over tiles in float64 (`f64`) or float32
 * (when Q x Q float64 would exceed the core's 1 GiB region limit). */
export function gramPass(centre: Float32Array, type: "f64" | "f32"): Reduction<Float64Array | Float32Array> {
  let cPtr = 0,
    laneBytes = 0;
  let panels: { c0: number; c1: number; lane: number }[] = [];
  // Per lane: the tile's frames converted up to the lane's last column, and one panel converted transposed.
  const bytesPerLane = (q: number, panels: { c0: number; c1: number }[]) =>
    GRAM_TILE * paddedStride(q) * 4 + (panels[0]!.c1 - panels[0]!.c0) * GRAM_TILE * 4;
  return {
    name: "PCA Gram matrix",
    buffers: (ctx) => {
      const q = pixels(ctx.shape);
      return {
        G: { kind: "single", type, per: q * q, write: "ordered" },
        converted: { kind: "scratch", type: "f32", per: (LANES * bytesPerLane(q, gramPanels(q))) / 4 },
      };
    },
    tileFrames: () => GRAM_TILE,
    prepare(ctx) {
      const q = pixels(ctx.shape);
      if (centre.length !== q) throw new RangeError(`Gram: the centre has ${centre.length} values for ${q} pixels`);
      panels = gramPanels(q);
      laneBytes = bytesPerLane(q, panels);
      cPtr = ctx.input(centre);
    },
    process(tile, ptr) {
      const q = tile.rows * tile.cols,
        k = kernelSuffix(tile.dtype),
        n = tile.count;
      const tasks: Task[] = [];
      for (let lane = 0; lane < LANES; lane++) {
        const mine = panels.filter((p) => p.lane === lane);
        if (mine.length === 0) continue;
        const width = Math.max(...mine.map((p) => p.c1)),
          ld = paddedStride(width);
        const bScr = ptr.converted! + lane * laneBytes,
          aScr = bScr + GRAM_TILE * paddedStride(q) * 4;
        const task: Task = [{ fn: `pcaRows${k}`, args: [tile.ptr, n, q, 0, width, cPtr, bScr, ld] }];
        for (const p of mine) {
          task.push({ fn: `pcaCols${k}`, args: [tile.ptr, n, q, p.c0, p.c1, cPtr, aScr, 0] });
          // G[c0:c1, 0:c1] += panel^T (c1 - c0 rows) times the frames' columns 0:c1.
          task.push(
            type === "f64"
              ? { fn: "gemmF32AccF64", args: [p.c1 - p.c0, p.c1, n, aScr, n, bScr, ld, ptr.G! + p.c0 * q * 8, q] }
              : { fn: "gemmF32", args: [p.c1 - p.c0, p.c1, n, aScr, n, bScr, ld, ptr.G! + p.c0 * q * 4, q, 1] },
          );
        }
        tasks.push(task);
      }
      return tasks;
    },
    finish: (buf) => buf.G as Float64Array | Float32Array,
  };
}

/** A sparse sign matrix Omega (Q x l) with s non-zeros per row: their columns (distinct within a row) and values
 * +-1/sqrt(s), from a seeded generator. */
export interface SparseSign {
  s: number;
  idx: Int32Array;
  val: Float32Array;
}

export interface FirstPassResult {
  /** The column sums of D (float64). */
  sums: Float64Array;
  /** P x l: D Omega (no centre: the caller corrects with the column sums). */
  Y: Float32Array;
  range: ValueRange;
}

/** Frames per tile of the first pass for frames of `frameBytes`: about 8 MiB (a multiple of 4 frames, at least 4),
 * so that a 32 MiB block holds several tiles for the workers to share and the per-tile column sums fold rarely. */
export function firstPassTile(frameBytes: number): number {
  return Math.max(4, Math.floor((8 << 20) / frameBytes / 4) * 4);
}

/** PCA's first pass in one sweep of each tile (assembly/pca-first.ts): the column sums of D, the value range and the
 * sparse sketch D Omega. One task per tile (its column sums are the tile's partial); tiles run side by side. */
export function firstPass(omega: SparseSign, l: number, tileFrames: number): Reduction<FirstPassResult> {
  let idxPtr = 0,
    valPtr = 0;
  return {
    name: "PCA first pass: column sums, value range, sparse sketch Y = D Omega",
    buffers: () => ({
      Y: { kind: "nav", type: "f32", per: l },
      sum: { kind: "sig", type: "f64" },
      hi: { kind: "single", type: "f32", merge: "max" },
      lo: { kind: "single", type: "f32", merge: "min" },
      frac: { kind: "single", type: "f32", merge: "max", fill: 0 },
      work: { kind: "scratch", type: "f32", per: 4 * l },
    }),
    tileFrames: () => tileFrames,
    prepare(ctx) {
      const q = pixels(ctx.shape);
      if (omega.idx.length !== q * omega.s)
        throw new RangeError(`PCA first pass: ${omega.idx.length} indices of Omega for ${q} pixels x ${omega.s}`);
      idxPtr = ctx.input(omega.idx);
      valPtr = ctx.input(omega.val);
    },
    process: (tile, ptr) => [[{
      fn: `pcaFirstPass${kernelSuffix(tile.dtype)}`,
      args: [tile.ptr, tile.count, tile.rows * tile.cols, idxPtr, valPtr, omega.s, l, ptr.Y!, ptr.work!, ptr.sum!, ptr.hi!, ptr.lo!, ptr.frac!],
    }]],
    finish: (buf) => ({
      sums: buf.sum as Float64Array, Y: buf.Y as Float32Array,
      range: { hi: buf.hi![0]!, lo: buf.lo![0]!, frac: buf.frac![0]! },
    }),
  };
}
