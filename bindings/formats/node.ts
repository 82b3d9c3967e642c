// NODE-ONLY formats: readers that need h5wasm's access to the host file system. Imported by bindings/node-files.ts,
// so the browser bundle never pulls h5wasm's Node build in.
import { readers } from "./index.js";
import type { FormatReader } from "./registry.js";
import { hdf5Format } from "./hdf5/reader.js";

/** Every reader of the isomorphic entry, then the Node-only ones. */
export const nodeReaders: readonly FormatReader[] = Object.freeze([...readers, hdf5Format]);

/** The readers the Node entry point knows. */
export function formats(): readonly FormatReader[] {
  return nodeReaders;
}

export { hdf5Format, splitH5Path } from "./hdf5/reader.js";
export type { ArinaOptions } from "./hdf5/arina.js";
export { openZarrDirectory } from "./zarr/node.js";
export { openZarr, type ZarrOptions } from "./zarr/index.js";
