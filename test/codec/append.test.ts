// Appending to a container (codec/container-append.ts): a file cut at any offset (or finished early, or with a
// damaged chunk) is verified, cut after its last whole chunk that continues the stream, and continued with new
// chunks and a fresh index. The result must be a complete container that decodes to the kept chunks followed by the
// new ones, i.e. to the whole original data. Also `stem4d compress --append` on a file cut short.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "../../bindings/node.js";
import { bufferByteSource, frameBytes, memoryDataset, saveNpy } from "../../bindings/node.js";
import {
  ContainerReader, EventEncoder, MemorySink, type SparseEvents, appendLossless, compressLossless, groupEvents, openContainerDataset,
  planAppend, readContainerEvents, sliceEvents, CodecError,
} from "../../bindings/index.js";
import { bitPatterns, bytesOf, sameBytes } from "./helpers.js";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Cut offsets: every chunk boundary and one byte either side, plus random ones, plus the whole file. */
function cuts(file: Uint8Array, chunkEnds: number[], seed: number, random = 40): number[] {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const set = new Set<number>([file.length]);
  for (const e of chunkEnds) for (const d of [-1, 0, 1]) if (e + d > 0 && e + d <= file.length) set.add(e + d);
  for (let i = 0; i < random; i++) set.add(1 + Math.floor(r() * file.length));
  return [...set].sort((a, b) => a - b);
}

describe("append to a lossless container", () => {
  const shape = [23, 16, 16];
  const data = bitPatterns("u16", 23 * 256, 5, 0.7);
  const ds = memoryDataset(data, shape);

  it("continues a file cut at any offset: the result is complete and decodes to the whole data", async () => {
    const sink = new MemorySink();
    await compressLossless(ds, sink, { framesPerChunk: 4 });
    const file = sink.bytes();
    const full = await ContainerReader.open(bufferByteSource(file, "full.s4d"));
    const ends = full.chunks.map((c) => c.end), firsts = full.chunks.map((c) => c.first + c.count);
    let tried = 0;
    for (const cut of cuts(file, [full.dataStart, ...ends], 11)) {
      const part = file.slice(0, cut);
      if (cut < full.dataStart) {
        // The header and metadata must be whole: nothing to continue from.
        await expect(planAppend(bufferByteSource(part, "cut.s4d"))).rejects.toThrow(CodecError);
        continue;
      }
      const plan = await planAppend(bufferByteSource(part, "cut.s4d"));
      // Independently: the whole chunks are those ending within the cut.
      const whole = ends.filter((e) => e <= cut).length;
      expect(plan.chunks.length, `cut ${cut}`).toBe(whole);
      expect(plan.keepBytes).toBe(whole ? ends[whole - 1]! : full.dataStart);
      expect(plan.next).toBe(whole ? firsts[whole - 1]! : 0);
      const more = new MemorySink();
      const r = await appendLossless(ds, more, plan);
      expect(r.frames).toBe(23);
      const joined = concat(part.subarray(0, plan.keepBytes), more.bytes());
      const back = await openContainerDataset(bufferByteSource(joined, "joined.s4d"));
      expect(back.container.status.complete, `cut ${cut}`).toBe(true);
      // The kept chunks are byte for byte the old ones.
      expect(sameBytes(joined.subarray(0, plan.keepBytes), file.subarray(0, plan.keepBytes))).toBe(true);
      const out = new Uint8Array(23 * frameBytes(ds));
      await back.source.readFrames(0, 23, out);
      expect(sameBytes(out, bytesOf(data)), `cut ${cut}`).toBe(true);
      tried++;
    }
    expect(tried).toBeGreaterThan(30);
  });

  it("cuts at a damaged chunk and everything after it, and says so", async () => {
    const sink = new MemorySink();
    await compressLossless(ds, sink, { framesPerChunk: 4 });
    const file = sink.bytes();
    const full = await ContainerReader.open(bufferByteSource(file, "full.s4d"));
    const bad = file.slice();
    bad[full.chunks[2]!.offset + 40]! ^= 0x10; // inside chunk 2's payload
    const plan = await planAppend(bufferByteSource(bad, "bad.s4d"));
    expect(plan.chunks.length).toBe(2);
    expect(plan.next).toBe(8);
    expect(plan.note).toMatch(/chunk 2 at byte \d+/);
    const more = new MemorySink();
    await appendLossless(ds, more, plan);
    const back = await openContainerDataset(bufferByteSource(concat(bad.subarray(0, plan.keepBytes), more.bytes()), "joined.s4d"));
    const out = new Uint8Array(23 * frameBytes(ds));
    await back.source.readFrames(0, 23, out);
    expect(sameBytes(out, bytesOf(data))).toBe(true);
  });

  it("refuses an input that is not the container's data", async () => {
    const sink = new MemorySink();
    await compressLossless(ds, sink, { framesPerChunk: 4 });
    const plan = await planAppend(bufferByteSource(sink.bytes().slice(0, 500), "cut.s4d"));
    await expect(appendLossless(memoryDataset(bitPatterns("u16", 22 * 256, 1), [22, 16, 16]), new MemorySink(), plan)).rejects.toThrow(/container holds 23 x 16 x 16 u16/);
  });
});

describe("append to an events container", () => {
  it("continues a file cut at any offset with the positions it lacks", async () => {
    const scan: [number, number] = [5, 6], det: [number, number] = [32, 32], P = 30;
    let s = 3;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const pos: number[] = [], pix: number[] = [], t: number[] = [];
    for (let p = 0; p < P; p++) for (let k = Math.floor(r() * 40); k > 0; k--) { pos.push(p); pix.push(Math.floor(r() * 1024)); t.push(1e6 + p * 100 + Math.floor(r() * 100)); }
    const ev: SparseEvents = groupEvents(scan, det, 0, P, Uint32Array.from(pos), Uint32Array.from(pix), Float64Array.from(t));
    const sink = new MemorySink();
    const enc = await EventEncoder.create(sink, { scanShape: scan, detShape: det }, { positionsPerChunk: 6 });
    await enc.push(ev);
    await enc.finish();
    const file = sink.bytes();
    const full = await ContainerReader.open(bufferByteSource(file, "ev.s4d"));
    for (const cut of cuts(file, full.chunks.map((c) => c.end), 7, 20)) {
      if (cut < full.dataStart) continue;
      const plan = await planAppend(bufferByteSource(file.slice(0, cut), "cut.s4d"));
      const more = new MemorySink();
      const e2 = await EventEncoder.resume(more, plan);
      if (plan.next < P) await e2.push(sliceEvents(ev, plan.next, P));
      const fin = await e2.finish();
      expect(fin.positions).toBe(P);
      const reader = await ContainerReader.open(bufferByteSource(concat(file.subarray(0, plan.keepBytes), more.bytes()), "joined.s4d"));
      expect(reader.status.complete).toBe(true);
      const back = await readContainerEvents(reader);
      expect(Array.from(back.offsets), `cut ${cut}`).toEqual(Array.from(ev.offsets));
      expect(Array.from(back.pixels)).toEqual(Array.from(ev.pixels));
      expect(Array.from(back.times!)).toEqual(Array.from(ev.times!));
    }
  });
});

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist/cli/main.js");

describe.skipIf(!existsSync(cli))("stem4d compress --append", () => {
  it("continues a container cut short and verifies whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s4d-append-"));
    const data = bitPatterns("u16", 40 * 64, 9, 0.5);
    await saveNpy(join(dir, "in.npy"), data, "u16", [40, 8, 8]);
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
    expect(run("compress", join(dir, "in.npy"), "-o", join(dir, "out.s4d"), "--frames-per-chunk", "3").status).toBe(0);
    const file = readFileSync(join(dir, "out.s4d"));
    writeFileSync(join(dir, "out.s4d"), file.subarray(0, Math.floor(file.length * 0.6)));
    const a = run("compress", join(dir, "in.npy"), "-o", join(dir, "out.s4d"), "--append", "--json");
    expect(a.status, a.stderr).toBe(0);
    const summary = JSON.parse(a.stdout);
    expect(summary.frames).toBe(40);
    expect(summary.appendedFrom).toBeGreaterThan(0);
    expect(summary.appendedFrom).toBeLessThan(40);
    expect(run("verify", join(dir, "out.s4d")).status).toBe(0);
    expect(run("decompress", join(dir, "out.s4d"), "-o", join(dir, "back.npy")).status).toBe(0);
    expect(sameBytes(readFileSync(join(dir, "back.npy")).subarray(-data.byteLength), bytesOf(data))).toBe(true);
  }, 60_000);
});
