// Node-only (writes a file). The analysis side of a live stream: takes the container's chunks in order, checks each
// one's CRC-32Cs and sequence number, appends it to a container on disk (stream-container.ts: valid at every moment),
// acknowledges it, and decodes and reduces its frames as they arrive (stream-reduce.ts). A chunk that is missing or
// damaged is asked for again (resume), with one line naming the series, the chunk and its frames; a receiver that
// restarts continues its container and asks the sender for the rest. The sender keeps every chunk until it is
// acknowledged, so nothing is lost; a gap the sender can no longer fill is an error naming its frames.
import type { Core } from "../core.js";
import type { Dtype } from "../dtype.js";
import type { Reduction } from "../reduction.js";
import { ChunkFrameDecoder } from "../../codec/chunk-frames.js";
import { checkChunk, parseContainerHeader } from "../../codec/chunk-stream.js";
import { CHUNK_HEADER_BYTES, type ContainerMetadata, parseChunkHeader } from "../../codec/container-format.js";
import {
  type ChunkMessage, type EncodeMode, type SeriesMessage, type StreamCenter, type ToReceiver, decodeMessage, encodeMessage,
  framesText,
} from "./protocol.js";
import { StreamContainer } from "./stream-container.js";
import { type LiveReduceOptions, LiveReducer } from "./stream-reduce.js";
import type { ReceiverTransport } from "./stream-transport.js";
import { openReceiver } from "./stream-endpoints.js";

export interface Layout {
  shape: number[];
  dtype: Dtype;
}

export interface ReceiveOptions {
  /** The container the series is appended to; an existing one of the same series is continued. */
  container: string;
  /** Builds the analyses once the series is known: the decoded layout and the pattern centre the sender sent (the
   * caller may use its own), and the container's metadata (its calibration). None: the frames are not decoded, only
   * stored. An error it throws is sent to the sender as a refusal, then thrown. */
  analyses?: (layout: Layout, series: SeriesMessage, metadata: ContainerMetadata)
    => Reduction<unknown>[] | Promise<Reduction<unknown>[]>;
  /** Give up when no message comes for this long: before the first (default 60 s), later (default 30 s). */
  firstTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Say so when the sender has been silent this long (default 5 s). */
  silenceMs?: number;
  batchBytes?: number;
  tileFrames?: number;
  onFrames?: LiveReduceOptions["onFrames"];
  /** Checked between messages: stop now (the container keeps every chunk that arrived). */
  stopped?: () => boolean;
  onProgress?: (framesReduced: number, framesTotal: number) => void;
  onNotice?: (line: string) => void;
}

export interface ReceiveResult<T extends unknown[] = unknown[]> {
  series: string;
  mode: EncodeMode;
  /** The decoded layout (the container's). */
  shape: number[];
  dtype: Dtype;
  chunks: number;
  frames: number;
  containerBytes: number;
  /** Bytes of every message received (duplicates included). */
  wireBytes: number;
  /** Chunks the container already held when this receiver started (a restart), and how often it asked to resume. */
  resumedAt: number;
  resumes: number;
  /** Chunks that arrived damaged (and were sent again). */
  damagedChunks: number;
  center?: StreamCenter;
  counting?: Record<string, unknown>;
  seconds: number;
  maxHeldBytes: number;
  results: T;
}

export class StreamReceiver {
  private constructor(private readonly transport: ReceiverTransport) {}

  get endpoint(): string {
    return this.transport.endpoint;
  }

  /** Listens with a ZeroMQ ROUTER socket (tcp://*:5555, or tcp://127.0.0.1:* for any free port) or a WebSocket
   * server (ws://*:5555, ws://127.0.0.1:*, or wss://*:5555 with `tls`: a certificate and key in PEM). */
  static async bind(address: string, options: Parameters<typeof openReceiver>[1] = {}): Promise<StreamReceiver> {
    return new StreamReceiver(await openReceiver(address, options));
  }

  static over(transport: ReceiverTransport): StreamReceiver {
    return new StreamReceiver(transport);
  }

  /** Receives one series into `o.container` and returns the analyses' results in order. */
  async receive<T extends unknown[] = unknown[]>(core: Core, o: ReceiveOptions): Promise<ReceiveResult<T>> {
    const file = await StreamContainer.open(o.container);
    try {
      if (file.note) o.onNotice?.(`${o.container}: ${file.note}`);
      return await new SeriesReceiver(core, this.transport, file, o).run() as ReceiveResult<T>;
    } finally {
      file.close();
    }
  }

  close(): void {
    this.transport.close();
  }
}

class SeriesReceiver {
  private peer?: string;
  private request?: string;
  private requests = 0;
  private askedAt = 0;
  private series?: SeriesMessage;
  private decoder?: ChunkFrameDecoder;
  private reducer?: LiveReducer;
  private next: number;
  private readonly resumedAt: number;
  private readonly session = Math.random().toString(36).slice(2, 8);
  private stats = { wireBytes: 0, resumes: 0, damagedChunks: 0 };

  constructor(private readonly core: Core, private readonly transport: ReceiverTransport, private readonly file: StreamContainer, private readonly o: ReceiveOptions) {
    this.next = file.chunks.length;
    this.resumedAt = this.next;
  }

  private get where(): string {
    return `${this.transport.endpoint}: series "${this.series?.series ?? "?"}"`;
  }

  async run(): Promise<ReceiveResult> {
    let t0 = 0, lastHeard = performance.now(), silenceNoted = false, heardAny = false;
    for (;;) {
      if (this.o.stopped?.()) throw new Error(`${this.where}: stopped after chunk ${this.next - 1}; ${this.file.path} holds chunks 0-${this.next - 1}`);
      const got = await this.transport.receive(1000);
      const now = performance.now();
      if (!got) {
        const quiet = now - lastHeard, limit = heardAny ? (this.o.idleTimeoutMs ?? 30_000) : (this.o.firstTimeoutMs ?? 60_000);
        if (quiet > limit) throw new Error(`${this.transport.endpoint}: no message for ${(quiet / 1000).toFixed(0)} s ${heardAny ? `after chunk ${this.next - 1} of series "${this.series?.series}"` : "from any sender"}; ${this.file.path} holds chunks 0-${this.next - 1}`);
        if (heardAny && quiet > (this.o.silenceMs ?? 5000) && !silenceNoted) {
          silenceNoted = true;
          this.o.onNotice?.(`${this.where}: no message from the sender for ${((this.o.silenceMs ?? 5000) / 1000).toFixed(0)} s (${this.next} chunks held); waiting up to ${(limit / 1000).toFixed(0)} s`);
        }
        continue;
      }
      if (!heardAny) t0 = now;
      heardAny = true;
      lastHeard = now;
      silenceNoted = false;
      this.stats.wireBytes += got.parts.reduce((a, p) => a + p.length, 0);
      const { message, binary } = decodeMessage<ToReceiver>(got.parts, this.transport.endpoint, "sender");
      if (message.type === "abort") throw new Error(`${this.transport.endpoint}: the sender of series "${message.series}" stopped: ${message.message}; ${this.file.path} holds chunks 0-${this.next - 1}`);
      if (got.from !== this.peer) {
        // A new connection (the sender's first, or after a restart of either side): tell it where to resume.
        this.peer = got.from;
        await this.ask();
        continue;
      }
      if (message.epoch !== this.request) {
        // Sent before the sender heard our last request: stale. Ask again if the request may have been lost.
        if (now - this.askedAt > 2000) await this.ask(false);
        continue;
      }
      if (message.type === "series") await this.begin(message, binary!);
      else if (message.type === "chunk") await this.chunk(message, binary!);
      else if (message.type === "hello") {
        // The sender is idle: chunks it sent, or its end message, never came.
        if (message.sent > this.next) await this.lost(message.sent, null);
        else if (message.ended && message.sent === this.next) await this.ask();
      } else if (message.type === "end") {
        if (!this.series) { await this.ask(); continue; }
        if (message.chunks > this.next) { await this.lost(message.chunks, null); continue; }
        return this.finish((performance.now() - t0) / 1000);
      }
    }
  }

  /** Sends a resume request: a new one (new id) unless `renew` is false. */
  private async ask(renew = true): Promise<void> {
    if (renew || !this.request) {
      this.request = `${this.session}-${++this.requests}`;
      if (this.requests > 1) this.stats.resumes++;
    }
    this.askedAt = performance.now();
    await this.transport.send(this.peer!, encodeMessage({ type: "resume", id: this.request, next: this.next, header: !this.series }));
  }

  private async lost(upTo: number, frames: [number, number] | null): Promise<void> {
    this.o.onNotice?.(`${this.where}: chunks ${this.next}-${upTo - 1}${frames ? ` (${framesText(frames)})` : ""} did not arrive; asked the sender to send them again`);
    await this.ask();
  }

  /** The series message: the container's header (new file, or the same series as the file holds) and analyses. */
  private async begin(m: SeriesMessage, header: Uint8Array): Promise<void> {
    if (this.series) return; // sent again after a later resume
    const metadata = parseMetadataOf(header, this.transport.endpoint);
    if (this.file.header) {
      if (!sameBytes(this.file.header, header)) {
        const msg = `${this.file.path} holds another series (its header differs from series "${m.series}"); move it away or receive into another file`;
        await this.transport.send(this.peer!, encodeMessage({ type: "refuse", message: msg }));
        throw new Error(`${this.transport.endpoint}: ${msg}`);
      }
    } else {
      this.file.start(header, metadata);
    }
    this.series = m;
    const layout = { shape: [...metadata.shape], dtype: metadata.dtype };
    let reductions: Reduction<unknown>[] = [];
    try {
      if (this.o.analyses) reductions = await this.o.analyses(layout, m, metadata);
    } catch (e) {
      await this.transport.send(this.peer!, encodeMessage({ type: "refuse", message: (e as Error).message }));
      throw e;
    }
    if (reductions.length) {
      this.decoder = await ChunkFrameDecoder.create(metadata);
      this.reducer = new LiveReducer(this.core, layout.shape, layout.dtype, reductions, `series "${m.series}"`, this.o);
      // A restarted receiver: the chunks already in the file are decoded and reduced again first.
      await this.file.replay(this.resumedAt, async (bytes, seq) => this.decodeChunk(bytes, seq));
    }
  }

  private async chunk(m: ChunkMessage, bytes: Uint8Array): Promise<void> {
    if (!this.series) return this.ask();
    if (m.seq < this.next) return; // a chunk sent again that we already hold
    if (m.seq > this.next) return this.lost(m.seq, null);
    const checked = checkChunk(bytes);
    const wrongPlace = typeof checked !== "string" && (checked.kind !== m.kind || (m.frames !== null && checked.first !== m.frames[0]));
    if (typeof checked === "string" || wrongPlace) {
      this.stats.damagedChunks++;
      const why = typeof checked === "string" ? checked : "its header does not match the message";
      this.o.onNotice?.(`${this.where}: chunk ${m.seq} (${framesText(m.frames)}) arrived damaged: ${why}; nothing of it was written, asked the sender to send it again`);
      return this.ask();
    }
    this.file.append(checked, bytes);
    this.next++;
    await this.transport.send(this.peer!, encodeMessage({ type: "ack", series: this.series.series, next: this.next }));
    await this.decodeChunk(bytes, m.seq);
  }

  private async decodeChunk(bytes: Uint8Array, seq: number): Promise<void> {
    if (!this.decoder) return;
    const h = parseChunkHeader(bytes.subarray(0, CHUNK_HEADER_BYTES))!;
    const frames = this.decoder.decode(h, bytes.subarray(CHUNK_HEADER_BYTES), `${this.where}: chunk ${seq}`);
    if (frames) await this.reducer!.push(frames.first, frames.bytes);
  }

  private async finish(seconds: number): Promise<ReceiveResult> {
    const results = this.reducer ? await this.reducer.finish() : [];
    const bytes = await this.file.finish();
    this.decoder?.dispose();
    const s = this.series!, m = this.file.metadata!;
    await this.transport.send(this.peer!, encodeMessage({ type: "done", series: s.series, chunks: this.next, bytes }));
    return {
      series: s.series, mode: s.mode, shape: [...m.shape], dtype: m.dtype, chunks: this.next, frames: s.frames, containerBytes: bytes,
      ...this.stats, resumedAt: this.resumedAt, ...(s.center ? { center: s.center } : {}), ...(s.counting ? { counting: s.counting } : {}),
      seconds, maxHeldBytes: this.reducer?.maxHeldBytes ?? 0, results,
    };
  }
}

function parseMetadataOf(header: Uint8Array, where: string): ContainerMetadata {
  try {
    return parseContainerHeader(header, "the series message's container header");
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
