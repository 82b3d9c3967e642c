// A Merlin acquisition saved as several numbered files ("scan1.mib", "scan2.mib"... with one "scan.hdr"): the
// frames continue from file to file, numbered by the sequence number in each frame header. The files are found by
// listing the folder, ordered by their first frame's number and checked to chain without a gap and to share one frame
// layout. A numbered file is read alone unless the .hdr promises more frames than it holds (or `series` says so).
import type { ByteSource } from "../../dataset.js";
import type { OpenContext } from "../registry.js";
import { readHead, type RecordFile } from "../records.js";
import { type MibHeader, parseMibHeader } from "./header.js";

export interface MibPart extends RecordFile {
  /** The file's first frame header. */
  header: MibHeader;
}

export const baseName = (path: string) => path.split(/[\\/]/).pop()!;

/** Whole frame records of `stride` bytes from the start of a file. */
export const recordsOf = (bytes: ByteSource, stride: number) =>
  ({ offset: 0, stride, records: Math.floor(bytes.size / stride) });

/** Names in `names` that are `prefix` + digits + ".mib" (any case), in numeric order. */
export function numberedMibs(names: string[], prefix: string): string[] {
  const number = (n: string) => Number(n.slice(prefix.length, -4));
  const numbered = names.filter((n) => n.startsWith(prefix) && /^\d+\.mib$/i.test(n.slice(prefix.length)));
  return numbered.sort((a, b) => number(a) - number(b));
}

const layoutOf = (h: MibHeader) => `${h.pixel} ${h.width} x ${h.height}, ${h.chips} chip(s) ${h.layout}, ` +
    `${h.headerBytes}-byte headers, depth ${h.counterDepth ?? "?"}`;

/**
 * The files of the acquisition `main` belongs to, in frame order (just `main` when it stands alone). Opens the
 * others as siblings; the caller closes every part but `main` when it is done (or fails).
 */
export async function findSeries(ctx: OpenContext, main: MibPart, want: boolean | undefined,
  framesInAcquisition: number, stride: (h: MibHeader, name: string) => number): Promise<MibPart[]> {
  const base = baseName(main.bytes.name);
  const m = /^(.*?)\d+\.mib$/i.exec(base);
  const promised = Number.isInteger(framesInAcquisition) && framesInAcquisition > main.layout.records;
  if (!m || !ctx.siblingNames || want === false || (want !== true && !promised)) return [main];
  const names = numberedMibs(await ctx.siblingNames(), m[1]!).filter((n) => n !== base);
  const parts: MibPart[] = [main];
  try {
    for (const n of names) {
      const bytes: ByteSource = await ctx.sibling(n);
      parts.push({ bytes, header: main.header, layout: { offset: 0, stride: 1, records: 0 } });
      const header = parseMibHeader(await readHead(bytes, 1024), bytes.name);
      if (layoutOf(header) !== layoutOf(main.header)) {
        throw new Error(`${bytes.name}: frames of ${layoutOf(header)} differ from ${base}'s ` +
            `(${layoutOf(main.header)}); the files of one acquisition share one frame layout`);
      }
      const s = stride(header, bytes.name);
      parts[parts.length - 1] = { bytes, header, layout: recordsOf(bytes, s) };
    }
    parts.sort((a, b) => a.header.sequence - b.header.sequence);
    for (let i = 1; i < parts.length; i++) {
      const prev = parts[i - 1]!, next = prev.header.sequence + prev.layout.records;
      if (parts[i]!.header.sequence !== next) {
        throw new Error(`${parts[i]!.bytes.name}: its first frame is number ${parts[i]!.header.sequence}, but ` +
            `${baseName(prev.bytes.name)} ends with frame ${next - 1}; a file of the acquisition is missing or ` +
                `foreign`);
      }
    }
    return parts;
  } catch (e) {
    for (const p of parts) if (p !== main) await p.bytes.close?.();
    throw e;
  }
}
