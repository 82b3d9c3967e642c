// Rewrites the README's Performance table from out/bench.json (written by `npm run bench`): the rows below, each
// with the median of its runs, the range, the reference measured in the same run and the ratio, and for every
// area the date, machine and load it ran under. Run: node scripts/readme-table.mjs [README.md] [out/bench.json]
import { readFileSync, writeFileSync } from "node:fs";

/** [area (or areas: the latest that has the row), pattern of the row's name, what the README calls it, whether
 * its note goes along]. Rows not measured yet are listed as such. */
const PICKS = [
  [["analyze-vs-sklearn", "kmeans-vs-sklearn"], /^stem4d kmeans .* clusterless/,
    "k-means k=36 on 256 PCA scores x 10 replicates, data without clusters"],
  [["analyze-vs-sklearn", "kmeans-vs-sklearn"], /^stem4d kmeans .* two-phase/,
    "k-means k=36 on 256 PCA scores x 10 replicates, two-phase simulation"],
  ["analyze-vs-sklearn", /^stem4d analyze 192.* clusterless/,
    "whole `stem4d analyze`, 192x192x96x96 f32, data without clusters"],
  ["analyze-vs-sklearn", /^stem4d analyze --no-fourier .* clusterless/,
    "the same with `--no-fourier` (no Fourier section in the report), data without clusters"],
  ["analyze-vs-sklearn", /^stem4d analyze 192.* two-phase/,
    "whole `stem4d analyze`, 192x192x96x96 f32, two-phase simulation"],
  ["analyze-vs-sklearn", /^stem4d analyze --no-fourier .* two-phase/,
    "the same with `--no-fourier`, two-phase simulation"],
  ["analyze-big", /^stem4d analyze/, "`stem4d analyze` on a 384x384 scan of 192x192 u16 (10.9 GB), binned while read"],
  ["analyze-full", /^stem4d analyze/, "`stem4d analyze --bin 1` at full resolution: 192x192 scan of 384x384 u16 (10.9 GB)", true],
  ["gemm", /^WASM SIMD ceiling .* 1 core/, "WASM SIMD ceiling (f32x4 multiply + add, no FMA), one core", true],
  ["gemm", /^stem4d gemmF32 2048x9216 .* 1 core/, "GEMM of a PCA pass (2048x9216 times 9216x144), one core", true],
  ["gemm", /^numpy float32 matmul 2048x9216 .* 1 thread/, "numpy (OpenBLAS) on the same GEMM, one thread", true],
  ["gemm", /^WASM SIMD ceiling, 16-bit integers/, "WASM SIMD ceiling for 16-bit integers (i32x4.dot_i16x8_s + add), one core", true],
  ["gemm", /^stem4d gemmI16 2048x9216 .* 1 core/, "the PCA pass's GEMM in 16-bit integers (counted data), one core", true],
  ["foundation", /^virtual detector u16, full-frame mask, 1w/,
    "virtual detector, u16 in memory, full-frame mask, 1 worker"],
  ["foundation", /^virtual detector u16, full-frame mask, 2w/,
    "virtual detector, u16 in memory, full-frame mask, 2 workers"],
  ["foundation", /^virtual detector u16, disk .* 2w/,
    "virtual detector, u16, disk r=30 (bytes of the rows it reads), 2 workers"],
  ["foundation", /^stem4d virtual --bf/, "`stem4d virtual --bf` whole process, 1.36 GB .npy in page cache"],
  ["foundation", /^node: read the file only, 32 MiB/, "bare `node` reading the same file (32 MiB blocks)"],
  ["pca", /^stem4d pca k=256 mean-centred/, "`stem4d pca` with 256 mean-centred components, 192x192x96x96 f32 from a .npy (one run each)"],
  ["pca", /^stem4d full spectrum/, "all 9216 eigenvalues (Gram matrix and dense eigensolver), the same file (one run each)"],
  ["eigen", /^WASM symmetricEigenCore 544 x 544, all vectors, calling thread/,
    "PCA's Rayleigh-Ritz eigenproblem, 544 x 544 float64, all vectors, one thread (symmetricEigenCore)", true],
  ["eigen", /^WASM symmetricEigenCore 544 x 544, 256 vectors, calling thread/, "the same, the leading 256 vectors (PCA's k)", true],
  ["eigen", /^WASM symmetricEigenCore 544 x 544, 256 vectors, 2 workers/, "the same, 256 vectors, the updates on 2 workers"],
  ["eigen", /^numpy.linalg.eigh 544 x 544, 1 thread/, "numpy.linalg.eigh on the same matrix (LAPACK syevd, OpenBLAS), 1 thread"],
  ["fft", /^fft2 256x256 stem4d core vs numpy/, "2D FFT 256x256 complex64, one thread"],
  ["fft", /^full scan-axis FFT -> complex64/, "scan-axis FFT of the whole 4D dataset to a complex64 .npy"],
  ["formats", /^bitshuffle\+LZ4 decode of synthetic/,
    "bitshuffle+LZ4 decoding (synthetic DECTRIS-like chunks), one core"],
  ["formats", /^DECTRIS ARINA real file/, "the real DECTRIS ARINA file through the whole reader (GB/s of frames out)", true],
  ["ptycho", /^SSB 128x128 .* stem4d \(2 workers/, "SSB ptychography, 128x128 scan of 64x64 u16 (134 MB) from a .npy, wall"],
  ["ptycho", /^SSB 128x128 .* stem4d CPU time/, "the same, CPU time of all threads"],
  ["ptycho", /^SSB 256x256 .* stem4d \(2 workers/, "SSB ptychography, 256x256 scan of 128x128 u16 (2.1 GB) from a .npy, wall"],
  ["ptycho", /^SSB 256x256 .* stem4d CPU time/, "the same, CPU time of all threads"],
  ["ptycho", /^iCoM 512 x 512 \(after/, "iCoM (Fourier integration of the COM field), 512x512 scan, wall"],
  ["ptycho", /^iCoM 512 x 512, CPU/, "the same, CPU time"],
  ["codec", /.*/, "codec (see out/bench.md)"],
  ["scale", /passes on 1 shard worker/, "`analyze` 192x192x96x96 u16 with its passes on 1 shard worker (Redis, loopback)"],
  ["scale", /passes on 2 shard workers/, "the same on 2 shard workers (1 thread each)"],
  ["scale", /^stream .* over tcp loopback/, "live stream over tcp loopback, 0.30 GB u16, bf+adf reduced as it arrives"],
];

const readme = process.argv[2] ?? "README.md", benchFile = process.argv[3] ?? "out/bench.json";
const areas = JSON.parse(readFileSync(benchFile, "utf8")).areas ?? {};
// The table as the README has it now: a row this bench file does not hold keeps its last measurement
// (its date and load are in its last column), so benchmarking one area does not erase the others. Rows are known by
// their label and how many rows above have the same label.
const oldTable = readFileSync(readme, "utf8").match(/<!-- bench-table:start[^\n]*\n([\s\S]*?)<!-- bench-table:end -->/)?.[1] ?? "";
const oldRows = oldTable.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| what |"));
const keyed = (labels) => labels.map((label, i) => `${label}#${labels.slice(0, i).filter((x) => x === label).length}`);
const previous = new Map(keyed(oldRows.map((l) => l.split(" | ")[0].slice(2))).map((k, i) => [k, oldRows[i]]));
const previousFooter = oldTable.split("\n").filter((l) => l.trim() && !l.startsWith("|")).join("\n");
const pickKeys = keyed(PICKS.map(([, , label]) => label.replace(/\|/g, "\\|")));

const ms = (v) => {
  if (v === undefined || v === null || !Number.isFinite(v)) return "";
  return v >= 1000 ? `${(v / 1000).toPrecision(3)} s` : `${v.toPrecision(3)} ms`;
};
const cell = (s) => String(s).replace(/\|/g, "\\|");

const lines = [
  "| what | stem4d: median (min-max) | reference in the same run: median | ratio | measured |",
  "|---|---|---|---|---|",
];
const seen = new Set();
for (const [pick, [names, pattern, label, withNote]] of PICKS.entries()) {
  // --quick runs use small data: never in the README. Of several areas with the row, the latest.
  const has = (x) => x && !x.quick && x.rows.some((r) => pattern.test(r.name));
  const candidates = [names].flat().map((n) => [n, areas[n]]).filter(([, x]) => has(x));
  const [area, a] = candidates.sort(([, x], [, y]) => y.date.localeCompare(x.date))[0] ?? [names, undefined];
  const row = a?.rows.find((r) => pattern.test(r.name));
  if (!row) {
    lines.push(previous.get(pickKeys[pick]) ?? `| ${cell(label)} | not measured | | | |`);
    continue;
  }
  if (area === "codec") {
    lines.push(`| ${cell(label)} | ${a.rows.length} rows | | | ${a.date.slice(0, 10)} |`);
    continue;
  }
  seen.add(area);
  const ref = row.reference ? a.rows.find((r) => r.name === row.reference) : undefined;
  const tp = (row.throughput !== undefined ? `, ${row.throughput.toPrecision(3)} ${row.unit ?? ""}` : "") +
    (withNote && row.note ? `; ${row.note}` : "");
  const range = row.minMs !== undefined ? ` (${ms(row.minMs)}-${ms(row.maxMs)})` : "";
  const ratio = row.ratio === undefined ? "" : row.ratio >= 1 ? `${row.ratio.toFixed(2)}x faster`
    : `${(1 / row.ratio).toFixed(2)}x slower`;
  const refText = ref ? `${ref.name}: ${ms(ref.medianMs)}` : row.reference ?? "";
  const cpu = a.machine?.cpu ? `, ${a.machine.cpu.replace(/\(R\)|Processor|\s+\d+-Core.*$/g, "").trim()}` : "";
  const when = `${a.date.slice(0, 10)}, load ${a.machine?.loadStart ?? "?"}${cpu}`;
  lines.push(`| ${cell(label)} | ${ms(row.medianMs)}${range}${tp} | ${cell(refText)} | ${ratio} | ${when} |`);
}
const machines = [...seen].map((s) => areas[s].machine).filter(Boolean);
// With no area of this file in the table, the machine paragraph stays as it was.
const m = machines[0];
const wrap = (text) => text.split(" ").reduce((ls, w) => {
  if (ls.length && (ls.at(-1) + " " + w).length <= 116) ls[ls.length - 1] += " " + w;
  else ls.push(w);
  return ls;
}, []).join("\n");
const footer = m
  ? wrap(`Machines: ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; the last column names the CPU. "load" is the ` +
    "one-minute load average when the area started (2 cores: above ~2, other jobs shared them). Ratios compare runs " +
    "made in the same run of the bench.")
  : previousFooter;

const START = "<!-- bench-table:start (scripts/readme-table.mjs writes this table from out/bench.json) -->";
const END = "<!-- bench-table:end -->";
const text = readFileSync(readme, "utf8");
const a = text.indexOf(START), b = text.indexOf(END);
if (a < 0 || b < a) {
  console.error(`readme-table: ${readme} has no ${START} ... ${END} section`);
  process.exit(1);
}
const table = `${lines.join("\n")}\n\n${footer}\n`;
writeFileSync(readme, `${text.slice(0, a + START.length)}\n${table}${text.slice(b)}`);
console.log(`readme-table: wrote ${lines.length - 2} rows into ${readme}`);
