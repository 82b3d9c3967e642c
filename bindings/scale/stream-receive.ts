// Node-only (scale-out; uses the zeromq native addon). The analysis side of a live stream: a ZeroMQ PULL socket
// whose blocks are reduced AS THEY ARRIVE by the ordinary executor, on a live dataset view (live-dataset.ts).
//
// Determinism: ranges are reduced in frame order, each starting on a tile boundary, and each pass continues from the
// previous partial states (runPartials' `initial`), so every tile's partial is folded in exactly the order of one
// pass over a file: the results are bit-identical to runReductions on the same frames, however the sender cut its
// blocks. Frames of an unfinished tile wait for the next block.
// Backpressure: we only take the next message once the previous one is handled; ZeroMQ queues at most
// `highWaterMark` messages here and at the sender, after which the sender's `send` waits. Memory held: those queues,
// the kernel's socket buffers, and the frames not yet reduced (< one batch + one tile + one block).
import { Pull } from "zeromq";
import type { Core } from "../core.js";
import type { Dtype } from "../dtype.js";
import { type Dataset, frameBytes, frameCount } from "../dataset.js";
import { type PartialState, finishState, runPartials, tileUnit } from "../executor.js";
import type { Reduction } from "../reduction.js";
import { blockDataset, liveDataset } from "./live-dataset.js";
import { type FramesHeader, decodeMessage } from "./protocol.js";

export interface Layout {
  shape: number[];
  dtype: Dtype;
}

export interface ReceiveOptions {
  /** Builds the analyses once the first block tells the layout (detector masks need the detector's size);
   * `firstBlock` holds that block's frames (e.g. to find the pattern centre). */
  analyses: (layout: Layout, firstBlock: Dataset) => Reduction<unknown>[] | Promise<Reduction<unknown>[]>;
  /** How long to wait for any message before failing; default 60 s (the first block) and 30 s (later ones). */
  firstTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Bytes of frames gathered before a reduction pass; default 16 MiB. Larger batches amortize the per-pass cost
   * (nav buffers are copied once per pass), smaller ones hold less. */
  batchBytes?: number;
  tileFrames?: number;
  /** Called after each block is taken off the socket, before it is reduced (progress display, tests of a slow
   * consumer). */
  onBlock?: (header: FramesHeader, heldBytes: number) => void | Promise<void>;
  onProgress?: (framesReduced: number, framesTotal: number) => void;
}

export interface ReceiveResult<T extends unknown[] = unknown[]> {
  series: string;
  shape: number[];
  dtype: Dtype;
  blocks: number;
  frames: number;
  bytes: number;
  /** From the first message to the results. */
  seconds: number;
  /** The most bytes of frames this process held at once outside ZeroMQ's queues. */
  maxHeldBytes: number;
  results: T;
}

export class StreamReceiver {
  private constructor(private readonly pull: Pull, readonly endpoint: string) {}

  /** Binds a PULL socket, e.g. tcp://*:5555, or tcp://127.0.0.1:* for any free port (see `endpoint`). */
  static async bind(address: string, options: { highWaterMark?: number } = {}): Promise<StreamReceiver> {
    const pull = new Pull({ receiveHighWaterMark: options.highWaterMark ?? 4, linger: 0 });
    try {
      await pull.bind(address);
    } catch (e) {
      pull.close();
      throw new Error(`cannot listen on ${address}: ${(e as Error).message}`);
    }
    return new StreamReceiver(pull, pull.lastEndpoint ?? address);
  }

  /** Receives one series and returns the analyses' results in order. */
  async receive<T extends unknown[] = unknown[]>(core: Core, o: ReceiveOptions): Promise<ReceiveResult<T>> {
    const where = this.endpoint;
    let t0 = 0; // from the first message: waiting for the sender to start is not receiving
    let series: string | undefined;
    let layout: Layout | undefined;
    let live: ReturnType<typeof liveDataset> | undefined;
    let reductions: Reduction<unknown>[] = [];
    let states: PartialState[] | undefined;
    let unit = 1, total = 0, fb = 0;
    let seq = 0, reduced = 0, bytes = 0, maxHeld = 0;

    const reduceTo = async (frontier: number) => {
      states = await runPartials(core, live!.dataset, reductions, { range: [reduced, frontier], initial: states, tileFrames: o.tileFrames });
      reduced = frontier;
      live!.frames.release(reduced);
      o.onProgress?.(reduced, total);
    };

    for (;;) {
      this.pull.receiveTimeout = seq === 0 ? (o.firstTimeoutMs ?? 60_000) : (o.idleTimeoutMs ?? 30_000);
      let parts: Uint8Array[];
      try {
        parts = await this.pull.receive();
      } catch (e) {
        if ((e as { code?: string }).code !== "EAGAIN") throw e;
        const got = live ? `after block ${seq - 1} (frames 0-${live.frames.framesArrived - 1} of ${total})` : "before the first block";
        throw new Error(`${where}: no message for ${this.pull.receiveTimeout / 1000} s ${got}`);
      }
      if (seq === 0) t0 = performance.now();
      const { header, payload } = decodeMessage(parts, where);
      series ??= header.series;
      if (header.series !== series) throw new Error(`${where}: a block of series "${header.series}" arrived while receiving series "${series}"`);
      const arrived = live?.frames.framesArrived ?? 0;
      if (header.seq < seq) throw new Error(`${where}: duplicate block seq ${header.seq} of series "${series}" (seq 0-${seq - 1} already received)`);
      if (header.seq > seq) {
        const next = header.type === "end" ? `the end of the series (${header.frames} frames)` : `block seq ${header.seq} starting at frame ${header.first}`;
        const lost = header.seq - 1 === seq ? `seq ${seq}` : `seq ${seq}-${header.seq - 1}`;
        const framesEnd = header.type === "end" ? header.frames : header.first;
        throw new Error(`${where}: series "${series}": block ${lost} never arrived (frames ${arrived}-${framesEnd - 1} missing); next came ${next}`);
      }
      seq++;

      if (header.type === "end") {
        if (!live) throw new Error(`${where}: series "${series}" ended without a single frame block`);
        if (header.frames !== total || arrived !== total) {
          throw new Error(`${where}: series "${series}" ended after frames 0-${arrived - 1} of ${total} (the end message says ${header.frames})`);
        }
        if (reduced < total) await reduceTo(total);
        break;
      }

      if (!live) {
        layout = { shape: header.shape, dtype: header.dtype };
        live = liveDataset(layout.shape, layout.dtype, `${where} series "${series}"`);
        total = frameCount(live.dataset);
        fb = frameBytes(live.dataset);
        reductions = await o.analyses(layout, blockDataset(header, payload, live.frames.name));
        unit = tileUnit(core, live.dataset, reductions, o.tileFrames);
      } else if (header.dtype !== layout!.dtype || header.shape.join() !== layout!.shape.join()) {
        throw new Error(`${where}: block seq ${header.seq} is [${header.shape.join(", ")}] ${header.dtype}; the series began as [${layout!.shape.join(", ")}] ${layout!.dtype}`);
      }
      if (header.first !== arrived) throw new Error(`${where}: block seq ${header.seq} starts at frame ${header.first}; frames 0-${arrived - 1} came before it, so frame ${arrived} was expected`);
      live.frames.push(header.first, payload);
      bytes += payload.length;
      maxHeld = Math.max(maxHeld, live.frames.heldBytes);
      await o.onBlock?.(header, live.frames.heldBytes);

      const now = live.frames.framesArrived;
      const frontier = now === total ? total : Math.floor(now / unit) * unit;
      if (frontier > reduced && (frontier === total || (frontier - reduced) * fb >= (o.batchBytes ?? 16 << 20))) await reduceTo(frontier);
    }

    const results = reductions.map((r, i) => finishState(core, live!.dataset, r, states![i]!)) as T;
    return { series: series!, shape: layout!.shape, dtype: layout!.dtype, blocks: seq - 1, frames: total, bytes, seconds: (performance.now() - t0) / 1000, maxHeldBytes: maxHeld, results };
  }

  close(): void {
    this.pull.close();
  }
}
