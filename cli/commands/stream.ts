import type { Command } from "commander";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import type { Core } from "../../bindings/core.js";
import { FILTER_IDS, FILTER_LIST, type FilterName } from "../../codec/container-format.js";
import { type AnalysisSpec, buildReductions, hasAnalyses, writeResults } from "../../bindings/scale/analyses.js";
import { ENCODE_MODES, type EncodeMode } from "../../bindings/scale/protocol.js";
import type { EncodeOptions } from "../../bindings/scale/stream-encode.js";
import { StreamReceiver } from "../../bindings/scale/stream-receive.js";
import { sendDataset, transportOf } from "../../bindings/scale/stream-endpoints.js";
import {
  UsageError, action, ensureDir, inputOptions, openInput, parseNumberList, parsePositiveInt, progress, report, withCore,
  type CommonOptions,
} from "../common.js";
import type { CodecFlags } from "./compress.js";
import { countingCliOptions, countingFromCli } from "./count.js";
import { analysisOptions, specFromOptions, type AnalysisFlags } from "./shard.js";
import { declare } from "./index.js";
import { LivePtycho, livePtychoOptions, type LivePtychoFlags } from "../live-ptycho.js";
import { readTlsCa, readTlsClientIdentity, readTlsIdentity } from "../tls-files.js";

interface SendFlags extends CodecFlags {
  to: string;
  encode: string;
  rate?: string;
  linkMbps?: string;
  ringMb?: string;
  lowMemory?: boolean;
  center?: string;
  hwm: string;
  series?: string;
  timeout: string;
  silence: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

interface ReceiveFlags extends CommonOptions, AnalysisFlags, LivePtychoFlags {
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

/** Checks an endpoint's scheme before anything is read or bound. */
function checkEndpoint(address: string, flag: string): void {
  try {
    transportOf(address, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A number option, or undefined; `check` says what is allowed. */
function numberOption(text: string | undefined, flag: string, check: (n: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !check(n)) throw new UsageError(`${flag}: expected ${expected}, got '${text}'`);
  return n;
}

const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;

/** The encoder options of `--encode MODE` from the flags (the same flags `compress` and `count` take). */
function encodeFromFlags(ds: Parameters<typeof countingFromCli>[0], o: SendFlags): EncodeOptions {
  if (!ENCODE_MODES.includes(o.encode as EncodeMode)) throw new UsageError(`--encode: '${o.encode}' is not raw, lossless, events or pca`);
  const mode = o.encode as EncodeMode;
  const level = numberOption(o.level, "--level", (n) => Number.isInteger(n) && n >= -7 && n <= 22, "an integer in [-7, 22]");
  const framesPerChunk = numberOption(o.framesPerChunk, "--frames-per-chunk", positiveInt, "a positive integer");
  if (!(o.filter in FILTER_IDS)) throw new UsageError(`--filter: '${o.filter}' is not ${FILTER_LIST}`);
  if (mode === "pca" && (o.components === undefined) === (o.maxError === undefined)) throw new UsageError("--encode pca needs exactly one of --components K or --max-error E");
  return {
    mode,
    lossless: { filter: o.filter as FilterName, delta: !!o.delta, level, framesPerChunk },
    counting: mode === "events" ? countingFromCli(ds, o) : undefined,
    events: { level, params: { dark: o.dark ?? null, gain: o.gain ?? null } },
    pca: mode === "pca" ? {
      components: numberOption(o.components, "--components", positiveInt, "a positive integer"),
      maxError: numberOption(o.maxError, "--max-error", (n) => n > 0 && n < 1, "a number in (0, 1)"),
      residual: numberOption(o.residual, "--residual", (n) => Number.isInteger(n) && n >= 0, "a non-negative integer"),
      fitFrames: numberOption(o.fitFrames, "--fit-frames", positiveInt, "a positive integer"),
      framesPerChunk, level,
    } : undefined,
  };
}

export function register(program: Command): void {
  const stream = declare(program, "stream");

  countingCliOptions(inputOptions(stream.command("send <file>").description("encode a dataset and stream its container chunks to a receiver; exits 0 once the receiver's container is complete")))
    .requiredOption("--to <endpoint>", "the receiver: tcp://10.0.0.5:5555 (ZeroMQ), ws://10.0.0.5:5556 (WebSocket) or wss://HOST:5556 (WebSocket over TLS)")
    .option("--tls-ca <file>", "wss://: trust the CA certificates in this PEM file besides Node's own (or set NODE_EXTRA_CA_CERTS)")
    .option("--tls-cert <file>", "wss://: this sender's certificate (PEM; its chain may follow), for a receiver that accepts only senders its CA signed")
    .option("--tls-key <file>", "wss://: the private key of --tls-cert (PEM)")
    .option("--encode <mode>", "raw, lossless, events (electron counting, as `count` does) or pca", "raw")
    .option("--filter <name>", `lossless: ${FILTER_LIST} (floor: the chunk's per-pixel minimum subtracted, for integrating detectors)`, "bitshuffle")
    .option("--delta", "lossless: delta within each frame before the filter")
    .option("--level <n>", "zstd level (default 1; pca 3)")
    .option("--frames-per-chunk <n>", "raw, lossless, pca: frames per chunk (default about 1 MiB of frames; pca 256)")
    .option("--components <k>", "pca: number of components")
    .option("--max-error <e>", "pca: target relative Frobenius error")
    .option("--residual <n>", "pca: exact values of each frame's n largest errors", "0")
    .option("--fit-frames <n>", "pca: fit on this many evenly spread frames (default all, up to 4096)")
    .option("--center <cy,cx>", "pattern centre sent to the receiver (default: found from the bright-field disk, as `virtual` does)")
    .option("--rate <fps>", "frames per second the source delivers at most (a detector's pace)")
    .option("--link-mbps <n>", "limit the sender's own wire rate to n megabits per second")
    .option("--ring-mb <n>", "MiB of sent chunks kept until the receiver acknowledges them (the sender's memory bound; default 8, 2 with --low-memory)")
    .option("--low-memory", "an edge computer's footprint: WebAssembly compiled by V8's baseline compiler only (about 10 MB less; " +
      "encoding 1.4-2x slower) and a 2 MiB ring")
    .option("--hwm <n>", "messages queued in the socket before sending waits (ZeroMQ high-water mark; a WebSocket waits past 2 MiB)", "4")
    .option("--series <id>", "series id (default: a random one)")
    .option("--silence <s>", "report a receiver silent this long", "5")
    .option("--timeout <s>", "give up when the receiver has been silent this long", "60")
    .action(action("stream send", async (file: string, o: SendFlags) => {
      checkEndpoint(o.to, "--to");
      const tlsCa = readTlsCa(o.tlsCa, o.to);
      const identity = readTlsClientIdentity(o.tlsCert, o.tlsKey, o.to);
      const tls = tlsCa || identity ? { ...(tlsCa && { ca: tlsCa }), ...identity } : undefined;
      const rate = numberOption(o.rate, "--rate", (n) => n > 0, "a positive number of frames per second");
      const linkMbps = numberOption(o.linkMbps, "--link-mbps", (n) => n > 0, "a positive number of megabits per second");
      const ringBytes = (numberOption(o.ringMb, "--ring-mb", (n) => n > 0, "a positive number of MiB") ?? (o.lowMemory ? 2 : 8)) * 2 ** 20;
      // Before any WebAssembly is compiled: TurboFan's optimised copies of the core's and zstd's code (tiered up
      // while the stream runs) are the part of the sender's memory that a flag can take away.
      if (o.lowMemory) setFlagsFromString("--liftoff-only");
      const center = o.center === undefined ? undefined : (([cy, cx]) => ({ cy: cy!, cx: cx! }))(parseNumberList(o.center, "--center", 2));
      const ds = await openInput(file, o);
      try {
        const encode = { ...encodeFromFlags(ds, o), onProgress: undefined };
        const send = (core: Core | undefined) => sendDataset(core, ds, {
          to: o.to, encode, center, rate, linkMbps, ringBytes, series: o.series, tls,
          highWaterMark: parsePositiveInt(o.hwm, "--hwm"),
          silenceMs: parsePositiveInt(o.silence, "--silence") * 1000, timeoutMs: parsePositiveInt(o.timeout, "--timeout") * 1000,
          onProgress: progress("send", o), onNotice: (line) => { if (!o.quiet) process.stderr.write(`stream send: ${line}\n`); },
        });
        // raw and lossless need no compute core; events and pca run on the main thread unless --workers says more
        // (each worker thread is about 10 MB of an edge computer's memory).
        const needsCore = encode.mode === "events" || encode.mode === "pca";
        const s = needsCore ? await withCore({ ...o, workers: o.workers ?? "0" }, send) : await send(undefined);
        const { metadata, ...summary } = s;
        const counting = (metadata.params as Record<string, unknown> | undefined)?.counting;
        report(o, {
          ...summary, to: o.to, seconds: +s.seconds.toFixed(3), framesPerSecond: +(s.frames / s.seconds).toFixed(1),
          wireMBPerSecond: +(s.wireBytes / s.seconds / 1e6).toFixed(2), ...(counting ? { thresholds: counting } : {}),
        });
      } finally {
        await ds.source.close?.();
      }
    }));

  // An edge computer's memory: the sender runs on the main thread by default.
  const workers = stream.commands.find((c) => c.name() === "send")!.options.find((x) => x.long === "--workers")!;
  workers.description = "events, pca: worker threads (default 0: the main thread; each worker adds about 10 MB)";

  analysisOptions(stream.command("receive").description("receive one series into a container (valid at every moment; a restarted receiver continues it) and reduce its frames as they arrive"))
    .requiredOption("--bind <endpoint>", "where to listen: tcp://*:5555 (ZeroMQ senders), ws://*:5556 (WebSocket senders: browsers, Deno, Bun, Node) or wss://*:5556 (over TLS: --tls-cert and --tls-key)")
    .option("--tls-cert <file>", "wss://: the receiver's certificate (PEM; its chain may follow)")
    .option("--tls-key <file>", "wss://: the certificate's private key (PEM)")
    .option("--tls-client-ca <file>", "wss://: accept only senders presenting a certificate signed by a CA in this PEM file (mutual TLS)")
    .requiredOption("-o, --output <dir>", "folder for the container (stream.s4d) and the results (.npy, and .png unless --no-png)")
    .option("--container <file.s4d>", "the container (default OUT/stream.s4d); an unfinished one of the same series is continued")
    .option("--no-png", "write only .npy files")
    .option("--analyze <dir>", "once the series is complete, run the paper's pipeline (`stem4d analyze` with its " +
      "defaults) on the received container into DIR")
    .option("--hwm <n>", "messages queued here before the sender waits (ZeroMQ high-water mark; WebSocket: reading pauses)", "16")
    .option("--silence <s>", "report a sender silent this long", "5")
    .option("--timeout <s>", "give up when no message came for this long (before the first: 10 times as long)", "60")
    .option("--workers <n>", "worker threads (0 = run on the main thread; default: one per core)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("stream receive", async (o: ReceiveFlags) => {
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
          const { ANALYZE_DEFAULTS, analyzeFile } = await import("./analyze.js");
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
    }));

  // Ptychography as frames arrive (cli/live-ptycho.ts): the probe's parameters and --ptycho.
  livePtychoOptions(stream.commands.find((c) => c.name() === "receive")!);
}
