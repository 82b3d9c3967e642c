// What the explorer's page tests share: a Node core to compute the expected results, the page in headless Chromium
// (2 workers) and a temporary folder for generated files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core } from "../../bindings/node.js";
import { openExplorer, type ExplorerSession } from "../../bench/web-page.js";

export interface ExplorerFixture {
  session: ExplorerSession;
  core: Core;
  tmp: string;
}

export async function openExplorerFixture(prefix: string): Promise<ExplorerFixture> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const core = await Core.create({ workers: 2 });
  return { tmp, core, session: await openExplorer(2) };
}

/** Closes what was opened (any part may be missing when the set-up failed). */
export async function closeExplorerFixture(f: Partial<ExplorerFixture>): Promise<void> {
  await f.session?.close();
  await f.core?.close();
  if (f.tmp) rmSync(f.tmp, { recursive: true, force: true });
}
