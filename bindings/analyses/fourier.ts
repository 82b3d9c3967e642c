// Fourier analysis of 4D data (issue 4): the public API, re-exported by bindings/index.ts.
//
// Layers, bottom up:
//   assembly/fft.ts        complex FFT kernels: mixed radix 2/3/4/5 (Stockham) + Bluestein, along an axis of
//                          "lanes" (SIMD over lanes), 2D by columns-transpose-columns-transpose;
//   assembly/fft-scan.ts   gather of detector pixels (two real pixels per complex), power sums, unpacking;
//   assembly/fft-dft.ts    the weighted frame sums of a DFT at a few scan frequencies (CBED, Bragg filter);
//   fourier-plan/-fft      plans (tables in float64, stored float32) and 1D/2D transforms of arrays;
//   fourier-scan           the scan-axis FFT of a dataset in memory-bounded passes: power spectrum (and the
//                          transform kept at chosen bins), full 4D;
//   fourier-cbed           CBED amplitude/phase at chosen frequencies, one reduction pass;
//   fourier-peaks/-bragg   spectrum peaks (sub-pixel, mates, families); Bragg-filtered maps, one pass;
//   fourier-model          the peaks a low-rank model (PCA's scores) predicts, to keep their bins in those passes;
//   fourier-analysis       everything the `fft` command and the analyze report need (fourierFigures).
// Conventions: frequencies are signed FFT bins (row, col) in numpy order; forward transforms are unscaled and
// inverse ones scaled by 1/n, as numpy.fft.
// Node-only: writeScanFftNpy lives in ./fourier-node.ts (the full transform streamed to a complex64 .npy).
export { fft, fft2, fft2Many, fftBatch, fftPlan, fftChunk, fftScratchBytes, fftLanesCall, fft2dCall, fft2dScratchBytes, toComplex, powerOf, type FftPlan, type FftOptions } from "./fourier-fft.js";
export { buildPlan, radixFactors, smoothAtLeast, type PlanBytes } from "./fourier-plan.js";
export { scanFftGrid, scanPowerSpectrum, scanFft4d, scanFftPasses, memoryComplexSink, type ScanGrid, type ScanFftOptions, type ScanPowerOptions, type KeptBins, type ScanSlab, type ScanPower, type ComplexSink } from "./fourier-scan.js";
export { cbedAt, cbedAtFrequencies, cbedFromDft, scanDft, dftWeights, type SpatialFrequency, type CbedAtFrequency } from "./fourier-cbed.js";
export { findPeaks, fftShift, subpixelOffset, type FourierPeak, type PeakPosition, type PeakOptions } from "./fourier-peaks.js";
export { braggFilter, braggBins, braggMapsFromDft, diskBins, type BraggBins, type BraggFilter, type BraggMap, type BraggOptions } from "./fourier-bragg.js";
export { modelPeaks } from "./fourier-model.js";
export { imageSpectrum, virtualImageSpectrum, type ImageSpectrum } from "./fourier-virtual.js";
export { fourierAnalysis, fourierFigures, autoFilters, type FourierAnalysis, type FourierAnalysisOptions, type AnalysedFrequency, type FourierFigure } from "./fourier-analysis.js";
