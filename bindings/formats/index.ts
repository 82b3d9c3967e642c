// Every format the isomorphic entry reads, as one list. Adding a format: its own folder, one import, one list entry.
// Node-only readers (HDF5 through h5wasm's file system) are added in formats/node.ts.
import { openWithReaders, type FormatReader, type OpenContext } from "./registry.js";
import type { Dataset } from "../dataset.js";
import { npyFormat } from "./npy.js";
import { mibFormat, mibHdrFormat } from "./mib/index.js";
import { blockfileFormat } from "./blockfile/index.js";
import { empadXmlFormat, empadRawFormat } from "./empad/index.js";
import { containerFormat } from "./container.js";
import { mrcFormat } from "./mrc/index.js";
import { tvipsFormat } from "./tvips/index.js";
import { dmFormat } from "./dm/index.js";
import { tiaFormat } from "./tia/index.js";

/** The readers tried, in this order, when a file is opened without naming a list (magic bytes first). */
export const readers: readonly FormatReader[] = Object.freeze([
  npyFormat,
  mibFormat,
  mibHdrFormat,
  blockfileFormat,
  empadXmlFormat,
  empadRawFormat,
  containerFormat,
  mrcFormat,
  tvipsFormat,
  dmFormat,
  tiaFormat,
]);

/** The readers this entry point knows. */
export function formats(): readonly FormatReader[] {
  return readers;
}

/** Opens a file with `ctx.options.readers`, or with this entry's readers when none are given. */
export function openWithRegistry(ctx: OpenContext): Promise<Dataset> {
  return openWithReaders(ctx.options.readers ?? readers, ctx);
}

export * from "./registry.js";
export { npyFormat } from "./npy.js";
export { mibFormat, mibHdrFormat, type MibOptions } from "./mib/index.js";
export { blockfileFormat, readBlockfileNavigator, type BlockfileHeader } from "./blockfile/index.js";
export { empadXmlFormat, empadRawFormat, parseEmpadXml } from "./empad/index.js";
export { containerFormat } from "./container.js";
export { mrcFormat, type MrcOptions } from "./mrc/index.js";
export { tvipsFormat, type TvipsOptions } from "./tvips/index.js";
export { dmFormat, type DmOptions } from "./dm/index.js";
export { tiaFormat, type TiaOptions } from "./tia/index.js";
