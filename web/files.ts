// Opening what the user chose or dropped, or what `stem4d serve` offers: the main file of the set (an ARINA master,
// a .mib, a TIA .emi, a DE .mrc) and its companions (data files, .hdr, .ser, scan CSV), which the readers ask for
// through the OpenContext's `sibling`. Chosen files are read through Blob slices, served ones through HTTP Range
// requests, in pieces, in this page: nothing is uploaded. HDF5 sets are opened in a worker (hdf5-remote.ts).
import { blobByteSource, httpByteSource, openWithReaders, readers, type ByteSource, type Dataset, type FormatReader,
  type OpenContext } from "../bindings/index.js";
import { hdf5InWorker } from "./hdf5-remote.js";

/** Every reader of the browser entry, then HDF5 read by h5wasm in a worker (files given to it by their handles). */
export const pageReaders = (files: readonly PageFile[]): readonly FormatReader[] => [...readers, hdf5InWorker(files)];

/** A file of the set, wherever its bytes are. */
export interface PageFile {
  readonly name: string;
  readonly size: number;
  /** Its bytes, read in pieces. */
  bytes(): ByteSource;
  /** Where they are, to hand to a worker: the chosen File, or the absolute URL of a served file. */
  readonly origin: File | string;
}

/** A file chosen in the file input or dropped on the page. */
export function chosenFile(f: File): PageFile {
  return { name: f.name, size: f.size, bytes: () => blobByteSource(f), origin: f };
}

/** A file the server lists in /files.json (cli/web-server.ts), at `url` relative to `base`. */
export function servedFile(f: { name: string; size: number; url: string }, base: string): PageFile {
  const url = new URL(f.url, base).href;
  return { name: f.name, size: f.size, bytes: () => httpByteSource(url, f.size, { name: f.name }), origin: url };
}

/** The files the page's server offers (none when it serves only the page). */
export async function servedFiles(base: string): Promise<PageFile[]> {
  const res = await fetch(new URL("/files.json", base));
  if (!res.ok) return [];
  const { files } = (await res.json()) as { files: { name: string; size: number; url: string }[] };
  return files.map((f) => servedFile(f, base));
}

/** A companion file and the main files it belongs to: it is opened through them when they are in the set. */
const COMPANIONS: [companion: RegExp, main: RegExp][] = [
  [/\.h5$/i, /_master\.h5$/i], // ARINA data files and the "<name>.h5" STEM metadata beside the master
  [/\.hdr$/i, /\.mib$/i],
  [/\.ser$/i, /\.emi$/i],
  [/\.csv$/i, /\.mrc$/i],
  [/\.raw$/i, /\.xml$/i],
];

/** The file to open in a set: the largest one that is nobody's companion. */
export function mainFile<F extends { name: string; size: number }>(files: readonly F[]): F {
  if (files.length === 0) throw new Error("no file chosen");
  const isCompanion = (f: F) => !/_master\.h5$/i.test(f.name) &&
    COMPANIONS.some(([c, m]) => c.test(f.name) && files.some((g) => g !== f && m.test(g.name)));
  const mains = files.filter((f) => !isCompanion(f));
  return [...(mains.length ? mains : files)].sort((a, b) => b.size - a.size)[0]!;
}

/** The OpenContext of `main` whose siblings are the other files of the set, found by name. */
export function fileSetContext(files: readonly PageFile[], main: PageFile): OpenContext {
  return {
    bytes: main.bytes(),
    options: {},
    async sibling(relativeName) {
      const base = relativeName.split(/[\\/]/).pop()!;
      const f = files.find((x) => x.name === base) ?? files.find((x) => x.name.toLowerCase() === base.toLowerCase());
      if (!f) throw new Error(`${base}: not among the files opened; choose it together with ${main.name}`);
      return f.bytes();
    },
    siblingNames: async () => files.map((f) => f.name),
  };
}

/** Opens the set as one dataset with `readers` (the page's by default). */
export function openFileSet(files: readonly PageFile[], with_ = pageReaders(files)): Promise<Dataset> {
  const main = mainFile(files);
  return openWithReaders(with_, fileSetContext(files, main));
}
