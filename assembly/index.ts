// The stem4d WebAssembly core: pure kernels over pointers into JS-owned memory. No I/O, no allocation.
// Each feature lives in its own file; this file only re-exports them.
export * from "./detectors";
export * from "./patterns";
export * from "./merge";
export * from "./crc32c";
export * from "./shuffle";
export * from "./counting";
export * from "./fft";
export * from "./fft-dft";
export * from "./fft-scan";
export * from "./compact";
export * from "./kmeans-distance";
export * from "./kmeans";
export * from "./kmeans-prepare";
export * from "./cluster-means";
export * from "./lz4";
export * from "./bitshuffle";
export * from "./gemm";
export * from "./gemm-i16";
export * from "./gemm-f64";
export * from "./simd-peak";
export * from "./pca";
export * from "./pca-first";
export * from "./eig-band";
export * from "./eig-panel";
export * from "./eigen-dense";
export * from "./events";
export * from "./ptycho";
export * from "./ptycho-simulate";

// The first byte the kernels' own static data does not use: the JS arena starts above it.
export function heapBase(): usize {
  return __heap_base;
}
