// Compressed live streams over real sockets on 127.0.0.1 (ZeroMQ, WebSocket, and WebSocket over TLS with a throwaway
// CA, with and without a client certificate the receiver asks for: every test runs over each), sender
// and receiver in this process: for every encoding the received container decodes to exactly what the file encoders write, the receiver's images equal one
// pass over those frames, and lost, damaged or repeated chunks are recovered from the sender's ring.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Core, MemorySink, centerOfMass, compressLossless, compressPca, countToEvents, diskMask, frameBytes, frameCount, memoryDataset,
  openContainerDataset, patternStats, runReductions, simulateElectronFrames, simulateTwoPhase, streamFrames, virtualImages,
  type Dataset, type Reduction,
} from "../../bindings/node.js";
import { fileByteSource } from "../../bindings/node-files.js";
import { buildReductions } from "../../bindings/scale/analyses.js";
import type { EncodeOptions } from "../../bindings/scale/stream-encode.js";
import { StreamReceiver, type ReceiveOptions } from "../../bindings/scale/stream-receive.js";
import { type SendDatasetOptions, sendDataset } from "../../bindings/scale/stream-endpoints.js";
import { type StreamTransport, byScheme, mutualTlsTransport, opensslFound } from "../helpers/tls.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-"));
const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
let core: Core;
let n = 0;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

async function allFrames(ds: Dataset): Promise<Buffer> {
  const out = Buffer.alloc(frameCount(ds) * frameBytes(ds));
  await streamFrames(ds, { write: (b, first) => { out.set(b, first * frameBytes(ds)); } });
  return out;
}

/** Streams `ds` through a receiver listening on loopback over transport `t`; returns both sides' summaries and what
 * the receiver said. */
async function stream(t: StreamTransport, ds: Dataset, send: Omit<SendDatasetOptions, "to">, receive: Partial<ReceiveOptions> = {}) {
  const rx = await StreamReceiver.bind(`${t.scheme}://127.0.0.1:*`, t.receiver);
  const container = receive.container ?? join(dir, `rx-${n++}.s4d`);
  const notices: string[] = [];
  try {
    const [rows, cols] = ds.shape.slice(-2) as [number, number];
    const got = rx.receive(core, {
      container, firstTimeoutMs: 20_000, idleTimeoutMs: 10_000, onNotice: (l) => notices.push(l),
      analyses: (layout, series) => buildReductions({ bf: 4, com: true, stats: true, center: series.center ?? { cy: rows / 2, cx: cols / 2 } }, layout),
      ...receive,
    });
    const sent = sendDataset(core, ds, { to: rx.endpoint, timeoutMs: 20_000, ...t.sender, ...send });
    const [r, s] = await Promise.allSettled([got, sent]);
    if (r.status === "rejected") throw r.reason;
    if (s.status === "rejected") throw s.reason;
    return { received: r.value, sent: s.value, container, notices };
  } finally {
    rx.close();
  }
}

/** What the file encoders write for the same input, in memory. */
async function fileEncoding(ds: Dataset, e: EncodeOptions): Promise<Uint8Array> {
  const sink = new MemorySink();
  if (e.mode === "raw") await compressLossless(ds, sink, { store: true });
  else if (e.mode === "lossless") await compressLossless(ds, sink, e.lossless ?? {});
  else if (e.mode === "events") await countToEvents(core, ds, sink, e.counting ?? {}, e.events ?? {});
  else await compressPca(core, ds, sink, e.pca!);
  return sink.bytes();
}

async function decodeBytes(bytes: Uint8Array): Promise<{ ds: Dataset; frames: Buffer }> {
  const ds = await openContainerDataset({ name: "memory", size: bytes.length, read: async (o, d) => { d.set(bytes.subarray(o, o + d.length)); } });
  return { ds, frames: await allFrames(ds) };
}

const withClientCertificates: [string, StreamTransport][] = opensslFound ? [["wss:// with a client certificate", mutualTlsTransport()]] : [];

describe.each([...byScheme(), ...withClientCertificates])("compressed live stream over %s", (_, transport) => {
  const twoPhase = simulateTwoPhase({ scan: [12, 10], detector: [32, 32], seed: 5, dose: 2000 }).dataset;
  const electrons = simulateElectronFrames({ scan: [8, 10], detector: [48, 48], seed: 2, dose: 0.01 });
  const cases: [string, Dataset, EncodeOptions][] = [
    ["raw", twoPhase, { mode: "raw", lossless: { framesPerChunk: 7 } }],
    ["lossless", twoPhase, { mode: "lossless", lossless: { framesPerChunk: 16 } }],
    ["events", electrons.dataset, { mode: "events", counting: { dark: electrons.dark } }],
    ["pca", twoPhase, { mode: "pca", pca: { components: 6, residual: 2, framesPerChunk: 32 } }],
  ];
  for (const [name, ds, encode] of cases) {
    it(`${name}: the received container decodes to what the file encoder writes, and the images to one pass over it`, async () => {
      const { received, sent, container } = await stream(transport, ds, { encode: name === "raw" ? { ...encode, lossless: {} } : encode });
      expect(sent).toMatchObject({ mode: name, resent: 0, resumes: 0, frames: frameCount(ds) });
      expect(received).toMatchObject({ mode: name, chunks: sent.chunks, resumedAt: 0, damagedChunks: 0 });
      const file = await decodeBytes(await fileEncoding(ds, encode.mode === "raw" ? { mode: "raw" } : encode));
      const got = await decodeBytes(readFileSync(container));
      expect(got.ds.shape).toEqual(file.ds.shape);
      expect(got.frames.equals(file.frames)).toBe(true);
      if (name === "raw" || name === "lossless") expect(got.frames.equals(await allFrames(ds))).toBe(true);
      // The receiver's images: bit-identical to one pass over the decoded frames, with the centre the sender sent.
      const want = await runReductions(core, got.ds, buildReductions({ bf: 4, com: true, stats: true, center: received.center! }, { shape: got.ds.shape, dtype: got.ds.dtype }) as Reduction<unknown>[]);
      const [v, com, st] = received.results as [{ images: Float32Array[] }, { comY: Float32Array; comX: Float32Array }, { sum: Float64Array }];
      const [wv, wcom, wst] = want as typeof received.results & [{ images: Float32Array[] }, { comY: Float32Array; comX: Float32Array }, { sum: Float64Array }];
      expect(bits(v.images[0]!).equals(bits(wv.images[0]!))).toBe(true);
      expect(bits(com.comX).equals(bits(wcom.comX))).toBe(true);
      expect(bits(st.sum).equals(bits(wst.sum))).toBe(true);
      if (name === "events") expect(received.counting).toMatchObject({ xrayRule: "sample mean + 10 sample std", backgroundRule: "fit mean + 4 fit sigma" });
      await got.ds.source.close?.();
      await file.ds.source.close?.();
    });
  }

  it("sends the centre that `virtual` would find, so the receiver's bright field equals the file's", async () => {
    const { received } = await stream(transport, twoPhase, { encode: { mode: "lossless" } });
    const [rows, cols] = [32, 32];
    const [want] = await runReductions(core, twoPhase, [virtualImages([diskMask(rows, cols, received.center!, 4)])]);
    expect(received.center!.from).toMatch(/bright-field disk/);
    expect(bits((received.results[0] as { images: Float32Array[] }).images[0]!).equals(bits(want.images[0]!))).toBe(true);
  });

  it("names a chunk damaged on the wire by series, chunk and frames, and gets it again", async () => {
    const { received, sent, container, notices } = await stream(transport, twoPhase, { encode: { mode: "lossless", lossless: { framesPerChunk: 10 } }, series: "run7", corrupt: [3] });
    expect(notices.filter((l) => /damaged/.test(l))).toEqual([
      expect.stringMatching(/series "run7": chunk 3 \(frames 30-39\) arrived damaged: the payload fails its CRC-32C; nothing of it was written, asked the sender to send it again/),
    ]);
    expect(received.damagedChunks).toBe(1);
    expect(sent.resent).toBeGreaterThanOrEqual(1);
    expect((await decodeBytes(readFileSync(container))).frames.equals(await allFrames(twoPhase))).toBe(true);
  });

  it("asks again for a chunk that never arrived", async () => {
    const { received, notices, container } = await stream(transport, twoPhase, { encode: { mode: "raw", lossless: { framesPerChunk: 12 } }, series: "gap", skip: [2, 5] });
    expect(notices.some((l) => /series "gap": chunks 2-2 did not arrive; asked the sender to send them again/.test(l))).toBe(true);
    expect(received.resumes).toBeGreaterThanOrEqual(1);
    expect((await decodeBytes(readFileSync(container))).frames.equals(await allFrames(twoPhase))).toBe(true);
  });

  it("keeps the sender's memory to its ring: a ring smaller than a few chunks still delivers every frame", async () => {
    const shape = [40, 4, 64, 64];
    const data = new Uint16Array(shape.reduce((a, b) => a * b)).map((_, i) => (i * 2654435761) >>> 20);
    const ds = memoryDataset(data, shape);
    const { sent, container } = await stream(transport, ds, { encode: { mode: "lossless", lossless: { framesPerChunk: 8 } }, ringBytes: 40_000, center: false },
      { analyses: () => [patternStats()] });
    expect(sent.chunks).toBe(20);
    expect((await decodeBytes(readFileSync(container))).frames.equals(Buffer.from(data.buffer))).toBe(true);
  });

  it("reports a gap the sender can no longer fill with its frames, on both sides", async () => {
    // Receiver A takes part of the series and stops; its container is then lost. Receiver B, on the same port,
    // asks for chunk 0, which the sender released long ago (A acknowledged it).
    const rxA = await StreamReceiver.bind(`${transport.scheme}://127.0.0.1:*`, transport.receiver);
    const endpoint = rxA.endpoint, containerA = join(dir, `lost-${n++}.s4d`);
    let reduced = 0;
    const a = rxA.receive(core, { container: containerA, analyses: () => [patternStats()], batchBytes: 1, onProgress: (f) => { reduced = f; }, stopped: () => reduced >= 40 });
    const sent = sendDataset(core, twoPhase, { to: endpoint, ...transport.sender, encode: { mode: "raw", lossless: { framesPerChunk: 10 } }, rate: 200, series: "lost", center: false, timeoutMs: 20_000 });
    sent.catch(() => {});
    await expect(a).rejects.toThrow(/series "lost": stopped after chunk \d+/);
    rxA.close();
    // ZeroMQ releases a closed socket's port in its own thread (and a WebSocket server once its connections
    // close): bind again once it is free.
    const rxB = await bindWhenFree(endpoint, transport);
    try {
      const b = rxB.receive(core, { container: join(dir, `lost-${n++}.s4d`), analyses: () => [patternStats()], firstTimeoutMs: 20_000 });
      const gap = /series "lost": the receiver asks for chunk 0, but chunks 0-\d+ \(frames 0-\d+\) were acknowledged and released; they cannot be sent again/;
      await expect(sent).rejects.toThrow(gap);
      await expect(b).rejects.toThrow(new RegExp(`the sender of series "lost" stopped: .*${gap.source}`));
    } finally {
      rxB.close();
    }
  });

  it("refuses to continue a container of another series", async () => {
    const first = await stream(transport, twoPhase, { encode: { mode: "lossless" }, series: "A" });
    await expect(stream(transport, twoPhase, { encode: { mode: "lossless" }, series: "B" }, { container: first.container }))
      .rejects.toThrow(/holds another series \(its header differs from series "B"\); move it away or receive into another file/);
    // The first series' container is untouched.
    const reader = await openContainerDataset(await fileByteSource(first.container));
    expect(reader.metadata).toMatchObject({ complete: true });
    await reader.source.close?.();
  });
});

void centerOfMass;

async function bindWhenFree(endpoint: string, t: StreamTransport): Promise<StreamReceiver> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await StreamReceiver.bind(endpoint, t.receiver);
    } catch (e) {
      if (attempt >= 50 || !/address already in use/i.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
