// Chunks in, frames out, in stream order: how a live receiver decodes a container while it arrives, for any mode.
// Lossless chunks decode to their frames, events chunks to dense counts, PCA scores chunks (with their residual
// chunk, when the file keeps residuals) to reconstructed f32 frames once the basis chunk has come.
import { frameBytes, framePixels } from "../bindings/dataset.js";
import { ChunkKind, type ChunkHeader, type ContainerMetadata } from "./container-format.js";
import { codecCore } from "./engine.js";
import { fail } from "./errors.js";
import { densify } from "./event-analysis.js";
import { EventChunkDecoder } from "./event-chunks.js";
import { FrameChunkCodec } from "./frame-chunks.js";
import { type PcaBasis, decodeBasis, decodeResidual, decodeScores, reconstruct } from "./pca-lossy.js";
import { type ZstdBackend, type ZstdBackendName, zstdBackend } from "./zstd.js";

export interface DecodedFrames {
  first: number;
  count: number;
  /** The frames, little-endian bytes of the container's dtype (a fresh array the caller may keep). */
  bytes: Uint8Array;
}

export class ChunkFrameDecoder {
  private basis?: PcaBasis;
  private waiting?: { header: ChunkHeader; scales: Float32Array; scores: Int16Array };
  private readonly q: number;
  private readonly fb: number;

  private constructor(
    readonly metadata: ContainerMetadata,
    private readonly zstd: ZstdBackend,
    private readonly frames?: FrameChunkCodec,
    private readonly events?: EventChunkDecoder,
  ) {
    this.q = framePixels(metadata);
    this.fb = frameBytes(metadata);
  }

  static async create(metadata: ContainerMetadata, options: { zstd?: ZstdBackendName } = {}): Promise<ChunkFrameDecoder> {
    const zstd = await zstdBackend(options.zstd);
    const frames = metadata.mode === "lossless" ? new FrameChunkCodec(await codecCore(), zstd, metadata.dtype, framePixels(metadata)) : undefined;
    const events = metadata.mode === "events" ? new EventChunkDecoder(zstd, metadata.shape) : undefined;
    return new ChunkFrameDecoder(metadata, zstd, frames, events);
  }

  /** Decodes a verified chunk; returns the frames it completes (none for a basis, summary or a scores chunk that
   * waits for its residual). `what` names the chunk in errors. */
  decode(h: ChunkHeader, payload: Uint8Array, what: string): DecodedFrames | undefined {
    if (this.frames && h.kind === ChunkKind.Frames) return this.framesOf(h, this.frames.decode(h, payload, what).slice());
    if (this.events && h.kind === ChunkKind.Events) {
      const out = new Uint8Array(h.count * this.fb);
      densify(this.events.decode(h, payload, what), 0, h.count, this.q, this.metadata.dtype, out);
      return this.framesOf(h, out);
    }
    if (this.metadata.mode === "pca") return this.pca(h, payload, what);
    if (h.kind === ChunkKind.Summary) return undefined;
    fail("format", `${what}: a chunk of kind ${h.kind} in a ${this.metadata.mode} stream`);
  }

  dispose(): void {
    this.frames?.dispose();
  }

  private framesOf(h: ChunkHeader, bytes: Uint8Array): DecodedFrames {
    return { first: h.first, count: h.count, bytes };
  }

  private pca(h: ChunkHeader, payload: Uint8Array, what: string): DecodedFrames | undefined {
    if (h.kind === ChunkKind.PcaBasis) {
      this.basis = decodeBasis(h, payload, this.q, this.zstd, what);
      return undefined;
    }
    if (h.kind === ChunkKind.Summary) return undefined;
    if (!this.basis) fail("format", `${what}: PCA chunk of kind ${h.kind} before the basis chunk`);
    const keepsResidual = Number((this.metadata.params as Record<string, unknown> | undefined)?.residual ?? 0) > 0;
    if (h.kind === ChunkKind.PcaScores) {
      const s = decodeScores(h, payload, this.basis.k, this.zstd, what);
      if (keepsResidual) {
        this.waiting = { header: h, ...s };
        return undefined;
      }
      return this.reconstructed(h, s.scales, s.scores, undefined);
    }
    if (h.kind === ChunkKind.PcaResidual) {
      const w = this.waiting;
      if (!w || w.header.first !== h.first || w.header.count !== h.count) fail("format", `${what}: a residual chunk for frames [${h.first}, ${h.first + h.count}) without its scores chunk`);
      this.waiting = undefined;
      return this.reconstructed(h, w.scales, w.scores, decodeResidual(h, payload, this.q, this.zstd, what));
    }
    fail("format", `${what}: a chunk of kind ${h.kind} in a pca stream`);
  }

  private reconstructed(h: ChunkHeader, scales: Float32Array, scores: Int16Array, residual: Parameters<typeof reconstruct>[4]): DecodedFrames {
    const out = new Float32Array(h.count * this.q);
    reconstruct(this.basis!, h.count, scales, scores, residual, out);
    return this.framesOf(h, new Uint8Array(out.buffer));
  }
}
