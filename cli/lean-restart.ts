// `stem4d stream send --low-memory`: the flags that shrink an edge sender most can only be given when Node starts
// (V8 sizes its heap then), so the command starts itself again with them, before it loads anything else, and its
// first process only waits, passing signals on and exiting as the second one does. The flags, as measured on the
// sender (README, Scale-out): a young generation of 1 MiB semi-spaces instead of up to 16 (V8's default), V8's
// work on the main thread only (no background GC or compiler threads, each with its own malloc arena), and
// JavaScript from V8's interpreter only (--no-opt --no-sparkplug): the optimising compiler would compile the
// sender's functions again and again over a long stream (the GC each second drops optimised code whose embedded
// objects died), each time with a moment of 0.5-2 MB of malloc'd memory, and Sparkplug's code would stay resident;
// the sender's JavaScript is the glue between WebAssembly calls (the payloads' checksums and the threshold fit's
// passes run in the core), so the interpreter costs it no measurable CPU. --expose-gc lets the sender collect its
// garbage once its encoder is set up and once a second after (leanCollector): V8 otherwise lets a long stream's
// garbage (a few small buffers and objects per chunk) pile up in the old generation and grows the heap to hold it.
// The environment: one malloc arena, and glibc's trim threshold fixed at its default (setting it stops glibc from
// raising its mmap and trim thresholds after a large block is freed, which lets freed megabytes stay resident).
// --liftoff-only (--baseline-wasm) takes effect when set at run time (cli/stream-send-run.ts). NODE_OPTIONS, flags
// given to node and malloc settings already in the environment are kept.
import { spawn } from "node:child_process";

/** Set in the restarted process: it is already lean. */
const RESTARTED = "STEM4D_LOW_MEMORY_RESTARTED";
export const LEAN_NODE_FLAGS = [
  "--max-semi-space-size=1", "--single-threaded", "--expose-gc", "--no-opt", "--no-sparkplug",
];
const LEAN_MALLOC: Record<string, string> = { MALLOC_ARENA_MAX: "1", MALLOC_TRIM_THRESHOLD_: "131072" };

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
  const child = spawn(process.execPath, [...LEAN_NODE_FLAGS, ...process.execArgv, process.argv[1]!, ...args], {
    stdio: "inherit", env: leanEnv(process.env),
  });
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const forward = (signal: NodeJS.Signals) => { child.kill(signal); };
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`--low-memory: cannot start ${process.execPath} again with ${LEAN_NODE_FLAGS.join(" ")}: ${e.message}`)));
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
