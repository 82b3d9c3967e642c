// Live streams over real ZeroMQ sockets on 127.0.0.1: a sender and a receiver in this process, results compared bit
// for bit with one pass over the same frames in memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, annulusMask, centerOfMass, diskMask, memoryDataset, patternStats, runReductions, simulateTwoPhase, virtualImages, type Reduction } from "../../bindings/node.js";
import { sendDataset } from "../../bindings/scale/stream-send.js";
import { StreamReceiver } from "../../bindings/scale/stream-receive.js";
import { PROTOCOL_VERSION, encodeHeader, type Header } from "../../bindings/scale/protocol.js";
import { Push } from "zeromq";

const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

function analyses(rows: number, cols: number): Reduction<unknown>[] {
  const c = { cy: (rows - 1) / 2, cx: (cols - 1) / 2 };
  return [virtualImages([diskMask(rows, cols, c, 4), annulusMask(rows, cols, c, 6, 14)]), centerOfMass(rows, cols, c), patternStats()];
}

async function stream(ds: ReturnType<typeof memoryDataset>, send: Omit<Parameters<typeof sendDataset>[1], "to">, receive: { tileFrames?: number; batchBytes?: number; highWaterMark?: number; onBlock?: () => Promise<void> } = {}) {
  const rx = await StreamReceiver.bind("tcp://127.0.0.1:*", { highWaterMark: receive.highWaterMark });
  try {
    const [rows, cols] = ds.shape.slice(-2) as [number, number];
    const got = rx.receive(core, { analyses: () => analyses(rows, cols), tileFrames: receive.tileFrames, batchBytes: receive.batchBytes, onBlock: receive.onBlock, firstTimeoutMs: 10_000, idleTimeoutMs: 5_000 });
    const sent = sendDataset(ds, { to: rx.endpoint, timeoutMs: 10_000, ...send });
    const [r, s] = await Promise.allSettled([got, sent]);
    if (s.status === "rejected") throw s.reason;
    if (r.status === "rejected") throw r.reason;
    return { received: r.value, sent: s.value };
  } finally {
    rx.close();
  }
}

describe("ZeroMQ live stream", () => {
  it("gives results bit-identical to one pass, for blocks that straddle tiles (float data, so sum order shows)", async () => {
    // Random float32 frames spanning 2^-30..2^20: their float64 sums are inexact, so a different association of
    // the per-pixel sums (merging whole block sums instead of folding tile after tile) changes low bits.
    const shape = [9, 13, 24, 20];
    const data = new Float32Array(shape.reduce((a, b) => a * b));
    let s = 12345;
    for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = (1 + s / 2 ** 32) * 2 ** ((s >>> 5) % 50 - 30); }
    const ds = memoryDataset(data, shape);
    const want = await runReductions(core, ds, analyses(24, 20), { tileFrames: 5 });
    const { received, sent } = await stream(ds, { blockFrames: 7 }, { tileFrames: 5, batchBytes: 1 });
    expect(sent).toMatchObject({ blocks: 17, frames: 117, bytes: data.byteLength });
    expect(received).toMatchObject({ series: sent.series, blocks: 17, frames: 117, shape, dtype: "f32", bytes: data.byteLength });
    const [v, com, st] = received.results as typeof want;
    const [wv, wcom, wst] = want as [{ images: Float32Array[] }, { comY: Float32Array; comX: Float32Array }, { sum: Float64Array; max: Float32Array }];
    for (let m = 0; m < 2; m++) expect(bits((v as typeof wv).images[m]!).equals(bits(wv.images[m]!))).toBe(true);
    expect(bits((com as typeof wcom).comY).equals(bits(wcom.comY))).toBe(true);
    expect(bits((com as typeof wcom).comX).equals(bits(wcom.comX))).toBe(true);
    expect(bits((st as typeof wst).sum).equals(bits(wst.sum))).toBe(true);
    expect(bits((st as typeof wst).max).equals(bits(wst.max))).toBe(true);
    // Independent check of one value: the sum of pixel 0 over all frames, in plain JS.
    let p0 = 0;
    for (let f = 0; f < 117; f++) p0 += data[f * 480]!;
    expect(Math.abs((st as typeof wst).sum[0]! - p0)).toBeLessThan(1e-9 * p0);
  });

  it("reduces simulated u16 data sent with the default blocks and a frame rate", async () => {
    const { dataset } = simulateTwoPhase({ scan: [16, 16], detector: [32, 32], seed: 3, dose: 3000 });
    const want = await runReductions(core, dataset, analyses(32, 32));
    const t0 = performance.now();
    const { received } = await stream(dataset, { blockFrames: 16, rate: 1000 });
    expect(performance.now() - t0).toBeGreaterThan(240); // 256 frames at 1000 fps: the sender paced itself
    const [v] = received.results as [{ images: Float32Array[] }];
    expect(bits(v.images[1]!).equals(bits((want[0] as typeof v).images[1]!))).toBe(true);
    expect(v.images[0]!.some((x) => x > 0)).toBe(true);
  });

  it("names the missing block and frames when a block is lost", async () => {
    const { dataset } = simulateTwoPhase({ scan: [8, 8], detector: [16, 16], seed: 1 });
    await expect(stream(dataset, { blockFrames: 7, skip: [2] })).rejects.toThrow(/block seq 2 never arrived \(frames 14-20 missing\); next came block seq 3 starting at frame 21/);
    await expect(stream(dataset, { blockFrames: 10, skip: [6] })).rejects.toThrow(/block seq 6 never arrived \(frames 60-63 missing\); next came the end of the series \(64 frames\)/);
  });

  it("rejects a duplicate block, a block of another series and a payload of the wrong size", async () => {
    // Hand-made messages on a real PUSH socket, as a detector's own sender would write them.
    const shape = [2, 2, 4, 4];
    const frames = (seq: number, extra: Partial<Header> = {}) =>
      encodeHeader({ stem4d: PROTOCOL_VERSION, type: "frames", series: "A", seq, first: seq * 2, count: 2, dtype: "u16", shape, ...extra } as Header);
    const cases: [Uint8Array[][], RegExp][] = [
      [[[frames(0), new Uint8Array(64)], [frames(1), new Uint8Array(64)], [frames(1), new Uint8Array(64)]], /duplicate block seq 1 of series "A" \(seq 0-1 already received\)/],
      [[[frames(0), new Uint8Array(64)], [frames(1, { series: "B" }), new Uint8Array(64)]], /a block of series "B" arrived while receiving series "A"/],
      [[[frames(0), new Uint8Array(60)]], /message seq 0: payload of 60 bytes; 2 frames of \[4, 4\] u16 need 64/],
    ];
    for (const [messages, error] of cases) {
      const rx = await StreamReceiver.bind("tcp://127.0.0.1:*");
      const push = new Push({ linger: 0 });
      push.connect(rx.endpoint);
      try {
        const got = rx.receive(core, { analyses: () => [patternStats()], firstTimeoutMs: 5_000, idleTimeoutMs: 2_000 });
        for (const m of messages) await push.send(m);
        await expect(got).rejects.toThrow(error);
      } finally {
        push.close();
        rx.close();
      }
    }
  });

  it("holds bounded memory while a slow reducer pushes back on the sender", async () => {
    // 48 blocks of 1 MiB; the receiver takes 15 ms per block. Without backpressure the sender would finish at once
    // and all 48 MiB would queue at the receiver.
    const shape = [48, 8, 256, 256];
    const ds = memoryDataset(new Uint16Array(shape.reduce((a, b) => a * b)).fill(1), shape);
    let sentBlocks = 0, takenBlocks = 0, ahead = 0;
    const { received } = await stream(
      ds,
      { blockFrames: 8, highWaterMark: 2, onProgress: (f) => { sentBlocks = f / 8; ahead = Math.max(ahead, sentBlocks - takenBlocks); } },
      { highWaterMark: 2, batchBytes: 1, onBlock: async () => { takenBlocks++; await new Promise((r) => setTimeout(r, 15)); } },
    );
    expect(received.frames).toBe(384);
    // Blocks sent but not yet taken: the two ZeroMQ queues (2 + 2) and what the kernel's loopback socket buffers hold.
    expect(ahead).toBeLessThanOrEqual(20);
    // Frames held by the receiver itself: at most one tile (2 MiB, the executor's default: 16 frames = 2 blocks),
    // whose frames wait until the tile is complete.
    expect(received.maxHeldBytes).toBeLessThanOrEqual(2 << 20);
    console.log(`backpressure: at most ${ahead} of 48 blocks in flight, ${received.maxHeldBytes} bytes held`);
  });
});
