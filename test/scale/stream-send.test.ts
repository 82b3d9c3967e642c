// The sender's protocol against a receiver played in this file (the real sendSeries and encoder, a transport that
// hands messages over in memory): a resume request that arrives while a chunk is on its way sets where the sender
// continues; the chunk in flight must not move the cursor past it (it did, and the sender then skipped the chunk
// the receiver asked for, again on every request: a livelock seen over WebSockets).
import { describe, expect, it } from "vitest";
import { memoryDataset } from "../../bindings/node.js";
import { encodeDataset } from "../../bindings/scale/stream-encode.js";
import { sendSeries } from "../../bindings/scale/stream-send.js";
import { decodeMessage, encodeMessage, type ToReceiver } from "../../bindings/scale/protocol.js";
import type { SenderTransport } from "../../bindings/scale/stream-transport.js";

/** A receiver that loses chunk 2 and asks again from it while chunk 3 of its first request is being sent. */
function receiverResumingMidSend(log: string[]): SenderTransport {
  const answers: Uint8Array[][] = [];
  let waiting: ((m: Uint8Array[] | undefined) => void) | undefined, closed = false, next = 0, asked = false;
  const answer = (m: Uint8Array[]) => { if (waiting) { const w = waiting; waiting = undefined; w(m); } else answers.push(m); };
  return {
    peer: "in-memory receiver",
    async send(parts) {
      const { message: m } = decodeMessage<ToReceiver>(parts, "test", "sender");
      if (m.type === "hello" && m.epoch === null) answer(encodeMessage({ type: "resume", id: "r1", next: 0, header: true }));
      if (m.type === "chunk") {
        log.push(`${m.epoch}:${m.seq}`);
        if (m.epoch === "r1" && m.seq === 2) {
          // lost on the way: not acknowledged
        } else if (m.epoch === "r1" && m.seq === 3 && !asked) {
          asked = true;
          answer(encodeMessage({ type: "resume", id: "r2", next: 2, header: false }));
          await new Promise((r) => setTimeout(r, 20)); // the sender hears the request before this send returns
        } else if (m.seq === next && !(m.epoch === "r1" && asked)) {
          next++;
          answer(encodeMessage({ type: "ack", series: m.series, next }));
        }
      }
      if (m.type === "end" && m.epoch === "r2" && next === m.chunks) answer(encodeMessage({ type: "done", series: m.series, chunks: next, bytes: 0 }));
      return true;
    },
    receive: () => (answers.length ? Promise.resolve(answers.shift()) : closed ? Promise.resolve(undefined) : new Promise((r) => { waiting = r; })),
    close() { closed = true; waiting?.(undefined); },
  };
}

describe("sendSeries", () => {
  it("continues from the chunk a resume request names, even when the request comes while a chunk is being sent", async () => {
    const ds = memoryDataset(new Uint16Array(12 * 64).map((_, i) => i % 97), [12, 8, 8]);
    const log: string[] = [];
    const s = await sendSeries(receiverResumingMidSend(log), { mode: "lossless", shape: ds.shape, dtype: ds.dtype, frames: 12 },
      (sink) => encodeDataset(undefined, ds, { mode: "lossless", lossless: { framesPerChunk: 2 } }, sink), { series: "mid", timeoutMs: 10_000 });
    expect(s.chunks).toBe(6);
    expect(log.filter((l) => l.startsWith("r2:"))).toEqual(["r2:2", "r2:3", "r2:4", "r2:5"]);
    expect(s.resumes).toBe(1);
  });
});
