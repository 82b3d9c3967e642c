// JS owns the core's memory. The arena hands out 16-byte-aligned regions of it (first fit, coalescing free list),
// grows the memory when it must, and rebuilds views after growth: never hold a view across an allocation.

const ALIGN = 16;
const PAGE = 65536;
export const MAX_REGION = 1 << 30; // one region never exceeds 1 GiB (wasm32 address space is 4 GiB in all)

export class Arena {
  /** Free spans as [offset, bytes], sorted by offset. */
  private free: [number, number][] = [];
  private live = new Map<number, number>();
  private top: number;
  private liveBytes = 0;
  private peak = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = align(base);
  }

  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  /** Bytes currently allocated, and the most ever allocated at once. */
  get usage(): { live: number; peak: number; memory: number } {
    return { live: this.liveBytes, peak: this.peak, memory: this.memory.buffer.byteLength };
  }

  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`arena: cannot allocate ${bytes} bytes`);
    if (bytes > MAX_REGION) throw new RangeError(`arena: a region of ${bytes} bytes exceeds the 1 GiB limit; process the data in smaller blocks`);
    const size = Math.max(ALIGN, align(bytes));
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const [off, len] = this.free[i]!;
      if (len >= size) {
        ptr = off;
        if (len === size) this.free.splice(i, 1);
        else this.free[i] = [off + size, len - size];
        break;
      }
    }
    if (ptr < 0) {
      // Grow first: a memory that cannot grow leaves the arena as it was.
      this.ensure(this.top + size);
      ptr = this.top;
      this.top += size;
    }
    this.live.set(ptr, size);
    this.liveBytes += size;
    if (this.liveBytes > this.peak) this.peak = this.liveBytes;
    return ptr;
  }

  release(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`arena: release of ${ptr}, which is not an allocated region`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    let i = this.free.findIndex(([off]) => off > ptr);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, [ptr, size]);
    // Coalesce with the neighbours, then give the last span back to the top.
    if (i + 1 < this.free.length && ptr + size === this.free[i + 1]![0]) {
      this.free[i]![1] += this.free[i + 1]![1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1]![0] + this.free[i - 1]![1] === ptr) {
      this.free[i - 1]![1] += this.free[i]![1];
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.free.pop();
    }
  }

  /** Allocates a region and copies `data` into it. */
  put(data: ArrayBufferView): number {
    const ptr = this.alloc(data.byteLength);
    this.bytes(ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }

  bytes(ptr: number, length: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, length); }
  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, length); }
  f64(ptr: number, length: number): Float64Array { return new Float64Array(this.memory.buffer, ptr, length); }
  i32(ptr: number, length: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, length); }
  u32(ptr: number, length: number): Uint32Array { return new Uint32Array(this.memory.buffer, ptr, length); }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      throw new RangeError(`arena: cannot grow the core's memory to ${(end / 2 ** 20).toFixed(0)} MiB (wasm32 allows 4 GiB)`);
    }
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
