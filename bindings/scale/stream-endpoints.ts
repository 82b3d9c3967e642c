// Node-only: a stream's two ends by the address's scheme. tcp:// is ZeroMQ (DEALER/ROUTER, stream-zmq.ts); ws:// is
// a WebSocket (stream-websocket.ts, stream-ws-server.ts), which browsers, Deno and Bun speak too. Each transport is
// loaded when its scheme is used, so a sender over WebSockets never loads the ZeroMQ addon, nor one over ZeroMQ `ws`;
// a Node sender's WebSocket client is its own (node-websocket.ts), on node:net and node:tls: no `ws` package.
// wss:// is a WebSocket over TLS: the receiver presents a certificate and key (Node's https server), the sender
// trusts Node's roots and NODE_EXTRA_CA_CERTS, or Node's roots and the CA certificates given as `tls.ca`. A receiver
// given a client CA too accepts only senders presenting a certificate it signed (`tls.cert` and `tls.key` here).
import type { Core } from "../core.js";
import { type Dataset, frameCount } from "../dataset.js";
import { type EncodeOptions, encodeDataset, pacedDataset, seriesCenter } from "./stream-encode.js";
import { type SendOptions, type SendSummary, sendSeries } from "./stream-send.js";
import type { ReceiverTransport, SenderTransport } from "./stream-transport.js";
import type { WebSocketReceiverOptions } from "./stream-ws-server.js";
import { webSocketAddress } from "./stream-websocket.js";
import type { NodeWebSocketTls } from "./node-websocket.js";

/** Which transport an address names; `role` (e.g. --to) names it in the error. */
export function transportOf(address: string, role: string): "zmq" | "ws" {
  if (/^wss?:\/\//i.test(address)) return "ws";
  if (/^(tcp|ipc):\/\//i.test(address)) return "zmq";
  throw new Error(`${role} '${address}': expected tcp://HOST:PORT (ZeroMQ), ws://HOST:PORT or wss://HOST:PORT (WebSocket)`);
}

/** Whether an address is a WebSocket over TLS. */
export const isTlsAddress = (address: string): boolean => /^wss:\/\//i.test(address);

export interface OpenSenderOptions {
  /** ZeroMQ's send queue in messages (a WebSocket waits past 2 MiB of buffer). */
  highWaterMark?: number;
  /** wss://: CA certificates (PEM) to trust besides Node's bundled roots (without it: those and NODE_EXTRA_CA_CERTS),
   * and the certificate (its chain may follow) and key to present to a receiver that asks senders for one. */
  tls?: SenderTls;
}

/** What a Node sender's wss:// connection trusts and presents: its WebSocket client's options. */
export type SenderTls = NodeWebSocketTls;

/** A certificate's subject and issuer, for errors: "CN=edge-7, issued by CN=Lab CA". */
async function describeCertificate(pem: string | Uint8Array): Promise<string> {
  const { X509Certificate } = await import("node:crypto");
  const oneLine = (name: string) => name.split("\n").join(", ");
  try {
    const c = new X509Certificate(pem);
    return `${oneLine(c.subject)}, issued by ${oneLine(c.issuer)}`;
  } catch (e) {
    throw new Error(`tls.cert: not a PEM certificate (${(e as Error).message})`);
  }
}

/** The sender's transport to `to`. */
export async function openSender(to: string, o: OpenSenderOptions = {}): Promise<SenderTransport> {
  const zmq = transportOf(to, "--to") === "zmq";
  if (o.tls && !isTlsAddress(to)) throw new Error(`--to '${to}': TLS options are for a wss:// address`);
  if (zmq) return (await import("./stream-zmq.js")).zmqSender(to, o);
  webSocketAddress(to);
  if ((o.tls?.cert === undefined) !== (o.tls?.key === undefined)) throw new Error(`--to '${to}': a client certificate needs both tls.cert and tls.key`);
  const [{ webSocketSender }, { nodeWebSocketClass }] = await Promise.all([import("./stream-websocket.js"), import("./node-websocket.js")]);
  return webSocketSender(to, {
    WebSocket: nodeWebSocketClass(o.tls),
    tlsAdvice: "trust the receiver's CA with --tls-ca FILE (library: tls.ca) or NODE_EXTRA_CA_CERTS=FILE",
    certificateAdvice: "the receiver accepts only senders with a certificate its CA signed: give --tls-cert FILE and " +
      "--tls-key FILE (library: tls.cert, tls.key)",
    clientCertificate: o.tls?.cert === undefined ? undefined : await describeCertificate(o.tls.cert),
  });
}

/** The receiver's transport bound at `bind` (tcp://*:5555, tcp://127.0.0.1:* for any free port, ws://*:5555). */
export async function openReceiver(bind: string, o: WebSocketReceiverOptions = {}): Promise<ReceiverTransport> {
  if (transportOf(bind, "--bind") === "zmq") {
    if (o.tls) throw new Error(`cannot listen on ${bind}: a certificate and key are for a wss:// address`);
    return (await import("./stream-zmq.js")).zmqReceiver(bind, o);
  }
  return (await import("./stream-ws-server.js")).webSocketReceiver(bind, o);
}

export interface SendDatasetOptions extends SendOptions {
  /** Where the receiver listens, e.g. tcp://10.0.0.5:5555, ws://10.0.0.5:5556 or wss://edge.lab:5556. */
  to: string;
  encode: EncodeOptions;
  /** The pattern centre to send (default: found as `stem4d virtual` finds it; false: none). */
  center?: { cy: number; cx: number } | false;
  /** Frames per second the source delivers at most (a detector's pace). */
  rate?: number;
  /** Messages queued in the socket before sending waits (ZMQ_SNDHWM); default 4. */
  highWaterMark?: number;
  /** wss://: CA certificates to trust, a certificate and key to present (OpenSenderOptions.tls). */
  tls?: SenderTls;
}

/** Encodes a dataset and streams it to a receiver; resolves once the receiver's container is complete. */
export async function sendDataset(core: Core | undefined, ds: Dataset, o: SendDatasetOptions): Promise<SendSummary> {
  const transport = await openSender(o.to, { highWaterMark: o.highWaterMark, tls: o.tls });
  let info;
  try {
    const center = o.center === false ? undefined : await seriesCenter(ds, o.center);
    info = { mode: o.encode.mode, shape: ds.shape, dtype: ds.dtype, frames: frameCount(ds), ...(center && { center }) };
  } catch (e) {
    transport.close();
    throw e;
  }
  const source = o.rate ? pacedDataset(ds, o.rate) : ds;
  return sendSeries(transport, info, (sink) => encodeDataset(core, source, o.encode, sink), o);
}
