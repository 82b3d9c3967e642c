// The compressed live stream (`--only stream`): `stem4d stream send` and `stream receive` as two processes on TCP
// loopback, for each encoding, on low-dose frames of an integrating detector (dark level, read noise, electrons of
// ~40 ADU: what the edge counts) and on counted low-dose patterns (a counting detector's frames). Frames/s and
// bytes on the wire, on loopback and through a link the sender throttles itself to (--link-mbps), each compared
// with raw in the same run. Then counting + event encoding per core (electrons/s, GB/s of input), and the sender's
// peak RSS for events and lossless per runtime on a 1 GB stream (bench/stream-memory.ts; 10 GB: --only stream-memory).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Core, type Dataset, countToEvents, frameBytes, memoryDataset, openDataset, simulateElectronFrames, simulateTwoPhase, streamFrames } from "../bindings/node.js";
import { saveNpy, writeDatasetNpy } from "../bindings/node-files.js";
import type { BenchOptions, BenchRow } from "./common.js";
import { freePort } from "./net.js";
import { senderMemoryRows } from "./stream-memory.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => { stdout += d.toString(); });
    p.stderr.on("data", (d) => { stderr += d.toString(); });
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

interface StreamRun { seconds: number; frames: number; wireBytes: number }

/** One series from a sender process to a receiver process (bright field reduced as it arrives). */
async function streamOnce(dir: string, file: string, sendArgs: string[], center: string): Promise<StreamRun> {
  const port = await freePort(), out = mkdtempSync(join(dir, "rx-"));
  const rx = runCli(["stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "--bf", "8", "--center", center, "-o", out, "--no-png", "--json", "-q", "--timeout", "120"]);
  const tx = await runCli(["stream", "send", file, "--to", `tcp://127.0.0.1:${port}`, "--json", "-q", ...sendArgs]);
  const r = await rx;
  if (tx.status !== 0) throw new Error(`stream send ${sendArgs.join(" ")}: ${tx.stderr}`);
  if (r.status !== 0) throw new Error(`stream receive: ${r.stderr}`);
  const s = JSON.parse(tx.stdout);
  rmSync(out, { recursive: true, force: true });
  return { seconds: s.seconds, frames: s.frames, wireBytes: s.wireBytes };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "stem4d-bench-stream-"));
  const rows: BenchRow[] = [];
  try {
    const scan: [number, number] = opts.quick ? [32, 32] : [64, 64];
    const electrons = simulateElectronFrames({ scan, detector: [128, 128], dose: 0.005, seed: 3 });
    const eFile = join(dir, "electrons.npy"), dark = join(dir, "dark.npy");
    await writeDatasetNpy(electrons.dataset, eFile);
    await saveNpy(dark, electrons.dark, "f32", [128, 128]);
    const counted = simulateTwoPhase({ scan, detector: [128, 128], dose: 300, seed: 3 }).dataset;
    const cFile = join(dir, "counted.npy");
    await writeDatasetNpy(counted, cFile);
    const inBytes = scan[0] * scan[1] * 128 * 128 * 2;
    const repeats = opts.quick ? 1 : 3;
    const modes: [string, string, string[]][] = [
      ["raw", eFile, ["--encode", "raw"]],
      ["lossless", eFile, ["--encode", "lossless"]],
      ["events", eFile, ["--encode", "events", "--dark", dark]],
      ["pca", eFile, ["--encode", "pca", "--components", "16", "--fit-frames", "512"]],
      ["raw", cFile, ["--encode", "raw"]],
      ["lossless", cFile, ["--encode", "lossless"]],
    ];
    const link = 100;
    for (const [linkArgs, where] of [[[], "loopback"], [["--link-mbps", String(link)], `${link} Mbit/s link`]] as const) {
      const baseline: Record<string, { seconds: number; name: string }> = {};
      for (const [mode, file, args] of modes) {
        const data = file === eFile ? "integrating, 0.005 e/px" : "counted, 300 e/frame";
        const runs: StreamRun[] = [];
        for (let i = 0; i < repeats; i++) runs.push(await streamOnce(dir, file, [...args, ...linkArgs], "63.5,63.5"));
        const seconds = median(runs.map((r) => r.seconds)), frames = runs[0]!.frames, wire = runs[0]!.wireBytes;
        const row: BenchRow = {
          name: `stream ${mode}, ${data}, ${where}: ${(wire / 2 ** 20).toFixed(2)} MiB on the wire (frames / ${(inBytes / wire).toFixed(1)})`,
          medianMs: seconds * 1000, throughput: frames / seconds, unit: "frames/s", samples: repeats,
          note: `${(seconds / frames * 1e6).toFixed(0)} us a frame, setup included (thresholds, PCA fit)`,
        };
        if (mode === "raw") baseline[data] = { seconds, name: row.name };
        else { row.reference = baseline[data]!.name; row.ratio = baseline[data]!.seconds / seconds; }
        rows.push(row);
      }
    }
    rows.push(...await countingPerCore(await inMemory(eFile), electrons.dark));
    rows.push(...await senderMemoryRows(opts.quick ? 0.25 : 1));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A .npy file's frames in memory (so that counting is timed, not reading or rendering). */
async function inMemory(file: string): Promise<Dataset> {
  const ds = await openDataset(file);
  const all = new Uint8Array(ds.shape.reduce((a, b) => a * b) * 2);
  await streamFrames(ds, { write: (b, first) => { all.set(b, first * frameBytes(ds)); } });
  await ds.source.close?.();
  return memoryDataset(new Uint16Array(all.buffer), ds.shape);
}

/** Counting + event encoding on one core (no workers), into a sink that only counts bytes. */
async function countingPerCore(ds: Parameters<typeof countToEvents>[1], dark: Float32Array): Promise<BenchRow[]> {
  const core = await Core.create({ workers: 0 });
  try {
    const bytes = ds.shape.reduce((a, b) => a * b) * 2;
    const times: number[] = [];
    let electrons = 0, out = 0;
    for (let i = 0; i < 3; i++) {
      out = 0;
      const t0 = performance.now();
      const r = await countToEvents(core, ds, { write: (b) => { out += b.length; } }, { dark });
      times.push(performance.now() - t0);
      electrons = r.electrons;
    }
    const ms = median(times);
    return [{
      name: "count + encode events, one core, u16 128x128 frames in memory (thresholds fitted each run)", medianMs: ms, throughput: electrons / (ms / 1000) / 1e6, unit: "M electrons/s",
      note: `${(bytes / (ms / 1000) / 1e9).toFixed(3)} GB/s of input; ${(out / electrons).toFixed(2)} B per electron; load average ${loadavg()[0]!.toFixed(1)}`,
    }];
  } finally {
    await core.close();
  }
}

