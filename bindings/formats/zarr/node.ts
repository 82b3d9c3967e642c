// NODE-ONLY: a Zarr directory on the file system as a dataset (zarrita's file system store, our zstd backend for
// "zstd" chunks, the folder listed to find a HyperSpy .zspy's signal).
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "../../dataset.js";
import { useStem4dZstd } from "../../writers/zarr.js";
import { openZarr, type ZarrOptions } from "./index.js";

export async function openZarrDirectory(path: string, options: ZarrOptions = {}): Promise<Dataset> {
  await useStem4dZstd();
  const { default: FileSystemStore } = await import("@zarrita/storage/fs");
  return openZarr(new FileSystemStore(path), path, options, (p) => readdir(join(path, p)));
}
