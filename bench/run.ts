// `npm run bench`: every benchmark area in turn; a table each on stdout, everything in out/bench.json (by area).
// `--quick` uses small data; `--only NAME` runs one area.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import "../bindings/node.js";
import { printTable, type BenchOptions, type BenchRow } from "./common.js";

const areas: Record<string, () => Promise<{ run(o: BenchOptions): Promise<BenchRow[]> }>> = {
  formats: () => import("./formats.js"),
  foundation: () => import("./foundation.js"),
  fft: () => import("./fft.js"),
  codec: () => import("./codec.js"),
  pca: () => import("./pca.js"),
  cluster: () => import("./cluster.js"),
  "analyze-big": async () => ({ run: (await import("./cluster.js")).runBig }),
  scale: () => import("./scale.js"),
  stream: () => import("./stream.js"),
};
/** Areas that only run when named with --only (they simulate or read tens of GB). */
const onRequest = new Set(["analyze-big"]);

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
if (only !== undefined && !(only in areas)) {
  console.error(`bench: no area named '${only}' (areas: ${Object.keys(areas).join(", ")})`);
  process.exit(2);
}
const results: Record<string, BenchRow[]> = {};
for (const [name, load] of Object.entries(areas)) {
  if (only ? name !== only : onRequest.has(name)) continue;
  const rows = await (await load()).run({ quick });
  printTable(name, rows);
  results[name] = rows;
}
// Areas run one at a time (--only) accumulate: each keeps its latest rows with their own date and mode.
mkdirSync("out", { recursive: true });
const file = "out/bench.json";
let previous: Record<string, unknown> = {};
try { previous = JSON.parse(readFileSync(file, "utf8")).areas ?? {}; } catch { /* first run, or an older layout */ }
const date = new Date().toISOString();
for (const [name, rows] of Object.entries(results)) previous[name] = { date, quick, rows };
writeFileSync(file, JSON.stringify({ areas: previous }, null, 2));
console.log(`\nwrote ${file}`);
