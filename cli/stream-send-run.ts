// `stem4d stream send`'s work, loaded when it runs (cli/commands/stream.ts declares its options): an edge computer's
// sender loads the modules that encode and send, not the receiver's nor its analyses'.
import { setFlagsFromString } from "node:v8";
import type { Core } from "../bindings/core.js";
import { FILTER_IDS, FILTER_LIST, type FilterName } from "../codec/container-format.js";
import { ENCODE_MODES, type EncodeMode } from "../bindings/scale/protocol.js";
import type { EncodeOptions } from "../bindings/scale/stream-encode.js";
import { sendDataset, transportOf } from "../bindings/scale/stream-endpoints.js";
import { UsageError, openInput, parseNumberList, parsePositiveInt, progress, report, withCore } from "./common.js";
import type { CodecFlags } from "./commands/compress.js";
import { countingFromCli } from "./commands/count.js";
import { readTlsCa, readTlsClientIdentity } from "./tls-files.js";
import { leanCollector } from "./lean-restart.js";

export interface SendFlags extends CodecFlags {
  to: string;
  encode: string;
  rate?: string;
  linkMbps?: string;
  ringMb?: string;
  lowMemory?: boolean;
  baselineWasm?: boolean;
  center?: string;
  hwm: string;
  series?: string;
  timeout: string;
  silence: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Checks an endpoint's scheme before anything is read or bound. */
export function checkEndpoint(address: string, flag: string): void {
  try {
    transportOf(address, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A number option, or undefined; `check` says what is allowed. */
export function numberOption(text: string | undefined, flag: string, check: (n: number) => boolean, expected: string): number | undefined {
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

export async function sendStream(file: string, o: SendFlags): Promise<void> {
  checkEndpoint(o.to, "--to");
  const tlsCa = readTlsCa(o.tlsCa, o.to);
  const identity = readTlsClientIdentity(o.tlsCert, o.tlsKey, o.to);
  const tls = tlsCa || identity ? { ...(tlsCa && { ca: tlsCa }), ...identity } : undefined;
  const rate = numberOption(o.rate, "--rate", (n) => n > 0, "a positive number of frames per second");
  const linkMbps = numberOption(o.linkMbps, "--link-mbps", (n) => n > 0, "a positive number of megabits per second");
  const ringBytes = (numberOption(o.ringMb, "--ring-mb", (n) => n > 0, "a positive number of MiB") ?? (o.lowMemory ? 2 : 8)) * 2 ** 20;
  // Before any WebAssembly is compiled: TurboFan's compilations of the core's and zstd's code (tiered up while the
  // stream runs) and their optimised copies cost an edge sender 5-15 MB (README, Scale-out).
  if (o.baselineWasm) setFlagsFromString("--liftoff-only");
  const collector = o.lowMemory ? leanCollector(1000) : undefined;
  const center = o.center === undefined ? undefined : (([cy, cx]) => ({ cy: cy!, cx: cx! }))(parseNumberList(o.center, "--center", 2));
  const ds = await openInput(file, o);
  try {
    const encode = { ...encodeFromFlags(ds, o), onProgress: undefined };
    const send = (core: Core | undefined) => sendDataset(core, ds, {
      to: o.to, encode, center, rate, linkMbps, ringBytes, series: o.series, tls,
      highWaterMark: parsePositiveInt(o.hwm, "--hwm"),
      silenceMs: parsePositiveInt(o.silence, "--silence") * 1000, timeoutMs: parsePositiveInt(o.timeout, "--timeout") * 1000,
      onProgress: progress("send", o), onEncoderReady: () => collector?.started(),
      onNotice: (line) => { if (!o.quiet) process.stderr.write(`stream send: ${line}\n`); },
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
      // The sender's CPU time (user + system), which a loaded machine inflates less than wall time.
      cpuSeconds: +(((c) => (c.user + c.system) / 1e6)(process.cpuUsage())).toFixed(3),
      // --low-memory: the flags Node was started with (cli/lean-restart.ts).
      ...(o.lowMemory ? { nodeFlags: process.execArgv } : {}),
    });
  } finally {
    collector?.stop();
    await ds.source.close?.();
  }
}
