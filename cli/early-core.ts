// A command that computes starts its core's workers before its own modules load: they boot in their own threads
// (about 90 ms here) while the main thread loads and parses. cli/main.ts starts the core, withCore (common.ts)
// takes it, and main.ts closes one that no command took (a usage error before any computing).
import type { Core } from "../bindings/core.js";

let early: { workers: number | undefined; core: Promise<Core> } | undefined;

/** Starts a core with `workers` threads (undefined: the default). */
export function startCoreEarly(workers: number | undefined): void {
  const core = import("../bindings/node-platform.js")
    .then(() => import("../bindings/core.js"))
    .then(({ Core }) => Core.create({ workers }));
  core.catch(() => {}); // a failure reaches the command that takes the core
  early = { workers, core };
}

/** The early core, when it was started with these workers; each run takes it once. */
export function takeEarlyCore(workers: number | undefined): Promise<Core> | undefined {
  const e = early;
  early = undefined;
  if (e && e.workers === workers) return e.core;
  if (e) void e.core.then((c) => c.close(), () => {});
  return undefined;
}

/** Closes an early core that no command took. */
export async function releaseEarlyCore(): Promise<void> {
  const e = early;
  early = undefined;
  if (e) await e.core.then((c) => c.close(), () => {});
}

/** The --workers value of a command line, undefined when absent; null when it is not a count (the command itself
 * reports that). */
export function workersArgument(args: readonly string[]): number | undefined | null {
  const i = args.findIndex((a) => a === "--workers" || a.startsWith("--workers="));
  if (i < 0) return undefined;
  const text = args[i]!.includes("=") ? args[i]!.slice("--workers=".length) : args[i + 1];
  const n = Number(text);
  return text !== undefined && text !== "" && Number.isInteger(n) && n >= 0 ? n : null;
}
