// Time to the first image after choosing a large Merlin .mib in the explorer page (real headless Chromium): from the
// file input's change to the first virtual image drawn (the preview after the first block read), and to the views
// of every frame (all read into WebAssembly memory, statistics reduced on the way). The file is simulated once into
// out/bench-data/ (gitignored) and kept for later runs.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { simulateTwoPhase } from "../bindings/node.js";
import type { BenchOptions, BenchRow } from "./common.js";
import { writeMib } from "./mib-writer.js";
import { chooseFiles, chromiumPath, openExplorer, root, type ExplorerSession } from "./web-page.js";

const HEADER = 384;

/** The simulated .mib of scan x scan frames of det x det u16, written on first use. */
async function benchMib(scan: number, det: number): Promise<string> {
  const dir = join(root, "out/bench-data"), file = join(dir, `explorer-${scan}x${scan}x${det}x${det}.mib`);
  if (existsSync(file) && statSync(file).size === scan * scan * (HEADER + 2 * det * det)) return file;
  mkdirSync(dir, { recursive: true });
  console.error(`bench web: writing ${file} (once)`);
  await writeMib(simulateTwoPhase({ scan: [scan, scan], detector: [det, det], seed: 1 }).dataset, file);
  return file;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Opens the file 3 times in a page with 2 workers: the medians of the times to the first image and to all views. */
export async function run(o: BenchOptions): Promise<BenchRow[]> {
  if (!chromiumPath) {
    console.error("bench web-first-image: skipped, no Chromium at /usr/bin/chromium or /usr/bin/chromium-browser");
    return [];
  }
  const scan = o.quick ? 64 : 180, det = 128, runs = 3;
  const file = await benchMib(scan, det);
  const s = await openExplorer(2);
  try {
    return await firstImage(s, file, `${scan}x${scan} x ${det}x${det} u16`, runs);
  } finally {
    await s.close();
  }
}

async function firstImage(s: ExplorerSession, file: string, size: string, runs: number): Promise<BenchRow[]> {
  const gb = (statSync(file).size / 1e9).toFixed(2);
  const first: number[] = [], all: number[] = [];
  for (let i = 0; i < runs; i++) {
    await s.page.setInputFiles("#files", []); // choosing the same file again fires no change event otherwise
    const status = await chooseFiles(s.page, [file]);
    if (!/ready in/.test(status)) throw new Error(`bench web: ${file}: ${status}`);
    const t = await s.page.evaluate(() => (globalThis as any).explorer.timeline as Record<string, number>);
    first.push((t.preview ?? t.image!) - t.chosen!);
    all.push(t.image! - t.chosen!);
  }
  const what = `a ${gb} GB .mib (${size}), 2 workers`;
  return [
    { name: `page: first image after choosing ${what}`, medianMs: median(first), minMs: Math.min(...first),
      maxMs: Math.max(...first), samples: runs,
      note: "preview: the first 32 MiB block's mean, disk and virtual image" },
    { name: `page: views of every frame of it`, medianMs: median(all), minMs: Math.min(...all), maxMs: Math.max(...all),
      samples: runs, note: "all frames in WASM memory, statistics reduced while reading" },
  ];
}
