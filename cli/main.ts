#!/usr/bin/env node
// stem4d's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";
import { parseCommandLine, quietUsageErrors } from "./usage.js";

const program = quietUsageErrors(new Command("stem4d")
  .description("4D-STEM analytics with a WebAssembly SIMD core")
  .version("0.1.0"));

await registerCommands(program, process.argv.slice(2));

await parseCommandLine(program);
