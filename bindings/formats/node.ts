// NODE-ONLY formats: readers that need h5wasm's access to the host file system. Imported by bindings/node-files.ts,
// so the browser bundle never pulls h5wasm's Node build in.
import { registerFormat } from "./registry.js";
import { hdf5Format } from "./hdf5/reader.js";

registerFormat(hdf5Format);

export { hdf5Format, splitH5Path } from "./hdf5/reader.js";
export type { ArinaOptions } from "./hdf5/arina.js";
export { openZarrDirectory } from "./zarr/node.js";
export { openZarr, type ZarrOptions } from "./zarr/index.js";
