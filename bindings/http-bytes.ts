// A ByteSource over HTTP: bytes fetched with Range requests as readers ask for them, so a file served by
// `stem4d serve` (or any server that honours Range) is read in pieces, never downloaded whole. Small reads (headers,
// HDF5 B-tree nodes) go through a few cached aligned blocks; large reads are split into ranges fetched in parallel.
import type { ByteSource } from "./dataset.js";

export interface HttpByteSourceOptions {
  /** What error messages call it (default: the URL's last path segment). */
  name?: string;
  /** The largest range asked for at once (default 8 MiB). */
  rangeBytes?: number;
  /** Ranges fetched at once for one large read (default 4). */
  parallel?: number;
}

/** Reads below this size are served from cached blocks of this size. */
const BLOCK = 64 << 10, CACHED_BLOCKS = 16;

/** The `size` bytes at `url` (the server's listing gives the size: see cli/web-server.ts). */
export function httpByteSource(url: string, size: number, o: HttpByteSourceOptions = {}): ByteSource {
  const name = o.name ?? decodeURIComponent(url.split(/[?#]/)[0]!.split("/").pop() ?? url);
  const rangeBytes = o.rangeBytes ?? 8 << 20, parallel = o.parallel ?? 4;
  const blocks = new Map<number, Promise<Uint8Array>>();

  async function fetchRange(offset: number, length: number): Promise<Uint8Array> {
    const end = offset + length - 1;
    const res = await fetch(url, { headers: { Range: `bytes=${offset}-${end}` } });
    if (res.status !== 206) {
      await res.body?.cancel();
      throw new Error(`${name}: the server answered ${res.status} to a request for bytes ${offset}-${end} (expected ` +
        "206 Partial Content: it must support HTTP Range requests)");
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length !== length) {
      throw new Error(`${name}: the server sent ${bytes.length} bytes for bytes ${offset}-${end} (expected ${length})`);
    }
    return bytes;
  }

  function block(index: number): Promise<Uint8Array> {
    let b = blocks.get(index);
    if (b) {
      blocks.delete(index); // most recently used last
    } else {
      const start = index * BLOCK;
      b = fetchRange(start, Math.min(BLOCK, size - start));
      b.catch(() => blocks.delete(index));
    }
    blocks.set(index, b);
    while (blocks.size > CACHED_BLOCKS) blocks.delete(blocks.keys().next().value!);
    return b;
  }

  return {
    name,
    size,
    async read(offset, dest) {
      if (offset < 0 || offset + dest.length > size) {
        throw new Error(`${name}: read of ${dest.length} bytes at offset ${offset} runs past the end (${size} bytes)`);
      }
      if (dest.length === 0) return;
      if (dest.length < BLOCK) {
        const first = Math.floor(offset / BLOCK), last = Math.floor((offset + dest.length - 1) / BLOCK);
        for (let i = first; i <= last; i++) {
          const b = await block(i), base = i * BLOCK;
          const start = Math.max(offset, base), end = Math.min(offset + dest.length, base + BLOCK);
          dest.set(b.subarray(start - base, end - base), start - offset);
        }
        return;
      }
      const pieces: number[] = [];
      for (let at = 0; at < dest.length; at += rangeBytes) pieces.push(at);
      let next = 0;
      const worker = async () => {
        while (next < pieces.length) {
          const at = pieces[next++]!, length = Math.min(rangeBytes, dest.length - at);
          dest.set(await fetchRange(offset + at, length), at);
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, pieces.length) }, worker));
    },
    async close() {
      blocks.clear();
    },
  };
}
