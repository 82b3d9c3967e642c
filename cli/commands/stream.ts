import type { Command } from "commander";
import { estimateCenter, sigShape, type Dataset } from "../../bindings/node.js";
import { type AnalysisSpec, buildReductions, writeResults } from "../../bindings/scale/analyses.js";
import { sendDataset } from "../../bindings/scale/stream-send.js";
import { StreamReceiver } from "../../bindings/scale/stream-receive.js";
import { UsageError, action, inputOptions, openInput, parseNumberList, parsePositiveInt, progress, report, withCore, type CommonOptions } from "../common.js";
import { analysisOptions, specFromOptions, type AnalysisFlags } from "./shard.js";
import { declare } from "./index.js";

interface SendFlags extends CommonOptions {
  to: string;
  rate?: string;
  blockFrames?: string;
  hwm?: string;
  series?: string;
  timeout?: string;
}

interface ReceiveFlags extends CommonOptions, AnalysisFlags {
  bind: string;
  output: string;
  png: boolean;
  hwm?: string;
  timeout?: string;
}

export function register(program: Command): void {
  const stream = declare(program, "stream");

  inputOptions(stream.command("send <file>").description("push a dataset's frames to a receiver, in blocks with sequence numbers, then an end-of-series message"))
    .requiredOption("--to <endpoint>", "the receiver, e.g. tcp://10.0.0.5:5555")
    .option("--rate <fps>", "frames per second at most (default: as fast as the receiver takes them)")
    .option("--block-frames <n>", "frames per message (default: about 4 MiB of frames)")
    .option("--hwm <n>", "messages queued before sending waits (ZeroMQ high-water mark)", "4")
    .option("--series <id>", "series id (default: a random one)")
    .option("--timeout <s>", "seconds one block may wait for the receiver", "60")
    .action(action("stream send", async (file: string, o: SendFlags) => {
      const rate = o.rate === undefined ? undefined : parseNumberList(o.rate, "--rate", 1)[0]!;
      if (rate !== undefined && !(rate > 0)) throw new UsageError(`--rate: expected a positive number of frames per second, got '${o.rate}'`);
      const ds = await openInput(file, o);
      try {
        const s = await sendDataset(ds, {
          to: o.to, rate, series: o.series,
          blockFrames: o.blockFrames === undefined ? undefined : parsePositiveInt(o.blockFrames, "--block-frames"),
          highWaterMark: parsePositiveInt(o.hwm, "--hwm"),
          timeoutMs: parsePositiveInt(o.timeout, "--timeout") * 1000,
          onProgress: progress("send", o),
        });
        report(o, { ...s, to: o.to, gbPerSecond: +(s.bytes / s.seconds / 1e9).toFixed(3), seconds: +s.seconds.toFixed(3) });
      } finally {
        await ds.source.close?.();
      }
    }));

  analysisOptions(stream.command("receive").description("listen for one series and reduce its blocks as they arrive; writes the results like the virtual and com commands"))
    .requiredOption("--bind <endpoint>", "where to listen, e.g. tcp://*:5555")
    .requiredOption("-o, --output <dir>", "folder for the results (.npy, and .png unless --no-png)")
    .option("--no-png", "write only .npy files")
    .option("--hwm <n>", "messages queued here before the sender waits (ZeroMQ high-water mark)", "4")
    .option("--timeout <s>", "seconds to wait for the first block (later blocks: half of it, at least 10)", "600")
    .option("--workers <n>", "worker threads (0 = run on the main thread; default: one per core)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("stream receive", async (o: ReceiveFlags) => {
      const partial = specFromOptions(o);
      const timeout = parsePositiveInt(o.timeout, "--timeout");
      const rx = await StreamReceiver.bind(o.bind, { highWaterMark: parsePositiveInt(o.hwm, "--hwm") });
      if (!o.quiet) process.stderr.write(`stream receive: listening on ${rx.endpoint}\n`);
      let spec: AnalysisSpec = partial;
      try {
        const r = await withCore(o, (core) => rx.receive(core, {
          firstTimeoutMs: timeout * 1000,
          idleTimeoutMs: Math.max(10, timeout / 2) * 1000,
          analyses: async (layout, first: Dataset) => {
            const needCenter = partial.bf !== undefined || partial.adf !== undefined || partial.com;
            if (needCenter && !partial.center) {
              const c = await estimateCenter(first);
              spec = { ...partial, center: { cy: +c.cy.toFixed(3), cx: +c.cx.toFixed(3) } };
            }
            const [rows, cols] = sigShape(layout);
            if (!o.quiet) process.stderr.write(`stream receive: series [${layout.shape.join(", ")}] ${layout.dtype}, detector ${rows} x ${cols}\n`);
            return buildReductions(spec, layout);
          },
          onProgress: progress("receive", o),
        }));
        const files = await writeResults(o.output, spec, r.shape, r.results, o.png);
        report(o, {
          outputs: files, series: r.series, shape: r.shape, dtype: r.dtype, blocks: r.blocks, frames: r.frames,
          center: spec.center ?? null, seconds: +r.seconds.toFixed(3), gbPerSecond: +(r.bytes / r.seconds / 1e9).toFixed(3), maxHeldMB: +(r.maxHeldBytes / 2 ** 20).toFixed(1),
        });
      } finally {
        rx.close();
      }
    }));
}
