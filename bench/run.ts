// `npm run bench`: every benchmark area in turn; a table each on stdout, everything in out/bench.json (by area) and
// out/bench.md (the machine, the conditions and every area's table). `--quick` uses small data; `--only NAME`
// runs one area. `node scripts/readme-table.mjs` then rewrites the README's Performance table from out/bench.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import "../bindings/node.js";
import { printTable, type BenchOptions, type BenchRow } from "./common.js";
import { areaMarkdown, endRun, machine, machineMarkdown, type Machine } from "./report.js";

const areas: Record<string, () => Promise<{ run(o: BenchOptions): Promise<BenchRow[]> }>> = {
  formats: () => import("./formats.js"),
  foundation: () => import("./foundation.js"),
  gemm: () => import("./gemm.js"),
  fft: () => import("./fft.js"),
  codec: () => import("./codec.js"),
  pca: () => import("./pca.js"),
  eigen: () => import("./eigen.js"),
  "kmeans-vs-sklearn": async () => ({ run: (await import("./analyze-vs-sklearn.js")).runKmeans }),
  "analyze-vs-sklearn": () => import("./analyze-vs-sklearn.js"),
  "analyze-big": () => import("./analyze-big.js"),
  "analyze-full": async () => ({ run: (await import("./analyze-big.js")).runFull }),
  scale: () => import("./scale.js"),
  ptycho: () => import("./ptycho.js"),
  stream: () => import("./stream.js"),
  "stream-memory": () => import("./stream-memory.js"),
  web: () => import("./web.js"),
  "web-first-image": () => import("./web-first-image.js"),
};
/** Areas that only run when named with --only (they simulate or read tens of GB, or repeat another area). */
const onRequest = new Set(["analyze-big", "analyze-full", "kmeans-vs-sklearn", "stream-memory"]);

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
if (only !== undefined && !(only in areas)) {
  console.error(`bench: no area named '${only}' (areas: ${Object.keys(areas).join(", ")})`);
  process.exit(2);
}
const start = machine();
const results: Record<string, BenchRow[]> = {};
for (const [name, load] of Object.entries(areas)) {
  if (only ? name !== only : onRequest.has(name)) continue;
  const rows = await (await load()).run({ quick });
  printTable(name, rows);
  results[name] = rows;
}
const ran = endRun(start);
// Areas run one at a time (--only) accumulate: each keeps its latest rows with their own date, mode and machine.
mkdirSync("out", { recursive: true });
const file = "out/bench.json";
type Area = { date: string; quick: boolean; machine?: Machine; rows: BenchRow[] };
let previous: Record<string, Area> = {};
try { previous = JSON.parse(readFileSync(file, "utf8")).areas ?? {}; } catch { /* first run, or an older layout */ }
const date = new Date().toISOString();
for (const [name, rows] of Object.entries(results)) previous[name] = { date, quick, machine: ran, rows };
writeFileSync(file, JSON.stringify({ areas: previous }, null, 2));
const md = ["# stem4d benchmarks", ""];
for (const [name, a] of Object.entries(previous)) {
  md.push(areaMarkdown(name, a.date, a.quick, a.rows), "");
  if (a.machine) md.push(machineMarkdown(a.machine), "");
}
writeFileSync("out/bench.md", md.join("\n"));
console.log(`\nwrote ${file} and out/bench.md`);
