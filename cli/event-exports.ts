// Writing electron events out for other tools, shared by `count` and `decompress`: 16-byte records, and LiberTEM's
// raw_csr (a TOML descriptor beside three raw arrays).
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { rawCsrToml, toRawCsr } from "../codec/event-analysis.js";
import { writeRecords } from "../codec/events.js";
import { ensureDir } from "./common.js";

type Events = Parameters<typeof toRawCsr>[0];

/** Writes what was asked for and returns the paths written, by kind. */
export function writeEventExports(events: Events, o: { records?: string; rawCsr?: string }): { records?: string; rawCsr?: string } {
  const out: { records?: string; rawCsr?: string } = {};
  if (o.records) {
    ensureDir(o.records);
    writeFileSync(o.records, writeRecords(events));
    out.records = o.records;
  }
  if (o.rawCsr) {
    const csr = toRawCsr(events), stem = o.rawCsr.replace(/\.toml$/i, "");
    const files = { indptr: `${basename(stem)}.indptr.raw`, indices: `${basename(stem)}.indices.raw`, values: `${basename(stem)}.values.raw` };
    ensureDir(o.rawCsr);
    writeFileSync(`${stem}.indptr.raw`, new Uint8Array(csr.indptr.buffer));
    writeFileSync(`${stem}.indices.raw`, new Uint8Array(csr.indices.buffer));
    writeFileSync(`${stem}.values.raw`, new Uint8Array(csr.values.buffer, 0, csr.values.byteLength));
    writeFileSync(o.rawCsr, rawCsrToml(csr, files));
    out.rawCsr = o.rawCsr;
  }
  return out;
}
