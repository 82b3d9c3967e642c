// Merlin .mib files for the benchmarks: one 384-byte ASCII header per frame, then the frame's u16 pixels big-endian
// (what bindings/formats/mib reads). Whole arrays (bench/formats.ts) or any dataset streamed block by block.
import { open } from "node:fs/promises";
import type { Dataset } from "../bindings/dataset.js";
import { streamFrames } from "../bindings/pipeline.js";

const HEADER = 384;

/** The header of a det x det U16 frame. */
function mibHeader(det: number): Uint8Array {
  const head = new Uint8Array(HEADER).fill(0x20);
  const size = String(det).padStart(4, "0");
  head.set(new TextEncoder().encode(`MQ1,000001,00384,01,${size},${size},U16,   1x1,01,2024-01-01 00:00:00.000000,` +
    "0.001,0,0,0,1.0E+1,MQ1A,2024-01-01T00:00:00Z,1000000ns,12,"));
  return head;
}

/** `count` frames of det x det u16 values as .mib records. */
export function mibRecords(values: Uint16Array, count: number, det: number): Uint8Array {
  const q = det * det, head = mibHeader(det), out = new Uint8Array(count * (HEADER + 2 * q));
  for (let f = 0; f < count; f++) {
    const at = f * (HEADER + 2 * q);
    out.set(head, at);
    const dv = new DataView(out.buffer, at + HEADER, 2 * q);
    for (let i = 0; i < q; i++) dv.setUint16(2 * i, values[f * q + i]!, false);
  }
  return out;
}

/** Writes a u16 dataset with square frames to `path` as .mib, streaming. */
export async function writeMib(ds: Dataset, path: string): Promise<void> {
  const det = ds.shape.at(-1)!;
  if (ds.dtype !== "u16" || ds.shape.at(-2) !== det) throw new Error(`${path}: .mib writer takes u16 square frames`);
  const file = await open(path, "w");
  try {
    await streamFrames(ds, {
      write: async (bytes, _start, count) => {
        await file.write(mibRecords(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2), count, det));
      },
    });
  } finally {
    await file.close();
  }
}
