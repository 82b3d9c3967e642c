// The frames of the stream's memory benchmark (bench/stream-memory.ts), made as a detector makes them: 256 x 256 u16,
// a few base patterns (dark level 100 ADU, read noise 3 ADU), each frame with 600 electron hits of 35 ADU of its own. Generated on the
// fly (no file: a 10 GB stream needs no 10 GB of disk), with web APIs only, so the edge sender runs it in Deno and
// Bun too; bench/stream-memory.ts also writes it to a .npy file for `stem4d stream send`.
import type { Dataset } from "../bindings/dataset.js";

export const FRAME_ROWS = 256, FRAME_COLS = 256;
const PIXELS = FRAME_ROWS * FRAME_COLS;
const HITS = 600, HIT_ADU = 35, READ_NOISE = 3;
/** Frames per scan row. */
const SCAN_COLS = 128;

/** Frames for about `gb` GB (a whole number of scan rows of 128). */
export function framesFor(gb: number): number {
  return Math.ceil((gb * 1e9) / (PIXELS * 2) / SCAN_COLS) * SCAN_COLS;
}

/** The dark level the frames sit on (counting's dark reference). */
export const DARK_LEVEL = 100;

/** `frames` generated frames as a dataset (a 2D scan of rows of 128). */
export function generatedFrames(frames: number): Dataset {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  // Read noise of sigma 3 ADU (Box-Muller), baked into four base frames: noise per frame would cost more than the encoding.
  const noise = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()) * READ_NOISE;
  const bases = Array.from({ length: 4 }, () => Uint16Array.from({ length: PIXELS }, () => Math.round(DARK_LEVEL + noise())));
  return {
    shape: [frames / SCAN_COLS, SCAN_COLS, FRAME_ROWS, FRAME_COLS], dtype: "u16",
    source: {
      name: "generated frames",
      async readFrames(start, count, dest) {
        const out = new Uint16Array(dest.buffer, dest.byteOffset, count * PIXELS);
        for (let k = 0; k < count; k++) {
          const frame = out.subarray(k * PIXELS, (k + 1) * PIXELS), i = start + k;
          frame.set(bases[i & 3]!);
          // The hits' pixels: xorshift32 seeded by the frame's index (the same frame whoever reads it).
          let x = (Math.imul(i + 1, 2654435761) >>> 0) || 1;
          for (let h = 0; h < HITS; h++) {
            x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
            frame[x % PIXELS]! += HIT_ADU;
          }
        }
      },
    },
  };
}
