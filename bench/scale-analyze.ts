// Scale-out: the paper's whole pipeline (analyze: PCA passes, k-means, dendrogram, cluster patterns) in this process
// against the same analysis with its passes on 1 and 2 `stem4d worker` processes via a real redis-server on
// loopback, at the paper's size (192 x 192 scan, 96 x 96 detector, u16: 680 MB). The ratio is the sharding
// overhead on one machine: the same 2 cores do the work (one worker with a thread per core, or two workers with one
// thread each), plus job queueing, the passes' inputs and states through Redis, and every shard opening the file.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import { analyze, type Core, NpyWriter, openDataset } from "../bindings/node.js";
import { ShardSession } from "../bindings/scale/shard-coordinator.js";
import { shardedRunner } from "../bindings/scale/sharded-analyze.js";
import { compare, measure, type BenchOptions, type BenchRow } from "./common.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

/** Two phases in stripes (bright disks of two radii) with a shift across each stripe and counting noise. */
function writeTwoPhase(path: string, scan: [number, number], det: [number, number]): void {
  const w = new NpyWriter(path, "u16", [...scan, ...det]);
  const [rows, cols] = det, q = rows * cols;
  let seed = 7;
  for (let y = 0; y < scan[0]; y++) {
    const row = new Uint16Array(scan[1] * q);
    for (let x = 0; x < scan[1]; x++) {
      const r = ((x >> 5) + (y >> 5)) % 2 ? rows / 8 : rows / 5, cy = rows / 2 + (x % 32) / 16, cx = cols / 2;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        row[x * q + i * cols + j] = ((i - cy) ** 2 + (j - cx) ** 2 < r * r ? 200 : 10) + ((seed >>> 16) & 15);
      }
    }
    w.write(row);
  }
  w.close();
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: "127.0.0.1" }, () => c.write("PING\r\n"));
    c.once("data", (d) => { c.destroy(); resolve(d.toString().startsWith("+PONG")); });
    c.once("error", () => resolve(false));
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 30_000; !(await ok());) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startWorkers(url: string, count: number, threads: number): Promise<ChildProcess[]> {
  const procs = Array.from({ length: count }, () => spawn(process.execPath, [CLI, "worker", "--redis", url, "--workers", String(threads)], { stdio: ["ignore", "ignore", "pipe"] }));
  const logs = procs.map(() => "");
  procs.forEach((p, i) => p.stderr!.on("data", (d) => { logs[i] += d.toString(); }));
  await waitFor("the workers", () => logs.every((l) => l.includes("serving")));
  return procs;
}

async function stop(procs: ChildProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => new Promise((r) => { if (p.exitCode !== null) r(null); else { p.once("exit", r); p.kill("SIGTERM"); } })));
}

export async function analyzeRows(core: Core, dir: string, opts: BenchOptions, port: number): Promise<BenchRow[]> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return [{ name: "analyze through shard workers", medianMs: NaN, note: "skipped: no redis-server" }];
  const scan: [number, number] = opts.quick ? [64, 64] : [192, 192], det: [number, number] = [96, 96];
  const file = `${dir}/analyze.npy`;
  writeTwoPhase(file, scan, det);
  const shape = [...scan, ...det], layout = { shape, dtype: "u16" as const };
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const size = `${scan.join("x")} scan, ${det.join("x")} detector`;
  const local = `analyze ${size} in-process (${core.workerCount} threads)`;
  const names = { one: `analyze ${size}, passes on 1 shard worker (${core.workerCount} threads)`, two: `analyze ${size}, passes on 2 shard workers (1 thread each)` };
  try {
    await waitFor("redis-server", () => ping(port));
    const run = async (shards?: number) => {
      const ds = await openDataset(file);
      const session = shards ? await ShardSession.open({ redis: url, file }) : undefined;
      try {
        await analyze(core, ds, session ? { runner: shardedRunner(session, core, { file }, layout, shards!) } : {});
      } finally {
        await session?.close();
        await ds.source.close?.();
      }
    };
    const iterations = opts.quick ? 3 : 2;
    const rows = await measure([{ name: local, fn: () => run() }], { time: 0, iterations });
    let workers = await startWorkers(url, 1, core.workerCount);
    rows.push(...(await measure([{ name: names.one, fn: () => run(2) }], { time: 0, iterations })));
    await stop(workers);
    workers = await startWorkers(url, 2, 1);
    rows.push(...(await measure([{ name: names.two, fn: () => run(2) }], { time: 0, iterations })));
    await stop(workers);
    return compare(rows, [[names.one, local], [names.two, local]]);
  } finally {
    redis.kill("SIGTERM");
  }
}
