// The detector/edge side of a live stream (no Node API: it runs wherever the transport does). The encoder writes a
// container into a ChunkSplitter; each whole chunk goes into a bounded ring and onto the wire in order. Chunks stay
// in the ring until the receiver acknowledges that they are in its container, so a receiver that restarts, loses a
// chunk or finds one damaged asks to resume from its first missing chunk and gets every frame. A full ring makes
// the encoder wait: memory stays at the ring whatever the stream's length. The sender is done only when the
// receiver says its container is complete.
import { ChunkSplitter, type ContainerChunk } from "../../codec/chunk-stream.js";
import { ChunkKind, type ContainerMetadata } from "../../codec/container-format.js";
import type { ByteSink } from "../../codec/sink.js";
import {
  type EncodeMode, type SeriesMessage, type StreamCenter, type ToReceiver, type ToSender, decodeMessage, encodeMessage, framesText,
} from "./protocol.js";
import { ChunkRing } from "./stream-ring.js";
import { type SenderTransport, Wakeup } from "./stream-transport.js";

export interface SendOptions {
  /** The series id; default a random one. */
  series?: string;
  /** Bytes of chunks kept until acknowledged (default 8 MiB): the sender's memory bound and its window. */
  ringBytes?: number;
  /** The sender limits its own wire rate to this many megabits per second (a slow link). */
  linkMbps?: number;
  /** Warn when the receiver has said nothing for this long while chunks wait for it (default 5 s). */
  silenceMs?: number;
  /** Fail when the receiver has said nothing for this long (default 60 s). */
  timeoutMs?: number;
  /** Testing hooks: chunks whose first transmission is left out, or damaged (one payload byte flipped). */
  skip?: number[];
  corrupt?: number[];
  onProgress?: (framesSent: number, framesTotal: number) => void;
  /** Called once the encoder has written the container's header (its set-up done, e.g. the counting thresholds
   * fitted), before its first chunk: a moment for the caller to drop what the set-up left behind. */
  onEncoderReady?: () => void;
  /** One line for each event worth telling a person (silence, a resume). */
  onNotice?: (line: string) => void;
}

export interface SeriesInfo {
  mode: EncodeMode;
  shape: readonly number[];
  dtype: SeriesDtype;
  frames: number;
  center?: StreamCenter;
}
type SeriesDtype = "u8" | "u16" | "u32" | "f32";

export interface SendSummary {
  series: string;
  mode: EncodeMode;
  chunks: number;
  frames: number;
  /** Bytes of the container (without index and trailer) and of every message sent, resends included. */
  containerBytes: number;
  wireBytes: number;
  /** Chunks sent more than once, and how often the receiver asked to resume. */
  resent: number;
  resumes: number;
  seconds: number;
  /** The container's metadata (e.g. the counting thresholds in params). */
  metadata: ContainerMetadata;
}

/** Runs `encode` (which writes a container into the sink it is given) and streams the container to the receiver. */
export async function sendSeries(transport: SenderTransport, info: SeriesInfo, encode: (sink: ByteSink) => Promise<unknown>, o: SendOptions = {}): Promise<SendSummary> {
  const s = new SeriesSender(transport, info, o);
  return s.run(encode);
}

class SeriesSender {
  private readonly series: string;
  private readonly ring: ChunkRing;
  private readonly wake = new Wakeup();
  private header?: { bytes: Uint8Array; metadata: ContainerMetadata };
  private encoded = false;
  private failure?: Error;
  private done = false;
  // The receiver's view: which resume request we answer, where to send from, whether it needs the header.
  private epoch: string | null = null;
  private cursor = 0;
  private needHeader = false;
  private endSentFor: string | null = null;
  private acked = 0;
  private lastHeard = performance.now();
  private lastSent = 0;
  private silenceNoted = false;
  private linkFree = 0;
  /** Chunks [0, sentEnd) have been sent at least once (chunks go in order: a resume only goes back). */
  private sentEnd = 0;
  private stats = { wireBytes: 0, containerBytes: 0, resent: 0, resumes: 0 };
  private readonly skip: Set<number>;
  private readonly corrupt: Set<number>;

  constructor(private readonly transport: SenderTransport, private readonly info: SeriesInfo, private readonly o: SendOptions) {
    this.series = o.series ?? `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    this.ring = new ChunkRing(o.ringBytes ?? 8 << 20);
    this.skip = new Set(o.skip ?? []);
    this.corrupt = new Set(o.corrupt ?? []);
  }

  async run(encode: (sink: ByteSink) => Promise<unknown>): Promise<SendSummary> {
    const t0 = performance.now();
    const splitter = new ChunkSplitter({
      header: (bytes, metadata) => {
        this.header = { bytes, metadata };
        this.stats.containerBytes += bytes.length;
        this.o.onEncoderReady?.();
        this.wake.wake();
      },
      chunk: (c) => this.accept(c),
    });
    const listening = this.listen();
    const encoding = encode(splitter).then(() => { this.encoded = true; this.wake.wake(); }, (e) => this.fail(e as Error));
    try {
      await this.transmit();
    } catch (e) {
      // Best effort: a receiver still listening stops with the reason instead of waiting out its timeout.
      const abort = encodeMessage({ type: "abort", series: this.series, epoch: this.epoch, message: (e as Error).message });
      await Promise.race([this.transport.send(abort).catch(() => {}), new Promise((r) => setTimeout(r, 200))]);
      throw e;
    } finally {
      this.failure ??= new Error("the sender stopped"); // stops the encoder if it still waits for room
      this.wake.wake();
      this.transport.close();
      await Promise.allSettled([listening, encoding]);
    }
    return {
      series: this.series, mode: this.info.mode, chunks: this.ring.end, frames: this.info.frames,
      ...this.stats, seconds: (performance.now() - t0) / 1000, metadata: this.header!.metadata,
    };
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake.wake();
  }

  /** A chunk from the encoder: into the ring once there is room. */
  private async accept(c: ContainerChunk): Promise<void> {
    const n = c.parts[0].length + c.parts[1].length;
    while (!this.ring.fits(n)) {
      if (this.failure) throw this.failure;
      await this.wake.wait(1000);
    }
    if (this.failure) throw this.failure;
    this.ring.push(c.seq, c.parts, chunkFrames(c));
    this.stats.containerBytes += n;
    this.wake.wake();
  }

  /** The receiver's answers. */
  private async listen(): Promise<void> {
    for (;;) {
      let parts: Uint8Array[] | undefined;
      try {
        parts = await this.transport.receive();
      } catch (e) {
        if (!this.done && !this.failure) this.fail(e as Error);
        return;
      }
      if (!parts) return;
      this.lastHeard = performance.now();
      this.silenceNoted = false;
      try {
        this.handle(decodeMessage<ToSender>(parts, this.transport.peer, "receiver").message);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.wake.wake();
    }
  }

  private handle(m: ToSender): void {
    const where = `${this.transport.peer}: series "${this.series}"`;
    if (m.type === "refuse") throw new Error(`${this.transport.peer}: the receiver refused series "${this.series}": ${m.message}`);
    if (m.type === "done") { this.done = true; return; }
    if (m.type === "ack") { this.release(m.next); return; }
    // resume
    if (m.next < this.ring.oldest) {
      const lost = this.ring.framesOf(m.next, this.ring.oldest - 1);
      throw new Error(`${where}: the receiver asks for chunk ${m.next}, but chunks ${m.next}-${this.ring.oldest - 1} (${framesText(lost)}) were acknowledged and released; they cannot be sent again (gap in the receiver's container)`);
    }
    if (m.next > this.ring.end && this.encoded) throw new Error(`${where}: the receiver holds ${m.next} chunks, more than the ${this.ring.end} of this series: its container holds another series`);
    if (this.epoch !== null && m.next < this.cursor) {
      this.o.onNotice?.(`series "${this.series}": the receiver asks to resume from chunk ${m.next} (${framesText(this.ring.framesOf(m.next, m.next))}); ${this.cursor - m.next} chunks will be sent again`);
    }
    if (this.epoch !== null) this.stats.resumes++;
    this.epoch = m.id;
    this.cursor = m.next;
    this.endSentFor = null; // whatever came after the resume point, the end message included, goes again
    this.needHeader = m.header;
    this.release(m.next);
  }

  private release(next: number): void {
    if (next <= this.acked) return;
    this.acked = Math.min(next, this.ring.end);
    this.ring.release(this.acked);
  }

  /** Sends what the receiver needs next, in order; heartbeats when idle; stops when the receiver is done. */
  private async transmit(): Promise<void> {
    let lastProgress = -1;
    while (!this.done) {
      if (this.failure) throw this.failure;
      this.checkSilence();
      if (this.epoch !== null && this.needHeader && this.header) {
        const { shape, dtype, frames, mode, center } = this.info;
        const counting = (this.header.metadata.params as Record<string, unknown> | undefined)?.counting as Record<string, unknown> | undefined;
        const m: Omit<SeriesMessage, "stem4d"> = {
          type: "series", series: this.series, epoch: this.epoch, mode, shape: [...shape], dtype, frames, ...(center ? { center } : {}), ...(counting ? { counting } : {}),
        };
        if ((await this.send(m, this.header.bytes)) && this.epoch === m.epoch) this.needHeader = false;
        continue;
      }
      if (this.epoch !== null && !this.needHeader && this.cursor < this.ring.end) {
        // A resume request may come while this chunk is on its way: it sets the cursor itself, which stays as it set it.
        const seq = this.cursor, epoch = this.epoch;
        if (!(await this.sendChunk(seq))) continue;
        // Let the event loop turn: a transport that releases sent buffers there (ZeroMQ's zero-copy sends) would
        // otherwise hold every chunk sent while the encoder keeps the loop busy.
        await yieldToEventLoop();
        if (this.epoch !== epoch) continue;
        const framesSent = this.ring.framesOf(seq, seq)?.[1];
        this.cursor = seq + 1;
        if (framesSent !== undefined && framesSent > lastProgress) { lastProgress = framesSent; this.o.onProgress?.(framesSent, this.info.frames); }
        continue;
      }
      if (this.epoch !== null && !this.needHeader && this.encoded && this.cursor === this.ring.end && this.endSentFor !== this.epoch) {
        const epoch = this.epoch;
        if (await this.send({ type: "end", series: this.series, epoch, chunks: this.ring.end, frames: this.info.frames })) this.endSentFor = epoch;
        continue;
      }
      // Nothing to send: say hello now and then (a new receiver learns of us; a receiver missing chunks notices).
      if (performance.now() - this.lastSent >= (this.epoch === null ? 250 : 1000)) {
        await this.send({ type: "hello", series: this.series, epoch: this.epoch, sent: this.cursor, ended: this.encoded });
      }
      await this.wake.wait(this.epoch === null ? 250 : 500);
    }
  }

  /** Tells of a receiver silent for `silenceMs`, and fails after `timeoutMs`. */
  private checkSilence(): void {
    const silence = this.o.silenceMs ?? 5000, timeout = this.o.timeoutMs ?? 60_000;
    const quiet = performance.now() - this.lastHeard;
    if (quiet > timeout) throw new Error(`${this.transport.peer}: no answer from the receiver for ${(quiet / 1000).toFixed(0)} s; ${this.state()}`);
    if (quiet > silence && !this.silenceNoted) {
      this.silenceNoted = true;
      this.o.onNotice?.(`no answer from the receiver at ${this.transport.peer} for ${silence / 1000} s; ${this.state()}; waiting up to ${timeout / 1000} s`);
    }
  }

  private state(): string {
    return `series "${this.series}": ${this.acked} chunks acknowledged, ${this.cursor} sent, ${this.encoded ? `${this.ring.end} in all` : `${this.ring.end} encoded so far`}`;
  }

  /** Sends chunk `seq`; false when the transport could not take it yet. */
  private async sendChunk(seq: number): Promise<boolean> {
    const c = this.ring.get(seq);
    if (!c) throw new Error(`series "${this.series}": chunk ${seq} is not in the ring (held: ${this.ring.oldest}-${this.ring.end - 1})`);
    const first = seq >= this.sentEnd;
    if (first && this.skip.has(seq)) {
      this.sentEnd = seq + 1;
      return true;
    }
    let bytes = c.bytes;
    if (first && this.corrupt.has(seq)) {
      bytes = bytes.slice();
      bytes[bytes.length - 1]! ^= 0x40;
    }
    const kind = bytes[4]!;
    if (!(await this.send({ type: "chunk", series: this.series, epoch: this.epoch, seq, kind, frames: c.frames }, bytes))) return false;
    if (!first) this.stats.resent++;
    this.sentEnd = Math.max(this.sentEnd, seq + 1);
    return true;
  }

  /** Sends one message through the (optionally throttled) link; false when the transport could not take it yet. */
  private async send(m: Parameters<typeof encodeMessage>[0] & ToReceiverBody, binary?: Uint8Array): Promise<boolean> {
    const parts = encodeMessage(m, binary);
    const n = parts.reduce((a, p) => a + p.length, 0);
    if (this.o.linkMbps) {
      // The sender's own link: a message leaves once the previous ones have had their time on the wire.
      const now = performance.now(), at = Math.max(now, this.linkFree);
      this.linkFree = at + (n * 8) / (this.o.linkMbps * 1e3);
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
    }
    if (!(await this.transport.send(parts))) return false;
    this.stats.wireBytes += n;
    this.lastSent = performance.now();
    return true;
  }
}

type ToReceiverBody = Omit<ToReceiver, "stem4d">;

const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => (immediate ? immediate(r) : setTimeout(r, 0)));
}

/** Frames [first, end) a chunk holds, or null for a basis or summary chunk. */
function chunkFrames(c: ContainerChunk): [number, number] | null {
  const k = c.header.kind;
  const holdsFrames = k === ChunkKind.Frames || k === ChunkKind.Events || k === ChunkKind.PcaScores || k === ChunkKind.PcaResidual;
  return holdsFrames ? [c.header.first, c.header.first + c.header.count] : null;
}
