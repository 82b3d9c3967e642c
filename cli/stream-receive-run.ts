// `stem4d stream receive`'s work, loaded when it runs (cli/commands/stream.ts declares its options).
import { join } from "node:path";
import { type AnalysisSpec, buildReductions, hasAnalyses, writeResults } from "../bindings/scale/analyses.js";
import { StreamReceiver } from "../bindings/scale/stream-receive.js";
import { type CommonOptions, UsageError, ensureDir, parsePositiveInt, progress, report, withCore } from "./common.js";
import type { AnalysisFlags } from "./analysis-options.js";
import { specFromOptions } from "./commands/shard.js";
import { LivePtycho } from "./live-ptycho.js";
import type { LivePtychoFlags } from "./live-ptycho-options.js";
import { checkEndpoint } from "./stream-send-run.js";
import { readTlsCa, readTlsIdentity } from "./tls-files.js";

export interface ReceiveFlags extends CommonOptions, AnalysisFlags, LivePtychoFlags {
  bind: string;
  output: string;
  container?: string;
  png: boolean;
  analyze?: string;
  hwm: string;
  timeout: string;
  silence: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

export async function receiveStream(o: ReceiveFlags): Promise<void> {
  // No analysis chosen: the receiver only stores the container.
  checkEndpoint(o.bind, "--bind");
  const identity = readTlsIdentity(o.tlsCert, o.tlsKey, o.bind);
  const clientCa = readTlsCa(o.tlsClientCa, o.bind, "--tls-client-ca");
  const tls = identity && { ...identity, ...(clientCa && { clientCa }) };
  const asked: AnalysisSpec = o.bf !== undefined || o.adf !== undefined || o.com || o.stats ? specFromOptions(o) : {};
  const say = (line: string) => { if (!o.quiet) process.stderr.write(`stream receive: ${line}\n`); };
  const ptycho = o.ptycho ? new LivePtycho(o.output, o, say) : undefined;
  const timeout = parsePositiveInt(o.timeout, "--timeout"), silence = parsePositiveInt(o.silence, "--silence");
  ensureDir(join(o.output, "x"));
  const container = o.container ?? join(o.output, "stream.s4d");
  // A refused sender is told even with --quiet: it is not progress, and the others are still served.
  const onNotice = (line: string) => process.stderr.write(`stream receive: ${line}\n`);
  const rx = await StreamReceiver.bind(o.bind, { highWaterMark: parsePositiveInt(o.hwm, "--hwm"), tls, onNotice });
  say(`listening on ${rx.endpoint}`);
  let stop = false;
  const onSignal = () => { stop = true; };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let spec: AnalysisSpec = asked, centerFrom = asked.center ? "receiver: --center" : undefined;
  try {
    const r = await withCore(o, (core) => rx.receive(core, {
      container, firstTimeoutMs: timeout * 10_000, idleTimeoutMs: timeout * 1000, silenceMs: silence * 1000, stopped: () => stop,
      analyses: (layout, series, metadata) => {
        if (!hasAnalyses(asked) && !ptycho) return [];
        if (!asked.center && series.center) {
          spec = { ...asked, center: { cy: series.center.cy, cx: series.center.cx } };
          centerFrom = series.center.from;
        }
        if ((asked.bf !== undefined || asked.adf !== undefined || asked.com) && !spec.center) throw new UsageError(`series "${series.series}" carries no pattern centre; give --center`);
        say(`series "${series.series}" (${series.mode}): [${layout.shape.join(", ")}] ${layout.dtype}${spec.center ? `, centre ${spec.center.cy},${spec.center.cx} (${centerFrom})` : ""}`);
        const own = hasAnalyses(asked) ? buildReductions(spec, layout) : [];
        return [...own, ...(ptycho?.reductions(layout, series, metadata, own.length) ?? [])];
      },
      onFrames: ptycho && ((reducer) => ptycho.onFrames(reducer)),
      onProgress: progress("receive", o), onNotice: say,
    }));
    const files = hasAnalyses(asked) ? await writeResults(o.output, spec, r.shape, r.results, o.png) : [];
    const ptychography = ptycho && await ptycho.finish(r.results);
    const { results: _results, ...summary } = r;
    let analysis: Record<string, unknown> | undefined;
    if (o.analyze !== undefined) {
      say(`series complete: analyze ${container} -> ${o.analyze}`);
      // The container decodes to exactly the frames sent, so this is analyze on the sender's file.
      const { ANALYZE_DEFAULTS, analyzeFile } = await import("./commands/analyze.js");
      analysis = await analyzeFile(container, { ...ANALYZE_DEFAULTS, output: o.analyze, quiet: o.quiet, workers: o.workers });
    }
    report(o, {
      container, outputs: files, ...summary, center: spec.center ?? null, centerFrom: centerFrom ?? null, seconds: +r.seconds.toFixed(3),
      framesPerSecond: +(r.frames / r.seconds).toFixed(1), maxHeldMB: +(r.maxHeldBytes / 2 ** 20).toFixed(1),
      ...(ptychography ? { ptychography } : {}), ...(analysis ? { analysis } : {}),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    rx.close();
  }
}
