// Child process for bench/stream.ts: the sender's resident memory over a long stream. Streams `gb` GB of
// 256 x 256 u16 frames, generated on the fly like a detector's (a few base patterns, each frame with its own
// electron hits), with --encode events or lossless to a `stem4d stream receive` process, and prints the peak RSS
// of this process (the kernel's high-water mark, and samples every 50 ms) as JSON. Third argument: tcp (ZeroMQ,
// the default) or ws (WebSocket).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Core, type Dataset } from "../bindings/node.js";
import { sendDataset } from "../bindings/scale/stream-endpoints.js";
import { freePort } from "./net.js";

const [mode, gbArg, scheme = "tcp"] = process.argv.slice(2) as [string, string, string?];
const R = 256, C = 256, Q = R * C, FB = Q * 2;
const frames = Math.ceil((Number(gbArg) * 1e9) / FB / 128) * 128;

let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const bases = Array.from({ length: 4 }, () => Uint16Array.from({ length: Q }, () => 100 + Math.floor(rnd() * 12)));
let peak = 0;
let detail = {};
const sample = () => {
  if (process.env.GC) (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  if (m.rss > peak) { peak = m.rss; detail = { heapMB: m.heapUsed >> 20, externalMB: m.external >> 20, arrayBuffersMB: m.arrayBuffers >> 20 }; }
};
const ds: Dataset = {
  shape: [frames / 128, 128, R, C], dtype: "u16",
  source: {
    name: "generated frames",
    async readFrames(start, count, dest) {
      sample();
      const out = new Uint16Array(dest.buffer, dest.byteOffset, count * Q);
      for (let k = 0; k < count; k++) {
        const f = out.subarray(k * Q, (k + 1) * Q), i = start + k;
        f.set(bases[i & 3]!);
        for (let h = 0; h < 600; h++) f[(Math.imul(i + 1, 2654435761) + h * 7919) % Q]! += 35;
      }
    },
  },
};

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-rss-"));
const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const rx = spawn(process.execPath, [cli, "stream", "receive", "--bind", `${scheme}://127.0.0.1:${port}`, "-o", dir, "-q", "--timeout", "120"], { stdio: "ignore" });
const rxDone = new Promise((r) => rx.on("exit", r));

sample();
const start = process.memoryUsage().rss;
const timer = setInterval(sample, 50);
const core = await Core.create({ workers: 0 });
const t0 = performance.now();
try {
  const s = await sendDataset(core, ds, {
    to: `${scheme}://127.0.0.1:${port}`, center: false, 
    encode: mode === "events"
      ? { mode: "events", counting: { dark: new Float32Array(Q).fill(100), threshold: 20, xrayThreshold: 1000 } }
      : { mode: "lossless" },
  });
  clearInterval(timer);
  sample();
  // The kernel's high-water mark of this process's memory (VmHWM; getrusage's maxRSS would include the parent's
  // memory before exec), or our samples where /proc is missing.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(existsSync("/proc/self/status") ? readFileSync("/proc/self/status", "utf8") : "");
  const maxRss = hwm ? Number(hwm[1]) * 1024 : 0;
  process.stdout.write(JSON.stringify({
    mode, frames, gb: (frames * FB) / 1e9, seconds: (performance.now() - t0) / 1000, wireBytes: s.wireBytes,
    rssStartMB: start / 2 ** 20, peakRssMB: +(Math.max(peak, maxRss) / 2 ** 20).toFixed(1), growthMB: (Math.max(peak, maxRss) - start) / 2 ** 20, atPeak: detail,
  }) + "\n");
} finally {
  await core.close();
  await rxDone;
  rmSync(dir, { recursive: true, force: true });
}
