// How the two ends of a live stream reach each other, without naming a library: ZeroMQ DEALER/ROUTER in Node
// (stream-zmq.ts), a WebSocket in browsers and Deno (stream-websocket.ts). A message is one or two parts (JSON,
// binary); the sender's connection carries the receiver's answers back.

export interface SenderTransport {
  /** Where the receiver is, for messages. */
  readonly peer: string;
  /** Sends one message; waits while the transport's queue is full (backpressure), but at most about a second:
   * false when it could not be queued by then (the caller checks its timeouts and tries again). A chunk's bytes are
   * a view into the sender's ring, whose memory is reused once the receiver has acknowledged the chunk: a transport
   * (or a test's loopback) that keeps them longer copies them. */
  send(parts: Uint8Array[]): Promise<boolean>;
  /** The next message from the receiver; undefined once the transport is closed. */
  receive(): Promise<Uint8Array[] | undefined>;
  close(): void;
}

export interface ReceiverTransport {
  /** Where it listens (the bound endpoint). */
  readonly endpoint: string;
  /** The next message and the sender it came from, or undefined when nothing came within `timeoutMs`. */
  receive(timeoutMs: number): Promise<{ from: string; parts: Uint8Array[] } | undefined>;
  /** Sends one message to a sender that has spoken (dropped if it is gone). */
  send(to: string, parts: Uint8Array[]): Promise<void>;
  close(): void;
}

/** Resolves everything waiting when woken; `wait(ms)` also returns after `ms`. */
export class Wakeup {
  private waiters: (() => void)[] = [];

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => { if (timer !== undefined) clearTimeout(timer); resolve(); };
      this.waiters.push(done);
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }
}
