// Node-only (the zeromq native addon): the live stream's transports over ZeroMQ. The sender's DEALER connects to the
// receiver's ROUTER; the ROUTER knows each connection by an identity, so its answers (resume, ack, done) go back on
// the same connection. A DEALER reconnects by itself when a receiver restarts; the new connection has a new
// identity, which is how the receiver knows to tell the sender where to resume.
import { Dealer, Router } from "zeromq";
import type { ReceiverTransport, SenderTransport } from "./stream-transport.js";

export function zmqSender(to: string, o: { highWaterMark?: number } = {}): SenderTransport {
  const dealer = new Dealer({
    sendHighWaterMark: o.highWaterMark ?? 4, receiveHighWaterMark: 0, linger: 0, sendTimeout: 1000, reconnectInterval: 100, reconnectMaxInterval: 500,
  });
  dealer.connect(to);
  return {
    peer: to,
    async send(parts) {
      try {
        await dealer.send(parts);
        return true;
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return false;
        throw e;
      }
    },
    async receive() {
      try {
        return (await dealer.receive()) as Uint8Array[];
      } catch (e) {
        if (dealer.closed) return undefined;
        throw e;
      }
    },
    close: () => dealer.close(),
  };
}

export async function zmqReceiver(bind: string, o: { highWaterMark?: number } = {}): Promise<ReceiverTransport> {
  const router = new Router({ receiveHighWaterMark: o.highWaterMark ?? 16, linger: 0, mandatory: false });
  try {
    await router.bind(bind);
  } catch (e) {
    router.close();
    throw new Error(`cannot listen on ${bind}: ${(e as Error).message}`);
  }
  const identities = new Map<string, Buffer>();
  return {
    endpoint: router.lastEndpoint ?? bind,
    async receive(timeoutMs) {
      router.receiveTimeout = timeoutMs;
      let parts: Buffer[];
      try {
        parts = await router.receive();
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return undefined;
        throw e;
      }
      const [id, ...rest] = parts;
      const from = id!.toString("hex");
      identities.set(from, id!);
      return { from, parts: rest };
    },
    async send(to, parts) {
      const id = identities.get(to);
      if (id) await router.send([id, ...parts]);
    },
    close: () => router.close(),
  };
}
