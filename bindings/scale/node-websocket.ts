// Node-only: the WebSocket client of a Node sender (ws:// and wss://), on node:net and node:tls alone. The sender
// needs little of the protocol: the opening handshake (RFC 6455 section 4), binary messages out, small binary
// messages in (the receiver's answers), ping, and close. Loading the ws package's client instead costs an edge
// computer about 11 MB of resident memory (http, https and ws's modules), a third of what the sender needs besides
// Node itself. Messages go out as one frame each, straight from where their parts lie (a chunk from the sender's
// ring): the masking key is zero, so the payload is sent as it is (masking guards HTTP proxies against scripts in
// a browser, and this client is not one).
import { createHash, randomBytes } from "node:crypto";
import { type Socket, connect as netConnect, isIP } from "node:net";
import { type ConnectionOptions, connect as tlsConnect, rootCertificates } from "node:tls";
import type { WebSocketConstructor, WebSocketLike } from "./stream-websocket.js";
import { NOT_A_WEBSOCKET, messageHead } from "./stream-websocket.js";

/** What a wss:// connection trusts besides Node's bundled roots, and the certificate it presents if asked. */
export interface NodeWebSocketTls {
  ca?: string | Uint8Array;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
}

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The answer's headers may take this much; a receiver's messages this much each. */
const MAX_HEAD = 16 << 10, MAX_MESSAGE = 64 << 20;
const OP_CONTINUATION = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10;

/** A frame's header with a zero masking key, for a payload of `length` bytes. */
function frameHeader(opcode: number, length: number): Buffer {
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + extra + 4);
  h[0] = 0x80 | opcode;
  h[1] = 0x80 | (extra === 0 ? length : extra === 2 ? 126 : 127);
  if (extra === 2) h.writeUInt16BE(length, 2);
  if (extra === 8) h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

/** Error events carry the error as ws's and Bun's do ({ error, message }), for tlsFailure (stream-websocket.ts). */
const errorEvent = (error: Error) => ({ error, message: error.message });

/** A peer that answers, but not as a WebSocket server: no retry mends it (stream-websocket.ts stops at once). */
function notWebSocket(message: string): Error {
  return Object.assign(new Error(message), { code: NOT_A_WEBSOCKET });
}

function ended(message: string): Error {
  return Object.assign(new Error(message), { code: "ECONNRESET" });
}

class NodeWebSocket implements WebSocketLike {
  readyState = CONNECTING;
  binaryType = "arraybuffer";
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString("base64");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fragments: Buffer[] = [];
  private fragmentsOpcode = 0;
  private closeSent = false;

  constructor(url: string, tls: NodeWebSocketTls) {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1"), secure = u.protocol === "wss:";
    const port = Number(u.port || (secure ? 443 : 80));
    const request = `GET ${u.pathname || "/"}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    if (secure) {
      const pem = (x: string | Uint8Array) => Buffer.from(x);
      const options: ConnectionOptions = {
        host, port, ALPNProtocols: ["http/1.1"], ...(isIP(host) ? {} : { servername: host }),
        // A `ca` option replaces the default store (NODE_EXTRA_CA_CERTS too): Node's roots stay trusted.
        ...(tls.ca !== undefined && { ca: [...rootCertificates, pem(tls.ca)] }),
        ...(tls.cert !== undefined && tls.key !== undefined && { cert: pem(tls.cert), key: pem(tls.key) }),
      };
      this.socket = tlsConnect(options, () => this.socket.write(request));
    } else {
      this.socket = netConnect({ host, port }, () => this.socket.write(request));
    }
    this.socket.setNoDelay(true);
    this.socket.on("data", (data: Buffer) => this.onData(data));
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("end", () => {
      if (this.readyState === CONNECTING) this.fail(ended("the connection ended before the receiver answered the WebSocket handshake"));
      this.socket.end();
    });
    this.socket.on("close", () => {
      const was = this.readyState;
      this.readyState = CLOSED;
      if (was !== CLOSED) this.onclose?.({ code: 1006 });
    });
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** One binary message of these bytes, sent as they lie (the caller keeps them until they are sent). */
  send(...pieces: Uint8Array[]): void {
    if (this.readyState !== OPEN) throw new Error("the WebSocket is not open");
    this.socket.cork();
    this.socket.write(frameHeader(OP_BINARY, pieces.reduce((n, p) => n + p.length, 0)));
    for (const p of pieces) this.socket.write(p);
    this.socket.uncork();
  }

  /** One protocol message as one frame: the 4-byte length and the JSON part, then the binary part where it lies. */
  sendParts(parts: Uint8Array[]): void {
    this.send(messageHead(parts[0]!), ...parts.slice(1));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === OPEN) this.sendClose(code, reason);
    this.readyState = CLOSING;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.socket.write(Buffer.concat([frameHeader(OP_CLOSE, body.length), body]));
  }

  private fail(e: Error): void {
    if (this.readyState === CLOSED) return;
    this.onerror?.(errorEvent(e));
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.readyState === CONNECTING && !this.handshake()) return;
    while (this.readyState === OPEN || this.readyState === CLOSING) {
      if (!this.frame()) return;
    }
  }

  /** The receiver's answer to the opening handshake, once it is whole: true when the connection is open. */
  private handshake(): boolean {
    const bytes = Buffer.concat(this.pending);
    const end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
      if (bytes.length > MAX_HEAD) this.fail(new Error(`an answer of more than ${MAX_HEAD} bytes without its end; expected a WebSocket handshake`));
      this.pending = [bytes];
      return false;
    }
    const [status = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
    const accept = createHash("sha1").update(this.key + GUID).digest("base64");
    if (!/^HTTP\/1\.1 101\b/.test(status)) {
      this.fail(notWebSocket(`it answered '${status}' to the WebSocket handshake; expected 101 Switching Protocols`));
      return false;
    }
    if (headers.get("sec-websocket-accept") !== accept) {
      this.fail(notWebSocket("its handshake answer has a wrong Sec-WebSocket-Accept; expected a WebSocket server"));
      return false;
    }
    const rest = bytes.subarray(end + 4);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    this.readyState = OPEN;
    this.onopen?.({});
    return true;
  }

  /** Takes one whole frame from what arrived, if there is one; false when more must arrive first. */
  private frame(): boolean {
    if (this.pendingBytes < 2) return false;
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [bytes];
    const fin = (bytes[0]! & 0x80) !== 0, opcode = bytes[0]! & 0x0f, masked = (bytes[1]! & 0x80) !== 0;
    let length = bytes[1]! & 0x7f, at = 2;
    if (length === 126) {
      if (bytes.length < 4) return false;
      length = bytes.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return false;
      length = Number(bytes.readBigUInt64BE(2));
      at = 10;
    }
    if (length > MAX_MESSAGE) {
      this.fail(new Error(`a WebSocket frame of ${length} bytes from the receiver; expected at most ${MAX_MESSAGE}`));
      return false;
    }
    const payloadAt = at + (masked ? 4 : 0);
    if (bytes.length < payloadAt + length) return false;
    const payload = Buffer.from(bytes.subarray(payloadAt, payloadAt + length));
    if (masked) for (let i = 0; i < length; i++) payload[i]! ^= bytes[at + (i & 3)]!;
    const rest = bytes.subarray(payloadAt + length);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    this.onFrame(fin, opcode, payload);
    return true;
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      this.socket.write(Buffer.concat([frameHeader(OP_PONG, payload.length), payload]));
    } else if (opcode === OP_CLOSE) {
      this.sendClose(payload.length >= 2 ? payload.readUInt16BE(0) : 1000, "");
      this.readyState = CLOSING;
      this.socket.end();
    } else if (opcode === OP_TEXT || opcode === OP_BINARY || opcode === OP_CONTINUATION) {
      if (opcode !== OP_CONTINUATION) this.fragmentsOpcode = opcode;
      this.fragments.push(payload);
      if (!fin) return;
      const whole = Buffer.concat(this.fragments);
      this.fragments = [];
      const data = this.fragmentsOpcode === OP_TEXT
        ? whole.toString("utf8")
        : whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length);
      this.onmessage?.({ data });
    }
  }
}

/** The client as a WebSocket class whose connections use `tls` (wss://). */
export function nodeWebSocketClass(tls: NodeWebSocketTls = {}): WebSocketConstructor {
  return class extends NodeWebSocket {
    constructor(url: string) {
      super(url, tls);
    }
  };
}
