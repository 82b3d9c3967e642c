// Bad input on a WebSocket stream: a peer that does not speak the stem4d protocol gets one clear line naming the
// endpoint, the sender's address and what was expected, and a bad address is refused before anything connects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { Core } from "../../bindings/node.js";
import { StreamReceiver } from "../../bindings/scale/stream-receive.js";
import { packMessage, unpackMessage, webSocketSender } from "../../bindings/scale/stream-websocket.js";
import { encodeMessage } from "../../bindings/scale/protocol.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-ws-input-"));
let core: Core, n = 0;
beforeAll(async () => { core = await Core.create({ workers: 0 }); });
afterAll(async () => { await core.close(); });

/** A receiver that gets `data` from a plain WebSocket client; resolves to its error. */
async function receiverFails(data: string | Uint8Array): Promise<string> {
  const rx = await StreamReceiver.bind("ws://127.0.0.1:*");
  try {
    const got = rx.receive(core, { container: join(dir, `c${n++}.s4d`), firstTimeoutMs: 10_000 });
    const ws = new WebSocket(rx.endpoint);
    await new Promise((ok) => ws.once("open", ok));
    ws.send(data);
    const e = await got.then(() => new Error("no error"), (e: Error) => e);
    ws.close();
    return e.message;
  } finally {
    rx.close();
  }
}

describe("bad input on a WebSocket stream", () => {
  it("a text message", async () => {
    expect(await receiverFails("hello")).toMatch(/^ws:\/\/127\.0\.0\.1:\d+ \(sender 127\.0\.0\.1:\d+\): a text message; expected binary stem4d messages$/);
  });

  it("a binary message too short for its length field, or shorter than the length it gives", async () => {
    expect(await receiverFails(new Uint8Array([1, 2, 3]))).toMatch(/: a WebSocket message of 3 bytes whose first 4 bytes give a JSON part of \? bytes; expected a stem4d stream message/);
    expect(await receiverFails(new Uint8Array([200, 0, 0, 0, 123]))).toMatch(/: a WebSocket message of 5 bytes whose first 4 bytes give a JSON part of 200 bytes/);
  });

  it("a well-framed message that is not the protocol's", async () => {
    const json = new TextEncoder().encode(JSON.stringify({ stem4d: 1, type: "hello" }));
    expect(await receiverFails(packMessage([json]))).toMatch(/protocol version 1; expected 2 \(both sides must run the same stem4d\)/);
  });

  it("frames a message's parts and reads them back", () => {
    const parts = encodeMessage({ type: "ack", series: "s", next: 3 }, new Uint8Array([9, 8, 7]));
    const back = unpackMessage(packMessage(parts), "here");
    expect(back.map((p) => [...p])).toEqual(parts.map((p) => [...p]));
    expect(unpackMessage(packMessage([parts[0]!]), "here")).toHaveLength(1);
  });

  it("refuses an address that is not ws:// or wss://", () => {
    expect(() => webSocketSender("http://127.0.0.1:80", { WebSocket: WebSocket as never })).toThrow("'http://127.0.0.1:80': expected ws://HOST:PORT or wss://HOST:PORT");
    expect(() => webSocketSender("not a url", { WebSocket: WebSocket as never })).toThrow(/expected ws:\/\/HOST:PORT/);
  });

  it("says which runtimes take TLS options for their own WebSocket, where this one (Node) does not", () => {
    const tls = { ca: "CA", cert: "CERT", key: "KEY" };
    expect(() => webSocketSender("wss://127.0.0.1:9", { tls })).toThrow("wss://127.0.0.1:9: this runtime's WebSocket takes no TLS options (Bun's and Deno's do); a browser trusts its platform's certificate store and presents a client certificate from its own store when the receiver asks");
    expect(() => webSocketSender("wss://127.0.0.1:9", { tls: { cert: "CERT" } })).toThrow("wss://127.0.0.1:9: options.tls needs both cert and key (PEM) to present a certificate");
    expect(() => webSocketSender("ws://127.0.0.1:9", { tls })).toThrow("ws://127.0.0.1:9: options.tls is for a wss:// address");
    expect(() => webSocketSender("wss://127.0.0.1:9", { tls, WebSocket: WebSocket as never })).toThrow("options.tls is for the runtime's own WebSocket; give it to the class passed as options.WebSocket");
  });

  it("Node's sender stops at once, with one line, at a peer that answers but is no WebSocket server", async () => {
    const { createServer } = await import("node:http");
    const { nodeWebSocketClass } = await import("../../bindings/scale/node-websocket.js");
    const http = createServer((_, res) => { res.writeHead(404).end("no"); });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const sender = webSocketSender(url, { WebSocket: nodeWebSocketClass() });
      await expect(sender.send([new Uint8Array(2)])).rejects.toThrow(`${url}: not a stem4d receiver: it answered 'HTTP/1.1 404 Not Found' to the WebSocket handshake; expected 101 Switching Protocols`);
      sender.close();
    } finally {
      http.close();
    }
  });

  it("refuses to listen on an address it cannot parse", async () => {
    await expect(StreamReceiver.bind("ws://127.0.0.1")).rejects.toThrow("cannot listen on ws://127.0.0.1: expected ws://HOST:PORT or wss://HOST:PORT (HOST * for every interface, PORT * for any free one)");
  });
});
