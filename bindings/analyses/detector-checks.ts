// Checks that tell a user when a virtual detector's image cannot be trusted as it stands: a disk or annulus that
// reaches past the edge of the frame (its image then integrates less than the radius says), and detector pixels
// inside it that sit at the counter's maximum (saturated: the image under-reports the intensity there).
import { type Dataset, frameCount, framePixels, sigShape } from "../dataset.js";
import { typedArray } from "../dtype.js";
import { sampledFrames, streamFrames } from "../pipeline.js";
import type { Center } from "./masks.js";

/** The largest count the detector can record: 2^depth - 1 from the file's counter depth (Merlin), else the dtype's
 * maximum; undefined for float data. */
export function counterMax(ds: Pick<Dataset, "dtype" | "metadata">): number | undefined {
  const depth = ds.metadata?.counterDepth;
  if (typeof depth === "number" && Number.isInteger(depth) && depth > 0 && depth <= 32) return 2 ** depth - 1;
  return { u8: 255, u16: 65535, u32: 4294967295, f32: undefined }[ds.dtype];
}

/** A sentence when a circle of radius r around c reaches past the rows x cols frame (pixel centres at integers). */
export function outsideFrame(rows: number, cols: number, c: Center, r: number, what: string): string | undefined {
  const reach = Math.max(-0.5 - (c.cy - r), c.cy + r - (rows - 0.5), -0.5 - (c.cx - r), c.cx + r - (cols - 0.5));
  if (reach <= 0) return undefined;
  const where = `(${+c.cy.toFixed(2)}, ${+c.cx.toFixed(2)})`;
  return `${what} of radius ${r} around ${where} reaches ${+reach.toFixed(1)} px past the edge of the ${rows} x ${cols} ` +
    "detector, so it integrates less than its radius says";
}

export interface Saturation {
  /** Counter maximum checked against. */
  max: number;
  /** Frames read (spread evenly over the scan). */
  frames: number;
  /** Frames with at least one saturated pixel inside the mask. */
  framesHit: number;
  /** Share of the mask's pixels over the frames read that sit at the maximum. */
  fraction: number;
}

/** How many pixels inside `mask` sit at the counter's maximum, in up to `samples` frames spread over the scan;
 * undefined for float data. */
export async function maskSaturation(ds: Dataset, mask: Float32Array, samples = 64): Promise<Saturation | undefined> {
  const max = counterMax(ds);
  if (max === undefined) return undefined;
  const Q = framePixels(ds);
  if (mask.length !== Q) throw new RangeError(`saturation check: mask of ${mask.length} pixels for a ${sigShape(ds).join(" x ")} detector`);
  const inside: number[] = [];
  for (let q = 0; q < Q; q++) if (mask[q] !== 0) inside.push(q);
  const sample = sampledFrames(ds, samples), n = frameCount(sample);
  let hits = 0, framesHit = 0;
  await streamFrames(sample, {
    write(bytes, _first, count) {
      const frames = typedArray(ds.dtype, bytes.buffer, bytes.byteOffset, count * Q);
      for (let f = 0; f < count; f++) {
        let h = 0;
        for (const q of inside) if (frames[f * Q + q]! >= max) h++;
        hits += h;
        if (h > 0) framesHit++;
      }
    },
  });
  return { max, frames: n, framesHit, fraction: inside.length ? hits / (inside.length * n) : 0 };
}
