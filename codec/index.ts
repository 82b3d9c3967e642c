// The codec's public API: container, lossless frame mode, event mode, electron counting, zstd backends, checksums.
// Nothing here imports a Node module (codec/node-sink.ts is the Node-only file sink).
export * from "./errors.js";
export * from "./crc32c.js";
export * from "./zstd.js";
export * from "./sink.js";
export { MAGIC, ChunkKind, Filter, KIND_NAMES, FILTER_IDS, FILTER_LIST, MAX_CHUNK_BYTES, hasMagic, type ContainerMetadata, type ContainerMode, type ChunkHeader, type FilterName } from "./container-format.js";
export * from "./container-writer.js";
export * from "./container-append.js";
export * from "./container-reader.js";
export * from "./container-dataset.js";
export * from "./lossless.js";
export * from "./events.js";
export * from "./event-chunks.js";
export * from "./event-grouper.js";
export * from "./event-encoder.js";
export * from "./event-analysis.js";
export * from "./gaussian-fit.js";
export * from "./pca-lossy.js";
