#!/usr/bin/env node
// stem4d's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { restartLean, wantsLeanRestart } from "./lean-restart.js";

const args = process.argv.slice(2);
// Output piped into a reader that stops early (`stem4d analyze --help | head`): the rest is not wanted, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});
if (wantsLeanRestart(args)) {
  // Before anything else loads: this process only waits for the lean one (cli/lean-restart.ts).
  process.exitCode = await restartLean(args).catch((e: Error) => {
    process.stderr.write(`stem4d stream send: error: ${e.message}\n`);
    return 1;
  });
} else {
  const [{ Command }, { commands, registerCommands }, early, { parseCommandLine, quietUsageErrors }] = await Promise.all([
    import("commander"), import("./commands/index.js"), import("./early-core.js"), import("./usage.js"),
  ]);
  const program = quietUsageErrors(new Command("stem4d")
    .description("4D-STEM analytics with a WebAssembly SIMD core")
    .version("0.1.0"));
  const workers = early.workersArgument(args);
  if (Object.hasOwn(commands, args[0] ?? "") && commands[args[0]!]!.computes && workers !== null &&
    !args.includes("--help") && !args.includes("-h")) {
    early.startCoreEarly(workers);
  }
  await registerCommands(program, args);

  await parseCommandLine(program);
  await early.releaseEarlyCore();
}
