import type { Command } from "commander";
import { action, UsageError } from "../common.js";
import { startWebServer } from "../web-server.js";
import { declare } from "./index.js";

interface Flags {
  port: string;
  host: string;
  isolation: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  declare(program, "serve")
    .option("--port <n>", "TCP port (0: any free port)", "8080")
    .option("--host <h>", "interface to listen on (0.0.0.0 for every interface: the files become readable there)",
      "127.0.0.1")
    .option("--no-isolation", "leave out the COOP/COEP headers (the page then runs single-threaded)")
    .option("--json", "print {url, files} as one line of JSON on stdout")
    .addHelpText("after", `
Serves the built explorer page (no rebuild) and the FILEs, which the page opens at once as one set (e.g. an ARINA
master with its data files, or a .mib with its .hdr). The page reads them lazily with HTTP Range requests.
Runs until interrupted (Ctrl-C).`)
    .action(action("serve", async (files: string[], o: Flags) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port: expected an integer from 0 to 65535, got '${o.port}'`);
      }
      const web = await startWebServer({ port, host: o.host, isolated: o.isolation, files });
      const page = `${web.url}/web/`;
      if (o.json) process.stdout.write(JSON.stringify({ url: page, files: web.files }) + "\n");
      else process.stdout.write(`${page}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await web.close();
    }));
}
