#!/usr/bin/env node
// stem4d's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";

const program = new Command("stem4d")
  .description("4D-STEM analytics with a WebAssembly SIMD core")
  .version("0.1.0")
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

await registerCommands(program, process.argv.slice(2));

await program.parseAsync(process.argv);
