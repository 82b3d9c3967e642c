// Usage errors, kept free of heavy imports so that the entry point can load them before any command: a bad option,
// a missing required option or an unknown command is one line on stderr naming the problem and where the help is,
// with exit status 2 (bad data exits 1, from the command's own action).
import { CommanderError, type Command } from "commander";

/** Thrown for bad usage: printed as one line, exit status 2. */
export class UsageError extends Error {}

export const USAGE_EXIT = 2;

/** Makes commander throw instead of exiting, and print nothing itself (parseCommandLine prints the one line). The
 * settings are inherited by the commands registered afterwards. */
export function quietUsageErrors(program: Command): Command {
  return program.exitOverride().showHelpAfterError(false).configureOutput({ outputError: () => {} });
}

/** Parses argv; a usage error becomes `stem4d CMD: error: ... ; see 'stem4d CMD --help'` and exit status 2. */
export async function parseCommandLine(program: Command, argv: string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help and version were asked for (or help shown for no command at all): commander has printed them.
    if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code)) {
      process.exitCode = e.exitCode;
      return;
    }
    const name = argv[2] && program.commands.some((c) => c.name() === argv[2]) ? argv[2] : undefined;
    const where = name ? `stem4d ${name}` : "stem4d";
    const message = e.message.replace(/^error: /, "").split("\n")[0]!.replace(/\.$/, "");
    process.stderr.write(`${where}: error: ${message}; see '${where} --help'\n`);
    process.exitCode = USAGE_EXIT;
  }
}
