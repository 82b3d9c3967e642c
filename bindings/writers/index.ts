// NODE-ONLY: every format stem4d writes, as one list. Adding a writer: one file in this folder, one list entry.
import { pickWriter, writeWith, type ConvertOptions, type ConvertResult, type WriterFormat } from "./registry.js";
import type { Dataset } from "../dataset.js";
import { npyWriter } from "./npy.js";
import { emdWriter } from "./emd.js";
import { zarrWriter } from "./zarr.js";
import { s4dWriter } from "./s4d.js";

/** The writers picked from when none are named, in the order their extensions are tried. */
export const writers: readonly WriterFormat[] = Object.freeze([npyWriter, emdWriter, zarrWriter, s4dWriter]);

export function writerFormats(): readonly WriterFormat[] {
  return writers;
}

/** The writer named `format`, or the one whose extension the path ends with, from `list` (default: all). */
export function writerFor(path: string, format?: string, list: readonly WriterFormat[] = writers): WriterFormat {
  return pickWriter(list, path, format);
}

/** Streams every frame of `ds` into a new file, in the format its name or `o.format` says (from `o.writers`). */
export function writeDataset(ds: Dataset, path: string, o: ConvertOptions = {}): Promise<ConvertResult> {
  return writeWith(writerFor(path, o.format, o.writers), ds, path, o);
}

export * from "./registry.js";
export { npyWriter, emdWriter, zarrWriter, s4dWriter };
export { useStem4dZstd } from "./zarr.js";
