// stem4d convert IN OUT: any reader to any writer, frame block by frame block, so memory stays bounded whatever the
// file size. Also home of the format options other commands may share (flyback, flatfield, pixel mask, dataset).
import type { Command } from "commander";
import { writeDataset, writerFormats } from "../../bindings/writers/index.js";
import { frameCount } from "../../bindings/dataset.js";
import { action, ensureDir, inputOptions, openInput, parsePositiveInt, progress, report, UsageError, type CommonOptions } from "../common.js";

export interface FormatOptions {
  flyback?: string;
  flybackAt?: string;
  flatfield?: boolean;
  pixelMask?: boolean;
  dataset?: string;
  image?: string;
  dmOrder?: string;
  ser?: string;
  singleFile?: boolean;
}

/** Reader options of particular formats: MIB flyback columns and series, DECTRIS corrections, an HDF5 or Zarr
 * dataset path, the DM image and 4D layout, the TIA series file. */
export function formatOptions(cmd: Command): Command {
  return cmd
    .option("--flyback <n>", "MIB: flyback frames at each scan row to drop (with --scan rows,cols)")
    .option("--flyback-at <where>", "MIB: where the flyback frames are in a row: start or end", "start")
    .option("--flatfield", "DECTRIS: multiply frames by the master file's flatfield (frames become f32)")
    .option("--pixel-mask", "DECTRIS: zero the pixels the master file's pixel_mask flags")
    .option("--single-file", "MIB: read only the .mib given, not the other numbered files of its acquisition")
    .option("--dataset <path>", "HDF5 or Zarr: the dataset or array to read (HDF5: same as FILE.h5:/path)")
    .option("--image <n>", "DM: index in ImageList of the image to read (default: the largest that is not a thumbnail)")
    .option("--dm-order <order>", "DM: a 4D image's layout, c (frames contiguous) or transposed (default: by the tags)")
    .option("--ser <k>", "TIA: which <name>_<k>.ser an .emi opens (default 1)");
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
  if (o.singleFile) out.series = false;
  if (o.image !== undefined) {
    const n = Number(o.image);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--image: expected a non-negative integer, got ` +
        `'${o.image}'`);
    out.image = n;
  }
  if (o.dmOrder !== undefined) {
    if (o.dmOrder !== "c" && o.dmOrder !== "transposed") throw new UsageError(`--dm-order: expected c or ` +
        `transposed, got '${o.dmOrder}'`);
    out.dmOrder = o.dmOrder;
  }
  if (o.ser !== undefined) out.ser = parsePositiveInt(o.ser, "--ser");
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
