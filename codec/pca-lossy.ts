// PCA-lossy mode (codec/SPEC.md section 6): a basis (mean and components, fitted by the caller: see
// bindings/analyses/pca-compress.ts), then every frame as int16-quantized scores, plus optionally the exact values of
// its largest errors. The encoder reconstructs each chunk with the very function the decoder uses, so the error it
// measures and stores (relative Frobenius error, PSNR, max absolute error) is the error after decoding.
import type { Calibration } from "../bindings/dataset.js";
import type { TypedArrayOf } from "../bindings/dtype.js";
import { ByteReader, putU32 } from "./bytes.js";
import { ChunkKind, type ChunkHeader } from "./container-format.js";
import { ContainerWriter } from "./container-writer.js";
import { fail } from "./errors.js";
import { planes, unplanes } from "./event-chunks.js";
import type { ByteSink } from "./sink.js";
import { type ZstdBackend, type ZstdBackendName, zstdBackend } from "./zstd.js";

export interface PcaLossyOptions {
  /** Number of components; or give maxError. */
  components?: number;
  /** Target relative Frobenius error: the fewest components whose predicted error (with a margin for the
   * quantization) is below it. The achieved error is measured and stored either way. */
  maxError?: number;
  /** Exact values kept for this many largest-error pixels per frame (default 0). */
  residual?: number;
  /** Frames the components are fitted on, evenly spread (default: all, up to 4096). */
  fitFrames?: number;
  /** Frames per scores chunk (default 256). */
  framesPerChunk?: number;
  level?: number;
  zstd?: ZstdBackendName;
  seed?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

/** What the container's metadata records of the fit, besides the basis itself. */
export interface PcaLossyParams {
  fitFrames: number;
  residual: number;
  level: number;
  zstd?: ZstdBackendName;
  maxError?: number;
}

export interface PcaLossyError {
  components: number;
  relativeFrobeniusError: number;
  psnr: number;
  maxAbsError: number;
  dataMin: number;
  dataMax: number;
  residualPerFrame: number;
}

export interface PcaBasis {
  k: number;
  q: number;
  mean: Float32Array;
  /** k x q, row-major. */
  components: Float32Array;
}

const Q16 = 32767;

/** Reconstructs `count` frames from quantized scores (and exact residual values): shared by encoder and decoder. */
export function reconstruct(
  b: PcaBasis,
  count: number,
  scales: Float32Array,
  scores: Int16Array,
  residual: { offsets: Uint32Array; index: Uint32Array; value: Float32Array } | undefined,
  out: Float32Array,
): void {
  const { k, q, mean, components } = b;
  const row = new Float64Array(q);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < q; p++) row[p] = mean[p]!;
    for (let j = 0; j < k; j++) {
      const s = scores[i * k + j]! * scales[j]!;
      if (s === 0) continue;
      const v = j * q;
      for (let p = 0; p < q; p++) row[p]! += s * components[v + p]!;
    }
    const o = i * q;
    for (let p = 0; p < q; p++) out[o + p] = row[p]!;
    if (residual)
      for (let e = residual.offsets[i]!; e < residual.offsets[i + 1]!; e++)
        out[o + residual.index[e]!] = residual.value[e]!;
  }
}

function compressColumns(zstd: ZstdBackend, level: number, cols: Uint8Array[]): { payload: Uint8Array; raw: number } {
  const parts: Uint8Array[] = [];
  let raw = 0;
  for (const c of cols) {
    raw += c.length;
    const z = zstd.compress(c, level),
      len = new Uint8Array(4);
    putU32(len, 0, z.length);
    parts.push(len, z);
  }
  const payload = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    payload.set(p, at);
    at += p.length;
  }
  return { payload, raw };
}

function readColumns(zstd: ZstdBackend, payload: Uint8Array, sizes: number[], what: string): Uint8Array[] {
  const r = new ByteReader(payload, what);
  const out = sizes.map((n, i) => zstd.decompress(r.take(r.u32(`column ${i} length`), `column ${i}`), n));
  if (r.left !== 0) fail("format", `${what}: ${r.left} bytes after the last column`);
  return out;
}

const f32bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeBasis(b: PcaBasis, zstd: ZstdBackend, level: number) {
  const all = new Float32Array((b.k + 1) * b.q);
  all.set(b.mean, 0);
  all.set(b.components, b.q);
  const u32 = new Uint32Array(all.buffer);
  return compressColumns(zstd, level, [planes(u32, u32.length, 4)]);
}

export function decodeBasis(h: ChunkHeader, payload: Uint8Array, q: number, zstd: ZstdBackend, what: string): PcaBasis {
  const k = h.count;
  if (k < 1 || (k + 1) * q * 4 !== h.rawLength)
    fail(
      "format",
      `${what}: a basis of ${k} components of ${q} pixels is ${(k + 1) * q * 4} bytes, the header says ${h.rawLength}`,
    );
  const [col] = readColumns(zstd, payload, [(k + 1) * q * 4], what);
  const u32 = new Uint32Array((k + 1) * q);
  unplanes(col!, u32.length, 4, u32);
  const all = new Float32Array(u32.buffer);
  return { k, q, mean: all.subarray(0, q), components: all.subarray(q) };
}

/** Scores chunk: k f32 scales, then count x k int16 scores (byte planes). */
export function decodeScores(
  h: ChunkHeader,
  payload: Uint8Array,
  k: number,
  zstd: ZstdBackend,
  what: string,
): { scales: Float32Array; scores: Int16Array } {
  if (h.rawLength !== 4 * k + 2 * h.count * k)
    fail(
      "format",
      `${what}: ${h.count} frames of ${k} scores are ${4 * k + 2 * h.count * k} bytes, the header says ${h.rawLength}`,
    );
  const [s, q] = readColumns(zstd, payload, [4 * k, 2 * h.count * k], what);
  const scales = new Float32Array(k);
  unplanes(s!, k, 4, new Uint32Array(scales.buffer));
  const u16 = new Uint16Array(h.count * k);
  unplanes(q!, u16.length, 2, u16);
  return { scales, scores: new Int16Array(u16.buffer) };
}

/** Residual chunk: count u32 per-frame counts, then u32 indices and f32 exact values. */
export function decodeResidual(h: ChunkHeader, payload: Uint8Array, q: number, zstd: ZstdBackend, what: string) {
  const r = new ByteReader(payload, what);
  const n = r.u32("entries");
  if (h.rawLength !== 4 * h.count + 8 * n)
    fail(
      "format",
      `${what}: ${n} residual entries of ${h.count} frames are ${4 * h.count + 8 * n} bytes, the header says ${h.rawLength}`,
    );
  const [c, ix, v] = readColumns(zstd, payload.subarray(4), [4 * h.count, 4 * n, 4 * n], what);
  const counts = new Uint32Array(h.count),
    index = new Uint32Array(n),
    bits = new Uint32Array(n);
  unplanes(c!, h.count, 4, counts);
  unplanes(ix!, n, 4, index);
  unplanes(v!, n, 4, bits);
  const offsets = new Uint32Array(h.count + 1);
  for (let i = 0; i < h.count; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
  if (offsets[h.count] !== n) fail("format", `${what}: residual counts sum to ${offsets[h.count]}, not ${n}`);
  for (const i of index) if (i >= q) fail("format", `${what}: residual index ${i} is outside the ${q}-pixel detector`);
  return { offsets, index, value: new Float32Array(bits.buffer) };
}

type Residual = { offsets: Uint32Array; index: Uint32Array; value: Float32Array };

/** Scores scaled to int16, one scale per component for the chunk: the largest magnitude maps to 32767. */
function quantize(raw: Float32Array, n: number, k: number): { scales: Float32Array; scores: Int16Array } {
  const scales = new Float32Array(k),
    scores = new Int16Array(n * k);
  for (let j = 0; j < k; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(raw[i * k + j]!));
    scales[j] = m > 0 ? m / Q16 : 1;
    for (let i = 0; i < n; i++)
      scores[i * k + j] = Math.max(-Q16, Math.min(Q16, Math.round(raw[i * k + j]! / scales[j]!)));
  }
  return { scales, scores };
}

/** The `keep` largest-error pixels of every frame (ties to the lower index), with their exact values. */
function largestErrors(x: TypedArrayOf, recon: Float32Array, n: number, q: number, keep: number): Residual {
  const offsets = new Uint32Array(n + 1),
    index = new Uint32Array(n * keep),
    value = new Float32Array(n * keep);
  const order = new Uint32Array(q);
  for (let i = 0; i < n; i++) {
    const f = i * q;
    for (let p = 0; p < q; p++) order[p] = p;
    const err = (p: number) => Math.abs(x[f + p]! - recon[f + p]!);
    const top = Array.from(order)
      .sort((a, c) => err(c) - err(a) || a - c)
      .slice(0, keep)
      .sort((a, c) => a - c);
    top.forEach((p, t) => {
      index[offsets[i]! + t] = p;
      value[offsets[i]! + t] = x[f + p]!;
    });
    offsets[i + 1] = offsets[i]! + top.length;
  }
  return { offsets, index: index.subarray(0, offsets[n]), value: value.subarray(0, offsets[n]) };
}

/**
 * The encoding side of PCA-lossy: the basis chunk first, then chunks of frames with their unquantized scores (from
 * any projection), then a summary chunk with the measured errors. Frames arrive in order.
 */
export class PcaLossyEncoder {
  private sse = 0;
  private ss = 0;
  private maxAbs = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private framesIn = 0;

  private constructor(
    private readonly writer: ContainerWriter,
    private readonly zstd: ZstdBackend,
    private readonly basis: PcaBasis,
    private readonly params: PcaLossyParams,
  ) {}

  static async create(
    sink: ByteSink,
    layout: { shape: readonly number[]; calibration?: Calibration; source?: Record<string, unknown> },
    basis: PcaBasis,
    params: PcaLossyParams,
  ): Promise<PcaLossyEncoder> {
    const zstd = await zstdBackend(params.zstd);
    const writer = await ContainerWriter.create(sink, {
      mode: "pca",
      shape: [...layout.shape],
      dtype: "f32",
      ...(layout.calibration ? { calibration: layout.calibration } : {}),
      ...(layout.source ? { source: layout.source } : {}),
      params: {
        components: basis.k,
        fitFrames: params.fitFrames,
        residual: params.residual,
        quantization: "int16 per component per chunk",
        level: params.level,
        zstd: zstd.name,
        ...(params.maxError !== undefined ? { maxError: params.maxError } : {}),
      },
    });
    const b = encodeBasis(basis, zstd, params.level);
    await writer.writeChunk(
      { kind: ChunkKind.PcaBasis, filter: 1, flags: 0, rawLength: b.raw, first: 0, count: basis.k },
      b.payload,
    );
    return new PcaLossyEncoder(writer, zstd, basis, params);
  }

  /** Frames [first, first + n) (n x q values) and their scores against the basis (n x k, before quantization). */
  async writeChunk(first: number, x: TypedArrayOf, raw: Float32Array): Promise<void> {
    const { k, q } = this.basis,
      n = x.length / q,
      level = this.params.level;
    if (first !== this.framesIn)
      throw new RangeError(`PCA-lossy: a chunk starts at frame ${first}, expected ${this.framesIn}`);
    if (raw.length !== n * k)
      throw new RangeError(`PCA-lossy: ${raw.length} scores for ${n} frames of ${k} components`);
    const { scales, scores } = quantize(raw, n, k);
    const recon = new Float32Array(n * q);
    reconstruct(this.basis, n, scales, scores, undefined, recon);
    const residual = this.params.residual > 0 ? largestErrors(x, recon, n, q, this.params.residual) : undefined;
    if (residual) reconstruct(this.basis, n, scales, scores, residual, recon);
    for (let t = 0; t < n * q; t++) {
      const d = x[t]!,
        e = d - recon[t]!;
      this.sse += e * e;
      this.ss += d * d;
      if (Math.abs(e) > this.maxAbs) this.maxAbs = Math.abs(e);
      if (d < this.lo) this.lo = d;
      if (d > this.hi) this.hi = d;
    }
    const sc = compressColumns(this.zstd, level, [
      planes(new Uint32Array(scales.buffer), k, 4),
      planes(new Uint16Array(scores.buffer), n * k, 2),
    ]);
    await this.writer.writeChunk(
      { kind: ChunkKind.PcaScores, filter: 1, flags: 0, rawLength: sc.raw, first, count: n },
      sc.payload,
    );
    if (residual) await this.writeResidual(first, n, residual);
    this.framesIn += n;
  }

  private async writeResidual(first: number, n: number, residual: Residual): Promise<void> {
    const counts = new Uint32Array(n);
    for (let i = 0; i < n; i++) counts[i] = residual.offsets[i + 1]! - residual.offsets[i]!;
    const values = new Uint32Array(residual.value.buffer, residual.value.byteOffset, residual.value.length);
    const rc = compressColumns(this.zstd, this.params.level, [
      planes(counts, n, 4),
      planes(residual.index, residual.index.length, 4),
      planes(values, values.length, 4),
    ]);
    const payload = new Uint8Array(4 + rc.payload.length);
    putU32(payload, 0, residual.index.length);
    payload.set(rc.payload, 4);
    await this.writer.writeChunk(
      { kind: ChunkKind.PcaResidual, filter: 1, flags: 0, rawLength: rc.raw, first, count: n },
      payload,
    );
  }

  /** Writes the summary chunk with the errors measured over every frame, the index and the trailer. */
  async finish(): Promise<PcaLossyError & { bytes: number; chunks: number }> {
    const N = this.framesIn * this.basis.q,
      mse = this.sse / N;
    const error: PcaLossyError = {
      components: this.basis.k,
      relativeFrobeniusError: this.ss > 0 ? Math.sqrt(this.sse / this.ss) : 0,
      psnr: mse > 0 ? 10 * Math.log10((this.hi - this.lo) ** 2 / mse) : Infinity,
      maxAbsError: this.maxAbs,
      dataMin: this.lo,
      dataMax: this.hi,
      residualPerFrame: this.params.residual,
    };
    const summary = new TextEncoder().encode(JSON.stringify({ error }));
    await this.writer.writeChunk(
      { kind: ChunkKind.Summary, filter: 0, flags: 0, rawLength: summary.length, first: 0, count: 0 },
      summary,
    );
    return { ...error, ...(await this.writer.finish()) };
  }
}
