// Shared by the format tests: where the real instrument files are (never copied into the repo), reading a whole
// small dataset, per-frame sums, and temporary folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Dataset, frameBytes, frameCount, framePixels } from "../../bindings/dataset.js";
import { typedArray } from "../../bindings/dtype.js";
import { bufferByteSource } from "../../bindings/sources.js";
import { openWithRegistry, type OpenOptions } from "../../bindings/formats/index.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const REAL = resolve(REPO, "../shared/data/real");
export const real = (rel: string) => join(REAL, rel);

/** Every frame of a (small) dataset, as typed values. */
export async function readAll(ds: Dataset): Promise<ArrayLike<number>> {
  const fb = frameBytes(ds), P = frameCount(ds);
  const bytes = new Uint8Array(P * fb);
  await ds.source.readFrames(0, P, bytes);
  return typedArray(ds.dtype, bytes.buffer, 0, P * framePixels(ds));
}

export function sumsOf(values: ArrayLike<number>, frames: number): number[] {
  const q = values.length / frames;
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = 0; i < q; i++) s += values[f * q + i]!;
    out.push(s);
  }
  return out;
}

/** Opens in-memory file bytes through the registry, with siblings from a map of names. */
export function openBytes(name: string, bytes: Uint8Array, options: OpenOptions = {}, siblings: Record<string, Uint8Array> = {}): Promise<Dataset> {
  return openWithRegistry({
    bytes: bufferByteSource(bytes, name),
    options,
    sibling: async (rel) => {
      const s = siblings[rel];
      if (!s) throw new Error(`${rel}: no such file`);
      return bufferByteSource(s, rel);
    },
    siblingNames: async () => [name, ...Object.keys(siblings)],
  });
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "stem4d-formats-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** -1 when both hold the same values, else the first index where they differ (fast for large arrays). */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
