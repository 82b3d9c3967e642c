// `stem4d stream send` and `stem4d stream receive` as processes on 127.0.0.1, over ZeroMQ, a WebSocket and a
// WebSocket over TLS (a throwaway CA made with openssl). The
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
import { opensslFound, byScheme, mutualTlsTransport, testTls } from "../helpers/tls.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-cli-"));

function run(args: string[], env?: Record<string, string>): { child: ChildProcess; done: Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
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

/** A 4x4 scan of 16x16 patterns, made once. */
function smallData(): string {
  const data = join(dir, "small.npy");
  if (!existsSync(data)) expect(stem4d("simulate", "-o", data, "--scan", "4,4", "--detector", "16,16", "-q").status).toBe(0);
  return data;
}

type TlsFiles = ReturnType<typeof testTls>;

describe.skipIf(!cliBuilt)("stem4d stream (CLI)", () => {
  it.each(byScheme())("a receiver killed mid-series and restarted ends with the one-pass container and images (%s)", async (_, { scheme, receiveFlags, sendFlags }) => {
    const data = join(dir, "sim.npy");
    if (!existsSync(data)) expect(stem4d("simulate", "-o", data, "--scan", "32,24", "--detector", "40,40", "--seed", "4", "-q").status).toBe(0);
    const port = await freePort();
    const out = join(dir, `rx-${scheme}`), container = join(out, "stream.s4d");
    const receiveArgs = ["stream", "receive", "--bind", `${scheme}://127.0.0.1:${port}`, ...receiveFlags, "--bf", "3", "--com", "-o", out, "--json", "--timeout", "30"];
    const first = run(receiveArgs);
    const sender = run(["stream", "send", data, "--to", `${scheme}://127.0.0.1:${port}`, ...sendFlags, "--encode", "lossless", "--frames-per-chunk", "16", "--rate", "500", "--silence", "1", "--json"]);
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

  it.each([["", []], [" (--low-memory: Node restarted with a small young generation, one thread and JavaScript interpreted, a 2 MiB ring)", ["--low-memory"]],
    [" (and --baseline-wasm: WebAssembly from the baseline compiler only)", ["--low-memory", "--baseline-wasm"]]])("send --encode events writes what count writes, and reports both thresholds%s", async (_, extra) => {
    const data = join(dir, "frames.npy"), dark = join(dir, "dark.npy");
    const py = `import numpy as np; r=np.random.default_rng(1); d=(100+5*r.standard_normal((24,24))).astype(np.float32); np.save("${dark}", d)
f=np.rint(d+3*r.standard_normal((6,5,24,24))).astype(np.uint16); i=r.integers(0,24*24,(6,5,4)); [f.reshape(30,-1).__setitem__((k, i.reshape(30,-1)[k]), f.reshape(30,-1)[k, i.reshape(30,-1)[k]]+80) for k in range(30)]; np.save("${data}", f)`;
    const { spawnSync } = await import("node:child_process");
    expect(spawnSync("/usr/bin/python3", ["-c", py]).status).toBe(0);
    const port = await freePort();
    const out = join(dir, `ev${extra.length}`);
    const rx = run(["stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "--stats", "-o", out, "--json", "--timeout", "30"]);
    const s = await run(["stream", "send", data, "--to", `tcp://127.0.0.1:${port}`, "--encode", "events", "--dark", dark, ...extra, "--json", "-q"]).done;
    const r = await rx.done;
    expect(s.status, s.stderr).toBe(0);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(s.stdout).thresholds).toMatchObject({ xrayRule: "sample mean + 10 sample std", backgroundRule: "fit mean + 4 fit sigma" });
    // JavaScript from the interpreter only (cli/lean-restart.ts): the chunks are the same.
    if (extra.length) expect(JSON.parse(s.stdout).nodeFlags).toEqual(expect.arrayContaining(["--max-semi-space-size=1", "--single-threaded", "--no-opt", "--no-sparkplug"]));
    expect(stem4d("count", data, "--dark", dark, "-o", join(dir, "count.s4d"), "-q").status).toBe(0);
    expect(chunkBytes(join(out, "stream.s4d")).equals(chunkBytes(join(dir, "count.s4d")))).toBe(true);
  }, 60_000);

  it("send --low-memory: a signal to the command reaches the restarted sender, and both end", async () => {
    const sender = run(["stream", "send", smallData(), "--to", "ws://127.0.0.1:9", "--low-memory", "--timeout", "30"]);
    const pid = sender.child.pid!;
    const children = () => { try { return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim(); } catch { return ""; } };
    while (!children()) await sleep(50);
    const restarted = Number(children().split(/\s+/)[0]);
    await sleep(500);
    sender.child.kill("SIGTERM");
    expect((await sender.done).signal).toBe("SIGTERM");
    expect(existsSync(`/proc/${restarted}`)).toBe(false);
  }, 30_000);

  it.each(byScheme())("send fails with a clear error when no receiver answers (%s)", (_, { scheme, sendFlags }) => {
    const data = smallData();
    const r = stem4d("stream", "send", data, "--to", `${scheme}://127.0.0.1:9`, ...sendFlags, "--timeout", "2", "--silence", "1");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`stream send: no answer from the receiver at ${scheme}://127\\.0\\.0\\.1:9 for 1 s`));
    expect(r.stderr).toMatch(new RegExp(`stem4d stream send: error: ${scheme}://127\\.0\\.0\\.1:9: no answer from the receiver for [23] s; series "[^"]+": 0 chunks acknowledged, 0 sent`));
  });

  it("rejects an endpoint of another scheme with one line", () => {
    const r = stem4d("stream", "send", smallData(), "--to", "http://127.0.0.1:9");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("stem4d stream send: error: --to 'http://127.0.0.1:9': expected tcp://HOST:PORT (ZeroMQ), ws://HOST:PORT or wss://HOST:PORT (WebSocket); see 'stem4d stream send --help'");
  });

  describe.skipIf(!opensslFound)("over TLS (wss://)", () => {
    /** A wss:// receiver on a free port and a sender of the small dataset to it with `sendFlags` and `env`. */
    async function sendTo(sendFlags: string[], env?: Record<string, string>, scheme = "wss") {
      const tls = testTls(), port = await freePort();
      const receiveFlags = scheme === "wss" ? ["--tls-cert", tls.cert, "--tls-key", tls.key] : [];
      const rx = run(["stream", "receive", "--bind", `${scheme}://127.0.0.1:${port}`, ...receiveFlags, "-o", join(dir, `tls-${port}`), "--timeout", "10", "--json", "-q"]);
      const sent = await run(["stream", "send", smallData(), "--to", `wss://127.0.0.1:${port}`, ...sendFlags, "--encode", "lossless", "--timeout", "20", "--json"], env).done;
      if (sent.status !== 0) rx.child.kill("SIGTERM");
      return { sent, received: await rx.done, port };
    }

    it("a sender trusts the receiver's CA given by NODE_EXTRA_CA_CERTS as by --tls-ca", async () => {
      const { sent, received } = await sendTo([], { NODE_EXTRA_CA_CERTS: testTls().ca });
      expect(sent.status, sent.stderr).toBe(0);
      expect(received.status, received.stderr).toBe(0);
      expect(JSON.parse(received.stdout)).toMatchObject({ frames: 16, damagedChunks: 0 });
    }, 60_000);

    it.each([
      ["another CA's certificate (--tls-ca)", () => ["--tls-ca", testTls().otherCa], "wss", /unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
      ["Node's own roots only", () => [], "wss", /unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
      ["a receiver that does not speak TLS (ws://)", () => ["--tls-ca", testTls().ca], "ws", /wrong version number/],
    ])("a sender refuses a receiver it cannot trust, with one line naming the address and the TLS error: %s", async (_, flags, scheme, error) => {
      const { sent, port } = await sendTo(flags(), undefined, scheme);
      expect(sent.status).toBe(1);
      const lines = sent.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^stem4d stream send: error: wss://127\\.0\\.0\\.1:${port}: the TLS connection failed: `));
      expect(lines[0]).toMatch(error);
    }, 60_000);

    it("a receiver with --tls-client-ca refuses senders without its CA's certificate, says so, and takes the next one", async () => {
      const t = testTls(), port = await freePort(), out = join(dir, "mtls"), to = `wss://127.0.0.1:${port}`;
      const rx = run(["stream", "receive", "--bind", to, ...mutualTlsTransport().receiveFlags, "-o", out, "--timeout", "20", "--json", "-q"]);
      const send = (flags: string[]) => run(["stream", "send", smallData(), "--to", to, "--tls-ca", t.ca, ...flags, "--encode", "lossless", "--timeout", "20", "--json"]).done;
      // A sender started before the receiver listens tries again until it does.
      const bare = await send([]);
      const foreign = await send(["--tls-cert", t.foreignClientCert, "--tls-key", t.foreignClientKey]);
      const accepted = await send(["--tls-cert", t.clientCert, "--tls-key", t.clientKey]);
      const received = await rx.done;
      for (const refused of [bare, foreign]) {
        expect(refused.status).toBe(1);
        expect(refused.stderr.trim().split("\n")).toHaveLength(1);
        expect(refused.stderr).toMatch(new RegExp(`^stem4d stream send: error: wss://127\\.0\\.0\\.1:${port}: the TLS connection failed: `));
      }
      expect(bare.stderr).toMatch(/tlsv13 alert certificate required \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\); the receiver accepts only senders with a certificate its CA signed: give --tls-cert FILE and --tls-key FILE/);
      expect(foreign.stderr).toMatch(/the receiver did not accept this sender's certificate \(CN=stem4d test foreign sender, issued by CN=stem4d test other-ca\): it closed the connection right after the TLS handshake, 3 times \((the connection ended before the receiver answered the WebSocket handshake \(ECONNRESET\)|read ECONNRESET)\)/);
      expect(accepted.status, accepted.stderr).toBe(0);
      expect(received.status, received.stderr).toBe(0);
      const refusals = received.stderr.trim().split("\n");
      expect(refusals[0]).toMatch(new RegExp(`^stream receive: wss://127\\.0\\.0\\.1:${port}: refused a sender at 127\\.0\\.0\\.1:\\d+: it presented no certificate, and this receiver asks for one$`));
      expect(refusals.slice(1)).toEqual(Array(3).fill(expect.stringMatching(/: refused a sender at 127\.0\.0\.1:\d+: its certificate is not signed by a CA the receiver trusts for senders \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/)));
      expect(JSON.parse(received.stdout)).toMatchObject({ frames: 16, damagedChunks: 0 });
      expect(stem4d("compress", smallData(), "-o", join(dir, "mtls-ref.s4d"), "-q").status).toBe(0);
      expect(chunkBytes(join(out, "stream.s4d")).equals(chunkBytes(join(dir, "mtls-ref.s4d")))).toBe(true);
    }, 60_000);

    it.each([
      ["wss:// without a certificate", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9"],
        "--bind 'wss://127.0.0.1:9': wss:// needs --tls-cert FILE and --tls-key FILE (PEM); see 'stem4d stream receive --help'"],
      ["a certificate without its key", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-cert", t.cert],
        "wss:// needs both --tls-cert FILE and --tls-key FILE; see 'stem4d stream receive --help'"],
      ["a key file that is not there", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-cert", t.cert, "--tls-key", join(dir, "nokey.pem")],
        `--tls-key '${join(dir, "nokey.pem")}': cannot read it (ENOENT)`],
      ["another certificate's key", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-cert", t.cert, "--tls-key", t.otherCaKey],
        `--tls-key '${testTls().otherCaKey}' is not the private key of the certificate in --tls-cert '${testTls().cert}'`],
      ["a key given as the certificate", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-cert", t.key, "--tls-key", t.key],
        `--tls-cert '${testTls().key}': no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`],
      ["a certificate for a plain ws:// address", (t: TlsFiles) => ["--bind", "ws://127.0.0.1:9", "--tls-cert", t.cert, "--tls-key", t.key],
        "--tls-cert/--tls-key: only for a wss:// address, not 'ws://127.0.0.1:9'; see 'stem4d stream receive --help'"],
      ["a client CA for a plain ws:// address", (t: TlsFiles) => ["--bind", "ws://127.0.0.1:9", "--tls-client-ca", t.ca],
        "--tls-client-ca: only for a wss:// address, not 'ws://127.0.0.1:9'; see 'stem4d stream receive --help'"],
      ["a client CA for a ZeroMQ address", (t: TlsFiles) => ["--bind", "tcp://127.0.0.1:9", "--tls-client-ca", t.ca],
        "--tls-client-ca: only for a wss:// address, not 'tcp://127.0.0.1:9'; see 'stem4d stream receive --help'"],
      ["a client CA without the receiver's certificate", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-client-ca", t.ca],
        "--bind 'wss://127.0.0.1:9': wss:// needs --tls-cert FILE and --tls-key FILE (PEM); see 'stem4d stream receive --help'"],
      ["a client CA file that holds no certificate", (t: TlsFiles) => ["--bind", "wss://127.0.0.1:9", "--tls-cert", t.cert, "--tls-key", t.key, "--tls-client-ca", t.clientKey],
        `--tls-client-ca '${testTls().clientKey}': no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`],
    ])("stream receive: bad TLS options give one line (%s)", (_, args, message) => {
      const r = stem4d("stream", "receive", "-o", join(dir, "never"), "--timeout", "1", ...args(testTls()));
      expect(r.stderr.trim()).toBe(`stem4d stream receive: error: ${message}`);
      expect(r.status).not.toBe(0);
    });

    it.each([
      ["a CA file that holds no certificate", (t: TlsFiles) => ["--to", "wss://127.0.0.1:9", "--tls-ca", t.key],
        `--tls-ca '${testTls().key}': no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`],
      ["a CA file that is not there", () => ["--to", "wss://127.0.0.1:9", "--tls-ca", join(dir, "noca.pem")],
        `--tls-ca '${join(dir, "noca.pem")}': cannot read it (ENOENT)`],
      ["a CA for a plain ws:// address", (t: TlsFiles) => ["--to", "ws://127.0.0.1:9", "--tls-ca", t.ca],
        "--tls-ca: only for a wss:// address, not 'ws://127.0.0.1:9'; see 'stem4d stream send --help'"],
      ["a certificate for a ZeroMQ address", (t: TlsFiles) => ["--to", "tcp://127.0.0.1:9", "--tls-cert", t.clientCert, "--tls-key", t.clientKey],
        "--tls-cert/--tls-key: only for a wss:// address, not 'tcp://127.0.0.1:9'; see 'stem4d stream send --help'"],
      ["a certificate without its key", (t: TlsFiles) => ["--to", "wss://127.0.0.1:9", "--tls-cert", t.clientCert],
        "a sender's certificate needs both --tls-cert FILE and --tls-key FILE; see 'stem4d stream send --help'"],
      ["a key without its certificate", (t: TlsFiles) => ["--to", "wss://127.0.0.1:9", "--tls-key", t.clientKey],
        "a sender's certificate needs both --tls-cert FILE and --tls-key FILE; see 'stem4d stream send --help'"],
      ["another certificate's key", (t: TlsFiles) => ["--to", "wss://127.0.0.1:9", "--tls-cert", t.clientCert, "--tls-key", t.foreignClientKey],
        `--tls-key '${testTls().foreignClientKey}' is not the private key of the certificate in --tls-cert '${testTls().clientCert}'`],
      ["a certificate file that is not there", (t: TlsFiles) => ["--to", "wss://127.0.0.1:9", "--tls-cert", join(dir, "nocert.pem"), "--tls-key", t.clientKey],
        `--tls-cert '${join(dir, "nocert.pem")}': cannot read it (ENOENT)`],
    ])("stream send: bad TLS options give one line (%s)", (_, args, message) => {
      const r = stem4d("stream", "send", smallData(), "--timeout", "1", ...args(testTls()));
      expect(r.stderr.trim()).toBe(`stem4d stream send: error: ${message}`);
      expect(r.status).not.toBe(0);
    });
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
    const r = stem4d("stream", "send", smallData(), "--to", "tcp://127.0.0.1:9", "--encode", "gzip");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("stem4d stream send: error: --encode: 'gzip' is not raw, lossless, events or pca; see 'stem4d stream send --help'");
  });
});
