// The explorer page (web/) in real headless Chromium, with a pool of 2 Web Workers: the virtual image update while
// the detector is dragged with the mouse (frames resident in WebAssembly memory), the pattern under the cursor, the
// time to the first image after choosing a file, and PCA + k-means in the page against the CLI on the same file.
// References measured in the same run: the same reduction in Node (2 worker_threads, resident frames) and the CLI.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Core, annulusMask, openDataset, residentDataset, runReduction, simulateTwoPhase, virtualImages, writeDatasetNpy,
} from "../bindings/node.js";
import type { BenchOptions, BenchRow } from "./common.js";
import { chooseFiles, chromiumPath, openExplorer, pipelineStatus, pointOf, root, settled } from "./web-page.js";
import { dragRunOptions } from "../web/loaded.js";

const WORKERS = 2;
type Stage = { stage: string; seconds: number };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function simulated(dir: string, name: string, scan: number, det: number): Promise<string> {
  const file = join(dir, name);
  await writeDatasetNpy(simulateTwoPhase({ scan: [scan, scan], detector: [det, det], seed: 1 }).dataset, file);
  return file;
}

export async function run(o: BenchOptions): Promise<BenchRow[]> {
  if (!chromiumPath) {
    console.error("bench web: skipped, no Chromium at /usr/bin/chromium or /usr/bin/chromium-browser");
    return [];
  }
  const scan = o.quick ? 32 : 128, det = o.quick ? 32 : 128, pcaDet = o.quick ? 32 : 64;
  const dir = mkdtempSync(join(tmpdir(), "stem4d-bench-web-"));
  const s = await openExplorer(WORKERS);
  try {
    const big = await simulated(dir, "drag.npy", scan, det);
    const size = `${scan}x${scan} x ${det}x${det} u16`;
    const t0 = performance.now();
    await chooseFiles(s.page, [big]);
    const firstImage = performance.now() - t0;

    // Drag the detector's centre back and forth, one settled update per mouse move.
    const d0 = await s.page.evaluate(() => (globalThis as any).explorer.views.detector);
    const from = await pointOf(s.page, "pattern", "patternAt", d0.cy, d0.cx);
    await s.page.evaluate(() => {
      const v = (globalThis as any).explorer.views;
      v.updateTimes.length = v.reduceTimes.length = 0;
    });
    await s.page.mouse.move(from.x, from.y);
    await s.page.mouse.down();
    for (let i = 1; i <= 41; i++) {
      await s.page.mouse.move(from.x + 3 * (i % 10), from.y + 2 * (i % 7));
      await settled(s.page);
    }
    await s.page.mouse.up();
    const [drag, reduce] = await s.page.evaluate(() => {
      const v = (globalThis as any).explorer.views;
      return [v.updateTimes, v.reduceTimes] as [number[], number[]];
    });
    const dragged = await s.page.evaluate(() => (globalThis as any).explorer.views.detector);

    // Hover over the virtual image: one probe pattern per position.
    const probeTimes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const at = await pointOf(s.page, "image", "imageAt", (i * 7) % scan, (i * 13) % scan);
      await s.page.evaluate(() => { (globalThis as any).explorer.views.probeTimes.length = 0; });
      await s.page.mouse.move(at.x, at.y);
      await settled(s.page);
      probeTimes.push(...await s.page.evaluate(() => (globalThis as any).explorer.views.probeTimes as number[]));
    }

    // Node: the same detector on the same frames, resident, 2 worker_threads.
    const core = await Core.create({ workers: WORKERS });
    const file = await openDataset(big);
    const frames = new Uint16Array(scan * scan * det * det);
    await file.source.readFrames(0, scan * scan, new Uint8Array(frames.buffer));
    await file.source.close?.();
    const held = residentDataset(core, frames, file.shape);
    const mask = annulusMask(det, det, { cy: dragged.cy, cx: dragged.cx }, dragged.inner, dragged.outer);
    const nodeTimes: number[] = [], nodeDragTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      let t = performance.now();
      await runReduction(core, held, virtualImages([mask]));
      nodeTimes.push(performance.now() - t);
      t = performance.now();
      await runReduction(core, held, virtualImages([mask]), dragRunOptions(core, held));
      nodeDragTimes.push(performance.now() - t);
    }
    await held.source.close?.();
    await core.close();

    // PCA + k-means: the page's pipeline and the CLI's analyze on the same file, same options and seed.
    const pcaFile = await simulated(dir, "pca.npy", scan, pcaDet);
    await chooseFiles(s.page, [pcaFile]);
    await s.page.fill("#bin", "1");
    await s.page.fill("#seed", "0");
    await s.page.click("#run");
    await pipelineStatus(s.page, /^pipeline done/, 600_000);
    const pageStages = await s.page.evaluate(() => (globalThis as any).explorer.panel.result.stages as Stage[]);
    const cli = join(root, "dist/cli/main.js");
    execFileSync(process.execPath, [cli, "analyze", pcaFile, "-o", join(dir, "cli"), "--bin", "1", "--seed", "0",
      "--workers", String(WORKERS), "-q"], { stdio: "pipe" });
    const cliStages = JSON.parse(readFileSync(join(dir, "cli/summary.json"), "utf8")).stages as Stage[];
    const pcaKmeans = (st: Stage[]) =>
      1000 * st.filter((x) => /^(PCA|k-means)/.test(x.stage)).reduce((a, x) => a + x.seconds, 0);

    const pcaSize = `${scan}x${scan} x ${pcaDet}x${pcaDet}`;
    const rows: BenchRow[] = [
      { name: `page: first image after choosing a ${size} .npy`, medianMs: firstImage, samples: 1,
        note: "read into WASM memory, mean pattern, disk, image, COM" },
      { name: `page: virtual image while dragging, ${size}`, medianMs: median(drag.slice(1)), samples: drag.length - 1,
        note: "reduction + drawing, goal < 30 ms" },
      { name: `page: of which the reduction`, medianMs: median(reduce.slice(1)), samples: reduce.length - 1 },
      { name: `node: same detector, resident, ${WORKERS} workers, the page's scheduling`,
        medianMs: median(nodeDragTimes), samples: nodeDragTimes.length, note: "one block, 2 tiles per worker" },
      { name: `node: same detector, resident, ${WORKERS} workers, default tiles`, medianMs: median(nodeTimes),
        samples: nodeTimes.length },
      { name: `page: pattern under the cursor, ${det}x${det}`, medianMs: median(probeTimes), samples: probeTimes.length,
        note: "read + draw, goal < 16 ms" },
      { name: `page: PCA + k-means, ${pcaSize}`, medianMs: pcaKmeans(pageStages), samples: 1 },
      { name: `CLI: PCA + k-means, ${pcaSize}`, medianMs: pcaKmeans(cliStages), samples: 1 },
    ];
    for (const [row, ref] of [[2, 3], [6, 7]] as const) {
      rows[row]!.reference = rows[ref]!.name;
      rows[row]!.ratio = rows[ref]!.medianMs / rows[row]!.medianMs;
    }
    return rows;
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
