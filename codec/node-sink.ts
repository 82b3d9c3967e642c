// Node-only: a ByteSink writing a file with plain synchronous writes (the data is already in hand, and a
// synchronous write keeps the encoder's memory flat: nothing queues behind a slow disk).
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import type { ByteSink } from "./sink.js";

export function fileSink(path: string): ByteSink & { readonly path: string } {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (e) {
    throw new Error(`${path}: cannot create (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return {
    path,
    write(bytes) {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    },
    close() {
      closeSync(fd);
    },
  };
}

/**
 * A ByteSink appending to an existing container after its first `keepBytes` bytes (planAppend's keepBytes): the
 * file is cut there first, so a crash during the append still leaves a container that decodes to its last whole
 * chunk, and can be appended to again.
 */
export function appendFileSink(path: string, keepBytes: number): ByteSink & { readonly path: string } {
  let fd: number;
  try {
    fd = openSync(path, "r+");
    ftruncateSync(fd, keepBytes);
  } catch (e) {
    throw new Error(`${path}: cannot open for appending (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let pos = keepBytes;
  return {
    path,
    write(bytes) {
      let off = 0;
      while (off < bytes.length) {
        const n = writeSync(fd, bytes, off, bytes.length - off, pos);
        off += n;
        pos += n;
      }
    },
    close() {
      closeSync(fd);
    },
  };
}
