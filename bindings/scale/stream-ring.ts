// The sender's chunks not yet acknowledged by the receiver, in sequence order, up to a byte budget (the sender's
// memory bound and its window on the wire). Every chunk's frame range is remembered (two numbers a chunk), so a
// gap can always be named by its frames even after its bytes are gone.

export interface RingChunk {
  bytes: Uint8Array;
  frames: [number, number] | null;
}

export class ChunkRing {
  private chunks: (RingChunk | undefined)[] = [];
  private base = 0; // seq of chunks[0]
  private held = 0;
  private ranges = new Float64Array(256); // per seq: first, end (-1 for none)
  /** Chunks [0, end) have been pushed; [oldest, end) are held. */
  end = 0;

  constructor(readonly capacityBytes: number) {}

  get oldest(): number {
    return this.base;
  }

  get heldBytes(): number {
    return this.held;
  }

  /** True when a chunk of `n` bytes may be pushed now (an empty ring takes any chunk). */
  fits(n: number): boolean {
    return this.held === 0 || this.held + n <= this.capacityBytes;
  }

  push(seq: number, bytes: Uint8Array, frames: [number, number] | null): void {
    if (seq !== this.end) throw new Error(`chunk ring: chunk ${seq} pushed after chunk ${this.end - 1}`);
    this.chunks.push({ bytes, frames });
    this.held += bytes.length;
    if (this.ranges.length < 2 * (seq + 1)) {
      const grown = new Float64Array(this.ranges.length * 2);
      grown.set(this.ranges);
      this.ranges = grown;
    }
    this.ranges[2 * seq] = frames ? frames[0] : -1;
    this.ranges[2 * seq + 1] = frames ? frames[1] : -1;
    this.end++;
  }

  get(seq: number): RingChunk | undefined {
    return seq >= this.base ? this.chunks[seq - this.base] : undefined;
  }

  /** Drops chunks before `next` (acknowledged). */
  release(next: number): void {
    const n = Math.min(next, this.end) - this.base;
    if (n <= 0) return;
    for (const c of this.chunks.splice(0, n)) this.held -= c!.bytes.length;
    this.base += n;
  }

  /** The frames chunks a..b (inclusive) hold together, or null when none holds frames. */
  framesOf(a: number, b: number): [number, number] | null {
    let lo = Infinity, hi = -Infinity;
    for (let s = Math.max(0, a); s <= Math.min(b, this.end - 1); s++) {
      if (this.ranges[2 * s]! < 0) continue;
      lo = Math.min(lo, this.ranges[2 * s]!);
      hi = Math.max(hi, this.ranges[2 * s + 1]!);
    }
    return lo === Infinity ? null : [lo, hi];
  }
}
