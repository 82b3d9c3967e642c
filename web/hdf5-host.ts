// HDF5 in the page. Our own HDF5 parser reads chunk addresses through Blob slices, so DECTRIS ARINA data files
// (bitshuffle+LZ4, decoded in WASM) are read in pieces like every other format. What h5wasm itself must open (an
// ARINA master's metadata, EMD/py4DSTEM and other HDF5 stacks) goes into h5wasm's in-memory file system whole:
// h5wasm reads synchronously, and a Blob can only be read asynchronously on the page's thread. Hence a size limit.
import { setH5wasmHost } from "../bindings/formats/hdf5/h5.js";
import type { PageFile } from "./files.js";

/** The largest file h5wasm may be given (copied into page memory). */
export const H5WASM_COPY_LIMIT = 512 << 20;

type H5Module = typeof import("h5wasm");

/** Routes the HDF5 reader's h5wasm to its ESM build (the page's import map names it), fed from `files()`. */
export function useBrowserH5wasm(files: () => readonly PageFile[]): void {
  let loaded: Promise<H5Module> | undefined;
  const load = () => (loaded ??= import("h5wasm"));
  const copied = new Map<string, PageFile>();
  setH5wasmHost({
    load: async () => (await load()).default,
    async prepare(path) {
      const m = await load();
      await m.ready;
      const file = files().find((f) => f.name === path);
      if (!file) throw new Error(`${path}: not among the files opened`);
      if (copied.get(path) === file) return;
      if (file.size > H5WASM_COPY_LIMIT) {
        throw new Error(`${path}: ${(file.size / 2 ** 20).toFixed(0)} MiB; HDF5 that h5wasm reads is copied into the ` +
          `page (at most ${H5WASM_COPY_LIMIT / 2 ** 20} MiB): open this file with the stem4d command line`);
      }
      m.FS!.writeFile(path, new Uint8Array(await file.whole()));
      copied.set(path, file);
    },
  });
}
