// Node-only (the `ws` package; Node 20 has no WebSocket server): the receiver's end of a live stream over
// WebSockets, for senders in browsers, Deno, Bun or Node (stream-websocket.ts). Each connection is one sender, known
// by an id of its own, as a ZeroMQ ROUTER knows its peers: a sender that reconnects is a new peer and is told where
// to resume. Messages wait in a queue of at most `highWaterMark`; past it the connections are paused, so TCP pushes
// back on the sender. At a wss:// address the server is Node's https server with the given certificate and key; with
// a client CA too, it accepts only senders presenting a certificate that CA signed (mutual TLS): Node refuses the
// others in the TLS layer, before any HTTP, and each refusal is told to `onNotice` with the peer and the reason.
import type { Socket } from "node:net";
import { createServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { type WebSocket, WebSocketServer } from "ws";
import type { ReceiverTransport } from "./stream-transport.js";
import { Wakeup } from "./stream-transport.js";
import { openSslReason, packMessage, unpackMessage } from "./stream-websocket.js";

/** The certificate (chain) and private key a wss:// receiver presents, in PEM. */
export interface ReceiverTls {
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** CA certificates (PEM): when given, only senders presenting a certificate one of them signed are accepted. */
  clientCa?: string | Uint8Array;
}

export interface WebSocketReceiverOptions {
  /** Messages queued before the connections are paused (default 16). */
  highWaterMark?: number;
  /** wss://: the certificate and key to present, and the CA that signs the senders' certificates, if any. */
  tls?: ReceiverTls;
  /** Told of every connection refused in the TLS handshake (wss://), one line each: the peer and the reason. */
  onNotice?: (line: string) => void;
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
    const clientAuth = tls.clientCa === undefined ? {} : { ca: pem(tls.clientCa), requestCert: true, rejectUnauthorized: true };
    return createServer({ cert: pem(tls.cert), key: pem(tls.key), ...clientAuth });
  } catch (e) {
    throw new Error(`cannot listen on ${bind}: the TLS certificate and key: ${(e as Error).message}`);
  }
}

/** Why Node refused a connection in its TLS handshake: a sender's certificate it could not verify (Node closes the
 * connection after the handshake, without an alert), or OpenSSL's own reason (no certificate, no common protocol). */
function tlsRefusal(error: NodeJS.ErrnoException, socket: TLSSocket): string {
  const unverified = socket.authorizationError;
  if (unverified) return `its certificate is not signed by a CA the receiver trusts for senders (${String(unverified)})`;
  if (error.code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE") return "it presented no certificate, and this receiver asks for one";
  return `its TLS handshake failed: ${openSslReason(error.message)}${error.code ? ` (${error.code})` : ""}`;
}

/** Tells `say` of every connection the https server refuses in the TLS handshake, with the peer's address (taken
 * when the connection came: a refused socket has lost it by then). */
function reportRefusals(https: ReturnType<typeof createServer>, endpoint: () => string, say: (line: string) => void): void {
  const peers = new WeakMap<Socket, string>();
  https.on("connection", (raw: Socket) => { peers.set(raw, `${raw.remoteAddress}:${raw.remotePort}`); });
  https.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    // A TLS socket's transport is its `_parent` (Node's own field; the address is lost once it is destroyed).
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const peer = (raw && peers.get(raw)) ?? "an unknown address";
    say(`${endpoint()}: refused a sender at ${peer}: ${tlsRefusal(error, socket)}`);
  });
}

type Queued = { from: string; parts: Uint8Array[] } | { error: Error };

export async function webSocketReceiver(bind: string, o: WebSocketReceiverOptions = {}): Promise<ReceiverTransport> {
  const { scheme, host, port } = parseBind(bind);
  const highWaterMark = o.highWaterMark ?? 16;
  const https = tlsServer(bind, scheme, o.tls);
  let endpoint = bind;
  if (https && o.onNotice) reportRefusals(https, () => endpoint, o.onNotice);
  const options = { maxPayload: 2 ** 30, perMessageDeflate: false };
  const server = new WebSocketServer(https ? { server: https, ...options } : { host, port, ...options });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (e) => { server.close(); https?.close(); reject(new Error(`cannot listen on ${bind}: ${e.message}`)); });
    https?.listen(port, host);
  });
  const address = server.address();
  if (address && typeof address === "object") endpoint = `${scheme}://${host ?? "0.0.0.0"}:${address.port}`;
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
