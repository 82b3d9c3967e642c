#!/usr/bin/env node
// stem4d's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { Command } from "commander";
import { commands } from "./commands/index.js";
import { parseCommandLine, quietUsageErrors } from "./usage.js";

const program = quietUsageErrors(new Command("stem4d")
  .description("4D-STEM analytics with a WebAssembly SIMD core")
  .version("0.1.0"));

const named = process.argv[2];
const wanted = named !== undefined && named in commands ? [commands[named]!] : Object.values(commands);
for (const module of await Promise.all(wanted.map((load) => load()))) module.register(program);

await parseCommandLine(program);
