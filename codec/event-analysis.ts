// Events as dense frames (what an events container's dataset view reads, so every analysis runs on events unchanged)
// and exports to stempy's and LiberTEM's sparse layouts.
import type { Dtype } from "../bindings/dtype.js";
import { fail } from "./errors.js";
import { type SparseEvents, electronsOf, positionsOf } from "./events.js";

/** Writes positions [from, to) of `ev` as dense count frames (q pixels each, `dtype`) into dest. */
export function densify(ev: SparseEvents, from: number, to: number, q: number, dtype: Dtype, dest: Uint8Array): void {
  if (dtype === "f32") throw new RangeError("events densify to integer counts (u8, u16 or u32), not f32");
  const w = dtype === "u8" ? 1 : dtype === "u16" ? 2 : 4;
  const n = (to - from) * q;
  if (dest.length < n * w) throw new RangeError(`densify: ${dest.length} bytes cannot hold ${to - from} frames of ${q} ${dtype} pixels`);
  const aligned = dest.byteOffset % w === 0;
  const buf = aligned ? dest : new Uint8Array(n * w);
  const view = w === 1 ? buf.subarray(0, n) : w === 2 ? new Uint16Array(buf.buffer, buf.byteOffset, n) : new Uint32Array(buf.buffer, buf.byteOffset, n);
  view.fill(0);
  const max = w === 1 ? 255 : w === 2 ? 65535 : 4294967295;
  for (let i = from; i < to; i++) {
    const base = (i - from) * q;
    for (let e = ev.offsets[i]!; e < ev.offsets[i + 1]!; e++) {
      const at = base + ev.pixels[e]!;
      if (view[at] === max) fail("limit", `position ${ev.first + i}, detector index ${ev.pixels[e]}: more than ${max} electrons do not fit ${dtype}`);
      view[at]!++;
    }
  }
  if (!aligned) dest.set(buf);
}

/** stempy's sparse layout: one array of flat detector indices per scan position (one frame per position). */
export function toStempySparse(ev: SparseEvents): { data: Uint32Array[]; scanShape: [number, number]; frameShape: [number, number] } {
  const data: Uint32Array[] = [];
  for (let i = 0; i < positionsOf(ev); i++) data.push(ev.pixels.slice(ev.offsets[i]!, ev.offsets[i + 1]!));
  return { data, scanShape: ev.scanShape, frameShape: ev.detShape };
}

export interface RawCsr {
  /** positions + 1 row pointers (int64). */
  indptr: BigInt64Array;
  /** Flat detector indices, unique and ascending within each row (int32). */
  indices: Int32Array;
  /** Electrons at that pixel (uint16, or uint32 when a pixel holds more than 65535). */
  values: Uint16Array | Uint32Array;
  navShape: [number, number];
  sigShape: [number, number];
}

/** LiberTEM's raw_csr triple: duplicates (several electrons on one pixel) merged into counts. */
export function toRawCsr(ev: SparseEvents): RawCsr {
  const P = positionsOf(ev), E = electronsOf(ev);
  const indptr = new BigInt64Array(P + 1), indices = new Int32Array(E), counts = new Uint32Array(E);
  let n = 0, max = 0;
  for (let i = 0; i < P; i++) {
    const rowStart = n;
    for (let e = ev.offsets[i]!; e < ev.offsets[i + 1]!; e++) {
      const d = ev.pixels[e]!;
      if (n > rowStart && indices[n - 1] === d) { if (++counts[n - 1]! > max) max = counts[n - 1]!; }
      else { indices[n] = d; counts[n] = 1; if (max < 1) max = 1; n++; }
    }
    indptr[i + 1] = BigInt(n);
  }
  const values = max > 65535 ? counts.slice(0, n) : Uint16Array.from(counts.subarray(0, n));
  return { indptr, indices: indices.slice(0, n), values, navShape: ev.scanShape, sigShape: ev.detShape };
}

/** The TOML sidecar LiberTEM's RawCSRDataSet reads, naming the three raw files written beside it. */
export function rawCsrToml(csr: RawCsr, files: { indptr: string; indices: string; values: string }): string {
  return [
    "[params]",
    'filetype = "raw_csr"',
    `nav_shape = [${csr.navShape.join(", ")}]`,
    `sig_shape = [${csr.sigShape.join(", ")}]`,
    "",
    "[raw_csr]",
    `indptr_file = ${JSON.stringify(files.indptr)}`,
    'indptr_dtype = "<i8"',
    `indices_file = ${JSON.stringify(files.indices)}`,
    'indices_dtype = "<i4"',
    `data_file = ${JSON.stringify(files.values)}`,
    `data_dtype = "${csr.values instanceof Uint16Array ? "<u2" : "<u4"}"`,
    "",
  ].join("\n");
}
