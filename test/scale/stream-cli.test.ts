// `stem4d stream send` and `stem4d stream receive` as processes on 127.0.0.1, over ZeroMQ and over a WebSocket. The
// receiver is killed (SIGKILL) in the middle of a series: its container must still verify up to its last whole
// chunk; a receiver restarted on the same folder continues it, and the final container and images equal what
// `compress`, `virtual` and `com` write for the same file.
import { describe, expect, it } from "vitest";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-cli-"));

function run(args: string[]): { child: ChildProcess; done: Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => { stdout += d.toString(); });
  child.stderr!.on("data", (d) => { stderr += d.toString(); });
  const done = new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>((r) => child.on("exit", (status, signal) => r({ status, signal, stdout, stderr })));
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The chunks of a finished container: the bytes between the metadata (which carries a creation time) and the
 * index (whose offsets depend on the metadata's length). */
function chunkBytes(file: string): Buffer {
  const b = readFileSync(file);
  return b.subarray(20 + b.readUInt32LE(12), b.readUInt32LE(b.length - 16));
}

describe.skipIf(!cliBuilt)("stem4d stream (CLI)", () => {
  it.each(["tcp", "ws"])("a receiver killed mid-series and restarted ends with the one-pass container and images (%s://)", async (scheme) => {
    const data = join(dir, "sim.npy");
    if (!existsSync(data)) expect(stem4d("simulate", "-o", data, "--scan", "32,24", "--detector", "40,40", "--seed", "4", "-q").status).toBe(0);
    const port = await freePort();
    const out = join(dir, `rx-${scheme}`), container = join(out, "stream.s4d");
    const receiveArgs = ["stream", "receive", "--bind", `${scheme}://127.0.0.1:${port}`, "--bf", "3", "--com", "-o", out, "--json", "--timeout", "30"];
    const first = run(receiveArgs);
    const sender = run(["stream", "send", data, "--to", `${scheme}://127.0.0.1:${port}`, "--encode", "lossless", "--frames-per-chunk", "16", "--rate", "500", "--silence", "1", "--json"]);
    // Kill the receiver once a dozen chunks are in its container (about a third of the series).
    while (!existsSync(container) || statSync(container).size < 12 * 12000) await sleep(50);
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    const cut = stem4d("verify", container, "--json");
    const v = JSON.parse(cut.stdout);
    expect(v).toMatchObject({ complete: false, corruptChunks: 0, mode: "lossless" });
    expect(v.items).toBeGreaterThan(100);
    expect(v.items).toBeLessThan(768);

    const second = run(receiveArgs);
    const [s, r] = await Promise.all([sender.done, second.done]);
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    const sent = JSON.parse(s.stdout), received = JSON.parse(r.stdout);
    expect(sent).toMatchObject({ mode: "lossless", frames: 768, chunks: 48 });
    expect(sent.resumes).toBeGreaterThanOrEqual(1);
    expect(received).toMatchObject({ frames: 768, chunks: 48, damagedChunks: 0, shape: [32, 24, 40, 40] });
    expect(received.resumedAt).toBeGreaterThan(5);
    expect(s.stderr).toMatch(/the receiver asks to resume from chunk \d+ \(frames \d+-\d+\); \d+ chunks will be sent again/);

    // One pass over the file with the same encoder and the default centre.
    const ref = join(dir, `ref-${scheme}`);
    expect(stem4d("compress", data, "-o", join(ref, "c.s4d"), "--frames-per-chunk", "16", "-q").status).toBe(0);
    expect(chunkBytes(container).equals(chunkBytes(join(ref, "c.s4d")))).toBe(true);
    expect(stem4d("verify", container, "--json").status).toBe(0);
    expect(stem4d("virtual", data, "--bf", "3", "-o", join(ref, "bf.npy"), "-q").status).toBe(0);
    expect(stem4d("com", data, "--center", `${received.center.cy},${received.center.cx}`, "-o", join(ref, "com"), "-q").status).toBe(0);
    expect(readFileSync(join(out, "bf.npy")).equals(readFileSync(join(ref, "bf.npy")))).toBe(true);
    expect(readFileSync(join(out, "com_x.npy")).equals(readFileSync(join(ref, "com_x.npy")))).toBe(true);
  }, 120_000);

  it("send --encode events writes what count writes, and reports both thresholds", async () => {
    const data = join(dir, "frames.npy"), dark = join(dir, "dark.npy");
    const py = `import numpy as np; r=np.random.default_rng(1); d=(100+5*r.standard_normal((24,24))).astype(np.float32); np.save("${dark}", d)
f=np.rint(d+3*r.standard_normal((6,5,24,24))).astype(np.uint16); i=r.integers(0,24*24,(6,5,4)); [f.reshape(30,-1).__setitem__((k, i.reshape(30,-1)[k]), f.reshape(30,-1)[k, i.reshape(30,-1)[k]]+80) for k in range(30)]; np.save("${data}", f)`;
    const { spawnSync } = await import("node:child_process");
    expect(spawnSync("/usr/bin/python3", ["-c", py]).status).toBe(0);
    const port = await freePort();
    const out = join(dir, "ev");
    const rx = run(["stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "--stats", "-o", out, "--json", "--timeout", "30"]);
    const s = await run(["stream", "send", data, "--to", `tcp://127.0.0.1:${port}`, "--encode", "events", "--dark", dark, "--json", "-q"]).done;
    const r = await rx.done;
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(s.stdout).thresholds).toMatchObject({ xrayRule: "sample mean + 10 sample std", backgroundRule: "fit mean + 4 fit sigma" });
    expect(stem4d("count", data, "--dark", dark, "-o", join(dir, "count.s4d"), "-q").status).toBe(0);
    expect(chunkBytes(join(out, "stream.s4d")).equals(chunkBytes(join(dir, "count.s4d")))).toBe(true);
  }, 60_000);

  it.each(["tcp", "ws"])("send fails with a clear error when no receiver answers (%s://)", (scheme) => {
    const data = join(dir, "small.npy");
    if (!existsSync(data)) expect(stem4d("simulate", "-o", data, "--scan", "4,4", "--detector", "16,16", "-q").status).toBe(0);
    const r = stem4d("stream", "send", data, "--to", `${scheme}://127.0.0.1:9`, "--timeout", "2", "--silence", "1");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`stream send: no answer from the receiver at ${scheme}://127\\.0\\.0\\.1:9 for 1 s`));
    expect(r.stderr).toMatch(new RegExp(`stem4d stream send: error: ${scheme}://127\\.0\\.0\\.1:9: no answer from the receiver for [23] s; series "[^"]+": 0 chunks acknowledged, 0 sent`));
  });

  it("rejects an endpoint of another scheme with one line", () => {
    const r = stem4d("stream", "send", join(dir, "small.npy"), "--to", "http://127.0.0.1:9");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("stem4d stream send: error: --to 'http://127.0.0.1:9': expected tcp://HOST:PORT (ZeroMQ) or ws://HOST:PORT (WebSocket); see 'stem4d stream send --help'");
  });

  it("receive --analyze runs the paper's pipeline on the received container: the files analyze writes for the sent file", async () => {
    const data = join(dir, "analyze-me.npy");
    expect(stem4d("simulate", "-o", data, "--scan", "24,20", "--detector", "32,32", "--seed", "6", "-q").status).toBe(0);
    const here = join(dir, "analyze-here");
    const local = stem4d("analyze", data, "-o", here, "-q", "--json");
    expect(local.status, local.stderr).toBe(0);
    const port = await freePort();
    const there = join(dir, "analyze-there");
    const receiver = run(["stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "-o", join(dir, "rx-analyze"), "--analyze", there, "--json", "--timeout", "30"]);
    const sender = run(["stream", "send", data, "--to", `tcp://127.0.0.1:${port}`, "--encode", "lossless", "--json"]);
    const [s, r] = await Promise.all([sender.done, receiver.done]);
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    const received = JSON.parse(r.stdout);
    expect(received.analysis).toMatchObject({ output: there });
    expect(r.stderr).toMatch(/series complete: analyze .*stream\.s4d ->/);
    // Lossless: the container decodes to the sent frames, so every array is the same bytes.
    const arrays = readdirSync(here).filter((f) => f.endsWith(".npy")).sort();
    expect(arrays).toEqual(expect.arrayContaining(["eigenvalues.npy", "labels_k36.npy", "linkage.npy", "mean_patterns_k36.npy"]));
    expect(readdirSync(there).filter((f) => f.endsWith(".npy")).sort()).toEqual(arrays);
    for (const f of arrays) expect(readFileSync(join(there, f)).equals(readFileSync(join(here, f))), f).toBe(true);
  }, 180_000);

  it("rejects an unknown encoding with one line", () => {
    const r = stem4d("stream", "send", join(dir, "small.npy"), "--to", "tcp://127.0.0.1:9", "--encode", "gzip");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("stem4d stream send: error: --encode: 'gzip' is not raw, lossless, events or pca; see 'stem4d stream send --help'");
  });
});
