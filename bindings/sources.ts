// Frame sources that work everywhere: typed arrays in memory, and .npy or raw binary over any ByteSource
// (a file in Node, a Blob in a browser). Each reads only the frames it is asked for.
import { type Dtype, type TypedArrayOf, byteswapInPlace, dtypeOf, dtypeSize } from "./dtype.js";
import { type ByteSource, type Dataset, type FrameSource, frameBytes, validateLayout } from "./dataset.js";
import { NPY_PREAMBLE, parseNpyHeader } from "./npy.js";
import type { Core } from "./core.js";

/** A dataset over a typed array already in memory. */
export function memoryDataset(data: TypedArrayOf, shape: readonly number[], name = "memory"): Dataset {
  const dtype = dtypeOf(data);
  validateLayout(shape, dtype, name);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`${name}: ${data.length} values do not fill shape [${shape.join(", ")}] (${n} values)`);
  const fb = frameBytes({ shape, dtype });
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      checkRange(name, start, count, n / (fb / dtypeSize(dtype)));
      dest.set(bytes.subarray(start * fb, (start + count) * fb));
    },
  };
  return { shape: [...shape], dtype, source };
}

/** A dataset uploaded once into the core's memory (at most 1 GiB): every later pass on that core runs the kernels
 * on it in place, with no copy; other consumers read copies. `close()` gives the memory back. */
export function residentDataset(core: Core, data: TypedArrayOf, shape: readonly number[], name = "resident"): Dataset {
  const { dtype } = memoryDataset(data, shape, name); // checks that the data fill the shape
  return residentAt(core, core.arena.put(data), shape, dtype, name);
}

/** Frames already in the core's memory at `ptr` (an arena region holding the whole shape, e.g. filled block by
 * block) as a resident dataset; `close()` releases the region. */
export function residentAt(core: Core, ptr: number, shape: readonly number[], dtype: Dtype,
  name = "resident"): Dataset {
  const fb = frameBytes({ shape, dtype }), frames = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  let open = true;
  return {
    shape, dtype,
    source: {
      name,
      resident: { core, ptr },
      async readFrames(start, count, dest) {
        if (!open) throw new Error(`${name}: the dataset was closed`);
        if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 &&
          start + count <= frames)) {
          throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} ` +
            "frames");
        }
        dest.set(core.arena.bytes(ptr + start * fb, count * fb));
      },
      async close() {
        if (open) core.arena.release(ptr);
        open = false;
      },
    },
  };
}

/** A ByteSource over bytes already in memory. */
export function bufferByteSource(bytes: Uint8Array, name = "memory"): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, dest) {
      if (offset < 0 || offset + dest.length > bytes.length) {
        throw new Error(`${name}: read of ${dest.length} bytes at offset ${offset} runs past the end (${bytes.length} bytes)`);
      }
      dest.set(bytes.subarray(offset, offset + dest.length));
    },
  };
}

/** A ByteSource over a Blob or File (browsers, and Node's Blob). */
export function blobByteSource(blob: Blob, name = (blob as File).name ?? "blob"): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, dest) {
      if (offset < 0 || offset + dest.length > blob.size) {
        throw new Error(`${name}: read of ${dest.length} bytes at offset ${offset} runs past the end (${blob.size} bytes)`);
      }
      dest.set(new Uint8Array(await blob.slice(offset, offset + dest.length).arrayBuffer()));
    },
  };
}

export interface RawLayout {
  shape: readonly number[];
  dtype: Dtype;
  /** Byte offset of the first frame (default 0). */
  offset?: number;
  littleEndian?: boolean;
}

/** Raw binary frames, C order, at a byte offset, in either byte order. */
export function rawDataset(bytes: ByteSource, layout: RawLayout): Dataset {
  validateLayout(layout.shape, layout.dtype, bytes.name);
  const offset = layout.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`${bytes.name}: byte offset ${offset} is not a non-negative integer`);
  const fb = frameBytes(layout);
  const frames = layout.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const need = offset + frames * fb;
  if (bytes.size < need) {
    throw new Error(`${bytes.name}: shape [${layout.shape.join(", ")}] ${layout.dtype} at offset ${offset} needs ${need} bytes, but the file has ${bytes.size}`);
  }
  const swap = layout.littleEndian === false ? dtypeSize(layout.dtype) : 1;
  const source: FrameSource = {
    name: bytes.name,
    async readFrames(start, count, dest) {
      checkRange(bytes.name, start, count, frames);
      await bytes.read(offset + start * fb, dest.subarray(0, count * fb));
      if (swap > 1) byteswapInPlace(dest.subarray(0, count * fb), swap);
    },
    locate: bytes.path === undefined ? undefined : (start, count) => {
      checkRange(bytes.name, start, count, frames);
      return { path: bytes.path!, offset: offset + start * fb, swapWidth: swap };
    },
    close: bytes.close?.bind(bytes),
  };
  return { shape: [...layout.shape], dtype: layout.dtype, source };
}

/** A .npy file (versions 1-3, C order, either byte order) as a dataset; reads the header only. */
export async function npyDataset(bytes: ByteSource): Promise<Dataset> {
  let want = Math.min(bytes.size, NPY_PREAMBLE);
  for (;;) {
    const head = new Uint8Array(want);
    await bytes.read(0, head);
    const h = parseNpyHeader(head, bytes.name);
    if ("needBytes" in h) {
      if (h.needBytes > bytes.size) throw new Error(`${bytes.name}: .npy header needs ${h.needBytes} bytes, but the file has ${bytes.size}`);
      want = h.needBytes;
      continue;
    }
    const ds = rawDataset(bytes, { shape: h.shape, dtype: h.dtype, offset: h.dataOffset, littleEndian: h.littleEndian });
    return { ...ds, metadata: { format: "npy", version: `${h.version[0]}.${h.version[1]}`, byteOrder: h.littleEndian ? "little" : "big" } };
  }
}

function checkRange(name: string, start: number, count: number, frames: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= frames)) {
    throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the dataset's ${frames} frames`);
  }
}
