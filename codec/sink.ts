// Where an encoder's bytes go: anything that takes bytes in order. The container only ever appends, so a file, a
// socket, a fetch body or memory all work. (A Node file sink is in codec/node-sink.ts, which is Node-only.)

/** `write` may be handed views of an encoder's reused buffers: the bytes are valid until its promise resolves (or
 * it returns), so a sink that keeps them must copy them (MemorySink does). */
export interface ByteSink {
  write(bytes: Uint8Array): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Collects everything in memory (tests, small payloads, browsers building a Blob). */
export class MemorySink implements ByteSink {
  private parts: Uint8Array[] = [];
  private size = 0;

  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
    this.size += bytes.length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}
