// Reductions over frames that arrive in order (a live stream): frames are held in a live dataset until a batch of
// whole tiles is there, then reduced by the ordinary executor, each pass continuing from the previous partial
// states. Every tile's partial is folded in the order of one pass over a file, so the results are bit-identical to
// runReductions on the same frames however the frames were cut into blocks.
import type { Core } from "../core.js";
import type { Dtype } from "../dtype.js";
import { frameBytes, frameCount } from "../dataset.js";
import { type PartialState, copyState, finishState, runPartials, tileUnit } from "../executor.js";
import type { Reduction } from "../reduction.js";
import { liveDataset } from "./live-dataset.js";

export interface LiveReduceOptions {
  /** Bytes of frames gathered before a reduction pass; default 16 MiB. */
  batchBytes?: number;
  tileFrames?: number;
  onProgress?: (framesReduced: number, framesTotal: number) => void;
  /** After every block of frames pushed (reduceArrived() and snapshot() give running results). */
  onFrames?: (reducer: LiveReducer) => void | Promise<void>;
}

export class LiveReducer {
  private readonly live: ReturnType<typeof liveDataset>;
  private states?: PartialState[];
  private reduced = 0;
  private readonly unit: number;
  private readonly total: number;
  private readonly fb: number;
  /** The most bytes of frames held at once. */
  maxHeldBytes = 0;

  constructor(private readonly core: Core, shape: readonly number[], dtype: Dtype, private readonly reductions: Reduction<unknown>[], name: string, private readonly o: LiveReduceOptions = {}) {
    this.live = liveDataset(shape, dtype, name);
    this.total = frameCount(this.live.dataset);
    this.fb = frameBytes(this.live.dataset);
    this.unit = tileUnit(core, this.live.dataset, reductions, o.tileFrames);
  }

  get framesArrived(): number {
    return this.live.frames.framesArrived;
  }

  /** The next frames, in order; reduces once a batch of whole tiles (or the last frame) is there. */
  async push(first: number, bytes: Uint8Array): Promise<void> {
    this.live.frames.push(first, bytes);
    this.maxHeldBytes = Math.max(this.maxHeldBytes, this.live.frames.heldBytes);
    const frontier = this.frontier();
    if (frontier > this.reduced && (frontier === this.total || (frontier - this.reduced) * this.fb >= (this.o.batchBytes ?? 16 << 20))) await this.reduceTo(frontier);
    await this.o.onFrames?.(this);
  }

  /** Reduces the whole tiles of the frames arrived so far now, not waiting for a batch. */
  async reduceArrived(): Promise<void> {
    const frontier = this.frontier();
    if (frontier > this.reduced) await this.reduceTo(frontier);
  }

  /** The last frame of whole tiles arrived (or the series' end). */
  private frontier(): number {
    const now = this.live.frames.framesArrived;
    return now === this.total ? this.total : Math.floor(now / this.unit) * this.unit;
  }

  get framesTotal(): number {
    return this.total;
  }

  /** Frames [0, framesReduced) are in the running states. */
  get framesReduced(): number {
    return this.reduced;
  }

  /** Reduction i's result from a copy of its running state (the frames reduced so far; the running state goes on
   * unchanged), or undefined before the first pass. */
  snapshot(i: number): unknown {
    const state = this.states?.[i];
    if (!state) return undefined;
    return finishState(this.core, this.live.dataset, this.reductions[i]!, copyState(state));
  }

  /** The results once every frame has arrived. */
  async finish(): Promise<unknown[]> {
    if (this.framesArrived !== this.total) throw new Error(`${this.live.frames.name}: results asked for after frames 0-${this.framesArrived - 1} of ${this.total}`);
    if (this.reduced < this.total) await this.reduceTo(this.total);
    return this.reductions.map((r, i) => finishState(this.core, this.live.dataset, r, this.states![i]!));
  }

  private async reduceTo(frontier: number): Promise<void> {
    this.states = await runPartials(this.core, this.live.dataset, this.reductions, { range: [this.reduced, frontier], initial: this.states, tileFrames: this.o.tileFrames });
    this.reduced = frontier;
    this.live.frames.release(frontier);
    this.o.onProgress?.(frontier, this.total);
  }
}
