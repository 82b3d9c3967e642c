// Node-only (the `ws` package; Node 20 has no WebSocket server): the receiver's end of a live stream over
// WebSockets, for senders in browsers, Deno, Bun or Node (stream-websocket.ts). Each connection is one sender, known
// by an id of its own, as a ZeroMQ ROUTER knows its peers: a sender that reconnects is a new peer and is told where
// to resume. Messages wait in a queue of at most `highWaterMark`; past it the connections are paused, so TCP pushes
// back on the sender. At a wss:// address the server is Node's https server with the given certificate and key.
import { createServer } from "node:https";
import { type WebSocket, WebSocketServer } from "ws";
import type { ReceiverTransport } from "./stream-transport.js";
import { Wakeup } from "./stream-transport.js";
import { packMessage, unpackMessage } from "./stream-websocket.js";

/** The certificate (chain) and private key a wss:// receiver presents, in PEM. */
export interface ReceiverTls {
  cert: string | Uint8Array;
  key: string | Uint8Array;
}

/** ws://HOST:PORT or wss://HOST:PORT as a scheme, a host (undefined: every interface) and a port (0: any free one). */
function parseBind(bind: string): { scheme: "ws" | "wss"; host: string | undefined; port: number } {
  const m = /^(wss?):\/\/(\[[^\]]+\]|[^:/[\]]+):(\d+|\*)\/?$/i.exec(bind);
  const port = m ? (m[3] === "*" ? 0 : Number(m[3])) : -1;
  if (!m || port > 65535) {
    throw new Error(`cannot listen on ${bind}: expected ws://HOST:PORT or wss://HOST:PORT (HOST * for every interface, PORT * for any free one)`);
  }
  const host = m[2] === "*" ? undefined : m[2]!.replace(/^\[(.*)\]$/, "$1");
  return { scheme: m[1]!.toLowerCase() as "ws" | "wss", host, port };
}

/** Node's https server for a wss:// address (not yet listening); undefined for ws://. */
function tlsServer(bind: string, scheme: "ws" | "wss", tls: ReceiverTls | undefined) {
  if (scheme === "ws") {
    if (tls) throw new Error(`cannot listen on ${bind}: a certificate and key are for a wss:// address`);
    return undefined;
  }
  if (!tls) throw new Error(`cannot listen on ${bind}: wss:// needs a certificate and its private key (PEM)`);
  try {
    const pem = (x: string | Uint8Array) => (typeof x === "string" ? x : Buffer.from(x));
    return createServer({ cert: pem(tls.cert), key: pem(tls.key) });
  } catch (e) {
    throw new Error(`cannot listen on ${bind}: the TLS certificate and key: ${(e as Error).message}`);
  }
}

type Queued = { from: string; parts: Uint8Array[] } | { error: Error };

export async function webSocketReceiver(bind: string, o: { highWaterMark?: number; tls?: ReceiverTls } = {}): Promise<ReceiverTransport> {
  const { scheme, host, port } = parseBind(bind);
  const highWaterMark = o.highWaterMark ?? 16;
  const https = tlsServer(bind, scheme, o.tls);
  const options = { maxPayload: 2 ** 30, perMessageDeflate: false };
  const server = new WebSocketServer(https ? { server: https, ...options } : { host, port, ...options });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (e) => { server.close(); https?.close(); reject(new Error(`cannot listen on ${bind}: ${e.message}`)); });
    https?.listen(port, host);
  });
  const address = server.address();
  const endpoint = address && typeof address === "object" ? `${scheme}://${host ?? "0.0.0.0"}:${address.port}` : bind;
  const senders = new Map<string, WebSocket>();
  const queue: Queued[] = [];
  const wake = new Wakeup();
  let connections = 0;
  const paused = new Set<WebSocket>();

  server.on("connection", (ws, request) => {
    const id = `ws${++connections}`;
    const peer = `${endpoint} (sender ${request.socket.remoteAddress}:${request.socket.remotePort})`;
    senders.set(id, ws);
    ws.on("message", (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : new Uint8Array(data);
      try {
        if (!isBinary) throw new Error(`${peer}: a text message; expected binary stem4d messages`);
        queue.push({ from: id, parts: unpackMessage(bytes, peer) });
      } catch (e) {
        queue.push({ error: e as Error });
      }
      if (queue.length >= highWaterMark && !paused.has(ws)) { ws.pause(); paused.add(ws); }
      wake.wake();
    });
    ws.on("close", () => { senders.delete(id); paused.delete(ws); });
    ws.on("error", () => {}); // a close follows
  });

  const resumeReading = () => {
    if (queue.length > highWaterMark / 2) return;
    for (const ws of paused) ws.resume();
    paused.clear();
  };

  return {
    endpoint,
    async receive(timeoutMs) {
      if (!queue.length) await wake.wait(timeoutMs);
      const got = queue.shift();
      resumeReading();
      if (got && "error" in got) throw got.error;
      return got;
    },
    async send(to, parts) {
      const ws = senders.get(to);
      if (!ws || ws.readyState !== ws.OPEN) return;
      // Resolves once the bytes are with the operating system (or after 2 s: a sender that stopped reading).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        ws.send(packMessage(parts), () => { clearTimeout(timer); resolve(); });
      });
    },
    close() {
      for (const ws of senders.values()) {
        ws.close(1000, "receiver closed");
        setTimeout(() => ws.terminate(), 500).unref();
      }
      server.close();
      https?.close();
    },
  };
}
