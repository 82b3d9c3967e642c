// The codec's numbers: electron counting GB/s of u16 frames, event encoding electrons/s, bytes per electron with and
// without time, lossless compression and decompression MB/s and ratios (against plain zstd on the raw bytes and the
// bitshuffle + zstd baseline) for both zstd backends, and CRC-32C in TypeScript against WASM. One thread throughout
// (per-core figures). Data: simulated 256 x 256 u16 frames, raw low-dose frames before counting (0.01 e/pixel, dark
// level, read noise) and the two-phase simulator's high-dose patterns.
import {
  Core, type Dataset, MemorySink, type SparseEvents, bufferByteSource, compressLossless, concatEvents, countElectrons, countingThresholds,
  crc32c, EventChunkEncoder, EventGrouper, writeRecords, frameBytes, frameCount, groupEvents, memoryDataset, openContainerDataset, simulateElectronFrames,
  simulateTwoPhase, zstdBackend, compressPca, type FilterName, type ZstdBackendName,
} from "../bindings/index.js";
import { availableParallelism, loadavg } from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BenchOptions, type BenchRow, compare } from "./common.js";

/**
 * Medians of process CPU time (user + system) per iteration, and of wall time. The machines these run on are shared,
 * so wall time measures the neighbours as much as the code; CPU time of this single-threaded process is the
 * per-core figure. Throughput is computed from CPU time; the wall-time median is in the note.
 */
async function measure(tasks: { name: string; fn: () => unknown | Promise<unknown>; bytes?: number; unit?: string; units?: number }[], minMs = 400): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const t of tasks) {
    await t.fn();
    const cpu: number[] = [], wall: number[] = [];
    const start = performance.now();
    while (cpu.length < 5 || (performance.now() - start < minMs && cpu.length < 200)) {
      const c0 = process.cpuUsage(), w0 = performance.now();
      await t.fn();
      const c = process.cpuUsage(c0);
      wall.push(performance.now() - w0);
      cpu.push((c.user + c.system) / 1000);
    }
    const median = (a: number[]) => { const b = a.slice().sort((x, y) => x - y); return b[b.length >> 1]!; };
    const ms = median(cpu);
    const row: BenchRow = { name: t.name, medianMs: ms, samples: cpu.length, note: `wall ${median(wall).toFixed(2)} ms` };
    if (t.bytes) { row.throughput = t.bytes / (ms / 1000) / 1e9; row.unit = "GB/s"; }
    else if (t.units) { row.throughput = t.units / (ms / 1000); row.unit = t.unit ?? "/s"; }
    rows.push(row);
  }
  return rows;
}

async function materialize(ds: Dataset): Promise<Dataset> {
  const bytes = new Uint8Array(frameCount(ds) * frameBytes(ds));
  await ds.source.readFrames(0, frameCount(ds), bytes);
  return memoryDataset(new Uint16Array(bytes.buffer), ds.shape, ds.source.name);
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  const frames = o.quick ? 16 : 64;
  const side = Math.sqrt(frames);
  const rows: BenchRow[] = [{ name: "(times: process CPU time, one thread)", medianMs: NaN, note: `load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${availableParallelism()} cores` }];
  const core = await Core.create({ workers: 0 });
  const sim = simulateElectronFrames({ scan: [side, side], detector: [256, 256], dose: 0.01, seed: 3 });
  const lowDose = await materialize(sim.dataset);
  const highDose = await materialize(simulateTwoPhase({ scan: [side, side], detector: [256, 256], seed: 3 }).dataset);
  const rawBytes = frames * 256 * 256 * 2;

  // ---- electron counting ----
  const th = await countingThresholds(core, lowDose, { dark: sim.dark });
  let counted: SparseEvents | undefined;
  rows.push(...await measure([{
    name: "count u16 256x256 (0.01 e/px), 1 thread",
    bytes: rawBytes,
    fn: async () => {
      const blocks: SparseEvents[] = [];
      await countElectrons(core, lowDose, { dark: sim.dark }, (ev) => { blocks.push(ev); }, undefined, th);
      counted = concatEvents(blocks);
    },
  }]));
  const ev = counted!;
  const E = ev.pixels.length;

  // ---- event encoding ----
  // Reference, timed in the same run: zstd L1 (same backend) on the plain 16-byte records, 1 MiB at a time.
  const rng = (() => { let s = 7; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296); })();
  const timed: SparseEvents = { ...ev, times: Float64Array.from({ length: E }, (_, e) => { let p = 0; while (ev.offsets[p + 1]! <= e) p++; return 1e9 + p * 640 + Math.floor(rng() * 640); }) };
  // A shuffled copy (Timepix-style arrival order) to time the grouping too.
  const order = Uint32Array.from({ length: E }, (_, i) => i);
  for (let i = E - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const posOf = new Uint32Array(E);
  for (let p = 0; p < frames; p++) posOf.fill(p, ev.offsets[p]!, ev.offsets[p + 1]!);
  const shuffledPos = Uint32Array.from(order, (i) => posOf[i]!), shuffledPix = Uint32Array.from(order, (i) => ev.pixels[i]!);
  const shuffledTimes = Float64Array.from(order, (i) => timed.times![i]!);
  let sizeNoTime = 0, sizeTime = 0, sizeRecords = 0;
  for (const backend of ["auto", "zstd-codec"] as ZstdBackendName[]) {
    const zb = await zstdBackend(backend);
    const evEnc = await EventChunkEncoder.create(zb), grouper = await EventGrouper.create();
    const records = writeRecords(timed), out = new Uint8Array(zb.compressBound(1 << 20));
    const tag = backend === "auto" ? "" : ` [${backend}]`;
    rows.push(...await measure([
      { name: `event encoding, frame times${tag}`, units: E, unit: "electrons/s", fn: () => { sizeNoTime = evEnc.encode(ev, 1).payload.length; } },
      { name: `event encoding, tick times${tag}`, units: E, unit: "electrons/s", fn: () => { sizeTime = evEnc.encode(timed, 1).payload.length; } },
      { name: `zstd L1 on 16-byte records${tag}`, units: E, unit: "electrons/s", fn: () => { sizeRecords = 0; for (let s = 0; s < records.length; s += 1 << 20) sizeRecords += zb.compressInto(records.subarray(s, Math.min(records.length, s + (1 << 20))), 1, out); } },
      { name: `event grouping (shuffled input) + encoding${tag}`, units: E, unit: "electrons/s", fn: () => { evEnc.encode(grouper.group(ev.scanShape, ev.detShape, 0, frames, shuffledPos, shuffledPix, shuffledTimes), 1); } },
      { name: `event grouping in JS (shuffled input) + encoding${tag}`, units: E, unit: "electrons/s", fn: () => { evEnc.encode(groupEvents(ev.scanShape, ev.detShape, 0, frames, shuffledPos, shuffledPix, shuffledTimes), 1); } },
    ]));
    compare(rows, [[`event grouping (shuffled input) + encoding${tag}`, `event grouping in JS (shuffled input) + encoding${tag}`]]);
    compare(rows, [[`event encoding, frame times${tag}`, `zstd L1 on 16-byte records${tag}`], [`event encoding, tick times${tag}`, `zstd L1 on 16-byte records${tag}`]]);
    evEnc.dispose();
  }
  rows.push({ name: "bytes per electron, frame times", medianMs: NaN, throughput: sizeNoTime / E, unit: "B/electron", note: `${E} electrons, ${(E / frames).toFixed(0)} per frame` });
  rows.push({ name: "bytes per electron, tick times", medianMs: NaN, throughput: sizeTime / E, unit: "B/electron", note: `times: 640 ticks per position; zstd L1 on the 16-byte records: ${(sizeRecords / E).toFixed(2)} B/electron` });

  // ---- lossless frames ----
  for (const [label, ds] of [["low-dose raw", lowDose], ["two-phase", highDose]] as const) {
    for (const backend of ["stem4d", "zstd-codec"] as ZstdBackendName[]) {
      const z = await zstdBackend(backend);
      const raw = new Uint8Array(rawBytes);
      await ds.source.readFrames(0, frames, raw);
      // Plain zstd on the raw bytes, in the same 1 MiB chunks the container uses.
      let plain = 0;
      const plainRow = `${label} plain zstd L1 compress [${backend}]`;
      rows.push(...await measure([{ name: plainRow, bytes: rawBytes, fn: () => { plain = 0; for (let s = 0; s < rawBytes; s += 1 << 20) plain += z.compress(raw.subarray(s, Math.min(rawBytes, s + (1 << 20))), 1).length; } }]));
      rows.at(-1)!.note = `ratio ${(rawBytes / plain).toFixed(2)}; ${rows.at(-1)!.note}`;
      const variants: [string, FilterName, boolean, number][] = [
        ["bitshuffle L1", "bitshuffle", false, 1], ["bitshuffle L-1", "bitshuffle", false, -1], ["bitshuffle+delta L1", "bitshuffle", true, 1], ["byteshuffle L1", "byteshuffle", false, 1],
      ];
      let baseline = 0;
      for (const [v, filter, delta, level] of variants) {
        let file: Uint8Array = new Uint8Array(0);
        const cName = `${label} ${v} compress [${backend}]`, dName = `${label} ${v} decompress [${backend}]`;
        const c = await measure([{ name: cName, bytes: rawBytes, fn: async () => { const s = new MemorySink(); await compressLossless(ds, s, { filter, delta, level, zstd: backend }); file = s.bytes(); } }]);
        const out = new Uint8Array(rawBytes);
        const d = await measure([{ name: dName, bytes: rawBytes, fn: async () => { const r = await openContainerDataset(bufferByteSource(file), { zstd: backend }); await r.source.readFrames(0, frames, out); await r.source.close?.(); } }]);
        if (Buffer.compare(Buffer.from(out), Buffer.from(raw)) !== 0) throw new Error(`${dName}: not bit-exact`);
        if (v === "bitshuffle L1") baseline = file.length;
        c[0]!.note = `ratio ${(rawBytes / file.length).toFixed(2)}: ${(plain / file.length).toFixed(2)}x plain zstd, ${(baseline / file.length).toFixed(2)}x bitshuffle+zstd; ${c[0]!.note}`;
        rows.push(...c, ...d);
      }
    }
  }
  // Backend against backend, as extra rows so the ratio notes stay visible.
  for (const label of ["low-dose raw", "two-phase"]) {
    for (const dir of ["compress", "decompress"]) {
      const a = rows.find((r) => r.name === `${label} bitshuffle L1 ${dir} [stem4d]`)!, b = rows.find((r) => r.name === `${label} bitshuffle L1 ${dir} [zstd-codec]`)!;
      rows.push({ name: `${label} ${dir}: stem4d vs zstd-codec`, medianMs: a.medianMs, ratio: b.medianMs / a.medianMs, reference: "zstd-codec" });
    }
  }

  // ---- PCA-lossy rate-distortion (two-phase patterns, 128 x 128 to keep the fit quick) ----
  {
    const n = o.quick ? 8 : 16;
    const small = await materialize(simulateTwoPhase({ scan: [n, n], detector: [128, 128], seed: 4 }).dataset);
    const bytesIn = n * n * 128 * 128 * 2;
    for (const k of o.quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32]) {
      for (const residual of k === 8 || (o.quick && k === 4) ? [0, 32] : [0]) {
        const c0 = process.cpuUsage(), w0 = performance.now();
        const sink = new MemorySink();
        const r = await compressPca(core, small, sink, { components: k, residual });
        const c = process.cpuUsage(c0);
        rows.push({
          name: `PCA-lossy K=${k}${residual ? ` + ${residual} residual px/frame` : ""} (${n}x${n}x128x128 u16)`,
          medianMs: (c.user + c.system) / 1000, throughput: bytesIn / sink.bytes().length, unit: "x smaller",
          note: `rel. Frobenius ${r.relativeFrobeniusError.toExponential(2)}, PSNR ${r.psnr.toFixed(1)} dB, max |err| ${r.maxAbsError.toFixed(1)}; wall ${(performance.now() - w0).toFixed(0)} ms`,
        });
      }
    }
  }

  // ---- streaming encoders' resident memory (256 x 256 u16 frames, a child process each, V8 left to its own GC) ----
  {
    const script = fileURLToPath(new URL("../../test/codec/fixtures/stream-memory.mjs", import.meta.url));
    const frames = o.quick ? 250 : 1250;
    for (const mode of ["lossless", "events"]) {
      const r = spawnSync(process.execPath, [script, mode, String(frames)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`memory child (${mode}) failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { growthMB: number; rssBeforeMB: number; rssPeakMB: number };
      rows.push({ name: `streaming ${mode} encoder, peak RSS growth (${frames} frames)`, medianMs: NaN, throughput: m.growthMB, unit: "MB",
        note: `RSS ${m.rssBeforeMB.toFixed(0)} MB before (Node + stem4d loaded), ${m.rssPeakMB.toFixed(0)} MB at peak; target: growth < 64 MB` });
    }
  }

  // ---- CRC-32C ----
  const buf = new Uint8Array(8 << 20);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  const table = core.arena.alloc(8192), p = core.arena.put(buf);
  core.call("crc32cFillTable", table);
  rows.push(...await measure([
    { name: "CRC-32C TypeScript slicing-by-8", bytes: buf.length, fn: () => crc32c(buf) },
    { name: "CRC-32C WASM slicing-by-8", bytes: buf.length, fn: () => core.call("crc32cUpdateWasm", 0, p, buf.length, table) },
  ]));
  compare(rows, [["CRC-32C WASM slicing-by-8", "CRC-32C TypeScript slicing-by-8"]]);
  if ((core.call("crc32cUpdateWasm", 0, p, buf.length, table) >>> 0) !== crc32c(buf)) throw new Error("CRC-32C variants disagree");
  await core.close();
  return rows;
}
