// Writes a container front to back: header and metadata, then chunks as they come, then the index and trailer on
// finish(). Nothing is ever rewritten, so whatever reached the sink before a crash stays readable.
import { crc32c } from "./crc32c.js";
import type { Checksum } from "./crc32c-core.js";
import {
  CHUNK_HEADER_BYTES, ChunkKind, INDEX_ENTRY_BYTES, MAX_CHUNK_BYTES, type ChunkHeader, type ContainerMetadata,
  type IndexEntry, encodeChunkHeader, encodeHeader, encodeTrailer, putIndexEntry,
} from "./container-format.js";
import { putU32 } from "./bytes.js";
import type { ByteSink } from "./sink.js";

export type ChunkSpec = Omit<ChunkHeader, "length" | "payloadCrc">;

export class ContainerWriter {
  private offset = 0;
  /** The index chunk's payload as it grows (its count filled in on finish): 24 bytes per chunk, and no objects. */
  private index = new Uint8Array(4 + 64 * INDEX_ENTRY_BYTES);
  private chunks = 0;
  private finished = false;
  /** The chunk header's bytes, reused for every chunk (a sink may use them only until its write returns). */
  private readonly header = new Uint8Array(CHUNK_HEADER_BYTES);

  /** `checksum` computes each payload's CRC-32C (default codec/crc32c.ts; encoders pass the codec core's). */
  private constructor(
    private readonly sink: ByteSink,
    readonly metadata: ContainerMetadata,
    private readonly checksum: Checksum,
  ) {}

  /**
   * A writer continuing a container whose first `offset` bytes (header, metadata and the chunks listed in
   * `chunks`) are already in place, as planAppend() found them: new chunks follow, then an index of all of them.
   */
  static resume(
    sink: ByteSink, metadata: ContainerMetadata, offset: number, chunks: readonly IndexEntry[],
    checksum: Checksum = crc32c,
  ): ContainerWriter {
    const w = new ContainerWriter(sink, metadata, checksum);
    w.offset = offset;
    for (const c of chunks) w.addEntry(c);
    return w;
  }

  static async create(
    sink: ByteSink, metadata: ContainerMetadata, checksum: Checksum = crc32c,
  ): Promise<ContainerWriter> {
    const w = new ContainerWriter(sink, metadata, checksum);
    await w.put(encodeHeader({ software: "stem4d 0.1.0", created: new Date().toISOString(), ...metadata }));
    return w;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.offset;
  }

  get chunkCount(): number {
    return this.chunks;
  }

  private addEntry(e: IndexEntry): void {
    const need = 4 + (this.chunks + 1) * INDEX_ENTRY_BYTES;
    if (need > this.index.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.index.length));
      grown.set(this.index);
      this.index = grown;
    }
    putIndexEntry(this.index, this.chunks++, e);
  }

  async writeChunk(spec: ChunkSpec, payload: Uint8Array): Promise<void> {
    if (this.finished) throw new Error("container writer: chunk written after finish()");
    if (payload.length > MAX_CHUNK_BYTES || spec.rawLength > MAX_CHUNK_BYTES) {
      throw new RangeError(`container writer: chunk of ${payload.length} bytes (${spec.rawLength} decoded) exceeds the ${MAX_CHUNK_BYTES}-byte limit`);
    }
    const payloadCrc = this.checksum(payload);
    const header = encodeChunkHeader({ ...spec, length: payload.length, payloadCrc }, this.header);
    this.addEntry({ offset: this.offset, first: spec.first, count: spec.count, kind: spec.kind });
    await this.put(header);
    await this.put(payload);
  }

  /** Writes the index chunk and the trailer, then closes the sink. */
  async finish(): Promise<{ bytes: number; chunks: number }> {
    if (this.finished) return { bytes: this.offset, chunks: this.chunkCount };
    const payload = this.index.subarray(0, 4 + this.chunks * INDEX_ENTRY_BYTES);
    putU32(payload, 0, this.chunks);
    const indexOffset = this.offset;
    const header = encodeChunkHeader({
      kind: ChunkKind.Index, filter: 0, flags: 0, length: payload.length, rawLength: payload.length, first: 0, count: 0,
      payloadCrc: this.checksum(payload),
    });
    await this.put(header);
    await this.put(payload);
    await this.put(encodeTrailer(indexOffset));
    this.finished = true;
    await this.sink.close?.();
    return { bytes: this.offset, chunks: this.chunks };
  }

  private async put(b: Uint8Array): Promise<void> {
    await this.sink.write(b);
    this.offset += b.length;
  }
}

