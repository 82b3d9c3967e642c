import { ZSTD_BACKENDS, type ZstdBackendName } from "../../codec/zstd.js";
import type { Command } from "commander";
import { writeEventExports } from "../event-exports.js";
import { ContainerReader } from "../../codec/container-reader.js";
import { containerDataset, readContainerEvents } from "../../codec/container-dataset.js";
import { fileByteSource, writeDatasetNpy } from "../../bindings/node-files.js";
import { frameBytes, frameCount } from "../../bindings/dataset.js";
import { UsageError, action, ensureDir, progress, report, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  output?: string;
  records?: string;
  rawCsr?: string;
  zstd?: string;
}

export function register(program: Command): void {
  declare(program, "decompress")
    .option("-o, --output <back.npy>", "the decoded frames (missing folders are created)")
    .option("--records <events.bin>", "events containers: the plain 16-byte event records")
    .option("--raw-csr <events.toml>", "events containers: LiberTEM raw_csr (TOML + three raw files beside it)")
    .option("--zstd <backend>", "zstd backend: auto (default, the same as stem4d), stem4d or zstd-codec (Node only)")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("decompress", async (file: string, o: Options) => {
      if (!o.output && !o.records && !o.rawCsr) throw new UsageError("give -o (frames), --records or --raw-csr");
      if (o.zstd !== undefined && !ZSTD_BACKENDS.includes(o.zstd as ZstdBackendName)) throw new UsageError(`--zstd: '${o.zstd}' is not auto, stem4d or zstd-codec`);
      const zstd = o.zstd as ZstdBackendName | undefined;
      const reader = await ContainerReader.open(await fileByteSource(file));
      try {
        const ds = await containerDataset(reader, { zstd });
        const summary: Record<string, unknown> = { file, mode: reader.metadata.mode, complete: reader.status.complete };
        if (ds.metadata?.damage) {
          summary.damage = ds.metadata.damage;
          process.stderr.write(`stem4d decompress: warning: ${(ds.metadata.damage as { note: string }).note}; decoding what is intact\n`);
        }
        if (o.output) {
          ensureDir(o.output);
          await writeDatasetNpy(ds, o.output, { onProgress: progress("decompress", o) });
          Object.assign(summary, { output: o.output, shape: ds.shape, dtype: ds.dtype, bytes: frameCount(ds) * frameBytes(ds) });
        }
        if (o.records || o.rawCsr) {
          if (reader.metadata.mode !== "events") throw new UsageError(`${file}: --records and --raw-csr need an events container; this one is ${reader.metadata.mode}`);
          const ev = await readContainerEvents(reader, { zstd });
          summary.electrons = ev.pixels.length;
          Object.assign(summary, writeEventExports(ev, o));
        }
        report(o, summary);
      } finally {
        await reader.close();
      }
    }));
}
