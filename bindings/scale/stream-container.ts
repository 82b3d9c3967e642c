// Node-only (writes a file). The receiver's container: chunks arrive whole and verified, and each is appended with
// one synchronous write, so the file is a valid container at every moment; a receiver killed at any time leaves a
// file that decodes (and `stem4d verify` reads) up to its last whole chunk. A restarted receiver reopens it, keeps
// the longest run of intact chunks, cuts anything after them, and continues there. The index and trailer are
// written once the series is complete.
import { closeSync, existsSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { fileByteSource } from "../node-files.js";
import { ContainerReader } from "../../codec/container-reader.js";
import { ContainerWriter } from "../../codec/container-writer.js";
import type { ChunkHeader, ContainerMetadata, IndexEntry } from "../../codec/container-format.js";
import { CodecError } from "../../codec/errors.js";

export interface KeptChunk extends IndexEntry {
  end: number;
}

export class StreamContainer {
  private cut = false;

  private constructor(
    readonly path: string,
    private fd: number,
    /** Header and metadata bytes, when the file has them. */
    public header: Uint8Array | undefined,
    public metadata: ContainerMetadata | undefined,
    readonly chunks: KeptChunk[],
    private offset: number,
    /** Why bytes were cut at reopening, if any were. */
    readonly note?: string,
  ) {}

  /** Opens (or creates) the container at `path`, keeping its intact chunks. */
  static async open(path: string): Promise<StreamContainer> {
    if (!existsSync(path)) return new StreamContainer(path, openFile(path, "w+"), undefined, undefined, [], 0);
    let reader: ContainerReader;
    try {
      reader = await ContainerReader.open(await fileByteSource(path));
    } catch (e) {
      if (!(e instanceof CodecError) || e.code !== "truncated") throw new Error(`${path}: cannot continue this file: ${(e as Error).message}`);
      // Killed while writing the header: nothing of the series is in it yet.
      const fd = openFile(path, "r+");
      ftruncateSync(fd, 0);
      return new StreamContainer(path, fd, undefined, undefined, [], 0, "the header was cut short; starting over");
    }
    const chunks: KeptChunk[] = [];
    let keep = reader.dataStart, note = reader.status.complete ? undefined : reader.status.note;
    try {
      for (const c of reader.chunks) {
        try {
          await reader.readChunk(c);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
          note = `${e.message}; it and everything after it are cut`;
          break;
        }
        chunks.push({ offset: c.offset, first: c.first, count: c.count, kind: c.kind, end: c.end });
        keep = c.end;
      }
      const header = new Uint8Array(reader.dataStart);
      await reader.bytes.read(0, header);
      // Whatever follows the kept chunks (a cut-short chunk, an index and trailer) is cut at the first write, once
      // the series is known to be the same.
      const fd = openFile(path, "r+");
      return new StreamContainer(path, fd, header, reader.metadata, chunks, keep, note);
    } finally {
      await reader.close();
    }
  }

  get bytes(): number {
    return this.offset;
  }

  /** Writes the header and metadata of a new series. */
  start(header: Uint8Array, metadata: ContainerMetadata): void {
    if (this.header) throw new Error(`${this.path}: the series has already begun`);
    this.write(header);
    this.header = header;
    this.metadata = metadata;
  }

  /** Appends one whole, verified chunk. */
  append(h: ChunkHeader, bytes: Uint8Array): void {
    const offset = this.offset;
    this.write(bytes);
    this.chunks.push({ offset, first: h.first, count: h.count, kind: h.kind, end: this.offset });
  }

  /** Writes the index and trailer (the series is complete) and closes the file. */
  async finish(): Promise<number> {
    const sink = { write: (b: Uint8Array) => this.write(b) };
    await ContainerWriter.resume(sink, this.metadata!, this.offset, this.chunks).finish();
    this.close();
    return this.offset;
  }

  /** Reads the chunks kept at opening back, in order (a restarted receiver's analyses start over from them). */
  async replay(kept: number, each: (bytes: Uint8Array, seq: number) => Promise<void>): Promise<void> {
    const src = await fileByteSource(this.path);
    try {
      for (let seq = 0; seq < kept; seq++) {
        const c = this.chunks[seq]!, b = new Uint8Array(c.end - c.offset);
        await src.read(c.offset, b);
        await each(b, seq);
      }
    } finally {
      await src.close?.();
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private write(b: Uint8Array): void {
    if (!this.cut) {
      ftruncateSync(this.fd, this.offset);
      this.cut = true;
    }
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, this.offset + done);
    this.offset += b.length;
  }
}

function openFile(path: string, flags: "w+" | "r+"): number {
  try {
    return openSync(path, flags);
  } catch (e) {
    throw new Error(`${path}: cannot open for writing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
