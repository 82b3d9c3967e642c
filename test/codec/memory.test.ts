// The streaming encoders' resident memory on 256 x 256 u16 frames, measured in a child process (its RSS before the
// codec is loaded and at its peak). Both the live memory (garbage collected at every sample) and the natural peak
// (V8 left to its own collection policy) must grow by less than 64 MB and not with the stream length: the encoders
// and the zstd backends reuse their buffers, so there is no per-chunk garbage for V8 to let pile up. Also: the
// encoding path imports no Node module (a static walk of its imports).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(join(root, "dist/codec/lossless.js"));
const script = fileURLToPath(new URL("./fixtures/stream-memory.mjs", import.meta.url));

function run(mode: string, frames: number, gc: boolean): { growthMB: number; rssPeakMB: number; rssBeforeMB: number; bytesIn: number; bytesOut: number } {
  const args = gc ? ["--expose-gc", script] : [script];
  const r = spawnSync(process.execPath, [...args, mode, String(frames)], { encoding: "utf8", timeout: 300_000, env: { ...process.env, GC: gc ? "1" : "" } });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe.skipIf(!built)("streaming encoder memory (256 x 256 u16 frames)", () => {
  for (const mode of ["lossless", "events"]) {
    it(`${mode}: live and natural peak memory grow by less than 64 MB, whatever the stream length`, () => {
      // The short stream is past the encoders' warm-up (their buffers reach their size within a few hundred
      // frames), so that any difference is growth with the stream's length.
      const short = run(mode, 750, true), long = run(mode, 2250, true);
      expect(long.bytesIn).toBe(2250 * 256 * 256 * 2);
      expect(short.growthMB).toBeLessThan(64);
      expect(long.growthMB).toBeLessThan(64);
      // Three times the frames may not cost more memory.
      expect(long.growthMB - short.growthMB).toBeLessThan(8);
      // No forced collections: V8's own policy, with nothing left behind per chunk.
      const natShort = run(mode, 750, false), natLong = run(mode, 2250, false);
      expect(natShort.growthMB).toBeLessThan(64);
      expect(natLong.growthMB).toBeLessThan(64);
      expect(natLong.growthMB - natShort.growthMB).toBeLessThan(16);
      console.log(`${mode}: RSS ${long.rssBeforeMB.toFixed(0)} MB before; peak growth ${long.growthMB.toFixed(1)} MB live, ${natLong.growthMB.toFixed(1)} MB natural (absolute peak ${natLong.rssPeakMB.toFixed(0)} MB)`);
    }, 300_000);
  }
});

/** Relative imports of a TypeScript file, resolved to their .ts sources; bare specifiers returned as they are. */
function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']/gm), ...src.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)]
    .filter((m) => !/^\s*import\s+type\s/.test(m[0]))
    .map((m) => m[1]!)
    .map((s) => (s.startsWith(".") ? resolve(dirname(file), s.replace(/\.js$/, ".ts")) : s));
}

describe("the codec path", () => {
  it("imports no Node module and no package (zstd is our own build/zstd.wasm)", () => {
    const seen = new Set<string>(), bare = new Set<string>();
    const todo = ["codec/index.ts", "bindings/formats/container.ts"].map((f) => join(root, f));
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const i of imports(f)) (i.startsWith("/") ? todo.push(i) : bare.add(i));
    }
    expect(seen.has(join(root, "codec/node-sink.ts"))).toBe(false);
    expect([...bare].sort()).toEqual([]);
  });
});
