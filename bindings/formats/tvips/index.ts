// TVIPS recorder streams (.tvips): "<name>_000.tvips" starts with a general header (u32 size, version, dimx,
// dimy, bits per pixel, offsets, binning, pixel size, high tension, magnification, frame header bytes; 256 bytes in
// all), then records of a frame header (12 bytes in version 1, "frame header bytes" in version 2) and dimy x dimx
// little-endian u8 or u16 pixels. Long recordings continue in "<name>_001.tvips"... (records only, no header).
// The files do not say the scan shape: it comes from the user (with the first frame of the scan), else a guess.
import type { ByteSource, Dataset, FrameSource } from "../../dataset.js";
import type { FormatReader, OpenContext } from "../registry.js";
import { checkScan, contiguousRuns, guessScan, readHead, visitRecordSeries, type RecordLayout } from "../records.js";

export interface TvipsOptions {
  scanShape?: number[];
  /** Index of the first frame of the scan in the whole recording (default 0). */
  scanStart?: number;
  /** Snake scan: every other row runs backwards ("x"). */
  winding?: "x";
}

export interface TvipsHeader {
  size: number; version: number; dimx: number; dimy: number; bitsPerPixel: number; offsetx: number; offsety: number;
  binx: number; biny: number; pixelSize: number; ht: number; magTotal: number; frameHeaderBytes: number;
}

export const tvipsFormat: FormatReader = {
  name: "tvips",
  extensions: [".tvips"],
  open: openTvips,
};

export function parseTvipsHeader(head: Uint8Array, name: string): TvipsHeader {
  if (head.length < 52) throw new Error(`${name}: TVIPS file is ${head.length} bytes; expected at least the general header`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u = (i: number) => dv.getUint32(i * 4, true);
  const h: TvipsHeader = {
    size: u(0), version: u(1), dimx: u(2), dimy: u(3), bitsPerPixel: u(4), offsetx: u(5), offsety: u(6),
    binx: u(7), biny: u(8), pixelSize: u(9), ht: u(10), magTotal: u(11), frameHeaderBytes: u(12),
  };
  if (h.version !== 1 && h.version !== 2) throw new Error(`${name}: TVIPS header version ${h.version} (byte 4) is not supported; expected 1 or 2`);
  if (h.bitsPerPixel !== 8 && h.bitsPerPixel !== 16) throw new Error(`${name}: TVIPS header gives ${h.bitsPerPixel} bits per pixel (byte 16); expected 8 or 16`);
  if (h.dimx < 1 || h.dimy < 1 || h.dimx > 65536 || h.dimy > 65536) throw new Error(`${name}: TVIPS header gives a ${h.dimx} x ${h.dimy} frame (bytes 8-15)`);
  if (h.size < 52 || h.size > 1 << 20) throw new Error(`${name}: TVIPS header size ${h.size} (byte 0) is implausible`);
  if (h.version === 2 && (h.frameHeaderBytes < 60 || h.frameHeaderBytes > 1 << 20)) throw new Error(`${name}: TVIPS frame header of ${h.frameHeaderBytes} bytes (byte 48) is shorter than the 60-byte record it must hold`);
  return h;
}

async function openTvips(ctx: OpenContext): Promise<Dataset> {
  const first = ctx.bytes, name = first.name;
  const h = parseTvipsHeader(await readHead(first, 256), name);
  const frameHead = h.version === 1 ? 12 : h.frameHeaderBytes;
  const px = h.bitsPerPixel / 8, fb = h.dimx * h.dimy * px, stride = frameHead + fb;
  // The series: this file (must be part 000), then _001, _002... while they exist.
  const base = name.split(/[\\/]/).pop()!;
  const m = /^(.*_)(\d{3})\.tvips$/i.exec(base);
  if (m && Number(m[2]) !== 0) throw new Error(`${name}: a TVIPS series is opened from its first part (${m[1]}000.tvips)`);
  const files: { bytes: ByteSource; layout: RecordLayout }[] = [{ bytes: first, layout: { offset: h.size, stride, records: Math.floor((first.size - h.size) / stride) } }];
  if (m) {
    for (let k = 1; k < 1000; k++) {
      let src;
      try { src = await ctx.sibling(`${m[1]}${String(k).padStart(3, "0")}.tvips`); } catch { break; }
      files.push({ bytes: src, layout: { offset: 0, stride, records: Math.floor(src.size / stride) } });
    }
  }
  try {
    return tvipsDataset(ctx, h, files, frameHead, fb);
  } catch (e) {
    // The caller closes the first part; the later parts are ours until the dataset exists.
    for (const f of files.slice(1)) await f.bytes.close?.();
    throw e;
  }
}

function tvipsDataset(ctx: OpenContext, h: TvipsHeader, files: { bytes: ByteSource; layout: RecordLayout }[], frameHead: number, fb: number): Dataset {
  const name = ctx.bytes.name, o = ctx.options as TvipsOptions, px = h.bitsPerPixel / 8;
  const total = files.reduce((a, f) => a + f.layout.records, 0);
  if (total < 1) throw new Error(`${name}: TVIPS file holds no whole ${h.dimx} x ${h.dimy} frame record (${frameHead + fb} bytes each after the ${h.size}-byte header)`);
  const startAt = o.scanStart ?? 0;
  if (!Number.isInteger(startAt) || startAt < 0 || startAt >= total) throw new Error(`${name}: scan start frame ${startAt} is outside the recording's ${total} frames`);
  const scan = o.scanShape ? [...o.scanShape] : guessScan(total - startAt);
  checkScan(name, scan, total - startAt, "frames after the scan start");
  const frames = scan.reduce((a, b) => a * b, 1);
  const cols = scan[scan.length - 1]!;
  const recordOf = (i: number) => {
    let c = i % cols;
    const row = Math.floor(i / cols);
    if (o.winding === "x" && row % 2 === 1) c = cols - 1 - c;
    return startAt + row * cols + c;
  };
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (start < 0 || start + count > frames) throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
      for (const [frame, record, n] of contiguousRuns(start, count, recordOf)) {
        const at = (frame - start) * fb;
        await visitRecordSeries(files, record, n, (rec, k) => dest.set(rec.subarray(frameHead), at + k * fb));
      }
    },
    async close() { for (const f of files) await f.bytes.close?.(); },
  };
  return {
    shape: [...scan, h.dimy, h.dimx],
    dtype: px === 1 ? "u8" : "u16",
    source,
    calibration: { axes: [...scan.map(() => ({})), { name: "dy", step: h.pixelSize, unit: "1/nm" }, { name: "dx", step: h.pixelSize, unit: "1/nm" }], beamEnergyKeV: h.ht },
    metadata: { format: "tvips", header: h, files: files.map((f) => f.bytes.name), framesInFiles: total, scanStart: startAt, unusedFrames: total - startAt - frames },
  };
}
