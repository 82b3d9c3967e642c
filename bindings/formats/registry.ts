// The reader registry: a format is one module that says how to recognise its files (magic bytes first, extension
// second) and how to open them as a dataset. Adding a format touches its own folder and one line in formats/index.ts.
import type { ByteSource, Dataset } from "../dataset.js";

export interface OpenOptions {
  /** Scan shape when the file does not say it (e.g. [rows, cols]). */
  scanShape?: number[];
  /** Format-specific options, passed through. */
  [key: string]: unknown;
}

export interface OpenContext {
  /** The main file. */
  bytes: ByteSource;
  /** Opens a file next to the main one (by relative name), for formats that span several files. */
  sibling(relativeName: string): Promise<ByteSource>;
  /** Names of the files in the main file's folder, where the platform can list them (for numbered series). */
  siblingNames?(): Promise<string[]>;
  options: OpenOptions;
}

export interface FormatReader {
  readonly name: string;
  /** Lower-case extensions with the dot, e.g. [".mib"]. */
  readonly extensions: readonly string[];
  /** True when the first bytes of the file (up to 4096) are this format's. */
  sniff?(head: Uint8Array): boolean;
  open(ctx: OpenContext): Promise<Dataset>;
}

const readers: FormatReader[] = [];

export function registerFormat(r: FormatReader): void {
  if (!readers.some((x) => x.name === r.name)) readers.push(r);
}

export function formats(): readonly FormatReader[] {
  return readers;
}

/** Picks the reader by magic bytes, then by extension; a clear error when none fits. */
export async function openWithRegistry(ctx: OpenContext): Promise<Dataset> {
  const head = new Uint8Array(Math.min(4096, ctx.bytes.size));
  await ctx.bytes.read(0, head);
  const name = ctx.bytes.name.toLowerCase();
  const reader =
    readers.find((r) => r.sniff?.(head)) ??
    readers.find((r) => r.extensions.some((e) => name.endsWith(e)));
  if (!reader) {
    throw new Error(`${ctx.bytes.name}: unknown format (known: ${readers.map((r) => `${r.name} ${r.extensions.join("/")}`).join(", ")}); for raw binary give the shape and dtype`);
  }
  return reader.open(ctx);
}
