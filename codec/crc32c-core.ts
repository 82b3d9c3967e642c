// CRC-32C of chunk payloads on the codec core: the checksum of codec/crc32c.ts, computed by the core's kernel
// (assembly/crc32c.ts). Encoders use it: in JavaScript the checksum is the sender's hottest function (40% of a
// lossless sender's time when V8's optimising compiler is off, as in `stream send --low-memory`), in WebAssembly
// it runs at full speed under any JavaScript tier. Bytes outside the core's memory pass through a small window of
// it, so the checksum adds 24 KiB to the core whatever the payload's size.
import type { Core } from "../bindings/core.js";
import { Region, codecCore } from "./engine.js";

/** A payload's CRC-32C (the same value as crc32c(bytes)). */
export type Checksum = (bytes: Uint8Array) => number;

/** Bytes copied into the core per kernel call. */
const WINDOW_BYTES = 16 << 10;
/** The kernel's eight 256-entry u32 tables. */
const TABLE_BYTES = 8 * 256 * 4;

export function coreCrc32c(core: Core): Checksum {
  const table = new Region(core), window = new Region(core);
  core.call("crc32cFillTable", table.ensure(TABLE_BYTES));
  window.ensure(WINDOW_BYTES);
  const update = (crc: number, ptr: number, length: number) =>
    core.call("crc32cUpdateWasm", crc, ptr, length, table.ptr) >>> 0;
  return (bytes) => {
    // Already in the core's memory (a filter's output, say): checked where it lies.
    if (bytes.buffer === core.memory.buffer) return update(0, bytes.byteOffset, bytes.length);
    let crc = 0;
    for (let at = 0; at < bytes.length; at += WINDOW_BYTES) {
      const piece = bytes.subarray(at, at + WINDOW_BYTES);
      core.arena.bytes(window.ptr, piece.length).set(piece);
      crc = update(crc, window.ptr, piece.length);
    }
    return crc;
  };
}

let checksum: Promise<Checksum> | undefined;

/** The codec core's checksum, set up once for the process. */
export function codecCrc32c(): Promise<Checksum> {
  return (checksum ??= codecCore().then(coreCrc32c));
}
