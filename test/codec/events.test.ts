// Event mode: 16-byte records, the columnar chunk encoding (with and without time), events -> dense frames equal
// to counting's own dense result, virtual images and centre of mass from events equal to those from dense frames,
// the stempy and raw_csr exports (the latter read back by scipy), and bytes per electron at low dose.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { Core, annulusMask, bufferByteSource, centerOfMass, diskMask, memoryDataset, runReductions, virtualImages } from "../../bindings/index.js";
import { Rng } from "../../bindings/simulate.js";
import {
  EventEncoder, MemorySink, type SparseEvents, concatEvents, containerDataset, ContainerReader, countElectrons,
  densify, groupEvents, readContainerEvents, readRecords, simulateElectronFrames, toRawCsr, toStempySparse, writeRecords,
} from "../../bindings/index.js";
import { hasPython, runPython } from "../helpers/python.js";
import { TARGET_CHUNK_ELECTRONS } from "../../codec/event-encoder.js";
import { sliceEvents } from "../../codec/events.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

let core: Core;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

/** Loose random events: positions and pixels in any order, times as ticks within each position's dwell. */
function randomEvents(scan: [number, number], det: [number, number], perPosition: number, seed: number, ticks: boolean): SparseEvents {
  const rng = new Rng(seed, 1);
  const P = scan[0] * scan[1], Q = det[0] * det[1];
  const pos: number[] = [], pix: number[] = [], time: number[] = [];
  for (let p = 0; p < P; p++) {
    const n = rng.poisson(perPosition);
    for (let k = 0; k < n; k++) {
      pos.push(p);
      pix.push(Math.floor(rng.next() * Q));
      time.push(ticks ? 1e12 + p * 640 + Math.floor(rng.next() * 640) : p);
    }
  }
  // Shuffle so the grouping has work to do.
  for (let i = pos.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [pos[i], pos[j]] = [pos[j]!, pos[i]!]; [pix[i], pix[j]] = [pix[j]!, pix[i]!]; [time[i], time[j]] = [time[j]!, time[i]!];
  }
  return groupEvents(scan, det, 0, P, Uint32Array.from(pos), Uint32Array.from(pix), ticks ? Float64Array.from(time) : undefined);
}

async function toContainer(ev: SparseEvents, ppc?: number): Promise<Uint8Array> {
  const sink = new MemorySink();
  const enc = await EventEncoder.create(sink, { scanShape: ev.scanShape, detShape: ev.detShape }, { positionsPerChunk: ppc });
  await enc.push(ev);
  await enc.finish();
  return sink.bytes();
}

async function fromContainer(bytes: Uint8Array): Promise<SparseEvents> {
  return readContainerEvents(await ContainerReader.open(bufferByteSource(bytes, "ev.s4d")));
}

function expectSameEvents(a: SparseEvents, b: SparseEvents): void {
  expect(Array.from(a.offsets)).toEqual(Array.from(b.offsets));
  expect(Array.from(a.pixels)).toEqual(Array.from(b.pixels));
  expect(a.times ? Array.from(a.times) : undefined).toEqual(b.times ? Array.from(b.times) : undefined);
}

describe("event records", () => {
  it("round-trip through the 16-byte layout, grouped in canonical order", () => {
    const ev = randomEvents([5, 7], [32, 48], 20, 1, true);
    const bytes = writeRecords(ev);
    expect(bytes.length).toBe(16 * ev.pixels.length);
    const dv = new DataView(bytes.buffer);
    // Record 0 by hand: position 0 -> x 0, y 0; its pixel as (u, v); its time.
    expect([dv.getUint16(0, true), dv.getUint16(2, true), dv.getUint16(4, true), dv.getUint16(6, true)]).toEqual([0, 0, ev.pixels[0]! % 48, Math.floor(ev.pixels[0]! / 48)]);
    expect(dv.getUint32(8, true) + dv.getUint32(12, true) * 2 ** 32).toBe(ev.times![0]);
    expectSameEvents(readRecords(bytes, [5, 7], [32, 48]), ev);
  });

  it("reject records outside the scan or detector, and partial records, with the byte offset", () => {
    const bytes = writeRecords(randomEvents([2, 2], [8, 8], 3, 2, false));
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint16(16 + 4, 8, true);
    expect(() => readRecords(bad, [2, 2], [8, 8])).toThrow(/record 1 at byte 16: detector pixel \(u 8/);
    expect(() => readRecords(bytes.subarray(0, 20), [2, 2], [8, 8])).toThrow(/partial record/);
  });
});

describe("columnar event chunks", () => {
  for (const ticks of [false, true]) {
    it(`round-trip exactly ${ticks ? "with tick times" : "with frame times"}, over several chunks`, async () => {
      const ev = randomEvents([9, 11], [64, 64], 30, ticks ? 3 : 4, ticks);
      expectSameEvents(await fromContainer(await toContainer(ev, 7)), ev);
    });
  }

  it("round-trip empty positions, empty chunks and repeated pixels", async () => {
    const ev = groupEvents([3, 4], [4, 4], 0, 12, Uint32Array.of(5, 5, 5, 11, 0), Uint32Array.of(3, 3, 15, 0, 0), Float64Array.of(9, 7, 8, 1e15, 0));
    expectSameEvents(await fromContainer(await toContainer(ev, 2)), ev);
  });

  it("cut the same chunks whatever blocks the events arrive in, dense ones near the electron target", async () => {
    // About 300k electrons a position: a chunk of a whole scan row would pass the target several times over.
    const ev = randomEvents([2, 5], [1024, 1024], 300_000, 6, false);
    const chunked = async (block: number) => {
      const sink = new MemorySink();
      const enc = await EventEncoder.create(sink, { scanShape: ev.scanShape, detShape: ev.detShape });
      for (let at = 0; at < 10; at += block) await enc.push(sliceEvents(ev, at, Math.min(10, at + block)));
      await enc.finish();
      return sink.bytes();
    };
    const whole = await chunked(10);
    const reader = await ContainerReader.open(bufferByteSource(whole, "dense.s4d"));
    // Byte for byte from the first chunk on (the header's metadata holds the time it was made).
    const chunkRegion = (b: Uint8Array) => b.subarray(reader.dataStart);
    for (const block of [1, 3, 4]) expect(Buffer.compare(chunkRegion(await chunked(block)), chunkRegion(whole))).toBe(0);
    const perChunk = reader.chunks.map((c) => ev.offsets[c.first + c.count]! - ev.offsets[c.first]!);
    expect(Math.max(...perChunk)).toBeLessThanOrEqual(TARGET_CHUNK_ELECTRONS);
    expect(reader.chunks.map((c) => c.count)).toEqual([3, 3, 3, 1]);
    expectSameEvents(await fromContainer(whole), ev);
  });

  it("write the same chunks for blocks with and without times as for the blocks joined first", async () => {
    const ev = randomEvents([6, 9], [32, 32], 40, 7, true);
    const blocks = [0, 5, 11, 12, 30, 41, 54].slice(0, -1).map((a, i, all) => sliceEvents(ev, a, [...all, 54][i + 1]!));
    // Blocks 0, 2 and 4 lose their times (an electron's time is then its frame number).
    const mixed = blocks.map((b, i) => (i % 2 === 0 ? { ...b, times: undefined } : b));
    const sink = new MemorySink();
    const enc = await EventEncoder.create(sink, { scanShape: ev.scanShape, detShape: ev.detShape }, { positionsPerChunk: 7 });
    for (const b of mixed) await enc.push(b);
    await enc.finish();
    const joined = await toContainer(concatEvents(mixed), 7);
    const reader = await ContainerReader.open(bufferByteSource(joined, "joined.s4d"));
    expect(Buffer.compare(sink.bytes().subarray(reader.dataStart), joined.subarray(reader.dataStart))).toBe(0);
  });

  it("store at most 2 bytes per electron without time and 4 with time at low dose", async () => {
    // 0.01 electrons per pixel on a 128 x 128 detector: ~164 per position.
    for (const ticks of [false, true]) {
      const ev = randomEvents([16, 16], [128, 128], 164, 5, ticks);
      const bytes = await toContainer(ev);
      const perElectron = bytes.length / ev.pixels.length;
      expect(perElectron).toBeLessThan(ticks ? 4 : 2);
    }
  });
});

describe("events from counting", () => {
  const sim = simulateElectronFrames({ scan: [5, 6], detector: [64, 48], dose: 0.01, seed: 21 });
  let ev: SparseEvents, dense: Uint16Array;

  beforeAll(async () => {
    const blocks: SparseEvents[] = [];
    await countElectrons(core, sim.dataset, { dark: sim.dark, blockBytes: 7 * 64 * 48 * 2 }, (b) => { blocks.push(b); });
    ev = concatEvents(blocks);
    // Counting's own dense result: a 1 at every electron it reported, frame by frame.
    dense = new Uint16Array(30 * 64 * 48);
    for (let f = 0; f < 30; f++) for (let e = ev.offsets[f]!; e < ev.offsets[f + 1]!; e++) dense[f * 3072 + ev.pixels[e]!] = 1;
  });

  it("decode from a container to dense frames equal to counting's dense result", async () => {
    const file = await toContainer(ev, 4);
    const ds = await containerDataset(await ContainerReader.open(bufferByteSource(file, "count.s4d")));
    expect(ds.shape).toEqual([5, 6, 64, 48]);
    const out = new Uint8Array(dense.byteLength);
    await ds.source.readFrames(0, 30, out);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(dense.buffer))).toBe(0);
    const mid = new Uint8Array(3 * 3072 * 2);
    await ds.source.readFrames(3, 3, mid); // straddles chunks [0,4) and [4,8)
    expect(Buffer.compare(Buffer.from(mid), Buffer.from(dense.buffer, 3 * 3072 * 2, 3 * 3072 * 2))).toBe(0);
  });

  it("read back as a dataset, give the virtual images and centre of mass of the dense frames", async () => {
    const ds = await containerDataset(await ContainerReader.open(bufferByteSource(await toContainer(ev, 4), "count.s4d")));
    const dense4d = memoryDataset(dense, [5, 6, 64, 48]);
    const c = { cy: 31.5, cx: 23.5 };
    const masks = [diskMask(64, 48, c, 10), annulusMask(64, 48, c, 12, 30), new Float32Array(3072).fill(1)];
    const [a, comA] = await runReductions(core, ds, [virtualImages(masks), centerOfMass(64, 48, c)]);
    const [b, comB] = await runReductions(core, dense4d, [virtualImages(masks), centerOfMass(64, 48, c)]);
    masks.forEach((_, m) => expect(Array.from(a.images[m]!)).toEqual(Array.from(b.images[m]!)));
    expect(Array.from(comA.comY)).toEqual(Array.from(comB.comY));
    expect(Array.from(comA.comX)).toEqual(Array.from(comB.comX));
    expect(Math.max(...comA.total)).toBeGreaterThan(0);
  });

  it("export to stempy's per-position lists and to raw_csr", () => {
    const st = toStempySparse(ev);
    expect(st.data.length).toBe(30);
    expect(st.frameShape).toEqual([64, 48]);
    st.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(ev.pixels.subarray(ev.offsets[i]!, ev.offsets[i + 1]!))));
    const csr = toRawCsr(ev);
    const rebuilt = new Uint16Array(30 * 3072);
    const densified = new Uint8Array(30 * 3072 * 2);
    densify(ev, 0, 30, 3072, "u16", densified);
    for (let i = 0; i < 30; i++) for (let k = Number(csr.indptr[i]); k < Number(csr.indptr[i + 1]); k++) rebuilt[i * 3072 + csr.indices[k]!] = csr.values[k]!;
    expect(Buffer.compare(Buffer.from(rebuilt.buffer), Buffer.from(densified))).toBe(0);
  });
});

describe.skipIf(!hasPython(["numpy", "scipy"]))("raw_csr read by scipy", () => {
  it("is the dense count matrix", () => {
    const ev = randomEvents([4, 5], [16, 16], 12, 9, true);
    const csr = toRawCsr(ev);
    const dir = mkdtempSync(join(tmpdir(), "csr-"));
    writeFileSync(join(dir, "indptr.raw"), new Uint8Array(csr.indptr.buffer));
    writeFileSync(join(dir, "indices.raw"), new Uint8Array(csr.indices.buffer));
    writeFileSync(join(dir, "values.raw"), new Uint8Array(csr.values.buffer, 0, csr.values.byteLength));
    const out = runPython(`
import sys, numpy as np, scipy.sparse as sp
d = sys.argv[1]
m = sp.csr_matrix((np.fromfile(d + "/values.raw", "<u2"), np.fromfile(d + "/indices.raw", "<i4"), np.fromfile(d + "/indptr.raw", "<i8")), shape=(20, 256))
print(",".join(str(int(v)) for v in np.asarray(m.todense()).ravel()))`, [dir]);
    const dense = new Uint8Array(20 * 256 * 2);
    densify(ev, 0, 20, 256, "u16", dense);
    expect(out.trim().split(",").map(Number)).toEqual(Array.from(new Uint16Array(dense.buffer)));
  });
});
