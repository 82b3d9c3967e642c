// The codec's own WASM core: one instance with no workers, private to the codec so that its regions never move
// under an analysis's feet. Pre-filters and checksums of big payloads run here. Regions also serve the zstd
// module's arena (zstd-stem4d.ts).
import type { Arena } from "../bindings/arena.js";
import { Core } from "../bindings/core.js";

let core: Promise<Core> | undefined;

export function codecCore(): Promise<Core> {
  return (core ??= Core.create({ workers: 0 }));
}

/** A growable region of an arena (the codec core's, or zstd's): reallocated only when a bigger size is asked for. */
export class Region {
  ptr = 0;
  size = 0;

  constructor(private readonly owner: { readonly arena: Arena }) {}

  ensure(bytes: number): number {
    if (bytes > this.size) {
      if (this.size > 0) this.owner.arena.release(this.ptr);
      this.ptr = this.owner.arena.alloc(bytes);
      this.size = bytes;
    }
    return this.ptr;
  }

  view(bytes: number): Uint8Array {
    return this.owner.arena.bytes(this.ensure(bytes), bytes);
  }

  release(): void {
    if (this.size > 0) this.owner.arena.release(this.ptr);
    this.size = 0;
  }
}
