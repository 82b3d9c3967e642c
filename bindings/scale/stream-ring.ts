// The sender's chunks not yet acknowledged by the receiver, in sequence order, up to a byte budget (the sender's
// memory bound and its window on the wire). The bytes live in one buffer of that size, allocated once and used as a
// circular queue (a chunk always in one piece), so a stream of any length makes no garbage here: JavaScript engines
// collect large garbage buffers late, which would let the sender's memory drift well past the ring. A chunk larger
// than the whole ring is taken alone, in a buffer of its own. Every chunk's frame range is remembered (two numbers a
// chunk), so a gap can always be named by its frames even after its bytes are gone.

export interface RingChunk {
  bytes: Uint8Array;
  frames: [number, number] | null;
}

interface Held extends RingChunk {
  /** Where the bytes start in the ring's buffer, or -1 for a chunk held in a buffer of its own. */
  at: number;
}

export class ChunkRing {
  private chunks: Held[] = [];
  private store?: Uint8Array;
  private head = 0; // where the newest chunk in the buffer ends
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
    return this.held === 0 || this.place(n) >= 0;
  }

  /** Where a chunk of `n` bytes goes in the buffer: -1 when there is no room now, -2 when it is held on its own. */
  private place(n: number): number {
    if (this.held === 0) return n > this.capacityBytes ? -2 : 0;
    if (this.held + n > this.capacityBytes) return -1;
    // Held chunks are all in the buffer here (one held on its own is alone, and past the capacity).
    const tail = this.chunks[0]!.at;
    if (this.head > tail) {
      // Not wrapped: back to the start as soon as the oldest chunk leaves room there (keeps the touched part small).
      if (n <= tail) return 0;
      return this.head + n <= this.capacityBytes ? this.head : -1;
    }
    return this.head + n <= tail ? this.head : -1;
  }

  /** Copies the chunk in, whole or from its pieces in order (the caller may reuse them); fits() of its length
   * must be true. */
  push(seq: number, chunk: Uint8Array | readonly Uint8Array[], frames: [number, number] | null): void {
    if (seq !== this.end) throw new Error(`chunk ring: chunk ${seq} pushed after chunk ${this.end - 1}`);
    const parts = chunk instanceof Uint8Array ? [chunk] : chunk;
    const n = parts.reduce((a, p) => a + p.length, 0), at = this.place(n);
    if (at === -1) throw new Error(`chunk ring: no room for ${n} bytes (${this.held} of ${this.capacityBytes} held)`);
    let kept: Uint8Array;
    if (at === -2) {
      kept = new Uint8Array(n);
    } else {
      this.store ??= new Uint8Array(this.capacityBytes);
      kept = this.store.subarray(at, at + n);
      this.head = at + n;
    }
    let filled = 0;
    for (const p of parts) {
      kept.set(p, filled);
      filled += p.length;
    }
    this.chunks.push({ bytes: kept, frames, at });
    this.held += n;
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
    for (const c of this.chunks.splice(0, n)) this.held -= c.bytes.length;
    this.base += n;
    if (this.held === 0) this.head = 0;
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
