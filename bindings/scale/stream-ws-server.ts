// Node-only (the `ws` package; Node 20 has no WebSocket server): the receiver's end of a live stream over
// WebSockets, for senders in browsers, Deno, Bun or Node (stream-websocket.ts). Each connection is one sender, known
// by an id of its own, as a ZeroMQ ROUTER knows its peers: a sender that reconnects is a new peer and is told where
// to resume. Messages wait in a queue of at most `highWaterMark`; past it the connections are paused, so TCP pushes
// back on the sender.
import { type WebSocket, WebSocketServer } from "ws";
import type { ReceiverTransport } from "./stream-transport.js";
import { Wakeup } from "./stream-transport.js";
import { packMessage, unpackMessage } from "./stream-websocket.js";

/** ws://HOST:PORT as a host (undefined: every interface) and a port (0: any free one). */
function parseBind(bind: string): { host: string | undefined; port: number } {
  const m = /^ws:\/\/(\[[^\]]+\]|[^:/[\]]+):(\d+|\*)\/?$/.exec(bind);
  const port = m ? (m[2] === "*" ? 0 : Number(m[2])) : -1;
  if (!m || port > 65535) {
    throw new Error(`cannot listen on ${bind}: expected ws://HOST:PORT (HOST * for every interface, PORT * for any free one)`);
  }
  const host = m[1] === "*" ? undefined : m[1]!.replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}

type Queued = { from: string; parts: Uint8Array[] } | { error: Error };

export async function webSocketReceiver(bind: string, o: { highWaterMark?: number } = {}): Promise<ReceiverTransport> {
  const { host, port } = parseBind(bind);
  const highWaterMark = o.highWaterMark ?? 16;
  const server = new WebSocketServer({ host, port, maxPayload: 2 ** 30, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (e) => { server.close(); reject(new Error(`cannot listen on ${bind}: ${e.message}`)); });
  });
  const address = server.address();
  const endpoint = address && typeof address === "object" ? `ws://${host ?? "0.0.0.0"}:${address.port}` : bind;
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
    },
  };
}
