// Scale-out: the sharded analyze against the in-process one (scale-analyze.ts), and a live stream's throughput over ZeroMQ on TCP loopback against reading the same file locally, with the
// same reduction (virtual bright-field + annular images) in the same run. The sender runs in a thread of its own
// (scale-sender.ts), the receiver on the main thread with the core's workers reducing; ZeroMQ's I/O threads move
// the bytes. The local read is from the page cache (the file was just written), so it is the ceiling.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Core, NpyWriter, annulusMask, diskMask, openDataset, runReductions, virtualImages } from "../bindings/node.js";
import { Worker } from "node:worker_threads";
import { Pull, Push } from "zeromq";
import { StreamReceiver } from "../bindings/scale/stream-receive.js";
import { compare, measure, type BenchOptions, type BenchRow } from "./common.js";
import { analyzeRows } from "./scale-analyze.js";
import { freePort } from "./net.js";

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const scan = opts.quick ? [64, 64] : [128, 128], det = [96, 96];
  const dir = mkdtempSync(join(tmpdir(), "stem4d-bench-scale-"));
  const file = join(dir, "frames.npy");
  const shape = [...scan, ...det];
  // Counts-like u16 frames (a disk plus a pattern varying with the probe position), written in row blocks.
  const w = new NpyWriter(file, "u16", shape);
  const Q = det[0]! * det[1]!;
  for (let y = 0; y < scan[0]!; y++) {
    const row = new Uint16Array(scan[1]! * Q);
    for (let i = 0; i < row.length; i++) row[i] = (i % Q < Q / 3 ? 200 : 3) + ((i * 7 + y * 13) & 15);
    w.write(row);
  }
  w.close();
  const bytes = shape.reduce((a, b) => a * b) * 2;
  const c = { cy: (det[0]! - 1) / 2, cx: (det[1]! - 1) / 2 };
  const reductions = () => [virtualImages([diskMask(det[0]!, det[1]!, c, 10), annulusMask(det[0]!, det[1]!, c, 16, 44)])];
  const core = await Core.create();
  const rx = await StreamReceiver.bind("tcp://127.0.0.1:*", { highWaterMark: 8 });
  const gb = (bytes / 1e9).toFixed(2);
  const closers: (() => void)[] = [];
  const sender = new Worker(new URL("./scale-sender.js", import.meta.url));
  closers.push(() => void sender.terminate());
  try {
    const local = `read ${gb} GB .npy locally + bf/adf (${core.workerCount} workers)`;
    const stream = `stream ${gb} GB over tcp loopback (sender thread) + bf/adf`;
    const transport = `ZeroMQ alone: ${gb} GB in 4 MiB messages over tcp loopback`;
    const pull = new Pull({ receiveHighWaterMark: 8, linger: 0 });
    await pull.bind("tcp://127.0.0.1:*");
    const push = new Push({ sendHighWaterMark: 8, linger: 0 });
    push.connect(pull.lastEndpoint!);
    closers.push(() => { push.close(); pull.close(); });
    const header = new Uint8Array(64);
    const rows = await measure([
      {
        name: local, bytes,
        fn: async () => {
          const ds = await openDataset(file);
          try { await runReductions(core, ds, reductions()); } finally { await ds.source.close?.(); }
        },
      },
      {
        name: stream, bytes,
        fn: async () => {
          const got = rx.receive(core, { analyses: reductions, idleTimeoutMs: 10_000, container: join(dir, `stream-${Date.now()}.s4d`) });
          const sent = new Promise<void>((resolve, reject) => {
            sender.once("message", (m: { ok: boolean; error?: string }) => (m.ok ? resolve() : reject(new Error(m.error))));
          });
          sender.postMessage({ file, to: rx.endpoint, highWaterMark: 8 });
          await Promise.all([got, sent]);
        },
      },
      {
        // The transport's ceiling: the same bytes in 4 MiB messages, nothing read or reduced.
        name: transport, bytes,
        fn: async () => {
          const n = Math.ceil(bytes / (4 << 20));
          const got = (async () => { for (let i = 0; i < n; i++) await pull.receive(); })();
          for (let i = 0; i < n; i++) await push.send([header, new Uint8Array(Math.min(4 << 20, bytes - i * (4 << 20)))]);
          await got;
        },
      },
    ], { time: 0, iterations: opts.quick ? 3 : 5 });
    compare(rows, [[stream, local], [transport, local]]);
    return [...rows, ...(await analyzeRows(core, dir, opts, await freePort()))];
  } finally {
    for (const close of closers) close();
    rx.close();
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
