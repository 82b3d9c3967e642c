import type { Command } from "commander";
import { CodecError } from "../../codec/errors.js";
import { ContainerReader } from "../../codec/container-reader.js";
import { KIND_NAMES } from "../../codec/container-format.js";
import { contents, containerDataset } from "../../codec/container-dataset.js";
import { fileByteSource } from "../../bindings/node-files.js";
import { streamFrames } from "../../bindings/pipeline.js";
import { action, progress, report, type CommonOptions } from "../common.js";
import { declare } from "./index.js";

interface Options extends CommonOptions {
  decode?: boolean;
}

export function register(program: Command): void {
  declare(program, "verify")
    .option("--decode", "also decode every chunk (zstd and filters), not only its checksums")
    .option("--json", "print a machine-readable summary on stdout")
    .option("-q, --quiet", "no progress on stderr")
    .action(action("verify", async (file: string, o: Options) => {
      const reader = await ContainerReader.open(await fileByteSource(file));
      try {
        const bad: { chunk: number; offset: number; kind: string; error: string }[] = [];
        const tick = progress("verify", o);
        const ds = o.decode ? await containerDataset(reader) : undefined;
        let i = 0;
        for (const c of reader.chunks) {
          try {
            await reader.readChunk(c);
            // Decoding the chunk's frames through the frame pipeline, which discards them.
            if (ds && c.kind === KIND_NAMES_ID[reader.metadata.mode]) await streamFrames(ds, { write() {} }, { range: [c.first, c.first + c.count] });
          } catch (e) {
            if (!(e instanceof CodecError) && !(e instanceof RangeError)) throw e;
            bad.push({ chunk: c.number, offset: c.offset, kind: KIND_NAMES[c.kind] ?? `kind ${c.kind}`, error: e.message });
          }
          tick(++i, reader.chunks.length);
        }
        const cov = contents(reader);
        const intact = bad.length === 0 && reader.status.complete && cov.items === cov.expected;
        report(o, {
          file, intact, complete: reader.status.complete, mode: reader.metadata.mode, chunks: reader.chunks.length, corruptChunks: bad.length,
          items: cov.items, expectedItems: cov.expected, unreadBytes: reader.status.unreadBytes,
          ...(reader.status.note || cov.note ? { note: [reader.status.note, cov.note].filter(Boolean).join("; ") } : {}),
          ...(bad.length ? { corrupt: bad } : {}),
        });
        if (!intact) process.exitCode = 1;
      } finally {
        await reader.close();
      }
    }));
}

// The chunk kind holding each mode's items.
const KIND_NAMES_ID: Record<string, number> = { lossless: 1, events: 2, pca: 4 };
