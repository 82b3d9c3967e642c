// Reads a header or a tag tree front to back in windows of a file, so that a parser can take a few bytes at a time
// without reading the file whole or issuing one read per field. Every read past the end names the field and offset.
import type { ByteSource } from "../dataset.js";

const WINDOW = 1 << 16;

export class ByteCursor {
  /** Offset of the next byte to take. */
  pos: number;
  private buf = new Uint8Array(0);
  private bufStart = 0;

  constructor(readonly bytes: ByteSource, pos = 0) {
    this.pos = pos;
  }

  /** The next n bytes (a view valid until the next take), advancing past them. */
  async take(n: number, what: string): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.size) {
      throw new Error(`${this.bytes.name}: ${what} at byte ${this.pos} needs ${n} bytes, but the file ends at byte ` +
          `${this.bytes.size}`);
    }
    const at = this.pos - this.bufStart;
    if (at < 0 || at + n > this.buf.length) {
      this.buf = new Uint8Array(Math.min(Math.max(n, WINDOW), this.bytes.size - this.pos));
      this.bufStart = this.pos;
      await this.bytes.read(this.pos, this.buf);
    }
    const from = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(from, from + n);
  }

  /** A DataView over the next n bytes, advancing past them. */
  async view(n: number, what: string): Promise<DataView> {
    const b = await this.take(n, what);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Moves past n bytes without reading them; they must exist. */
  skip(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.size) {
      throw new Error(`${this.bytes.name}: ${what} at byte ${this.pos} is ${n} bytes long, but the file ends at ` +
          `byte ${this.bytes.size}`);
    }
    this.pos += n;
  }
}

/** An unsigned 64-bit integer as a number, or an error when it is beyond 2^53 (no file is that large). */
export function safeU64(dv: DataView, at: number, littleEndian: boolean, what: () => string): number {
  const v = dv.getBigUint64(at, littleEndian);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what()} is ${v}, beyond any file size`);
  return Number(v);
}
