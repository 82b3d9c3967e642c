// A container as a sequence of messages: the bytes an encoder writes (header and metadata, chunks, index, trailer)
// cut back into the header and whole chunks, so that a live stream can send each chunk, with its two CRC-32Cs, as
// one message, and a receiver can append it to a container of its own. The index and trailer are not passed on:
// the receiver writes its own once the stream ends (codec/SPEC.md section 5).
import {
  CHUNK_HEADER_BYTES, ChunkKind, HEADER_BYTES, type ChunkHeader, type ContainerMetadata, parseChunkHeader,
  parseHeaderStart, parseMetadata,
} from "./container-format.js";
import { crc32c } from "./crc32c.js";
import { fail } from "./errors.js";
import type { ByteSink } from "./sink.js";

export interface ContainerChunk {
  /** Position in the container's chunk sequence, 0-based (the stream's sequence number). */
  seq: number;
  header: ChunkHeader;
  /** The chunk as it lies in the container, in two pieces: its 36-byte header, then the payload (see ChunkSplitter:
   * views). */
  parts: [Uint8Array, Uint8Array];
}

export interface ChunkStreamHandlers {
  header(bytes: Uint8Array, metadata: ContainerMetadata): void | Promise<void>;
  chunk(chunk: ContainerChunk): void | Promise<void>;
}

/** A ByteSink that hands on the container's header (a copy) and each whole chunk: views of its buffer, or of the
 * payload as it was written when it came whole after its chunk header (as ContainerWriter writes it: then the
 * payload is never copied here), valid until the handler's promise settles (a handler that keeps them copies them;
 * no garbage per chunk). The index chunk and the trailer are not passed on (nor buffered). */
export class ChunkSplitter implements ByteSink {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private headerDone = false;
  private ended = false;
  private seq = 0;

  constructor(private readonly on: ChunkStreamHandlers) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.ended) return; // the index's payload, the trailer
    if (this.headerDone && this.len === CHUNK_HEADER_BYTES) {
      const header = parseChunkHeader(this.buf.subarray(0, CHUNK_HEADER_BYTES));
      if (header?.kind === ChunkKind.Index) {
        this.ended = true;
        return;
      }
      if (header && bytes.length === header.length) {
        await this.on.chunk({ seq: this.seq++, header, parts: [this.buf.subarray(0, CHUNK_HEADER_BYTES), bytes] });
        this.len = 0;
        return;
      }
    }
    if (this.len + bytes.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    for (;;) {
      const used = await this.next();
      if (used === 0) break;
      this.buf.copyWithin(0, used, this.len);
      this.len -= used;
    }
  }

  /** Chunks handed on so far. */
  get chunks(): number {
    return this.seq;
  }

  /** Hands on one whole piece if the buffer holds it; returns the bytes it used (0: wait for more). */
  private async next(): Promise<number> {
    if (this.ended) return this.len;
    const b = this.buf.subarray(0, this.len);
    if (!this.headerDone) {
      if (b.length < HEADER_BYTES) return 0;
      const h = parseHeaderStart(b.subarray(0, HEADER_BYTES), "container stream");
      const end = HEADER_BYTES + h.metadataBytes;
      if (b.length < end) return 0;
      const metadata = parseMetadata(b.subarray(HEADER_BYTES, end), h.metadataCrc, "container stream");
      this.headerDone = true;
      await this.on.header(b.slice(0, end), metadata);
      return end;
    }
    if (b.length < CHUNK_HEADER_BYTES) return 0;
    const header = parseChunkHeader(b.subarray(0, CHUNK_HEADER_BYTES));
    if (!header) fail("corrupt", `container stream: chunk ${this.seq} has no valid chunk header`);
    const end = CHUNK_HEADER_BYTES + header.length;
    if (b.length < end) return 0;
    if (header.kind === ChunkKind.Index) {
      this.ended = true;
      return this.len;
    }
    const parts: [Uint8Array, Uint8Array] = [b.subarray(0, CHUNK_HEADER_BYTES), b.subarray(CHUNK_HEADER_BYTES, end)];
    await this.on.chunk({ seq: this.seq++, header, parts });
    return end;
  }
}

/** Checks a chunk received as bytes: its header (tag and CRC-32C) and its payload's CRC-32C. Returns the header, or
 * a sentence saying what is wrong. */
export function checkChunk(bytes: Uint8Array): ChunkHeader | string {
  if (bytes.length < CHUNK_HEADER_BYTES) return `${bytes.length} bytes, shorter than a chunk header`;
  const header = parseChunkHeader(bytes.subarray(0, CHUNK_HEADER_BYTES));
  if (!header) return "the chunk header fails its tag or CRC-32C";
  if (CHUNK_HEADER_BYTES + header.length !== bytes.length) return `the header declares ${header.length} payload bytes; ${bytes.length - CHUNK_HEADER_BYTES} came`;
  if (crc32c(bytes.subarray(CHUNK_HEADER_BYTES)) !== header.payloadCrc) return "the payload fails its CRC-32C";
  return header;
}

/** The metadata of a container's header bytes (exactly the header and metadata). */
export function parseContainerHeader(b: Uint8Array, name: string): ContainerMetadata {
  const h = parseHeaderStart(b.subarray(0, HEADER_BYTES), name);
  if (b.length !== HEADER_BYTES + h.metadataBytes) fail("format", `${name}: ${b.length} bytes; the header declares ${HEADER_BYTES + h.metadataBytes}`);
  return parseMetadata(b.subarray(HEADER_BYTES), h.metadataCrc, name);
}
