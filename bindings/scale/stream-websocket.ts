// The live stream's sender over a WebSocket, with the standard WebSocket API only (browsers, Deno, Bun; in Node a
// client of the same API on node:net and node:tls: node-websocket.ts). Each protocol message (protocol.ts: a JSON
// part and an optional binary part) is one binary WebSocket message: the JSON part's length (u32, little-endian),
// the JSON, then the binary part. Like a ZeroMQ DEALER, the transport reconnects by itself when the connection drops
// (a receiver restarted); the receiver sees a new connection and says where to resume. Backpressure: a message is
// queued only while the socket buffers at most `bufferBytes`. A wss:// connection whose TLS handshake fails (a
// certificate not trusted, a name that does not match, a receiver that does not speak TLS) is not tried again: no
// retry mends it, so the sender stops at once with the address and the TLS error. A receiver that asks senders for
// a certificate (mutual TLS) and does not accept this one closes the connection right after the handshake without
// saying why (Node does); a sender presenting a certificate takes three such closes in a row for that refusal.
import type { SenderTransport } from "./stream-transport.js";
import { Wakeup } from "./stream-transport.js";
import { type WebSocketClientTls, clientTlsWebSocket } from "./stream-websocket-tls.js";

/** The part of the standard WebSocket interface the sender uses. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Sends one protocol message without first copying its parts into one buffer (Node's ws: fragments). */
  sendParts?(parts: Uint8Array[]): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketSenderOptions {
  /** The WebSocket class (default: globalThis.WebSocket). */
  WebSocket?: WebSocketConstructor;
  /** Bytes the socket may buffer before sending waits (default 2 MiB). */
  bufferBytes?: number;
  /** Appended to the error when the TLS handshake fails: how to trust the receiver (e.g. which option). */
  tlsAdvice?: string;
  /** Appended to the error when the receiver asks for a client certificate and none was given. */
  certificateAdvice?: string;
  /** wss:// with the runtime's own WebSocket: the CA to trust and a certificate to present (mutual TLS). Bun and
   * Deno take them; a browser's WebSocket takes none (it presents a certificate from its own store, if asked). */
  tls?: WebSocketClientTls;
  /** Names the certificate that `WebSocket` presents, when the class given presents one (Node's sender). */
  clientCertificate?: string;
}

/** The error code of a peer that answers the opening handshake, but not as a WebSocket server (Node's client). */
export const NOT_A_WEBSOCKET = "ERR_STEM4D_NOT_A_WEBSOCKET";

/** Closes right after the TLS handshake, in a row, that a sender presenting a certificate takes for a refusal. */
const REFUSALS = 3;

const OPEN = 1;

/** The 4-byte length and the JSON part: how a WebSocket message starts. */
export function messageHead(json: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + json.length);
  new DataView(head.buffer).setUint32(0, json.length, true);
  head.set(json, 4);
  return head;
}

/** One protocol message as one WebSocket message: in `into` when it is large enough (a view of it), else new. */
export function packMessage(parts: Uint8Array[], into?: Uint8Array): Uint8Array {
  const [json, binary] = parts as [Uint8Array, Uint8Array | undefined];
  const size = 4 + json.length + (binary?.length ?? 0);
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, json.length, true);
  out.set(json, 4);
  if (binary) out.set(binary, 4 + json.length);
  return out;
}

/** The parts of one WebSocket message; `where` names the peer in the error. */
export function unpackMessage(bytes: Uint8Array, where: string): Uint8Array[] {
  const n = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : -1;
  if (n < 0 || 4 + n > bytes.length) {
    throw new Error(`${where}: a WebSocket message of ${bytes.length} bytes whose first 4 bytes give a JSON part of ` +
      `${n < 0 ? "?" : n} bytes; expected a stem4d stream message (u32 length, JSON, binary)`);
  }
  const json = bytes.subarray(4, 4 + n);
  return 4 + n < bytes.length ? [json, bytes.subarray(4 + n)] : [json];
}

/** Checks a ws:// or wss:// address; returns it as given. */
export function webSocketAddress(url: string): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== "ws:" && u.protocol !== "wss:")) {
    throw new Error(`'${url}': expected ws://HOST:PORT or wss://HOST:PORT`);
  }
  return url;
}

/** The reason in one of OpenSSL's error lines ("...:error:0A0000C7:SSL routines:FUNCTION:REASON:FILE:LINE:..."). */
export function openSslReason(message: string): string {
  return /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();
}

/** A connection the peer reset or ended before the WebSocket opened: its message, else undefined. */
function connectionReset(ev: unknown): string | undefined {
  const e = ev as { error?: { code?: unknown; message?: unknown }; message?: unknown } | null;
  const code = typeof e?.error?.code === "string" ? e.error.code : "";
  const message = String(e?.error?.message ?? e?.message ?? "");
  if (code !== "ECONNRESET" && !/socket hang up|connection ended|connection reset/i.test(message)) return undefined;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** The TLS error an error event tells of, if it is one (Node's ws and Bun give the error and its OpenSSL code;
 * Deno a message, and an untrusted certificate there reads "received fatal alert: NoApplicationProtocol"; a browser
 * tells nothing, and its sender retries until the stream's timeout). */
export function tlsFailure(ev: unknown): string | undefined {
  const e = ev as { error?: { code?: unknown; message?: unknown }; message?: unknown } | null;
  const code = typeof e?.error?.code === "string" ? e.error.code : "";
  const message = String(e?.error?.message ?? e?.message ?? "");
  const tlsCode = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME/.test(code);
  if (!tlsCode && !/certificate|\bTLS\b|\bSSL\b|fatal alert/i.test(message)) return undefined;
  const reason = openSslReason(message);
  return code && !reason.includes(code) ? `${reason} (${code})` : reason;
}

/** The sender's end of a stream to a receiver listening at `url` (ws://HOST:PORT). */
export function webSocketSender(url: string, o: WebSocketSenderOptions = {}): SenderTransport {
  webSocketAddress(url);
  if (o.tls && o.WebSocket) throw new Error(`${url}: options.tls is for the runtime's own WebSocket; give it to the class passed as options.WebSocket`);
  const Socket = o.tls ? clientTlsWebSocket(url, o.tls) : o.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Socket) {
    throw new Error(`${url}: this runtime has no WebSocket; pass one (e.g. the ws package's) as options.WebSocket`);
  }
  const certificate = o.clientCertificate ?? (o.tls?.cert === undefined ? undefined : "options.tls.cert");
  let resets = 0;
  const bufferBytes = o.bufferBytes ?? 2 << 20;
  const wake = new Wakeup();
  const inbox: Uint8Array[][] = [];
  let socket: WebSocketLike | undefined, closed = false, failure: Error | undefined, retryMs = 100;
  let packed: Uint8Array = new Uint8Array(0);

  const connect = () => {
    if (closed) return;
    const ws = new Socket(url);
    socket = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { retryMs = 100; resets = 0; wake.wake(); };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) {
        failure ??= new Error(`${url}: the receiver sent a text message; expected binary stem4d messages`);
      } else {
        try {
          inbox.push(unpackMessage(new Uint8Array(ev.data), url));
        } catch (e) {
          failure ??= e as Error;
        }
      }
      wake.wake();
    };
    ws.onerror = (ev) => {
      // A close follows. A TLS failure ends the stream; anything else (a receiver not there yet) is tried again.
      const tls = tlsFailure(ev), reset = ws.readyState !== OPEN && certificate ? connectionReset(ev) : undefined;
      const code = (ev as { error?: { code?: unknown } } | null)?.error?.code;
      if (code === NOT_A_WEBSOCKET) {
        failure ??= new Error(`${url}: not a stem4d receiver: ${(ev as { error: Error }).error.message}`);
      } else if (tls) {
        const advice = /certificate.required/i.test(tls) ? o.certificateAdvice : o.tlsAdvice;
        failure ??= new Error(`${url}: the TLS connection failed: ${tls}${advice ? `; ${advice}` : ""}`);
      } else if (reset && ++resets >= REFUSALS) {
        failure ??= new Error(`${url}: the TLS connection failed: the receiver did not accept this sender's certificate ` +
          `(${certificate}): it closed the connection right after the TLS handshake, ${REFUSALS} times (${reset}); ` +
          "the receiver's client CA (--tls-client-ca) must hold the CA that signed it");
      } else {
        resets = reset ? resets : 0;
      }
      wake.wake();
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      // Try again (a receiver restarting), a little later each time, as a ZeroMQ DEALER does.
      if (!closed && !failure) setTimeout(connect, retryMs);
      retryMs = Math.min(500, retryMs * 2);
      wake.wake();
    };
  };
  connect();

  return {
    peer: url,
    async send(parts) {
      const deadline = performance.now() + 1000;
      for (;;) {
        if (failure) throw failure;
        if (closed) return false;
        const ws = socket;
        if (ws && ws.readyState === OPEN && ws.bufferedAmount <= bufferBytes) {
          if (ws.sendParts) {
            ws.sendParts(parts);
          } else {
            // One buffer for every message (no garbage per chunk): send() takes a copy of the bytes, as the
            // WebSocket standard has it (browsers, Deno, Bun and ws copy before send returns).
            packed = packMessage(parts, packed.buffer.byteLength ? new Uint8Array(packed.buffer) : undefined);
            ws.send(packed);
          }
          return true;
        }
        const left = deadline - performance.now();
        if (left <= 0) return false;
        // Opening: woken by onopen. Draining: no event tells, so look again soon.
        await wake.wait(Math.min(left, ws?.readyState === OPEN ? 2 : 100));
      }
    },
    async receive() {
      for (;;) {
        if (inbox.length) return inbox.shift();
        if (failure) throw failure;
        if (closed) return undefined;
        await wake.wait();
      }
    },
    close() {
      closed = true;
      socket?.close(1000, "sender done");
      socket = undefined;
      wake.wake();
    },
  };
}
