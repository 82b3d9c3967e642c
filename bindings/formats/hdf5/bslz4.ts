// Decoding chunks of the bitshuffle+LZ4 HDF5 filter (id 32008) with the core's WASM kernels (assembly/lz4.ts,
// assembly/bitshuffle.ts). h5wasm cannot load that filter, so the DECTRIS reader reads the raw chunk bytes itself and
// hands them here. The decoder has its own small instance and memory, separate from any Core's arena, so it can
// run while a reduction holds views into the core's memory.
import { instantiateWasm } from "../../wasm-module.js";

export const BSHUF_LZ4_FILTER = 32008;

type Exports = {
  lz4DecodeBlock(src: number, srcLen: number, dst: number, dstCap: number): number;
  bitshuffleUntranspose(src: number, dst: number, n: number, elemSize: number, tmp: number): void;
  bitshuffleLz4DecodeChunk(src: number, srcLen: number, dst: number, dstLen: number, elemSize: number, scratch: number): number;
};

export class BitshuffleLz4Decoder {
  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly x: Exports,
    private readonly heapBase: number,
  ) {}

  static async create(): Promise<BitshuffleLz4Decoder> {
    const { memory, exports, heapBase } = await instantiateWasm<Exports>("stem4d.simd.wasm", {
      memory: { initial: 16, maximum: 16384 },
      env: { abort: () => { throw new Error("bitshuffle/LZ4 kernel aborted"); } },
    });
    return new BitshuffleLz4Decoder(memory, exports, heapBase);
  }

  /** Grows the memory so that `bytes` fit above the kernels' static data; returns the first free address. */
  private reserve(bytes: number): number {
    const base = (this.heapBase + 15) & ~15;
    const need = base + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    return base;
  }

  /**
   * Decodes one filter chunk into `out` (exactly the chunk's uncompressed size). `where` names the chunk in errors,
   * e.g. "file.h5: /entry/data/data chunk 3 at byte 4096".
   */
  decodeChunk(chunk: Uint8Array, out: Uint8Array, elemSize: number, where: string): void {
    if (chunk.length < 12) throw new Error(`${where}: bitshuffle/LZ4 chunk is ${chunk.length} bytes; expected at least its 12-byte header`);
    const dv = new DataView(chunk.buffer, chunk.byteOffset, 12);
    const total = Number(dv.getBigUint64(0, false));
    const blockBytes = dv.getUint32(8, false);
    if (total !== out.length) throw new Error(`${where}: bitshuffle/LZ4 chunk header says ${total} uncompressed bytes; expected ${out.length}`);
    if (blockBytes === 0 || blockBytes % (8 * elemSize) !== 0 || blockBytes > 1 << 26) {
      throw new Error(`${where}: bitshuffle/LZ4 block size ${blockBytes} bytes (header byte 8) is not a positive multiple of ${8 * elemSize} below 64 MiB`);
    }
    const src = this.reserve(align(chunk.length) + align(out.length) + 2 * blockBytes); // scratch: LZ4 output + byte planes
    const dst = src + align(chunk.length), scratch = dst + align(out.length);
    new Uint8Array(this.memory.buffer, src, chunk.length).set(chunk);
    const r = this.x.bitshuffleLz4DecodeChunk(src, chunk.length, dst, out.length, elemSize, scratch);
    if (r < 0) {
      const code = -r, kind = code % 8, at = (code - kind) / 8;
      const what = kind === 1 ? "its header's sizes do not match the dataset's chunk"
        : kind === 2 ? "a block's stated compressed size runs past the end of the chunk"
        : kind === 3 ? "corrupt LZ4 block"
        : kind === 4 ? "an LZ4 block decodes to the wrong number of bytes"
        : "the chunk ends before its last uncompressed bytes";
      throw new Error(`${where}: cannot decode bitshuffle/LZ4 chunk at chunk byte ${at}: ${what}`);
    }
    out.set(new Uint8Array(this.memory.buffer, dst, out.length));
  }

  /** One raw LZ4 block into `out`; returns the bytes written. For tests and benchmarks. */
  decodeLz4Block(block: Uint8Array, out: Uint8Array): number {
    const src = this.reserve(align(block.length) + out.length);
    const dst = src + align(block.length);
    new Uint8Array(this.memory.buffer, src, block.length).set(block);
    const r = this.x.lz4DecodeBlock(src, block.length, dst, out.length);
    if (r < 0) throw new Error(`corrupt LZ4 block at byte ${-r - 1}`);
    out.set(new Uint8Array(this.memory.buffer, dst, r));
    return r;
  }
}

function align(n: number): number {
  return (n + 15) & ~15;
}
