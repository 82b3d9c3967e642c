// The edge sender of the stream's memory benchmark, as an edge computer would run it: the `stem4d/edge` entry
// (encode + send, web APIs only) over the runtime's WebSocket, in Node, Deno or Bun, on frames generated on the fly
// (bench/stream-frames.ts). Arguments: ws://HOST:PORT, events|lossless, frames, the ring in MiB. Prints the send summary as JSON;
// its peak RSS is measured from outside (bench/stream-memory.ts reads the process's VmHWM).
import { encodeDataset, sendSeries, webSocketSender, type EncodeOptions, type WebSocketConstructor } from "../bindings/scale/edge.js";
import { DARK_LEVEL, FRAME_COLS, FRAME_ROWS, generatedFrames } from "./stream-frames.js";

const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] }; WebSocket?: WebSocketConstructor };
const [to, mode, framesArg, ringMiB = "8"] = (g.Deno ? g.Deno.args : g.process!.argv.slice(2)) as [string, string, string, string?];
const runtime = g.Deno ? "deno" : "Bun" in globalThis ? "bun" : "node";

// Node 20 has no WebSocket of its own (nor can it fetch the core's wasm from a file: URL): its platform and the Node
// sender's own client (bindings/scale/node-websocket.ts) come in only there.
const WebSocket = g.WebSocket ?? (await import("../bindings/scale/node-websocket.js")).nodeWebSocketClass();
const { Core } = runtime === "node" ? await import("../bindings/node.js") : await import("../bindings/index.js");

const ds = generatedFrames(Number(framesArg));
const encode: EncodeOptions = mode === "events"
  ? { mode: "events", counting: { dark: new Float32Array(FRAME_ROWS * FRAME_COLS).fill(DARK_LEVEL) } }
  : { mode: "lossless" };
const core = mode === "events" ? await Core.create({ workers: 0 }) : undefined;
try {
  const info = { mode: encode.mode, shape: ds.shape, dtype: ds.dtype, frames: Number(framesArg) };
  const s = await sendSeries(webSocketSender(to, { WebSocket }), info, (sink) => encodeDataset(core, ds, encode, sink),
    { timeoutMs: 120_000, ringBytes: Number(ringMiB) * 2 ** 20 });
  const { frames, chunks, resent, wireBytes, seconds } = s;
  console.log(JSON.stringify({ runtime, mode, frames, chunks, resent, wireBytes, seconds }));
} finally {
  await core?.close();
}
