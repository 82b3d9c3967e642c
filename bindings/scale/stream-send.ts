// Node-only (scale-out; uses the zeromq native addon). The detector/edge side of a live stream: pushes a dataset's
// frames as blocks over ZeroMQ PUSH, each with a header (series, sequence number, first frame, count, dtype,
// shape; protocol.ts), then an end-of-series message. `await send` waits while the socket's high-water mark is
// reached, so a slow receiver slows the sender instead of filling memory.
import { Push } from "zeromq";
import { type Dataset, frameBytes, frameCount } from "../dataset.js";
import { streamFrames } from "../pipeline.js";
import { PROTOCOL_VERSION, encodeHeader } from "./protocol.js";

export interface SendOptions {
  /** Where the receiver listens, e.g. tcp://10.0.0.5:5555. */
  to: string;
  /** The series id; default a random one. */
  series?: string;
  /** Frames per block; default about 4 MiB of frames. */
  blockFrames?: number;
  /** Frames per second at most (a detector's pace); default as fast as the receiver takes them. */
  rate?: number;
  /** Blocks queued in the socket before `send` waits (ZMQ_SNDHWM); default 4. */
  highWaterMark?: number;
  /** How long one block may wait for the receiver before the send fails; default 60 s. */
  timeoutMs?: number;
  /** Sequence numbers to leave out (a lost block, for testing receivers). */
  skip?: number[];
  onProgress?: (framesSent: number, framesTotal: number) => void;
}

export interface SendSummary {
  series: string;
  blocks: number;
  frames: number;
  bytes: number;
  seconds: number;
}

export async function sendDataset(ds: Dataset, o: SendOptions): Promise<SendSummary> {
  const P = frameCount(ds), fb = frameBytes(ds);
  const blockFrames = o.blockFrames ?? Math.max(1, Math.floor((4 << 20) / fb));
  if (!Number.isInteger(blockFrames) || blockFrames < 1) throw new RangeError(`blockFrames: expected a positive integer, got ${blockFrames}`);
  if (o.rate !== undefined && !(o.rate > 0)) throw new RangeError(`rate: expected a positive number of frames per second, got ${o.rate}`);
  const series = o.series ?? `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const timeout = o.timeoutMs ?? 60_000;
  const skip = new Set(o.skip ?? []);
  const push = new Push({ sendHighWaterMark: o.highWaterMark ?? 4, sendTimeout: timeout, linger: timeout });
  push.connect(o.to);
  const t0 = performance.now();
  const blocks = Math.ceil(P / blockFrames);
  let bytes = 0;
  const send = async (what: string, parts: Uint8Array[]) => {
    try {
      await push.send(parts);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN") throw new Error(`${o.to}: no receiver took ${what} within ${timeout / 1000} s`);
      throw new Error(`${o.to}: sending ${what} failed: ${(e as Error).message}`);
    }
  };
  let finished = false;
  try {
    // Fresh buffers: ZeroMQ may still hold a block while it is queued.
    await streamFrames(ds, {
      async write(buf, first, count) {
        const b = first / blockFrames;
        if (o.rate !== undefined) {
          const wait = t0 + (first / o.rate) * 1000 - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        if (skip.has(b)) return;
        const header = encodeHeader({ stem4d: PROTOCOL_VERSION, type: "frames", series, seq: b, first, count, dtype: ds.dtype, shape: [...ds.shape] });
        await send(`block ${b} (frames ${first}-${first + count - 1})`, [header, buf]);
        bytes += buf.length;
      },
    }, { blockFrames, freshBuffers: true, onProgress: o.onProgress });
    await send("the end-of-series message", [encodeHeader({ stem4d: PROTOCOL_VERSION, type: "end", series, seq: blocks, frames: P }), new Uint8Array(0)]);
    finished = true;
  } finally {
    // close() keeps queued messages for up to `linger` ms, delivered by ZeroMQ's I/O thread; after a failure there
    // is nothing worth delivering, and lingering would only hold the process at exit.
    if (!finished) push.linger = 0;
    push.close();
  }
  return { series, blocks, frames: P, bytes, seconds: (performance.now() - t0) / 1000 };
}
