// Opening what the user chose or dropped: the main file of the set (an ARINA master, a .mib, a TIA .emi, a DE .mrc)
// and its companions (data files, .hdr, .ser, scan CSV), which the readers ask for through the OpenContext's
// `sibling`. Files are read through Blob slices, in pieces, in this page: nothing is uploaded.
import { blobByteSource, openWithReaders, readers, type Dataset, type FormatReader, type OpenContext } from
  "../bindings/index.js";
import { hdf5Format } from "../bindings/formats/hdf5/reader.js";

/** Every reader of the browser entry, then HDF5 (h5wasm's ESM build, loaded by the page: see hdf5-host.ts). */
export const pageReaders: readonly FormatReader[] = [...readers, hdf5Format];

/** A companion file and the main files it belongs to: it is opened through them when they are in the set. */
const COMPANIONS: [companion: RegExp, main: RegExp][] = [
  [/\.h5$/i, /_master\.h5$/i], // ARINA data files and the "<name>.h5" STEM metadata beside the master
  [/\.hdr$/i, /\.mib$/i],
  [/\.ser$/i, /\.emi$/i],
  [/\.csv$/i, /\.mrc$/i],
  [/\.raw$/i, /\.xml$/i],
];

/** The file to open in a set: the largest one that is nobody's companion. */
export function mainFile(files: readonly File[]): File {
  if (files.length === 0) throw new Error("no file chosen");
  const isCompanion = (f: File) => !/_master\.h5$/i.test(f.name) &&
    COMPANIONS.some(([c, m]) => c.test(f.name) && files.some((g) => g !== f && m.test(g.name)));
  const mains = files.filter((f) => !isCompanion(f));
  return [...(mains.length ? mains : files)].sort((a, b) => b.size - a.size)[0]!;
}

/** The OpenContext of `main` whose siblings are the other files of the set, found by name. */
export function fileSetContext(files: readonly File[], main: File): OpenContext {
  return {
    bytes: blobByteSource(main),
    options: {},
    async sibling(relativeName) {
      const base = relativeName.split(/[\\/]/).pop()!;
      const f = files.find((x) => x.name === base) ?? files.find((x) => x.name.toLowerCase() === base.toLowerCase());
      if (!f) throw new Error(`${base}: not among the files opened; choose it together with ${main.name}`);
      return blobByteSource(f);
    },
    siblingNames: async () => files.map((f) => f.name),
  };
}

/** Opens the set as one dataset with the page's readers. */
export function openFileSet(files: readonly File[]): Promise<Dataset> {
  const main = mainFile(files);
  return openWithReaders(pageReaders, fileSetContext(files, main));
}
