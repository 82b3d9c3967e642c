// The faults a lab meets, each with real processes on loopback (redis-server, `stem4d worker`, coordinators): a
// worker SIGKILLed while it holds a shard, Redis killed mid-run, a worker that cannot read the file, Ctrl-C of the
// coordinator and orphaned runs. Each checks the outputs or the error line and how long it took, against generous
// bounds (the machine is shared), not tight timings.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeNpyArray, NpyWriter } from "../../bindings/node.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";
import { type CliProcess, type RedisServer, cli, hasRedis, startRedis, startWorker, stopProcess, until } from "./shard-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-faults-"));
const big = join(dir, "big.npy"); // 128 x 128 scan, 64 x 64 detector: passes that take a moment per shard
const elsewhere = join(dir, "elsewhere"); // a working directory where "big.npy" does not exist
const npy = (path: string) => decodeNpyArray(readFileSync(path), path).data;
const started: CliProcess[] = [];
let redis: RedisServer;

/** Two phases (a small and a large bright disk, in stripes) with deterministic per-pixel noise. */
function writeTwoPhase(path: string, scan: [number, number], det: [number, number]): void {
  const w = new NpyWriter(path, "u16", [...scan, ...det]);
  const [rows, cols] = det, q = rows * cols;
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 31;
  for (let y = 0; y < scan[0]; y++) {
    const row = new Uint16Array(scan[1] * q);
    for (let x = 0; x < scan[1]; x++) {
      const r = ((x >> 4) + (y >> 4)) % 2 ? 10 : 16, cy = rows / 2 + ((x + y) % 5) / 4, cx = cols / 2;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        row[x * q + i * cols + j] = ((i - cy) ** 2 + (j - cx) ** 2 < r * r ? 300 : 20) + noise();
      }
    }
    w.write(row);
  }
  w.close();
}

/** Every array the analysis writes, byte for byte (a retried shard recomputes the same partial state). */
function expectSameFiles(got: string, want: string): void {
  const files = ["eigenvalues", "scores", "components", "centroids", "linkage", "labels_k8", "labels_cut4", "mean_patterns_k8", "virtual_bf"];
  for (const f of files) expect(readFileSync(join(got, `${f}.npy`)).equals(readFileSync(join(want, `${f}.npy`))), f).toBe(true);
}

const analyzeArgs = (out: string, url: string, ...more: string[]) => ["analyze", big, "-o", out, "--k", "8", "--cuts", "4", "--redis", url, "--shards", "2", ...more];

describe.skipIf(!hasRedis || !cliBuilt)("shard engine faults", () => {
  beforeAll(async () => {
    writeTwoPhase(big, [128, 128], [64, 64]);
    mkdirSync(elsewhere);
    redis = await startRedis();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => stopProcess(p.proc, "SIGKILL")));
    await redis?.stop();
  });

  it("a worker SIGKILLed while it holds a shard: another takes the shard over within ~10 s, the results are unchanged and the coordinator names the shard", async () => {
    const victim = await startWorker(redis.url, { threads: 1 }), survivor = await startWorker(redis.url, { threads: 1 });
    started.push(victim, survivor);
    const undisturbed = cli(analyzeArgs(join(dir, "undisturbed"), redis.url, "-q"));
    expect((await undisturbed.exit()).status, undisturbed.stderr()).toBe(0);
    const before = (victim.stderr().match(/started/g) ?? []).length;
    const out = join(dir, "killed");
    const run = cli(analyzeArgs(out, redis.url));
    started.push(run);
    // Kill the victim while it holds its third shard (a sketch or adjoint pass, not the first, cheap one).
    await until("the victim's third shard", () => {
      const seen = (victim.stderr().match(/started/g) ?? []).length, done = (victim.stderr().match(/: done/g) ?? []).length;
      return seen >= before + 3 && done < seen;
    }, 120_000, 5);
    const killedAt = Date.now();
    victim.proc.kill("SIGKILL");
    const stalled = await run.line(/its worker stopped renewing the job's lock/, 60_000);
    const detectedAfter = Date.now() - killedAt;
    expect(stalled.text).toMatch(/^analyze: shard [01] of 2 \(frames \d+-\d+ of .*big\.npy\): its worker stopped renewing the job's lock \(killed or stuck; lock 4 s\); back in the queue for another worker$/);
    expect(detectedAfter).toBeLessThan(15_000);
    const shard = /shard [01] of 2/.exec(stalled.text)![0];
    const retried = await run.line(new RegExp(`${shard} .*: done on worker .* after a stall`), 60_000);
    expect(retried.text).not.toContain(`:${victim.proc.pid} `);
    const exit = await run.exit();
    expect(exit.status, run.stderr()).toBe(0);
    expectSameFiles(out, join(dir, "undisturbed"));
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.shards.retried).toEqual([expect.stringContaining(shard)]);
    await stopProcess(survivor.proc);
  }, 240_000);

  it("Redis killed mid-run: the coordinator ends with one line naming the URL within 10 s; the worker stops on SIGTERM within 5 s", async () => {
    const lost = await startRedis();
    const worker = await startWorker(lost.url, { threads: 1 });
    started.push(worker);
    const run = cli(analyzeArgs(join(dir, "lost"), lost.url));
    started.push(run);
    await worker.line(/started/, 60_000);
    const killedAt = Date.now();
    await lost.stop("SIGKILL");
    const exit = await run.exit();
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(exit.status).toBe(1);
    const errors = run.stderr().split("\n").filter((l) => l.startsWith("stem4d analyze: error:"));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^stem4d analyze: error: lost Redis at redis://127\\.0\\.0\\.1:${lost.port}: ECONNREFUSED for \\d+ s$`))]);
    const stopAt = Date.now();
    worker.proc.kill("SIGTERM");
    const stopped = await worker.exit();
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    expect(stopped.status).toBe(0);
  }, 120_000);

  it("a worker that cannot read the file leaves its shards to another; when none can, the run fails after a bounded number of tries", async () => {
    const blind = await startWorker(redis.url, { cwd: elsewhere }), sighted = await startWorker(redis.url, { cwd: dir });
    started.push(blind, sighted);
    const run = cli(["shard", "big.npy", "--redis", redis.url, "--shards", "6", "--stats", "-o", join(dir, "stats")], { cwd: dir });
    const exit = await run.exit();
    expect(exit.status, run.stderr()).toBe(0);
    expect(blind.stderr()).toMatch(/shard \d of 6 \(frames \d+-\d+ of big\.npy\) on worker \S+: .*big\.npy/);
    expect(run.stderr()).toMatch(/shard: shard \d of 6 \(frames \d+-\d+ of big\.npy\) on worker \S+: .*\(attempt 1 of 3; retried on another worker\)/);
    const ref = cli(["shard", join(dir, "big.npy"), "--redis", redis.url, "--shards", "1", "--stats", "-o", join(dir, "stats1"), "-q"]);
    expect((await ref.exit()).status).toBe(0);
    expect(readFileSync(join(dir, "stats", "mean.npy")).equals(readFileSync(join(dir, "stats1", "mean.npy")))).toBe(true);
    await stopProcess(sighted.proc);

    const doomed = cli(["shard", "big.npy", "--redis", redis.url, "--shards", "2", "--stats", "-o", join(dir, "none")], { cwd: dir });
    const failed = await doomed.exit();
    expect(failed.status).toBe(1);
    expect(failed.at).toBeLessThan(30_000);
    expect(doomed.stderr()).toMatch(/stem4d shard: error: sharded run of big\.npy failed: shard [01] of 2 \(frames \d+-\d+ of big\.npy\) on worker \S+: .*big\.npy/);
    expect((blind.stderr().match(/failed:/g) ?? []).length).toBeGreaterThanOrEqual(3);
    await stopProcess(blind.proc);
  }, 120_000);

  it("Ctrl-C withdraws the coordinator's jobs; --list shows runs, --cancel removes an orphan's jobs, and workers skip a cancelled run's jobs", async () => {
    const queue = ["--queue", "idle"];
    const coordinator = (out: string) => cli(["shard", big, "--redis", redis.url, ...queue, "--shards", "4", "--stats", "-o", join(dir, out)]);
    const runId = async (p: CliProcess) => /run ([0-9a-f]{8})/.exec((await p.line(/^shard: run [0-9a-f]{8}/)).text)![1]!;

    const interrupted = coordinator("int");
    const first = await runId(interrupted);
    await interrupted.line(/no worker serves queue idle/);
    const sentAt = Date.now();
    interrupted.proc.kill("SIGINT");
    const exit = await interrupted.exit();
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(exit.status).toBe(130);
    expect(interrupted.stderr()).toContain(`stem4d shard: interrupted: run ${first} cancelled, 4 waiting jobs withdrawn`);

    const orphaned = coordinator("orphan");
    const second = await runId(orphaned);
    await orphaned.line(/no worker serves queue idle/);
    orphaned.proc.kill("SIGKILL");
    await orphaned.exit();
    const list = stem4d("shard", "--list", "--redis", redis.url, ...queue, "--json");
    expect(list.status, list.stderr).toBe(0);
    const runs = JSON.parse(list.stdout).runs as { id: string; state: string; jobs: number }[];
    expect(runs.find((r) => r.id === first)).toMatchObject({ state: "cancelled", jobs: 0 });
    expect(runs.find((r) => r.id === second)).toMatchObject({ state: "running", jobs: 4 });
    const cancel = stem4d("shard", "--cancel", second, "--redis", redis.url, ...queue, "--json");
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(JSON.parse(cancel.stdout).cancelled).toEqual([{ id: second, withdrawn: 4 }]);

    // A run cancelled while its jobs could not be withdrawn (as when a worker held them): workers skip them.
    const third = coordinator("skipped");
    const id = await runId(third);
    await third.line(/no worker serves queue idle/);
    third.proc.kill("SIGKILL");
    await third.exit();
    spawnSync("redis-cli", ["-p", String(redis.port), "HSET", `idle:run:${id}`, "state", "cancelled"]);
    const worker = await startWorker(redis.url, { queue: "idle" });
    started.push(worker);
    for (let s = 0; s < 4; s++) await worker.line(new RegExp(`shard ${s} of 4 .*: run ${id} is cancelled; skipped`), 20_000);
    expect(worker.stderr()).not.toMatch(/: done/);
    await stopProcess(worker.proc);
  }, 120_000);
});
