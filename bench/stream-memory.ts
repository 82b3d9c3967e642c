// The stream sender's whole-process peak RSS (`--only stream-memory`: 10 GB streams; the `stream` area runs the same
// rows on a short stream). Each sender is its own process streaming to a `stem4d stream receive` process over ws://
// on loopback: `stem4d stream send FILE` in Node (the frames written once to out/bench-data/, gitignored), and the
// `stem4d/edge` entry in Deno and Bun (bench/stream-edge-sender.ts, the same frames generated on the fly). The peak
// is the kernel's high-water mark of the sender's resident memory (VmHWM in /proc/PID/status), read from outside
// until the process exits, so every runtime is measured alike; each runtime's empty script gives its floor.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { saveNpy, writeDatasetNpy } from "../bindings/node-files.js";
import type { BenchOptions, BenchRow } from "./common.js";
import { freePort } from "./net.js";
import { DARK_LEVEL, FRAME_COLS, FRAME_ROWS, framesFor, generatedFrames } from "./stream-frames.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(repo, "dist/cli/main.js");
const EDGE = join(repo, "dist/bench/stream-edge-sender.js");
const DATA = join(repo, "out/bench-data");
const bin = (name: string) => join(repo, "node_modules/.bin", name);

/** How each runtime runs a script. */
const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath],
  deno: [bin("deno"), "run", "--allow-read", "--allow-net", "--allow-env"],
  bun: [bin("bun")],
};

/** A process's peak resident memory in bytes (VmHWM), read every 100 ms until it exits, and the largest of its
 * children's (`stream send --low-memory` starts Node again: the sender is the child, its parent only waits). */
function peakRss(child: ChildProcess): Promise<{ status: number | null; peak: number; childPeak: number; stdout: string; stderr: string }> {
  let peak = 0, childPeak = 0, stdout = "", stderr = "";
  const children = new Set<string>();
  const hwm = (pid: number | string) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  const read = () => {
    try {
      peak = Math.max(peak, hwm(child.pid!));
      const listed = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
      for (const pid of listed ? listed.split(/\s+/) : []) children.add(pid);
    } catch { /* exited */ }
    for (const pid of children) {
      try {
        childPeak = Math.max(childPeak, hwm(pid));
      } catch { /* exited */ }
    }
  };
  const timer = setInterval(read, 100);
  child.stdout?.on("data", (d) => { stdout += d; });
  child.stderr?.on("data", (d) => { stderr += d; });
  return new Promise((resolve) => child.on("exit", (status) => { clearInterval(timer); resolve({ status, peak, childPeak, stdout, stderr }); }));
}

/** The frames of a `gb` GB stream as a .npy file (written once) and its dark reference. */
async function framesFile(frames: number): Promise<{ npy: string; dark: string }> {
  mkdirSync(DATA, { recursive: true });
  const npy = join(DATA, `stream-${frames}-frames.npy`), dark = join(DATA, "stream-dark.npy");
  const bytes = frames * FRAME_ROWS * FRAME_COLS * 2;
  if (!existsSync(npy) || statSync(npy).size < bytes) await writeDatasetNpy(generatedFrames(frames), npy);
  if (!existsSync(dark)) await saveNpy(dark, new Float32Array(FRAME_ROWS * FRAME_COLS).fill(DARK_LEVEL), "f32", [FRAME_ROWS, FRAME_COLS]);
  return { npy, dark };
}

interface SenderRun {
  name: string;
  /** The sender's peak: the process started, or the Node it started again with lean flags. */
  peakMB: number;
  /** When the sender is a child: the peak of the process that started it and waits. */
  waitingMB?: number;
  seconds: number;
  wireBytes: number;
  reported?: number;
  /** The sender's CPU seconds as its --json says (the CLI only). */
  cpuSeconds?: number;
}

/** Runs one sender (`command` gets the receiver's ws:// address) against a fresh receiver; its peak RSS. */
async function measure(name: string, command: (to: string) => string[], env: Record<string, string>): Promise<SenderRun> {
  const port = await freePort(), dir = mkdtempSync(join(tmpdir(), "stem4d-stream-memory-"));
  const to = `ws://127.0.0.1:${port}`;
  const rx = spawn(process.execPath, [CLI, "stream", "receive", "--bind", to, "-o", dir, "-q", "--timeout", "60"], { stdio: "ignore" });
  const received = new Promise((r) => rx.on("exit", r));
  try {
    const [cmd, ...args] = command(to);
    const t0 = performance.now();
    const r = await peakRss(spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } }));
    if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr.trim().split("\n").pop()}`);
    // The CLI prints one JSON document (--json), the edge sender one line.
    const out = JSON.parse(r.stdout.trim().startsWith("{\n") ? r.stdout : r.stdout.trim().split("\n").pop()!);
    await received;
    const restarted = r.childPeak > 0;
    return {
      name, peakMB: (restarted ? r.childPeak : r.peak) / 2 ** 20, ...(restarted && { waitingMB: r.peak / 2 ** 20 }),
      seconds: (performance.now() - t0) / 1000, wireBytes: out.wireBytes, reported: out.peakRssMB,
      cpuSeconds: out.cpuSeconds,
    };
  } finally {
    rx.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each runtime's floor: the peak RSS of an empty script. */
async function floors(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "stem4d-empty-")), script = join(dir, "empty.mjs");
  writeFileSync(script, "setTimeout(() => {}, 500);\n"); // alive long enough to be read
  const out: Record<string, number> = {};
  for (const [runtime, cmd] of Object.entries(RUNTIMES)) {
    if (!existsSync(cmd[0]!)) continue;
    out[runtime] = (await peakRss(spawn(cmd[0]!, [...cmd.slice(1), script], { stdio: "ignore" }))).peak / 2 ** 20;
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** One sender: a runtime, as it starts by default or set for the smallest footprint ("lean"). */
interface Sender {
  runtime: string;
  lean: boolean;
  /** What runs, for the row's name. */
  how: string;
  command(to: string, mode: string, counting: string[]): string[];
  env: Record<string, string>;
}

function senders(file: string, frames: number): Sender[] {
  const edge = (runtime: string, lean: boolean, flags: string[], env: Record<string, string>, how: string): Sender => ({
    runtime, lean, env, how: `stem4d/edge in ${runtime}${how}, frames generated`,
    command: (to, mode) => [RUNTIMES[runtime]![0]!, ...flags, ...RUNTIMES[runtime]!.slice(1), EDGE, to, mode, String(frames), lean ? "2" : "8"],
  });
  // --low-memory: Node started again with the lean flags (cli/lean-restart.ts: a 1 MiB young generation, V8 on
  // the main thread, JavaScript interpreted, a GC once set up and every second, glibc's malloc thresholds fixed)
  // and a 2 MiB ring (full speed); lean adds --baseline-wasm (WebAssembly from the baseline compiler only).
  const node = (flags: string[]): Sender => ({
    runtime: "node", lean: flags.length > 0, env: {},
    how: `stem4d stream send FILE${flags.map((f) => ` ${f}`).join("")}`,
    command: (to, mode, counting) => [process.execPath, CLI, "stream", "send", file, "--to", to, "--encode", mode, ...counting,
      "--center", "128,128", ...flags, "--json", "-q"],
  });
  const all = [
    node([]), node(["--low-memory"]), node(["--low-memory", "--baseline-wasm"]),
    edge("deno", false, [], {}, ""),
    // Deno's V8 flags go after `run`.
    { ...edge("deno", true, [], {}, " --v8-flags=--liftoff-only,--max-semi-space-size=1, ring 2 MiB"),
      command: (to: string, mode: string) =>
        [...RUNTIMES.deno!, "--v8-flags=--liftoff-only,--max-semi-space-size=1", EDGE, to, mode, String(frames), "2"] },
    edge("bun", false, [], {}, ""),
    edge("bun", true, ["--smol"], { BUN_JSC_useOMGJIT: "0" }, " --smol, BUN_JSC_useOMGJIT=0, ring 2 MiB"),
  ];
  return all.filter((s) => existsSync(RUNTIMES[s.runtime]![0]!));
}

/** Peak RSS rows for `stream send --encode events|lossless` over a `gb` GB stream, per runtime, as it starts and
 * set for the smallest footprint (the ring 2 MiB instead of 8, WebAssembly from the baseline compiler only, a
 * small young generation). */
export async function senderMemoryRows(gb: number): Promise<BenchRow[]> {
  const frames = framesFor(gb), streamGb = (frames * FRAME_ROWS * FRAME_COLS * 2) / 1e9;
  const floor = await floors();
  const { npy, dark } = await framesFile(frames);
  const rows: BenchRow[] = [];
  for (const mode of ["events", "lossless"]) {
    // Both thresholds fitted to 40 sampled frames, as by default.
    const counting = mode === "events" ? ["--dark", dark] : [];
    for (const s of senders(npy, frames)) {
      const m = await measure(`${s.runtime} ${mode}`, (to) => s.command(to, mode, counting), s.env);
      rows.push({
        name: `stream send --encode ${mode}, ${s.how}: whole-process peak RSS over ${streamGb.toFixed(2)} GB`,
        medianMs: m.seconds * 1000, throughput: +m.peakMB.toFixed(1), unit: "MB peak RSS",
        note: `${s.runtime}'s empty script peaks at ${floor[s.runtime]?.toFixed(1) ?? "?"} MB; ` +
          `${(m.wireBytes / 2 ** 20).toFixed(0)} MiB on the wire; ${(streamGb * 1e3 / m.seconds).toFixed(0)} MB/s of frames` +
          (m.reported !== undefined ? `; its --json says ${m.reported} MB` : "") +
          (m.cpuSeconds !== undefined ? `, ${m.cpuSeconds.toFixed(2)} CPU s` : "") +
          (m.waitingMB !== undefined ? `; the process that started it again peaks at ${m.waitingMB.toFixed(1)} MB` : ""),
      });
    }
  }
  return rows;
}

/** `--only stream-memory`: the 10 GB stream (0.25 GB with --quick). */
export async function run(o: BenchOptions): Promise<BenchRow[]> {
  return senderMemoryRows(o.quick ? 0.25 : 10);
}
