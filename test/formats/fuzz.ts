// Damaged files for any reader: the file cut at every offset and thousands of seeded random mutations. Each attempt
// must end in the original frames (or frames the damage did not reach) or in one Error whose message starts with the
// file's name; never another exception, a hang, a read beyond the file or an allocation a field merely claims.
import { expect } from "vitest";
import { type ByteSource, type Dataset, frameBytes, frameCount } from "../../bindings/dataset.js";
import { openWithRegistry, type OpenOptions } from "../../bindings/formats/index.js";
import { bufferByteSource } from "../../bindings/sources.js";
import { Rng } from "../../bindings/simulate.js";
import { mutate } from "../helpers/mutate.js";

export type Outcome = { ok: true; ds: Dataset; frames: Uint8Array } | { ok: false; message: string };

/** Largest dataset a fuzzed file of a few KB may claim: anything bigger means a size field was trusted. */
const MAX_CLAIM = 64 << 20;

function watched(bytes: Uint8Array, name: string): ByteSource & { largest: number } {
  const inner = bufferByteSource(bytes, name);
  const s = {
    name, size: inner.size, largest: 0,
    read: (o: number, d: Uint8Array) => { s.largest = Math.max(s.largest, d.length); return inner.read(o, d); },
  };
  return s;
}

/** Opens (and reads every frame of) `bytes` named `name`, siblings by name; classifies the outcome. */
export async function attempt(name: string, bytes: Uint8Array, siblings: Record<string, Uint8Array> = {},
  options: OpenOptions = {}): Promise<Outcome> {
  const src = watched(bytes, name);
  try {
    const ds = await openWithRegistry({
      bytes: src, options,
      sibling: async (rel) => {
        const s = siblings[rel];
        if (!s) throw new Error(`${rel}: no such file`);
        return watched(s, rel);
      },
    });
    const n = frameCount(ds), fb = frameBytes(ds);
    expect(n * fb, `${name}: claims ${n} frames of ${fb} bytes`).toBeLessThanOrEqual(MAX_CLAIM);
    const frames = new Uint8Array(n * fb);
    await ds.source.readFrames(0, n, frames);
    return { ok: true, ds, frames };
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith(`${name}`)) {
      throw new Error(`not one clear error naming the file: ${(e as Error)?.stack ?? e}`);
    }
    return { ok: false, message: e.message };
  } finally {
    expect(src.largest).toBeLessThanOrEqual(bytes.length);
  }
}

/** Cuts the file at every offset; returns how many cuts opened and how many were refused. */
export async function everyTruncation(name: string, file: Uint8Array, original: Uint8Array,
  siblings: Record<string, Uint8Array> = {}): Promise<{ opened: number; refused: number; messages: Set<string> }> {
  let opened = 0, refused = 0;
  const messages = new Set<string>();
  for (let cut = 0; cut < file.length; cut++) {
    const r = await attempt(name, file.subarray(0, cut), siblings);
    if (r.ok) {
      opened++;
      const same = Buffer.compare(Buffer.from(r.frames), Buffer.from(original.subarray(0, r.frames.length)));
      expect(same, `cut at ${cut}`).toBe(0);
    } else {
      refused++;
      messages.add(r.message.replace(/\d+/g, "N"));
    }
  }
  return { opened, refused, messages };
}

/** `runs` seeded mutations; every outcome must be frames or one clear error. Returns how many opened. */
export async function randomMutations(name: string, file: Uint8Array, runs: number, seed: number,
  siblings: Record<string, Uint8Array> = {}): Promise<{ opened: number; refused: number }> {
  const rng = new Rng(seed, 1);
  let opened = 0, refused = 0;
  for (let i = 0; i < runs; i++) {
    const b = file.slice();
    mutate(b, rng);
    const r = await attempt(name, b, siblings);
    if (r.ok) opened++; else refused++;
  }
  return { opened, refused };
}
