// A fixture for the explorer's probe-model tests: a small probe simulation written by the CLI into a temporary
// folder (.s4d keeps its calibration), the same file opened in Node with a 2-worker core, and an explorer page in
// headless Chromium with 2 workers. Call `setUp` in beforeAll and `tearDown` in afterAll.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, openDataset, type Dataset } from "../../bindings/node.js";
import { openExplorer, root, type ExplorerSession } from "../../bench/web-page.js";

/** Where the browser tests save their screenshots. */
export const shots = join(root, "out/web");

export interface ProbePage {
  /** The page, Node's core and dataset, the temporary folder and the simulated file (probe.s4d in it). */
  s: ExplorerSession;
  core: Core;
  ds: Dataset;
  tmp: string;
  file: string;
}

export function probePage(prefix: string): { fixture: ProbePage; setUp(): Promise<void>; tearDown(): Promise<void> } {
  const fixture = {} as ProbePage;
  return {
    fixture,
    async setUp() {
      mkdirSync(shots, { recursive: true });
      fixture.tmp = mkdtempSync(join(tmpdir(), prefix));
      fixture.file = join(fixture.tmp, "probe.s4d");
      execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "simulate", "--model", "probe", "--scan", "32,32",
        "--detector", "48,48", "-o", fixture.file, "-q"]);
      fixture.core = await Core.create({ workers: 2 });
      fixture.ds = await openDataset(fixture.file);
      fixture.s = await openExplorer(2);
    },
    async tearDown() {
      await fixture.s?.close();
      await fixture.ds?.source.close?.();
      await fixture.core?.close();
      if (fixture.tmp) rmSync(fixture.tmp, { recursive: true, force: true });
    },
  };
}
