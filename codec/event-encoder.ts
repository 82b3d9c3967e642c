// Event mode, encoding side: grouped events in (from counting, a record stream or memory), EVENTS chunks out.
// Positions arrive in order in blocks of any size; a chunk is cut every `positionsPerChunk` positions (default one
// scan row), or at the last position that keeps its electrons within TARGET_CHUNK_ELECTRONS: where chunks are cut
// depends on the events alone, never on the blocks they arrived in (a live stream's sender counts in smaller blocks
// than `stem4d count` and writes the same chunks).
import type { Calibration } from "../bindings/dataset.js";
import type { Dtype } from "../bindings/dtype.js";
import { ChunkKind } from "./container-format.js";
import { ContainerWriter } from "./container-writer.js";
import { codecCrc32c } from "./crc32c-core.js";
import { EventChunkEncoder, MAX_CHUNK_ELECTRONS } from "./event-chunks.js";

/** Electrons a chunk is cut at when its positions hold more: keeps the encoder's memory flat (a few MB). */
export const TARGET_CHUNK_ELECTRONS = 1 << 20;
import { type SparseEvents, electronsOf, positionsOf, sliceEvents } from "./events.js";
import type { ByteSink } from "./sink.js";
import type { AppendPlan } from "./container-append.js";
import { type ZstdBackendName, zstdBackend } from "./zstd.js";

export interface EventOptions {
  /** Positions per chunk (default: a scan row, at most 256; chunks are also cut at about 2^20 electrons). */
  positionsPerChunk?: number;
  /** zstd level (default 1: higher levels gain under 1% on event columns, measured in bench/codec.ts). */
  level?: number;
  zstd?: ZstdBackendName;
  /** dtype of the dense frames an events container decodes to (default u16). */
  dtype?: Exclude<Dtype, "f32">;
  /** Seconds per tick, when times are ticks (recorded in the metadata). */
  tickSeconds?: number;
  /** Anything else worth recording (e.g. counting thresholds). */
  params?: Record<string, unknown>;
}

export interface EventLayout {
  scanShape: [number, number];
  detShape: [number, number];
  calibration?: Calibration;
  source?: Record<string, unknown>;
}

export class EventEncoder {
  /** The positions not yet in a chunk, copied into buffers reused for the whole stream (grown when needed): a
   * stream of any length makes no garbage here, and the caller may reuse what it pushed. */
  private readonly pending = new PendingEvents();
  private next = 0;
  electrons = 0;

  private constructor(
    private readonly writer: ContainerWriter,
    private readonly chunks: EventChunkEncoder,
    readonly layout: EventLayout,
    readonly positionsPerChunk: number,
    private readonly level: number,
  ) {}

  static async create(sink: ByteSink, layout: EventLayout, options: EventOptions = {}): Promise<EventEncoder> {
    const ppc = options.positionsPerChunk ?? Math.min(layout.scanShape[1], 256);
    if (!Number.isInteger(ppc) || ppc < 1) throw new RangeError(`positionsPerChunk must be a positive integer, got ${ppc}`);
    const zstd = await zstdBackend(options.zstd);
    const level = options.level ?? 1;
    const writer = await ContainerWriter.create(sink, {
      mode: "events", shape: [...layout.scanShape, ...layout.detShape], dtype: options.dtype ?? "u16",
      ...(layout.calibration ? { calibration: layout.calibration } : {}),
      ...(layout.source ? { source: layout.source } : {}),
      params: { positionsPerChunk: ppc, level, zstd: zstd.name, ...(options.tickSeconds ? { tickSeconds: options.tickSeconds } : {}), ...options.params },
    }, await codecCrc32c());
    return new EventEncoder(writer, await EventChunkEncoder.create(zstd), layout, ppc, level);
  }

  /**
   * Continues an events container from where planAppend() found it ends (same chunking and level as its metadata
   * records); the next block pushed starts at position plan.next. `sink` receives only the new bytes.
   */
  static async resume(sink: ByteSink, plan: AppendPlan, options: { zstd?: ZstdBackendName } = {}): Promise<EventEncoder> {
    const m = plan.metadata, p = (m.params ?? {}) as Record<string, unknown>;
    if (m.mode !== "events") throw new RangeError(`resume: a ${m.mode} container is not an events one`);
    const ppc = p.positionsPerChunk as number, level = (p.level as number | undefined) ?? 1;
    if (!Number.isInteger(ppc) || ppc < 1) throw new RangeError(`resume: the container's positionsPerChunk (${String(p.positionsPerChunk)}) is not usable`);
    const zstd = await zstdBackend(options.zstd);
    const layout: EventLayout = { scanShape: [m.shape[0]!, m.shape[1]!], detShape: [m.shape[2]!, m.shape[3]!] };
    const writer = ContainerWriter.resume(sink, m, plan.keepBytes, plan.chunks, await codecCrc32c());
    const enc = new EventEncoder(writer, await EventChunkEncoder.create(zstd), layout, ppc, level);
    enc.next = plan.next;
    return enc;
  }

  get positionsIn(): number {
    return this.next + this.pending.positions;
  }

  get bytesOut(): number {
    return this.writer.bytesWritten;
  }

  /** Appends the events of the next positions (ev.first must continue where the last block ended); they are
   * copied, so `ev` may be reused once this returns. */
  async push(ev: SparseEvents): Promise<void> {
    if (ev.first !== this.positionsIn) throw new RangeError(`push: block starts at position ${ev.first}, expected ${this.positionsIn}`);
    const total = this.layout.scanShape[0] * this.layout.scanShape[1];
    if (ev.first + positionsOf(ev) > total) throw new RangeError(`push: positions up to ${ev.first + positionsOf(ev)} exceed the scan's ${total}`);
    this.pending.append(ev, this.positionsIn);
    this.electrons += electronsOf(ev);
    const { positions, electrons } = this.pending;
    if (positions >= this.positionsPerChunk || electrons >= TARGET_CHUNK_ELECTRONS) await this.flush(false);
  }

  async finish(): Promise<{ bytes: number; chunks: number; electrons: number; positions: number }> {
    await this.flush(true);
    const r = await this.writer.finish();
    this.chunks.dispose();
    return { ...r, electrons: this.electrons, positions: this.next };
  }

  private async flush(all: boolean): Promise<void> {
    if (this.pending.positions === 0) return;
    const ev = this.pending.view(this.layout, this.next);
    const P = positionsOf(ev);
    let at = 0;
    while (at < P) {
      const end = chunkEnd(ev.offsets, at, Math.min(P, at + this.positionsPerChunk));
      // Fewer positions than a chunk holds, within the target: later positions may still belong to this chunk.
      const open = end === P && end - at < this.positionsPerChunk && ev.offsets[P]! - ev.offsets[at]! <= TARGET_CHUNK_ELECTRONS;
      if (open && !all) break;
      if (ev.offsets[end]! - ev.offsets[at]! > MAX_CHUNK_ELECTRONS) throw new RangeError(`position ${ev.first + at} holds more than the ${MAX_CHUNK_ELECTRONS} electrons a chunk may hold`);
      const piece = sliceEvents(ev, at, end);
      const { payload, rawLength, flags } = this.chunks.encode(piece, this.level);
      await this.writer.writeChunk({ kind: ChunkKind.Events, filter: 0, flags, rawLength, first: piece.first, count: end - at }, payload);
      this.next += end - at;
      at = end;
    }
    this.pending.drop(at);
  }
}

/** Positions' events held until they make a chunk, in growable buffers (CSR as SparseEvents). Times are held once
 * a block with times arrives; positions held before it (and untimed blocks after it) get their frame numbers as
 * times, as concatEvents gives them. */
class PendingEvents {
  positions = 0;
  electrons = 0;
  private offsets = new Uint32Array(257);
  private pixels = new Uint32Array(1 << 16);
  private times?: Float64Array;
  private timed = false;
  /** The flat position of offsets[0]. */
  private first = 0;

  append(ev: SparseEvents, first: number): void {
    if (this.positions === 0) this.first = first;
    const P = positionsOf(ev), E = electronsOf(ev), p0 = this.positions, e0 = this.electrons;
    this.offsets = grown(this.offsets, p0 + P + 1);
    this.pixels = grown(this.pixels, e0 + E);
    for (let i = 1; i <= P; i++) this.offsets[p0 + i] = e0 + ev.offsets[i]!;
    this.pixels.set(ev.pixels.subarray(0, E), e0);
    if (ev.times || this.timed) {
      this.times = grown(this.times ?? new Float64Array(this.pixels.length), e0 + E);
      if (!this.timed) this.frameTimes(0, p0);
      this.timed = true;
      if (ev.times) this.times.set(ev.times.subarray(0, E), e0);
      else this.frameTimes(p0, p0 + P);
    }
    this.positions += P;
    this.electrons += E;
  }

  /** The held events as views of the buffers (valid until the next append or drop). */
  view(layout: EventLayout, first: number): SparseEvents {
    const P = this.positions, E = this.electrons;
    return {
      scanShape: layout.scanShape, detShape: layout.detShape, first, offsets: this.offsets.subarray(0, P + 1),
      pixels: this.pixels.subarray(0, E), ...(this.timed ? { times: this.times!.subarray(0, E) } : {}),
    };
  }

  /** Forgets the first `n` positions (written as chunks). */
  drop(n: number): void {
    const a = this.offsets[n]!;
    for (let i = 0; i <= this.positions - n; i++) this.offsets[i] = this.offsets[n + i]! - a;
    this.pixels.copyWithin(0, a, this.electrons);
    if (this.timed) this.times!.copyWithin(0, a, this.electrons);
    this.positions -= n;
    this.electrons -= a;
    this.first += n;
    if (this.positions === 0) this.timed = false;
  }

  /** Positions [from, to) timed by their frame numbers. */
  private frameTimes(from: number, to: number): void {
    for (let i = from; i < to; i++) this.times!.fill(this.first + i, this.offsets[i]!, this.offsets[i + 1]!);
  }
}

/** `a`, or a copy of it with room for at least `n` values (doubling). */
function grown<T extends Uint32Array | Float64Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, 2 * a.length));
  b.set(a);
  return b;
}

/** Where a chunk starting at position `at` ends, positions up to `limit` being available: the last position that
 * keeps its electrons within TARGET_CHUNK_ELECTRONS (at least one position). */
function chunkEnd(offsets: Uint32Array, at: number, limit: number): number {
  if (offsets[limit]! - offsets[at]! <= TARGET_CHUNK_ELECTRONS) return limit;
  let lo = at + 1, hi = limit; // the answer lies in [lo, hi): offsets[hi] is past the target
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid]! - offsets[at]! <= TARGET_CHUNK_ELECTRONS) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Joins consecutive blocks of positions into one. */
export function concatEvents(blocks: SparseEvents[]): SparseEvents {
  const P = blocks.reduce((a, b) => a + positionsOf(b), 0), E = blocks.reduce((a, b) => a + electronsOf(b), 0);
  const offsets = new Uint32Array(P + 1), pixels = new Uint32Array(E);
  const timed = blocks.some((b) => b.times);
  const times = timed ? new Float64Array(E) : undefined;
  let p = 0, e = 0;
  for (const b of blocks) {
    const n = positionsOf(b), m = electronsOf(b);
    for (let i = 1; i <= n; i++) offsets[p + i] = e + b.offsets[i]!;
    pixels.set(b.pixels, e);
    if (times) {
      if (b.times) times.set(b.times, e);
      else for (let i = 0; i < n; i++) times.fill(b.first + i, e + b.offsets[i]!, e + b.offsets[i + 1]!);
    }
    p += n;
    e += m;
  }
  const f = blocks[0]!;
  return { scanShape: f.scanShape, detShape: f.detShape, first: f.first, offsets, pixels, ...(times ? { times } : {}) };
}
