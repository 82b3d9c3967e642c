// Quantum Detectors Merlin .mib: every frame is a fixed-size record (ASCII header, then pixels), so frame k sits at
// k * (header + payload). The scan shape comes from the user, from the .hdr beside the file (frames per trigger =
// one scan row), or is guessed from the frame count; flyback columns recorded at each row's start (or end) are
// skipped. Frames are read in batches and each header is checked, so a misaligned or corrupt file fails loudly.
// An acquisition saved as numbered files reads as one (series.ts); the .hdr itself opens them too.
import type { ByteSource, Dataset, FrameSource } from "../../dataset.js";
import { frameBytes } from "../../dataset.js";
import type { FormatReader, OpenContext } from "../registry.js";
import { ascii, checkScan, contiguousRuns, guessScan, readHead, visitRecordSeries } from "../records.js";
import { type MibGeometry, mibGeometry } from "./decode.js";
import { type MibHeader, parseHdr, parseMibHeader } from "./header.js";
import { type MibPart, baseName, findSeries, numberedMibs, recordsOf } from "./series.js";

export interface MibOptions {
  scanShape?: number[];
  /** Extra frames per scan row recorded during the beam's flyback, dropped from the dataset. */
  flyback?: number;
  /** Where in each row the flyback frames are: "start" (default) or "end". */
  flybackAt?: "start" | "end";
  /** Read the numbered files of the acquisition together (default: when the .hdr promises more frames than the
   * file holds), or just the file given (false). */
  series?: boolean;
}

const MAGIC = [0x4d, 0x51, 0x31, 0x2c]; // "MQ1,"

export const mibFormat: FormatReader = {
  name: "mib",
  extensions: [".mib"],
  sniff: (h) => h.length >= 4 && MAGIC.every((b, i) => h[i] === b),
  open: (ctx) => openMib(ctx),
};

/** The acquisition's .hdr opens its frame files ("<name>*.mib" beside it). */
export const mibHdrFormat: FormatReader = {
  name: "mib-hdr",
  extensions: [".hdr"],
  sniff: (h) => ascii(h.subarray(0, 4)) === "HDR,",
  open: openMibHdr,
};

async function hdrText(src: ByteSource): Promise<Record<string, string>> {
  return parseHdr(new TextDecoder("latin1").decode(await readHead(src, 1 << 16)));
}

/** The .hdr beside a frame file: "<name>.hdr", or for a numbered file "<prefix>.hdr" (with or without a trailing _
 * or -). */
async function readHdr(ctx: OpenContext): Promise<Record<string, string> | undefined> {
  const base = baseName(ctx.bytes.name).replace(/\.mib$/i, "");
  const prefix = base.replace(/\d+$/, "");
  for (const cand of new Set([base, prefix, prefix.replace(/[_-]$/, "")])) {
    if (!cand) continue;
    let src;
    try {
      src = await ctx.sibling(`${cand}.hdr`);
    } catch {
      continue; // the .hdr is optional: the frames carry everything needed to read them
    }
    try {
      return await hdrText(src);
    } finally {
      await src.close?.();
    }
  }
  return undefined;
}

async function openMibHdr(ctx: OpenContext): Promise<Dataset> {
  const hdr = await hdrText(ctx.bytes);
  const stem = baseName(ctx.bytes.name).replace(/\.hdr$/i, "");
  const names = await ctx.siblingNames?.() ?? [];
  const files = [...names.filter((n) => n.toLowerCase() === `${stem.toLowerCase()}.mib`), ...numberedMibs(names, stem)];
  if (!files.length) throw new Error(`${ctx.bytes.name}: no frame files ${stem}.mib or ${stem}<number>.mib next to ` +
      `the .hdr`);
  const main = await ctx.sibling(files[0]!);
  await ctx.bytes.close?.();
  try {
    return await openMib({ ...ctx, bytes: main, options: { series: true, ...ctx.options } }, hdr);
  } catch (e) {
    await main.close?.();
    throw e;
  }
}

export async function openMib(ctx: OpenContext, givenHdr?: Record<string, string>): Promise<Dataset> {
  const bytes = ctx.bytes, name = bytes.name;
  const o = ctx.options as MibOptions;
  const head = parseMibHeader(await readHead(bytes, 1024), name);
  const g = mibGeometry(head, name);
  const strideOf = (h: MibHeader, file: string) => h.headerBytes + mibGeometry(h, file).payloadBytes;
  const stride = strideOf(head, name);
  const hdr = givenHdr ?? await readHdr(ctx);
  const main: MibPart = { bytes, header: head, layout: recordsOf(bytes, stride) };
  const parts = await findSeries(ctx, main, o.series, Number(hdr?.["Frames in Acquisition (Number)"]), strideOf);
  try {
    return mibDataset(parts, g, hdr, o);
  } catch (e) {
    for (const p of parts) if (p !== main) await p.bytes.close?.();
    throw e;
  }
}

function mibDataset(parts: MibPart[], g: MibGeometry, hdr: Record<string, string> | undefined, o: MibOptions): Dataset {
  const first = parts[0]!, name = first.bytes.name, head = first.header, stride = first.layout.stride;
  const records = parts.reduce((a, p) => a + p.layout.records, 0);
  if (records < 1) throw new Error(`${name}: .mib file has ${first.bytes.size} bytes, less than one ${stride}-byte ` +
      `frame (${head.headerBytes}-byte header + ${g.payloadBytes} bytes of ${g.description} pixels)`);

  const fb = o.flyback ?? 0;
  if (!Number.isInteger(fb) || fb < 0) throw new Error(`${name}: flyback must be a non-negative number of columns, got ${fb}`);
  let scan: number[];
  if (o.scanShape) {
    scan = [...o.scanShape];
    if (scan.length !== 2 && fb > 0) throw new Error(`${name}: flyback columns need a 2-D scan shape, got [${scan.join(", ")}]`);
    const fileScan = fb > 0 ? [scan[0]!, scan[1]! + fb] : scan;
    checkScan(name, fileScan, records, "frames (with flyback)");
  } else {
    const perTrigger = Number(hdr?.["Frames per Trigger (Number)"]);
    if (Number.isInteger(perTrigger) && perTrigger > 1 && records % perTrigger === 0 && perTrigger > fb) scan = [records / perTrigger, perTrigger - fb];
    else if (fb > 0) throw new Error(`${name}: flyback columns need the scan shape (give it, e.g. --scan rows,cols); the .hdr does not say the row length`);
    else scan = guessScan(records);
  }
  const cols = scan.length === 2 ? scan[1]! : 1;
  const fileCols = cols + fb;
  const skip = o.flybackAt === "end" ? 0 : fb;
  const recordOf = (f: number) => (fb === 0 ? f : Math.floor(f / cols) * fileCols + skip + (f % cols));
  const frames = scan.reduce((a, b) => a * b, 1);
  const used = fb === 0 ? frames : scan[0]! * fileCols;

  const shape = [...scan, g.rows, g.cols];
  const fbytes = frameBytes({ shape, dtype: g.dtype });
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (start < 0 || count < 0 || start + count > frames) throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
      for (const [frame, record, n] of contiguousRuns(start, count, recordOf)) {
        await visitRecordSeries(parts, record, n, (rec, k, file, local) => {
          if (!MAGIC.every((b, i) => rec[i] === b)) {
            throw new Error(`${file.bytes.name}: frame record ${local} at byte ${local * stride}: expected a header ` +
                `starting with "MQ1,", found ${JSON.stringify(ascii(rec.subarray(0, 8)))} (is the file truncated or ` +
                    `are the frames of different sizes?)`);
          }
          const at = (frame - start + k) * fbytes;
          g.decode(rec.subarray(head.headerBytes, head.headerBytes + g.payloadBytes), dest.subarray(at, at + fbytes));
        });
      }
    },
    async close() { for (const p of parts) await p.bytes.close?.(); },
  };
  const metadata: Record<string, unknown> = {
    format: "mib",
    pixels: g.description,
    chips: head.chips,
    layout: head.layout,
    counterDepth: head.counterDepth ?? null,
    headerBytes: head.headerBytes,
    firstSequenceNumber: head.sequence,
    timestamp: head.timestamp ?? null,
    shutterSeconds: head.shutterSeconds ?? null,
    framesInFile: records,
    unusedFrames: records - used,
    trailingBytes: parts.reduce((a, p) => a + p.bytes.size - p.layout.records * stride, 0),
    ...(parts.length > 1
      ? { files: parts.map((p) => baseName(p.bytes.name)), framesPerFile: parts.map((p) => p.layout.records) } : {}),
    flyback: fb ? { columns: fb, at: skip ? "start" : "end" } : null,
    scanFrom: o.scanShape ? "user" : hdr && scan.length === 2 && scan[1]! + fb === Number(hdr["Frames per Trigger (Number)"]) ? "hdr" : "frame count",
    frameHeader: head.fields,
  };
  if (hdr) metadata.hdr = hdr;
  return { shape, dtype: g.dtype, source, metadata };
}
