// How blocks of frames reach the core's memory for the executor, in one of three ways:
// - resident: the frames already sit in this core's memory; nothing is read;
// - worker reads: the frames lie in a local file and the pool's workers read them themselves, each read unit just
//   before the kernels that use it (parallel reads, cache-warm data); the feed hands out the read calls;
// - main-thread reads: the calling thread reads the next block into the other of two buffers while the workers
//   process this one (pipeline.ts's read-ahead).
import { type Core, type Task, READ_FILE } from "./core.js";
import { type Dataset, frameBytes } from "./dataset.js";
import { type FrameRange, readAhead } from "./pipeline.js";

export interface CoreBlock {
  range: FrameRange;
  /** Where frame range[0] sits in the core's memory. */
  ptr: number;
  /** Read calls for [t0, t1) when the workers read the frames themselves (else undefined). */
  readCalls?: (t0: number, t1: number) => Task;
}

export interface BlockFeed {
  /** Frames per read unit when the workers read (reads of one unit are one task). */
  readonly workersRead: boolean;
  blocks(): AsyncGenerator<CoreBlock>;
}

/** A feed of `blocks` into the core; `own` records the regions it allocates for release. */
export function blockFeed(
  core: Core,
  dataset: Dataset,
  blocks: FrameRange[],
  blockFrames: number,
  own: (ptr: number) => number,
): BlockFeed {
  const fb = frameBytes(dataset),
    source = dataset.source;
  const resident = source.resident?.core === core ? source.resident.ptr : undefined;
  if (resident !== undefined) {
    return {
      workersRead: false,
      async *blocks() {
        for (const range of blocks) yield { range, ptr: resident + range[0] * fb };
      },
    };
  }
  if (blockFrames * fb > 1 << 30)
    throw new RangeError(`a block of ${blockFrames} frames exceeds 1 GiB; use smaller tiles`);
  // Fresh pages cost (about 16 us each on a loaded VM: 250 ms for 64 MiB), so only the buffers used are allocated:
  // the workers read a block while no other is in flight (one buffer), the calling thread reads ahead (two).
  const buffer = () => own(core.arena.alloc(blockFrames * fb));
  if (core.readsFiles && source.locate !== undefined) {
    const locate = source.locate.bind(source);
    const ptr = buffer();
    return {
      workersRead: true,
      async *blocks() {
        for (const range of blocks) {
          const readCalls = (t0: number, t1: number): Task => {
            const ext = locate(t0, t1 - t0);
            if (!ext) throw new Error(`${source.name}: frames ${t0}-${t1} are not in one local file`);
            const at = ptr + (t0 - range[0]) * fb,
              bytes = (t1 - t0) * fb;
            const calls: Task = [{ fn: READ_FILE, args: [at, bytes, ext.offset], path: ext.path }];
            if (ext.swapWidth > 1) calls.push({ fn: "byteswap", args: [at, bytes / ext.swapWidth, ext.swapWidth] });
            return calls;
          };
          yield { range, ptr, readCalls };
        }
      },
    };
  }
  const buffers = [buffer(), buffer()];
  return {
    workersRead: false,
    blocks() {
      return readAhead(blocks.length, async (b) => {
        const range = blocks[b]!,
          ptr = buffers[b % 2]!;
        // The view is made right before the read; nothing allocates in this core while it is pending.
        await source.readFrames(range[0], range[1] - range[0], core.arena.bytes(ptr, (range[1] - range[0]) * fb));
        return { range, ptr };
      });
    },
  };
}
