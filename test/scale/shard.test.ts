// Shards over BullMQ on a real redis-server (started here on a free loopback port, no persistence) and two real
// `stem4d worker` processes: results bit-identical to one in-process pass, `analyze --redis` writing what the
// in-process analyze writes, and one clear line, fast, for every Redis URL that cannot work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../bindings/node.js";
import { Core, decodeNpyArray, openDataset, runReductions, saveNpy, simulateTwoPhase } from "../../bindings/node.js";
import { buildReductions, type AnalysisSpec } from "../../bindings/scale/analyses.js";
import { runSharded } from "../../bindings/scale/shards.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { type CliProcess, type RedisServer, cli, hasRedis, startRedis, startWorker, stopProcess } from "./shard-helpers.js";
const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const dir = mkdtempSync(join(tmpdir(), "stem4d-shard-"));
const file = join(dir, "sim.npy");
let redis: RedisServer;
let url = "";
const workers: CliProcess[] = [];
const npy = (path: string) => decodeNpyArray(readFileSync(path), path).data;

describe.skipIf(!hasRedis || !cliBuilt)("shards over BullMQ/Redis", () => {
  beforeAll(async () => {
    const { dataset } = simulateTwoPhase({ scan: [24, 20], detector: [48, 48], seed: 5, dose: 5000 });
    const data = new Uint8Array(480 * 48 * 48 * 2);
    await dataset.source.readFrames(0, 480, data);
    await saveNpy(file, new Uint16Array(data.buffer), "u16", dataset.shape);
    redis = await startRedis();
    url = redis.url;
    workers.push(await startWorker(url), await startWorker(url));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w.proc)));
    await redis?.stop();
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
    expect(run.retried).toEqual([]);
    // Both worker processes took shards.
    for (const w of workers) expect(w.stderr()).toMatch(/shard \d of 4 \(frames \d+-\d+ of .*sim\.npy\): done/);
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

  it("analyze --redis writes what the in-process analyze writes", async () => {
    const here = join(dir, "analyze-here"), there = join(dir, "analyze-sharded");
    // k-means on the leading 40 scores: the shards add their partial products in another order, which moves the
    // scores by float32 rounding; the trailing components of 256, barely converged on 480 probe positions, amplify
    // that enough to flip a point lying within it of a tie between two of 36 centroids.
    const local = stem4d("analyze", file, "-o", here, "-q", "--dims", "40");
    expect(local.status, local.stderr).toBe(0);
    const sharded = cli(["analyze", file, "-o", there, "--redis", url, "--shards", "3", "--json", "--dims", "40"]);
    const exit = await sharded.exit();
    expect(exit.status, sharded.stderr()).toBe(0);
    expect(sharded.stderr()).toMatch(/analyze: run [0-9a-f]{8}: passes in 3 shards on redis:\/\/127\.0\.0\.1:\d+ \(queue stem4d\)/);
    expect(JSON.parse(sharded.stdout()).shards).toMatchObject({ shards: 3, retried: [] });
    const want = npy(join(here, "eigenvalues.npy")), got = npy(join(there, "eigenvalues.npy"));
    expect(got.length).toBe(want.length);
    // Equal to 1e-6 relative: each of the leading 50 on its own, every one against the largest (the trailing ones
    // are float32 noise of order 1e-4 of the largest, which in-process runs do not fix to 1e-6 of themselves).
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-6 * (i < 50 ? want[i]! : want[0]!));
    for (const f of ["labels_k36.npy", "labels_cut16.npy", "labels_cut4.npy", "virtual_bf.npy", "virtual_adf.npy"]) {
      expect(readFileSync(join(there, f)).equals(readFileSync(join(here, f))), f).toBe(true);
    }
    // Mean patterns come from the same labels and exact (float64) sums of counts.
    expect(readFileSync(join(there, "mean_patterns_k36.npy")).equals(readFileSync(join(here, "mean_patterns_k36.npy")))).toBe(true);
    // Both workers ran passes.
    for (const w of workers) expect(w.stderr()).toMatch(/shard \d of 3 .*: done/);
  }, 300_000);

  it("says within 10 s that no worker serves the queue, and gives up after --worker-wait", async () => {
    const run = cli(["shard", file, "--redis", url, "--queue", "nobody", "--shards", "2", "--stats", "-o", join(dir, "x"), "--worker-wait", "3"]);
    const said = await run.line(/no worker serves queue nobody on redis:\/\/127\.0\.0\.1:\d+/);
    expect(said.at).toBeLessThan(10_000);
    const exit = await run.exit();
    expect(exit.status).toBe(1);
    expect(run.stderr()).toMatch(/stem4d shard: error: sharded run of .*sim\.npy failed: no worker served queue nobody on redis:\/\/127\.0\.0\.1:\d+ within 3 s/);
    expect(exit.at).toBeLessThan(20_000);
  });

  it("names the Redis it cannot reach, a listener that is not Redis and one that never answers, each within 10 s", async () => {
    const down = cli(["shard", file, "--redis", "redis://127.0.0.1:1", "--shards", "2", "--stats", "-o", join(dir, "x")]);
    expect((await down.exit()).status).toBe(1);
    expect(down.stderr()).toMatch(/^stem4d shard: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
    const servers: Server[] = [];
    try {
      for (const answer of ["HTTP/1.1 400 Bad Request\r\n\r\n", ""]) {
        const server = createServer((sock) => { if (answer) sock.end(answer); });
        servers.push(server);
        const port = await freePort();
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
        const p = cli(["worker", "--redis", `redis://127.0.0.1:${port}`]);
        const exit = await p.exit();
        expect(exit.status).toBe(1);
        expect(exit.at).toBeLessThan(10_000);
        expect(p.stderr()).toMatch(answer
          ? /^stem4d worker: error: the server at redis:\/\/127\.0\.0\.1:\d+ is not Redis \(it answered 'HTTP\/1\.1 400 Bad Request\?\?\?\?'\)\n$/
          : /^stem4d worker: error: no answer from Redis at redis:\/\/127\.0\.0\.1:\d+ within 5 s \(is a Redis server listening there\?\)\n$/);
      }
    } finally {
      for (const s of servers) s.close();
    }
  });

  it("rejects malformed URLs as option errors, honours the database index, and never prints a password", async () => {
    for (const bad of ["not a url", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/abc"]) {
      const r = stem4d("shard", "--list", "--redis", bad);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toMatch(/^stem4d shard: error: --redis: /);
    }
    const r = stem4d("worker", "--redis", "redis://:s3cret@127.0.0.1:6379/x");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("redis://:***@127.0.0.1:6379/x");
    expect(r.stderr).not.toContain("s3cret");
    // A database the server has is used (the run record lands there); one it lacks is an error naming it.
    const db3 = stem4d("shard", file, "--redis", `${url}/3`, "--shards", "2", "--stats", "-o", join(dir, "db3"), "-q", "--worker-wait", "2");
    expect(db3.stderr).toMatch(/no worker served queue stem4d on redis:\/\/127\.0\.0\.1:\d+\/3 within 2 s/);
    const db99 = stem4d("shard", "--list", "--redis", `${url}/99`);
    expect(db99.status).toBe(1);
    expect(db99.stderr).toMatch(/^stem4d shard: error: Redis at redis:\/\/127\.0\.0\.1:\d+\/99 has no database 99 \(ERR DB index is out of range\)\n$/);

    const locked = await startRedis("--requirepass", "s3cret");
    try {
      const none = stem4d("shard", "--list", "--redis", locked.url);
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ needs a password \(NOAUTH/);
      const wrong = stem4d("shard", "--list", "--redis", `redis://:wrong@127.0.0.1:${locked.port}`);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/^stem4d shard: error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password \(WRONGPASS/);
      expect(wrong.stderr).not.toContain("wrong@");
      const good = `redis://:s3cret@127.0.0.1:${locked.port}`;
      const w = await startWorker(good);
      const run = cli(["shard", file, "--redis", good, "--shards", "2", "--stats", "-o", join(dir, "locked")]);
      expect((await run.exit()).status, run.stderr()).toBe(0);
      await stopProcess(w.proc);
      for (const text of [run.stderr(), run.stdout(), w.stderr()]) {
        expect(text).not.toContain("s3cret");
      }
      expect(run.stderr()).toContain(`redis://:***@127.0.0.1:${locked.port}`);
    } finally {
      await locked.stop();
    }
  });
});
