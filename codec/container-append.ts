// Appending to an existing container: one cut short by a crash, or one closed normally with frames (or positions)
// still to come. planAppend() reads it, verifies every chunk in file order (both checksums) and keeps the longest
// intact prefix whose data chunks follow on from each other; whatever comes after (a cut-short chunk, a damaged
// one and everything behind it, the old index and trailer) is to be cut. A writer resumed from the plan continues
// right there with new chunks and, at finish(), a fresh index of old and new chunks. Nothing here touches a file:
// the caller truncates (codec/node-sink.ts appendFileSink does in Node) or, in memory, keeps bytes [0, keepBytes).
import type { ByteSource } from "../bindings/dataset.js";
import { ChunkKind, type ContainerMetadata, type IndexEntry } from "./container-format.js";
import { ContainerReader } from "./container-reader.js";
import { CodecError, fail } from "./errors.js";

export interface AppendPlan {
  metadata: ContainerMetadata;
  /** Bytes to keep: the header, the metadata and every kept chunk. */
  keepBytes: number;
  /** The kept chunks, in file order. */
  chunks: IndexEntry[];
  /** The first frame (lossless) or probe position (events) the kept chunks do not hold: where to continue. */
  next: number;
  /** Frames or positions the container's shape holds. */
  total: number;
  /** Bytes after the kept chunks that will be cut (0 for a clean cut at a chunk boundary of an unfinished file). */
  droppedBytes: number;
  /** Why chunks were dropped, when any were. */
  note?: string;
}

const DATA_KIND: Record<string, number> = { lossless: ChunkKind.Frames, events: ChunkKind.Events };

/** Reads and verifies a container for appending (see the file comment); a typed error if it cannot be continued. */
export async function planAppend(bytes: ByteSource): Promise<AppendPlan> {
  const reader = await ContainerReader.open(bytes);
  const m = reader.metadata, kind = DATA_KIND[m.mode];
  if (kind === undefined) fail("format", `${bytes.name}: a ${m.mode} container cannot be appended to (only lossless and events containers can)`);
  const total = m.mode === "lossless" ? m.shape.slice(0, -2).reduce((a, b) => a * b, 1) : m.shape[0]! * m.shape[1]!;
  const chunks: IndexEntry[] = [];
  let keep = reader.dataStart, next = 0;
  let note = reader.status.complete ? undefined : reader.status.note;
  for (const c of reader.chunks) {
    try {
      await reader.readChunk(c);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      note = `${e.message}; it and everything after it will be cut`;
      break;
    }
    if (c.kind !== kind || c.first !== next || c.first + c.count > total) {
      note = `chunk ${c.number} at byte ${c.offset} (${c.kind === kind ? `first ${c.first}, count ${c.count}` : `kind ${c.kind}`}) does not continue the ${m.mode} stream at ${next}; it and everything after it will be cut`;
      break;
    }
    chunks.push({ offset: c.offset, first: c.first, count: c.count, kind: c.kind });
    keep = c.end;
    next = c.first + c.count;
  }
  await reader.close();
  return { metadata: m, keepBytes: keep, chunks, next, total, droppedBytes: bytes.size - keep, ...(note ? { note } : {}) };
}
