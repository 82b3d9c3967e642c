// stem4d convert IN OUT: any reader to any writer, frame block by frame block, so memory stays bounded whatever the
// file size. Also home of the format options other commands may share (flyback, flatfield, pixel mask, dataset).
import type { Command } from "commander";
import { writeDataset, writerFormats } from "../../bindings/writers/index.js";
import { frameCount } from "../../bindings/node.js";
import { action, ensureDir, inputOptions, openInput, parsePositiveInt, progress, report, UsageError, type CommonOptions } from "../common.js";

export interface FormatOptions {
  flyback?: string;
  flybackAt?: string;
  flatfield?: boolean;
  pixelMask?: boolean;
  dataset?: string;
}

/** Reader options of particular formats: MIB flyback columns, DECTRIS corrections, an HDF5 dataset path. */
export function formatOptions(cmd: Command): Command {
  return cmd
    .option("--flyback <n>", "MIB: flyback frames at each scan row to drop (with --scan rows,cols)")
    .option("--flyback-at <where>", "MIB: where the flyback frames are in a row: start or end", "start")
    .option("--flatfield", "DECTRIS: multiply frames by the master file's flatfield (frames become f32)")
    .option("--pixel-mask", "DECTRIS: zero the pixels the master file's pixel_mask flags")
    .option("--dataset <path>", "HDF5: the dataset to read (same as FILE.h5:/path)");
}

export function formatOpenOptions(o: FormatOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.flyback !== undefined) out.flyback = parsePositiveInt(o.flyback, "--flyback");
  if (o.flybackAt !== undefined) {
    if (o.flybackAt !== "start" && o.flybackAt !== "end") throw new UsageError(`--flyback-at: expected start or end, got '${o.flybackAt}'`);
    out.flybackAt = o.flybackAt;
  }
  if (o.flatfield) out.flatfield = true;
  if (o.pixelMask) out.pixelMask = true;
  if (o.dataset) out.dataset = o.dataset;
  return out;
}

interface Options extends CommonOptions, FormatOptions {
  format?: string;
  blockMb?: string;
  level?: string;
  name?: string;
}

export function register(program: Command): void {
  formatOptions(inputOptions(program.command("convert <input> <output>")
    .description(`copy a dataset into another format, streaming (outputs: ${writerFormats().map((w) => `${w.name} ${w.extensions.join("/")}`).join(", ")})`)))
    .option("--format <name>", "output format (default: from the output's extension)")
    .option("--block-mb <n>", "frames move in blocks of about this many MiB (the memory bound)", "16")
    .option("--level <n>", "zstd level for compressed outputs", "3")
    .option("--name <name>", "EMD: name of the DataCube", "datacube")
    .action(action("convert", async (input: string, output: string, o: Options) => {
      const ds = await openInput(input, o, formatOpenOptions(o));
      try {
        ensureDir(output);
        const t0 = performance.now();
        const r = await writeDataset(ds, output, {
          format: o.format,
          blockBytes: parsePositiveInt(o.blockMb, "--block-mb") * (1 << 20),
          writerOptions: { level: Number(o.level), name: o.name },
          onProgress: progress("convert", o),
        });
        const s = (performance.now() - t0) / 1000;
        report(o, { input, output, format: r.format, shape: ds.shape, dtype: ds.dtype, frames: frameCount(ds), bytes: r.bytes, seconds: +s.toFixed(3), mbPerSecond: +(r.bytes / 1e6 / s).toFixed(1) });
      } finally {
        await ds.source.close?.();
      }
    }));
}
