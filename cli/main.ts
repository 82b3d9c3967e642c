#!/usr/bin/env node
// stem4d's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { Command } from "commander";
import { commands, registerCommands } from "./commands/index.js";
import { releaseEarlyCore, startCoreEarly, workersArgument } from "./early-core.js";
import { parseCommandLine, quietUsageErrors } from "./usage.js";

const program = quietUsageErrors(new Command("stem4d")
  .description("4D-STEM analytics with a WebAssembly SIMD core")
  .version("0.1.0"));

const args = process.argv.slice(2);
const workers = workersArgument(args);
if (Object.hasOwn(commands, args[0] ?? "") && commands[args[0]!]!.computes && workers !== null &&
  !args.includes("--help") && !args.includes("-h")) {
  startCoreEarly(workers);
}
await registerCommands(program, args);

await parseCommandLine(program);
await releaseEarlyCore();
