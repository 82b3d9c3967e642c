// TLS options for a runtime's own WebSocket (wss://): the CA certificates to trust and a certificate with its key to
// present to a receiver that asks senders for one (mutual TLS). The WebSocket standard has no such options; two
// runtimes extend it: Bun (`new WebSocket(url, { tls: { ca, cert, key } })`) and Deno (`new WebSocket(url, { client:
// Deno.createHttpClient({ caCerts, cert, key }) })`). A browser's WebSocket takes none: it trusts its platform's
// store and, when a receiver asks, presents a certificate from the browser's own store. Node's sender uses its own
// client, which takes them as options (node-websocket.ts). Web APIs only: no Node module here.
import type { WebSocketConstructor } from "./stream-websocket.js";

/** PEM text of the CA certificates to trust, and of the certificate (its chain may follow) and key to present. */
export interface WebSocketClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

interface DenoLike {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): unknown;
}

/** Which runtime extends its WebSocket with TLS options, if any. */
export function webSocketTlsRuntime(): "bun" | "deno" | undefined {
  const g = globalThis as { Bun?: unknown; Deno?: Partial<DenoLike> };
  if (g.Bun !== undefined) return "bun";
  if (typeof g.Deno?.createHttpClient === "function") return "deno";
  return undefined;
}

/** The runtime's WebSocket class with `tls` applied to every connection; an error names `url` where it cannot be. */
export function clientTlsWebSocket(url: string, tls: WebSocketClientTls): WebSocketConstructor {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new Error(`${url}: options.tls needs both cert and key (PEM) to present a certificate`);
  }
  if (!/^wss:/i.test(url)) throw new Error(`${url}: options.tls is for a wss:// address`);
  const Native = (globalThis as { WebSocket?: new (url: string, options?: unknown) => InstanceType<WebSocketConstructor> }).WebSocket;
  const runtime = webSocketTlsRuntime();
  if (!Native || !runtime) {
    throw new Error(`${url}: this runtime's WebSocket takes no TLS options (Bun's and Deno's do); a browser trusts its ` +
      "platform's certificate store and presents a client certificate from its own store when the receiver asks");
  }
  const options = runtime === "bun"
    ? { tls }
    : { client: (globalThis as unknown as { Deno: DenoLike }).Deno.createHttpClient({ caCerts: tls.ca === undefined ? [] : [tls.ca], cert: tls.cert, key: tls.key }) };
  return class extends (Native as new (url: string, options?: unknown) => InstanceType<WebSocketConstructor>) {
    constructor(to: string) {
      super(to, options);
    }
  } as unknown as WebSocketConstructor;
}
