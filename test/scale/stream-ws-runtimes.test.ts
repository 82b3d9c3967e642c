// The stream's edge side in Deno, Bun and headless Chromium, each with its own WebSocket class, sending to a Node
// receiver over a real WebSocket on 127.0.0.1 (test/scale/fixtures/stream-ws-sender.ts, bundled by Vite): the
// container the receiver writes holds exactly the chunks `stem4d compress` writes for the same frames. Deno and Bun
// also send over wss:// to a receiver whose certificate a throwaway CA signed, trusted the way each runtime trusts
// a private CA (Deno: --cert FILE; Bun: NODE_EXTRA_CA_CERTS), and, with the sender's options.tls (the CA, a client
// certificate and key), to a receiver that accepts only senders with a certificate that CA signed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core } from "../../bindings/node.js";
import { StreamReceiver } from "../../bindings/scale/stream-receive.js";
import { chromiumPath, launchChromium } from "../helpers/browser.js";
import { cliBuilt, stem4d } from "../helpers/cli.js";
import { opensslFound, testTls } from "../helpers/tls.js";
import { bundleFixture, pageResult, repoRoot, serveFixture } from "../helpers/web-bundle.js";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
/** A runtime's command, and how it trusts a CA certificate file for wss://. */
const runtimes: [string, string[], (ca: string) => { args: string[]; env: Record<string, string> }][] = [
  ["deno", [bin("deno"), "run", "--allow-read", "--allow-net"], (ca) => ({ args: [`--cert=${ca}`], env: {} })],
  ["bun", [bin("bun")], (ca) => ({ args: [], env: { NODE_EXTRA_CA_CERTS: ca } })],
];
const ready = cliBuilt && existsSync(join(repoRoot, "build/stem4d.simd.wasm"));
const dir = mkdtempSync(join(tmpdir(), "stem4d-ws-runtimes-"));
let bundle = "", core: Core, reference: Buffer;

/** The chunks of a finished container (between the metadata, which carries a creation time, and the index). */
function chunkBytes(file: string): Buffer {
  const b = readFileSync(file);
  return b.subarray(20 + b.readUInt32LE(12), b.readUInt32LE(b.length - 16));
}

/** The receiver's certificate and key, and with `clientCa` the CA whose senders it accepts. */
function receiverTls(clientCa = false) {
  const t = testTls(), pem = (f: string) => readFileSync(f, "utf8");
  return { cert: pem(t.cert), key: pem(t.key), ...(clientCa && { clientCa: pem(t.ca) }) };
}

/** Binds a WebSocket receiver (wss:// with `tls`), lets `send(endpoint)` run a sender, and returns what both reported. */
async function receiveFrom(name: string, send: (endpoint: string) => Promise<Record<string, unknown>>, tls?: ReturnType<typeof receiverTls>) {
  const rx = await StreamReceiver.bind(`${tls ? "wss" : "ws"}://127.0.0.1:*`, { tls });
  const container = join(dir, `${name}.s4d`);
  try {
    const [received, sent] = await Promise.all([rx.receive(core, { container, firstTimeoutMs: 60_000, idleTimeoutMs: 20_000 }), send(rx.endpoint)]);
    return { received, sent, container };
  } finally {
    rx.close();
  }
}

function runProcess(cmd: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
  const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, NO_COLOR: "1", ...env } });
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => { stdout += d; });
  child.stderr!.on("data", (d) => { stderr += d; });
  return { child, done: new Promise((r) => child.on("exit", (status) => r({ status, stdout, stderr }))) };
}

describe.skipIf(!ready)("a stream sent over a WebSocket from Deno, Bun and Chromium", () => {
  beforeAll(async () => {
    core = await Core.create({ workers: 0 });
    bundle = await bundleFixture("test/scale/fixtures/stream-ws-sender.ts", "wsedge");
    writeFileSync(join(bundle, "run.mjs"), `import { readFileSync } from "node:fs";
import { sendOverWebSocket } from "./out/wsedge.js";
// The receiver's address, then optionally the PEM files of options.tls: the CA, a client certificate, its key.
const [url, ca, cert, key] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const tls = ca && { ca: readFileSync(ca, "utf8"), cert: cert && readFileSync(cert, "utf8"), key: key && readFileSync(key, "utf8") };
try {
  console.log(JSON.stringify(await sendOverWebSocket(url, tls)));
} catch (e) {
  console.error(\`error: \${e.message}\`);
  process.exit(1);
}\n`);
    const npy = join(dir, "sim.npy"), s4d = join(dir, "compress.s4d");
    expect(stem4d("simulate", "-o", npy, "--scan", "10,8", "--detector", "32,32", "--seed", "9", "-q").status).toBe(0);
    expect(stem4d("compress", npy, "-o", s4d, "--frames-per-chunk", "8", "-q").status).toBe(0);
    reference = chunkBytes(s4d);
  }, 120_000);
  afterAll(async () => { await core?.close(); });

  it("bundles the sender with no Node module, no ZeroMQ and no ws package in it", () => {
    const js = readFileSync(join(bundle, "out", "wsedge.js"), "utf8");
    expect(js).not.toMatch(/from\s+["'](node:[a-z_]+|ws|zeromq)["']/);
    expect(js).toMatch(/new Socket\(url\)/);
  });

  const cases = runtimes.flatMap(([name, cmd, trust]) => [false, true].map((wss) => [name, cmd, trust, wss] as const));
  for (const [name, cmd, trust, wss] of cases) {
    const over = wss ? "wss://" : "ws://";
    it.skipIf(!existsSync(cmd[0]!) || (wss && !opensslFound))(`${name} over ${over}: the received container holds the chunks stem4d compress writes`, async () => {
      const { received, sent, container } = await receiveFrom(`${name}-${over.slice(0, -3)}`, async (endpoint) => {
        const { args, env } = wss ? trust(testTls().ca) : { args: [], env: {} };
        const r = await runProcess([...cmd, ...args, join(bundle, "run.mjs"), endpoint], env).done;
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout.trim().split("\n").pop()!);
      }, wss ? receiverTls() : undefined);
      expect(sent).toMatchObject({ chunks: 10, frames: 80, resent: 0 });
      expect(received).toMatchObject({ series: "ws-edge", mode: "lossless", chunks: 10, frames: 80, damagedChunks: 0 });
      expect(chunkBytes(container).equals(reference)).toBe(true);
    }, 120_000);
  }

  for (const [name, cmd] of runtimes) {
    it.skipIf(!existsSync(cmd[0]!) || !opensslFound)(`${name} presents a client certificate (options.tls) to a receiver that asks for one: the container holds compress's chunks`, async () => {
      const t = testTls();
      const { received, sent, container } = await receiveFrom(`${name}-mtls`, async (endpoint) => {
        const r = await runProcess([...cmd, join(bundle, "run.mjs"), endpoint, t.ca, t.clientCert, t.clientKey]).done;
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout.trim().split("\n").pop()!);
      }, receiverTls(true));
      expect(sent).toMatchObject({ chunks: 10, frames: 80, resent: 0 });
      expect(received).toMatchObject({ series: "ws-edge", chunks: 10, frames: 80, damagedChunks: 0 });
      expect(chunkBytes(container).equals(reference)).toBe(true);
    }, 120_000);

    // Bun sees the connection Node closes after the handshake end ("Connection ended", three times: a refusal);
    // Deno says "received fatal alert: NoApplicationProtocol" for this as for an untrusted receiver.
    it.skipIf(!existsSync(cmd[0]!) || !opensslFound)(`${name} with another CA's client certificate is refused, with one line naming the address`, async () => {
      const t = testTls(), notices: string[] = [];
      const rx = await StreamReceiver.bind("wss://127.0.0.1:*", { tls: receiverTls(true), onNotice: (l) => notices.push(l) });
      try {
        const r = await runProcess([...cmd, join(bundle, "run.mjs"), rx.endpoint, t.ca, t.foreignClientCert, t.foreignClientKey]).done;
        expect(r.status).toBe(1);
        const refused = name === "bun" ? "the receiver did not accept this sender's certificate \\(options\\.tls\\.cert\\)" : "received fatal alert";
        // Deno's HTTP client may print "Error polling connection: ..." of its own first.
        expect(r.stderr.trim().split("\n").pop()).toMatch(new RegExp(`^error: ${rx.endpoint.replace(/\./g, "\\.")}: the TLS connection failed: .*${refused}`));
        expect(notices[0]).toMatch(/refused a sender at 127\.0\.0\.1:\d+: /);
      } finally {
        rx.close();
      }
    }, 60_000);

    // Bun: "TLS handshake failed: unable to verify the first certificate"; Deno: "received fatal alert:
    // NoApplicationProtocol" (rustls's word for it; the same receiver with --cert=CA connects).
    it.skipIf(!existsSync(cmd[0]!) || !opensslFound)(`${name} refuses a wss:// receiver whose CA it does not trust, naming the address and the TLS error`, async () => {
      const rx = await StreamReceiver.bind("wss://127.0.0.1:*", { tls: { cert: readFileSync(testTls().cert, "utf8"), key: readFileSync(testTls().key, "utf8") } });
      try {
        const r = await runProcess([...cmd, join(bundle, "run.mjs"), rx.endpoint]).done;
        expect(r.status).toBe(1);
        expect(r.stderr.trim()).toMatch(new RegExp(`^error: ${rx.endpoint.replace(/\./g, "\\.")}: the TLS connection failed: .*(certificate|fatal alert)`, "i"));
      } finally {
        rx.close();
      }
    }, 60_000);
  }

  describe.skipIf(!chromiumPath)("in headless Chromium", () => {
    let served: Awaited<ReturnType<typeof serveFixture>> | undefined;
    afterAll(async () => { await served?.close(); });

    it("chromium: the received container holds the chunks stem4d compress writes", async () => {
      served = await serveFixture(bundle, "wsedge", "sendOverWebSocket");
      const base = served.base;
      const browser = await launchChromium();
      const errors: string[] = [];
      try {
        const { received, sent, container } = await receiveFrom("chromium", async (endpoint) => {
          const r = await pageResult<Record<string, unknown>>(browser, `${base}/index.html#${encodeURIComponent(endpoint)}`);
          errors.push(...r.errors);
          return r.result;
        });
        expect(errors).toEqual([]);
        expect(sent).toMatchObject({ chunks: 10, frames: 80, resent: 0 });
        expect(received).toMatchObject({ series: "ws-edge", chunks: 10, frames: 80, damagedChunks: 0 });
        expect(chunkBytes(container).equals(reference)).toBe(true);
      } finally {
        await browser.close();
      }
    }, 120_000);
  });
});
