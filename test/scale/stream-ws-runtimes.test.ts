// The stream's edge side in Deno, Bun and headless Chromium, each with its own WebSocket class, sending to a Node
// receiver over a real WebSocket on 127.0.0.1 (test/scale/fixtures/stream-ws-sender.ts, bundled by Vite): the
// container the receiver writes holds exactly the chunks `stem4d compress` writes for the same frames. Deno and Bun
// also send over wss:// to a receiver whose certificate a throwaway CA signed, trusted the way each runtime trusts
// a private CA (Deno: --cert FILE; Bun: NODE_EXTRA_CA_CERTS).
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

/** Binds a WebSocket receiver, lets `send(endpoint)` run a sender, and returns what both reported. */
async function receiveFrom(name: string, send: (endpoint: string) => Promise<Record<string, unknown>>, wss = false) {
  const tls = wss ? { cert: readFileSync(testTls().cert, "utf8"), key: readFileSync(testTls().key, "utf8") } : undefined;
  const rx = await StreamReceiver.bind(`${wss ? "wss" : "ws"}://127.0.0.1:*`, { tls });
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
    writeFileSync(join(bundle, "run.mjs"), `import { sendOverWebSocket } from "./out/wsedge.js";
const url = globalThis.Deno ? Deno.args[0] : process.argv[2];
try {
  console.log(JSON.stringify(await sendOverWebSocket(url)));
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
      }, wss);
      expect(sent).toMatchObject({ chunks: 10, frames: 80, resent: 0 });
      expect(received).toMatchObject({ series: "ws-edge", mode: "lossless", chunks: 10, frames: 80, damagedChunks: 0 });
      expect(chunkBytes(container).equals(reference)).toBe(true);
    }, 120_000);
  }

  for (const [name, cmd] of runtimes) {
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
