// `stem4d stream send` and `stream receive`: their options. Each one's work is in its own module, loaded when it
// runs (cli/stream-send-run.ts, cli/stream-receive-run.ts): a sender loads nothing of the receiver.
import type { Command } from "commander";
import { FILTER_LIST } from "../../codec/container-format.js";
import { action, inputOptions } from "../common.js";
import { analysisOptions } from "../analysis-options.js";
import { livePtychoOptions } from "../live-ptycho-options.js";
import type { SendFlags } from "../stream-send-run.js";
import type { ReceiveFlags } from "../stream-receive-run.js";
import { countingCliOptions } from "./count.js";
import { declare } from "./index.js";

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
    .option("--low-memory", "an edge computer's footprint at full speed (10-20 MB less): Node started again with a " +
      "1 MiB young generation, V8 on one thread and JavaScript interpreted, and a 2 MiB ring")
    .option("--baseline-wasm", "WebAssembly from V8's baseline compiler only (Liftoff): about 12 MB less; " +
      "encoding takes up to 70% more CPU")
    .option("--hwm <n>", "messages queued in the socket before sending waits (ZeroMQ high-water mark; a WebSocket waits past 2 MiB)", "4")
    .option("--series <id>", "series id (default: a random one)")
    .option("--silence <s>", "report a receiver silent this long", "5")
    .option("--timeout <s>", "give up when the receiver has been silent this long", "60")
    .action(action("stream send", async (file: string, o: SendFlags) => (await import("../stream-send-run.js")).sendStream(file, o)));

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
    .action(action("stream receive", async (o: ReceiveFlags) => (await import("../stream-receive-run.js")).receiveStream(o)));

  // Ptychography as frames arrive (cli/live-ptycho.ts): the probe's parameters and --ptycho.
  livePtychoOptions(stream.commands.find((c) => c.name() === "receive")!);
}
