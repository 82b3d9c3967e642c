// The reader contract: a format is one module that says how to recognise its files (magic bytes first, extension
// second) and how to open them as a dataset. The list of readers is plain data (formats/index.ts, formats/node.ts),
// not a registry filled by imports, so bundlers that drop unused modules keep every reader.
import type { ByteSource, Dataset } from "../dataset.js";

export interface OpenOptions {
  /** Scan shape when the file does not say it (e.g. [rows, cols]). */
  scanShape?: number[];
  /** The readers to try, in order (default: every reader of the entry point in use). */
  readers?: readonly FormatReader[];
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

/** Opens `ctx.bytes` with the first of `readers` whose magic bytes match, else whose extension matches. */
export async function openWithReaders(readers: readonly FormatReader[], ctx: OpenContext): Promise<Dataset> {
  const head = new Uint8Array(Math.min(4096, ctx.bytes.size));
  await ctx.bytes.read(0, head);
  const name = ctx.bytes.name.toLowerCase();
  const reader =
    readers.find((r) => r.sniff?.(head)) ??
    readers.find((r) => r.extensions.some((e) => name.endsWith(e)));
  if (!reader) {
    const known = readers.map((r) => `${r.name} ${r.extensions.join("/")}`).join(", ");
    throw new Error(`${ctx.bytes.name}: unknown format (known: ${known}); for raw binary give the shape and dtype`);
  }
  return reader.open(ctx);
}
