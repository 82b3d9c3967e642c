// Shards over BullMQ on a real redis-server (started here on a free loopback port, no persistence) and two real
// `stem4d worker` processes: results bit-identical to one in-process pass; a shard that cannot read its file makes
// the run fail with an error naming the shard and the file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../bindings/node.js";
import { Core, openDataset, runReductions, saveNpy, simulateTwoPhase } from "../../bindings/node.js";
import { buildReductions, type AnalysisSpec } from "../../bindings/scale/analyses.js";
import { runSharded } from "../../bindings/scale/shards.js";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";

const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;
const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const dir = mkdtempSync(join(tmpdir(), "stem4d-shard-"));
const file = join(dir, "sim.npy");
const elsewhere = join(dir, "elsewhere"); // the workers' working directory, where "sim.npy" does not exist
let redis: ChildProcess | undefined;
let url = "";
const workers: { proc: ChildProcess; log: string }[] = [];

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: "127.0.0.1" }, () => c.write("PING\r\n"));
    c.once("data", (d) => { c.destroy(); resolve(d.toString().startsWith("+PONG")); });
    c.once("error", () => resolve(false));
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasRedis || !cliBuilt)("shards over BullMQ/Redis", () => {
  beforeAll(async () => {
    const { dataset } = simulateTwoPhase({ scan: [24, 20], detector: [48, 48], seed: 5, dose: 5000 });
    const data = new Uint8Array(480 * 48 * 48 * 2);
    await dataset.source.readFrames(0, 480, data);
    await saveNpy(file, new Uint16Array(data.buffer), "u16", dataset.shape);
    mkdirSync(elsewhere);

    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await until("redis-server", () => ping(port));
    for (let i = 0; i < 2; i++) {
      const proc = spawn(process.execPath, [CLI, "worker", "--redis", url, "--workers", "0"], { cwd: elsewhere, stdio: ["ignore", "ignore", "pipe"] });
      const w = { proc, log: "" };
      proc.stderr!.on("data", (d) => { w.log += d.toString(); });
      workers.push(w);
    }
    await until("two workers", () => workers.every((w) => w.log.includes("serving")));
  });

  afterAll(async () => {
    for (const w of workers) w.proc.kill("SIGTERM");
    await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once("exit", r)))));
    redis?.kill("SIGTERM");
  });

  it("merges shard states into results bit-identical to one pass", async () => {
    const spec: AnalysisSpec = { center: { cy: 23.5, cx: 23.5 }, bf: 4, adf: [8, 20], com: true, stats: true };
    const run = await runSharded({ redis: url, file, shards: 4, spec, timeoutMs: 30_000 });
    expect(run.ranges).toEqual([[0, 120], [120, 240], [240, 360], [360, 480]]);
    const core = await Core.create({ workers: 0 });
    const ds = await openDataset(file);
    try {
      const want = await runReductions(core, ds, buildReductions(spec, ds));
      const [v, com, st] = run.results as [{ images: Float32Array[] }, { comY: Float32Array; comX: Float32Array }, { sum: Float64Array; max: Float32Array; mean: Float32Array }];
      const [wv, wcom, wst] = want as [typeof v, typeof com, typeof st];
      for (const [a, b] of [[v.images[0], wv.images[0]], [v.images[1], wv.images[1]], [com.comY, wcom.comY], [com.comX, wcom.comX], [st.sum, wst.sum], [st.max, wst.max], [st.mean, wst.mean]] as const) {
        expect(bits(a!).equals(bits(b!))).toBe(true);
      }
      expect(v.images[0]!.some((x) => x > 0)).toBe(true);
    } finally {
      await ds.source.close?.();
      await core.close();
    }
    // What travelled: the shards' results, not their frames (480 frames of 48 x 48 u16 = 2.2 MB).
    expect(run.stateChars).toBeLessThan(200_000);
    // Both worker processes took shards.
    for (const w of workers) expect(w.log).toMatch(/shard \d: done/);
  });

  it("stem4d shard writes the same image as stem4d virtual", () => {
    const out = join(dir, "sharded");
    const r = stem4d("shard", file, "--redis", url, "--shards", "3", "--bf", "4", "--center", "23.5,23.5", "-o", out, "--json", "-q", "--timeout", "30");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ shape: [24, 20, 48, 48], shards: 3 });
    const v = stem4d("virtual", file, "--bf", "4", "--center", "23.5,23.5", "-o", join(dir, "bf.npy"), "-q");
    expect(v.status, v.stderr).toBe(0);
    expect(readFileSync(join(out, "bf.npy")).equals(readFileSync(join(dir, "bf.npy")))).toBe(true);
  });

  it("names the Redis it cannot reach, and gives up after --timeout when no worker serves the queue", async () => {
    const down = stem4d("shard", file, "--redis", "redis://127.0.0.1:1", "--shards", "2", "--stats", "-o", join(dir, "x"));
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/stem4d shard: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
    const idle = stem4d("shard", file, "--redis", url, "--queue", "nobody", "--shards", "2", "--stats", "-o", join(dir, "x"), "--timeout", "1");
    expect(idle.status).toBe(1);
    expect(idle.stderr).toMatch(/shard: 2 shards of .*sim\.npy queued on redis:\/\/127\.0\.0\.1:\d+ \(queue nobody\); waiting for workers/);
    // It gave up when --timeout said (1000 ms), not when something else stopped it.
    expect(idle.stderr).toMatch(/stem4d shard: error: sharded run of .*sim\.npy failed: .*timed out.* after 1000ms/);
  });

  it("fails with the shard and the file named when a worker cannot read the file", async () => {
    // The coordinator runs in `dir`, where the relative path exists; the workers run in `elsewhere`, where it does not.
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, "shard", "sim.npy", "--redis", url, "--shards", "2", "--stats", "-o", join(dir, "bad"), "-q", "--timeout", "30"], { cwd: dir });
      let stderr = "";
      p.stderr.on("data", (d) => { stderr += d.toString(); });
      p.on("exit", (status) => resolve({ status, stderr }));
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stem4d shard: error: sharded run of sim\.npy failed: 2 of 2 shards failed: shard [01] of 2 \(frames \d+-\d+ of sim\.npy\): .*sim\.npy/);
  });
});
