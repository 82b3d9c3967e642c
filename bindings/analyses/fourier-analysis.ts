// The whole Fourier analysis of a dataset as the CLI and the analyze report use it: the scan power spectrum summed
// over detector pixels, its peaks, the CBED amplitude and phase at chosen frequencies and at the peaks, and
// Bragg-filtered maps. The spectrum's passes transform every pixel over the scan, so they also keep the transform at
// the bins the patterns and maps will need: a disk around each frequency likely to be analysed (the chosen ones, and
// the peaks expected: given, or those of the first pass's share of the spectrum). When the peaks found are among
// them, no further pass is made; otherwise ONE more pass computes everything else (the result is the same).
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { runReductions } from "../executor.js";
import { frequencyStep, type PixelSize } from "../figures/calibration.js";
import type { MapFigure } from "../figures/map-figure.js";
import { braggBins, braggFilter, braggMapsFromDft, diskBins, type BraggFilter, type BraggMap } from "./fourier-bragg.js";
import { cbedAtFrequencies, cbedFromDft, type CbedAtFrequency, type SpatialFrequency } from "./fourier-cbed.js";
import { fftShift, findPeaks, type FourierPeak, type PeakOptions } from "./fourier-peaks.js";
import { binIndex, scanFftGrid, scanPowerSpectrum, type KeptBins, type ScanGrid, type ScanPower, type ScanWindow } from "./fourier-scan.js";

export interface FourierAnalysisOptions {
  /** How many peaks to find (a +-k pair counts once; default 4). */
  peaks?: number;
  peakOptions?: Omit<PeakOptions, "count">;
  /** Frequencies (signed bins) to report before the peaks. */
  at?: SpatialFrequency[];
  /** Bragg filters; default: one around each frequency (see autoFilters). */
  filters?: BraggFilter[];
  /** Detector regions for the Bragg maps (default: the whole detector). */
  regions?: Float32Array[];
  /** Memory budget of the spectrum's slabs (see ScanFftOptions). */
  memoryBytes?: number;
  /** A power spectrum already computed (e.g. by writeScanFftNpy), so its passes are not repeated. */
  spectrum?: ScanPower;
  /** Frequencies expected among the peaks (e.g. the peaks of a low-rank model's spectrum, see modelPeaks): the
   * spectrum's passes keep the transform around them. Default: the peaks of the first pass's share of the spectrum,
   * twice as many as asked for. */
  likely?: readonly SpatialFrequency[];
  /** Apodisation of the scan before the power spectrum (default "hann"); the CBED patterns and Bragg maps always use
   * the plain transform. */
  window?: ScanWindow;
  onProgress?: (stage: "spectrum" | "patterns", done: number, total: number) => void;
}

export interface AnalysedFrequency extends SpatialFrequency {
  /** Where it came from: an --at frequency, or peak number `peak`. */
  source: "at" | "peak";
  peak?: number;
}

export interface FourierAnalysis {
  grid: ScanGrid;
  /** Power of the scan FFT summed over detector pixels, ny x nx, numpy order. */
  power: Float64Array;
  /** The window applied before the power spectrum ("none" when a given spectrum was used). */
  window: ScanWindow;
  /** Passes over the frames: the spectrum's, and one more when the patterns and maps needed bins it had not kept. */
  passes: number;
  /** Where the CBED patterns and Bragg maps came from. */
  patterns: "spectrum" | "pass" | "none";
  peaks: FourierPeak[];
  /** The --at frequencies, then the peaks (integer bins): cbed[i] belongs to frequencies[i]. */
  frequencies: AnalysedFrequency[];
  cbed: CbedAtFrequency[];
  filters: BraggMap[];
}

/** The one rule for the default Bragg-filter radius, as the report states it. */
export const BRAGG_RADIUS_RULE = "radius = 0.45 x the distance to the nearest other analysed frequency, its mate -k or " +
  "zero frequency, clamped to 1..3 FFT bins";

/** A disk around each frequency, its radius by BRAGG_RADIUS_RULE. */
export function autoFilters(freqs: readonly SpatialFrequency[]): BraggFilter[] {
  const others = (i: number) => [{ ky: 0, kx: 0 }, ...freqs.filter((_, j) => j !== i), ...freqs.map((f) => ({ ky: -f.ky, kx: -f.kx }))];
  return freqs.map((f, i) => {
    const d = Math.min(...others(i).map((g) => Math.hypot(g.ky - f.ky, g.kx - f.kx)).filter((x) => x > 0));
    return { ky: f.ky, kx: f.kx, radius: Math.max(1, Math.min(3, 0.45 * d)) };
  });
}

/** Largest radius autoFilters gives: the disk kept around each likely frequency. */
const KEPT_RADIUS = 3;

export async function fourierAnalysis(core: Core, ds: Dataset, o: FourierAnalysisOptions = {}): Promise<FourierAnalysis> {
  const grid = scanFftGrid(ds, "Fourier analysis");
  const { ny, nx } = grid;
  const count = o.peaks ?? 4, at = o.at ?? [];
  const window = o.spectrum ? "none" : o.window ?? "hann";
  const keep = (partial: Float64Array): SpatialFrequency[] => {
    const likely = o.likely ?? findPeaks(partial, ny, nx, { ...o.peakOptions, count: 2 * count });
    const around = [...at, ...likely].filter(isBin).map((f) => ({ ky: f.ky, kx: f.kx, radius: KEPT_RADIUS }));
    return [...around, ...(o.filters ?? [])].flatMap((f) => diskBins(f, ny, nx));
  };
  const spectrum = o.spectrum ?? await scanPowerSpectrum(core, ds, {
    window, memoryBytes: o.memoryBytes, onProgress: o.onProgress && ((d, t) => o.onProgress!("spectrum", d, t)),
    keep: count > 0 || at.length > 0 || o.filters?.length ? keep : undefined,
  });
  const peaks = findPeaks(spectrum.power, ny, nx, { ...o.peakOptions, count });
  const frequencies: AnalysedFrequency[] = [
    ...at.map((f): AnalysedFrequency => ({ ky: f.ky, kx: f.kx, source: "at" })),
    ...peaks.map((p, i): AnalysedFrequency => ({ ky: p.ky, kx: p.kx, source: "peak", peak: i })),
  ];
  const filters = o.filters ?? autoFilters(frequencies);
  let cbed: CbedAtFrequency[] = [], maps: BraggMap[] = [], passes = spectrum.passes;
  let patterns: FourierAnalysis["patterns"] = "none";
  if (frequencies.length || filters.length) {
    const bins = filters.length ? braggBins(filters, ny, nx) : undefined;
    const cbedDft = keptDft(spectrum.kept, frequencies, grid), braggDft = bins && keptDft(spectrum.kept, bins.union, grid);
    if (cbedDft && (!bins || braggDft)) {
      cbed = frequencies.length ? cbedFromDft(frequencies, cbedDft, grid.rows, grid.cols) : [];
      maps = bins ? braggMapsFromDft(core, filters, bins, braggDft!, grid, { regions: o.regions }) : [];
      patterns = "spectrum";
    } else {
      const reductions = [
        ...(frequencies.length ? [cbedAtFrequencies(frequencies)] : []),
        ...(filters.length ? [braggFilter(filters, { regions: o.regions })] : []),
      ];
      const out = await runReductions<unknown[]>(core, ds, reductions, { onProgress: o.onProgress && ((d, t) => o.onProgress!("patterns", d, t)) });
      if (frequencies.length) cbed = out.shift() as CbedAtFrequency[];
      if (filters.length) maps = out.shift() as BraggMap[];
      patterns = "pass";
      passes++;
    }
  }
  return { grid, power: spectrum.power, window, passes, patterns, peaks, frequencies, cbed, filters: maps };
}

const isBin = (f: SpatialFrequency) => Number.isInteger(f.ky) && Number.isInteger(f.kx);

/** The scan DFT at the frequencies (laid out as scanDft's result) from the bins the spectrum kept, a bin's mate -k
 * standing in for it (real data: F(-k) = conj F(k)); undefined when one is missing or not an integer bin. */
function keptDft(kept: KeptBins | undefined, freqs: readonly SpatialFrequency[], grid: ScanGrid): Float32Array | undefined {
  if (!kept) return undefined;
  const { ny, nx, rows, cols } = grid, Q = rows * cols;
  const where = new Map(kept.bins.map((f, j) => [binIndex(f, ny, nx), j]));
  const found = freqs.map((f) => {
    if (!isBin(f)) return undefined;
    const own = where.get(binIndex(f, ny, nx)), mate = where.get(binIndex({ ky: -f.ky, kx: -f.kx }, ny, nx));
    return own !== undefined ? { j: own, conj: false } : mate !== undefined ? { j: mate, conj: true } : undefined;
  });
  if (found.some((x) => x === undefined)) return undefined;
  const out = new Float32Array(freqs.length * 2 * Q);
  for (const [i, { j, conj }] of (found as { j: number; conj: boolean }[]).entries()) {
    out.set(kept.dft.subarray(2 * j * Q, (2 * j + 2) * Q), 2 * i * Q);
    if (conj) for (let q = (2 * i + 1) * Q; q < (2 * i + 2) * Q; q++) out[q] = -out[q]!;
  }
  return out;
}

export interface FourierFigure {
  /** The figure (draw it with mapFigurePng or mapFigureSvg). */
  figure: MapFigure;
  caption: string;
}

export interface FourierFigureOptions extends FourierAnalysisOptions {
  analysis?: FourierAnalysis;
  /** Pixel sizes of the dataset, for scale bars (the spectrum's frequency step follows from the scan's). */
  pixels?: { scan?: PixelSize; detector?: PixelSize };
  /** Longer side of each figure's map, CSS pixels (default 320). */
  size?: number;
}

const fmt = (f: SpatialFrequency) => `(${+f.ky.toFixed(2)}, ${+f.kx.toFixed(2)})`;

/** The figures of a Fourier analysis, by name: the power spectrum, CBED amplitude and phase at each frequency, and
 * each Bragg-filtered map. Pass a finished analysis, or options to run one. */
export async function fourierFigures(core: Core, ds: Dataset, o: FourierFigureOptions = {}): Promise<Record<string, FourierFigure>> {
  const a = o.analysis ?? (await fourierAnalysis(core, ds, o));
  const { ny, nx, rows, cols } = a.grid;
  const scan = o.pixels?.scan, detector = o.pixels?.detector, size = o.size;
  const figs: Record<string, FourierFigure> = {};
  const peakText = a.peaks.map((p) => `(${p.ky}, ${p.kx}) period ${p.period.toFixed(2)} px at ${p.angleDeg.toFixed(1)} deg`).join("; ");
  const windowText = a.window === "hann" ? "Hann-windowed scan" : "no window";
  figs.power = {
    figure: {
      values: fftShift(a.power, ny, nx), rows: ny, cols: nx, title: `Scan power spectrum (${windowText})`,
      units: "power summed over the detector (log scale)",
      log: true, colormap: "magma", space: "frequency", pixel: frequencyStep(scan, nx), size,
    },
    caption: `Power of the FFT over the scan axes (${windowText}) summed over all detector pixels, log scale, zero ` +
      `frequency at the centre. Peaks: ${peakText || "none"}.`,
  };
  for (const [i, c] of a.cbed.entries()) {
    const f = a.frequencies[i]!;
    const what = f.source === "at" ? `chosen frequency ${fmt(f)}` : `peak ${f.peak} at ${fmt(f)}`;
    figs[`cbed_amp_${i}`] = {
      figure: {
        values: c.amplitude, rows, cols, title: `CBED amplitude, ${what}`, units: "|F| (log scale)", log: true, colormap: "viridis",
        space: "detector", pixel: detector, size,
      },
      caption: `CBED amplitude at the ${what} (log scale): the detector regions that carry this periodicity.`,
    };
    figs[`cbed_phase_${i}`] = {
      figure: {
        values: c.phase, rows, cols, title: `CBED phase, ${what}`, units: "phase (rad)", kind: "phase", space: "detector", pixel: detector, size,
      },
      caption: `CBED phase at the ${what} (-pi to pi, cyclic colours).`,
    };
  }
  for (const [i, m] of a.filters.entries()) {
    figs[`filtered_${i}`] = {
      figure: {
        values: m.maps[0]!, rows: ny, cols: nx, title: `Bragg-filtered map around ${fmt(m)}`, units: "local amplitude", colormap: "viridis",
        space: "scan", pixel: scan, size,
      },
      caption: `Bragg-filtered map: local amplitude of the periodicity in a disk of radius ${+m.radius.toFixed(2)} bins around ` +
        `${fmt(m)}, summed over the detector.`,
    };
  }
  return figs;
}
