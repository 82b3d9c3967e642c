// `stem4d stream send --low-memory`: the flags that shrink an edge sender most can only be given when Node starts
// (V8 sizes its heap then), so the command starts itself again with them, before it loads anything else, and its
// first process only waits, passing signals on and exiting as the second one does. The flags, as measured on the
// sender (README, Scale-out): a young generation of 1 MiB semi-spaces instead of up to 16 (V8's default), V8's
// work on the main thread only (no background GC or compiler threads, each with its own malloc arena); none of
// them slows encoding. --expose-gc lets the sender collect its garbage once its encoder is set up and once a second
// after (leanCollector): V8 otherwise lets a long stream's garbage (a few small buffers and objects per chunk) pile
// up in the old generation and grows the heap to hold it. --no-turbo-inlining: the optimising compiler's work on
// the sender's hot functions (the executor's block loop above all) takes 1-2 MB of memory for a moment while it
// runs, less without inlining, for no measurable loss of speed here (the work is in WebAssembly).
// With --baseline-wasm (WebAssembly from Liftoff only, set at run time in cli/stream-send-run.ts) JavaScript gets
// no optimising compiler either (--no-opt) and no Sparkplug (--no-sparkplug): TurboFan compiles again and again over
// a long stream (the GC each second drops optimised code whose embedded objects died), each time with a moment of
// 0.5-2 MB of malloc'd memory, and Sparkplug's code stays resident; the sender's JavaScript is the glue between
// WebAssembly calls (the payloads' checksums run in the codec core), so the interpreter costs it little.
// The environment: one malloc arena, and glibc's mmap and trim thresholds fixed at their defaults (setting one
// stops glibc from raising both after a large block is freed, which lets freed megabytes stay resident).
// NODE_OPTIONS, flags given to node and malloc settings already in the environment are kept.
import { spawn } from "node:child_process";

/** Set in the restarted process: it is already lean. */
const RESTARTED = "STEM4D_LOW_MEMORY_RESTARTED";
const LEAN_FLAGS = ["--max-semi-space-size=1", "--single-threaded", "--expose-gc"];
/** JavaScript's tiers when WebAssembly has only its baseline one (--baseline-wasm). */
const BASELINE_JS_FLAGS = ["--no-opt", "--no-sparkplug"];
const LEAN_MALLOC: Record<string, string> = { MALLOC_ARENA_MAX: "1", MALLOC_TRIM_THRESHOLD_: "131072" };

/** The flags Node is started again with for this command line. */
export function leanNodeFlags(args: readonly string[]): string[] {
  return [...LEAN_FLAGS, ...(args.includes("--baseline-wasm") ? BASELINE_JS_FLAGS : ["--no-turbo-inlining"])];
}

/** The restarted sender's environment: `env` with the lean malloc settings it does not already make. */
export function leanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...LEAN_MALLOC, ...env, [RESTARTED]: "1" };
}

/** Whether this command line asks for a lean sender that Node has not yet been started for. */
export function wantsLeanRestart(args: readonly string[]): boolean {
  return args[0] === "stream" && args[1] === "send" && args.includes("--low-memory") && !process.env[RESTARTED] &&
    !args.includes("--help") && !args.includes("-h");
}

/** Runs the same command in a Node started with the lean flags; resolves to its exit code (a signal is passed on). */
export function restartLean(args: readonly string[]): Promise<number> {
  const flags = leanNodeFlags(args);
  const child = spawn(process.execPath, [...flags, ...process.execArgv, process.argv[1]!, ...args], { stdio: "inherit", env: leanEnv(process.env) });
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const forward = (signal: NodeJS.Signals) => { child.kill(signal); };
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`--low-memory: cannot start ${process.execPath} again with ${flags.join(" ")}: ${e.message}`)));
    child.once("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/** The sender's garbage collector when Node was started with --expose-gc (a lean restart): called once when the
 * encoder is ready (what start-up and the counting thresholds left behind: module sources, the threshold fit's
 * sample, the dark reference's file), then every `ms` (a long stream's small garbage). A full collection of the
 * sender's heap (about 8 MB) takes a few milliseconds. */
export function leanCollector(ms: number): { started(): void; stop(): void } | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    started() {
      if (timer) return;
      gc();
      timer = setInterval(gc, ms);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
