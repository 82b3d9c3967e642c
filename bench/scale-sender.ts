// A worker thread for bench/scale.ts: the stream's sender in a thread of its own, as on a separate machine, so the
// benchmark does not measure one JS thread doing both ends.
import { parentPort } from "node:worker_threads";
import { openDataset } from "../bindings/node.js";
import { sendDataset } from "../bindings/scale/stream-endpoints.js";

parentPort!.on("message", async (m: { file: string; to: string; highWaterMark: number }) => {
  try {
    const ds = await openDataset(m.file);
    try {
      await sendDataset(undefined, ds, { to: m.to, highWaterMark: m.highWaterMark, encode: { mode: "raw" }, center: false });
    } finally {
      await ds.source.close?.();
    }
    parentPort!.postMessage({ ok: true });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).message });
  }
});
