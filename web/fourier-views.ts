// The scan-FFT views of the explorer: the power spectrum over the scan axes (Hann-windowed, summed over the detector,
// log scale, zero frequency at the centre) with its peaks ringed, and the CBED amplitude and phase and the
// Bragg-filtered map at a spatial frequency: the first peak's at first, then whichever frequency is clicked on the
// spectrum. The numbers are those of `stem4d fft` (scanPowerSpectrum, findPeaks, cbedAt, braggFilter with the
// radius of autoFilters, of bindings/analyses).
import type { Core } from "../bindings/core.js";
import { scanFftGrid, scanPowerSpectrum, type ScanGrid } from "../bindings/analyses/fourier-scan.js";
import { cbedAt, type CbedAtFrequency, type SpatialFrequency } from "../bindings/analyses/fourier-cbed.js";
import { fftShift, findPeaks, type FourierPeak } from "../bindings/analyses/fourier-peaks.js";
import { braggFilter, type BraggFilter, type BraggMap } from "../bindings/analyses/fourier-bragg.js";
import { autoFilters } from "../bindings/analyses/fourier-analysis.js";
import { runReduction } from "../bindings/executor.js";
import { frequencyStep, pixelSize } from "../bindings/figures/calibration.js";
import { drawMap, pixelAt, type Contrast, type Placement } from "./canvas-figure.js";
import type { Loaded } from "./loaded.js";

export interface FourierElements {
  power: HTMLCanvasElement;
  amplitude: HTMLCanvasElement;
  phase: HTMLCanvasElement;
  bragg: HTMLCanvasElement;
  status: HTMLElement;
}

/** The Bragg filter `stem4d fft` applies at `f`: the radius autoFilters gives it among the frequencies the CLI
 * analyses, i.e. the peaks, with `f` first when it is not one of them (as `stem4d fft --at` adds it). */
export function braggFilterAt(f: SpatialFrequency, peaks: readonly SpatialFrequency[]): BraggFilter {
  const i = peaks.findIndex((p) => p.ky === f.ky && p.kx === f.kx);
  return i >= 0 ? autoFilters(peaks)[i]! : autoFilters([f, ...peaks])[0]!;
}

/** Peaks found, as `stem4d fft` finds them by default. */
const PEAKS = 4;

export class FourierViews {
  grid?: ScanGrid;
  /** Power spectrum in numpy order (DC at [0, 0]), as `stem4d fft` writes power.npy. */
  power?: Float64Array;
  peaks: FourierPeak[] = [];
  cbed?: CbedAtFrequency;
  /** The Bragg-filtered map at the CBED's frequency (over the whole detector). */
  bragg?: BraggMap;
  powerAt?: Placement;
  private readonly listeners = new AbortController();

  /** `later` tracks updates the mouse starts (and reports their errors). */
  constructor(readonly core: Core, readonly data: Loaded, readonly el: FourierElements,
    readonly contrast: () => Contrast, readonly later: (p: Promise<void>) => void) {
    el.power.addEventListener("click", (e) => {
      const at = this.powerAt && pixelAt(el.power, this.powerAt, e);
      if (!at || !this.grid) return;
      const { ny, nx } = this.grid;
      this.later(this.showCbed({ ky: at.row - Math.floor(ny / 2), kx: at.col - Math.floor(nx / 2) }));
    }, { signal: this.listeners.signal });
  }

  close(): void {
    this.listeners.abort();
  }

  /** The power spectrum and its peaks, then the CBED at the first peak (or at the first non-zero row frequency). */
  async compute(): Promise<void> {
    const { ds } = this.data;
    const grid = scanFftGrid(ds, "scan FFT");
    const t0 = performance.now();
    this.el.status.className = "";
    this.el.status.textContent = "scan FFT: power spectrum...";
    const spectrum = await scanPowerSpectrum(this.core, ds, {
      window: "hann",
      onProgress: (done, total) => (this.el.status.textContent = `scan FFT: ${done} of ${total} frames`),
    });
    this.grid = grid;
    this.power = spectrum.power;
    this.peaks = findPeaks(spectrum.power, grid.ny, grid.nx, { count: PEAKS });
    this.drawPower();
    const first = this.peaks[0] ?? { ky: grid.ny > 1 ? 1 : 0, kx: grid.ny > 1 ? 0 : 1 };
    await this.showCbed({ ky: first.ky, kx: first.kx });
    const peakText = this.peaks.map((p) => `(${p.ky}, ${p.kx}) period ${p.period.toFixed(2)} px`).join("; ");
    this.el.status.textContent = `scan FFT in ${(performance.now() - t0).toFixed(0)} ms; peaks: ${peakText || "none"}` +
      "; click the spectrum for the CBED and the Bragg-filtered map at a frequency";
  }

  /** The CBED amplitude and phase and the Bragg-filtered map at spatial frequency `f` (signed scan FFT bins). */
  async showCbed(f: SpatialFrequency): Promise<void> {
    this.cbed = (await cbedAt(this.core, this.data.ds, [f]))[0]!;
    this.bragg = (await runReduction(this.core, this.data.ds, braggFilter([braggFilterAt(f, this.peaks)])))[0]!;
    this.drawCbed();
    this.drawPower();
  }

  /** Redraws with the current contrast settings. */
  redraw(): void {
    if (this.power) this.drawPower();
    if (this.cbed) this.drawCbed();
  }

  private drawBragg(): void {
    const { ny, nx } = this.grid!, { ky, kx, radius, maps } = this.bragg!;
    drawMap(this.el.bragg, { values: maps[0]!, rows: ny, cols: nx, unit: "amplitude", contrast: this.contrast(),
      title: `Bragg-filtered map around (${ky}, ${kx}), radius ${+radius.toFixed(2)} bins`,
      pixel: pixelSize(this.data.ds.calibration, this.data.ds.shape, "scan") });
  }

  private drawPower(): void {
    const { ny, nx } = this.grid!, c = this.contrast();
    const scan = pixelSize(this.data.ds.calibration, this.data.ds.shape, "scan");
    this.powerAt = drawMap(this.el.power, {
      values: fftShift(this.power!, ny, nx), rows: ny, cols: nx, title: "scan power spectrum (Hann), peaks ringed",
      unit: "power (log)", pixel: frequencyStep(scan, nx), contrast: { ...c, log: true },
    });
    const ctx = this.el.power.getContext("2d")!, p = this.powerAt;
    const centre = (ky: number, kx: number) =>
      [p.x0 + (kx + Math.floor(nx / 2) + 0.5) * p.scale, p.y0 + (ky + Math.floor(ny / 2) + 0.5) * p.scale] as const;
    const ring = (ky: number, kx: number, colour: string) => {
      const [x, y] = centre(ky, kx);
      ctx.strokeStyle = colour;
      ctx.beginPath();
      ctx.arc(x, y, Math.max(3, 1.5 * p.scale), 0, 2 * Math.PI);
      ctx.stroke();
    };
    for (const peak of this.peaks) {
      ring(peak.y, peak.x, "#0c0");
      ring(peak.mate.y, peak.mate.x, "#0c0");
    }
    if (this.cbed) ring(this.cbed.ky, this.cbed.kx, "#39f");
  }

  private drawCbed(): void {
    const { rows, cols, ky, kx, amplitude, phase } = this.cbed!, c = this.contrast();
    const pixel = pixelSize(this.data.ds.calibration, this.data.ds.shape, "detector");
    drawMap(this.el.amplitude, { values: amplitude, rows, cols, title: `CBED amplitude at (${ky}, ${kx})`,
      unit: "|F| (log)", pixel, contrast: { ...c, log: true } });
    drawMap(this.el.phase, { values: phase, rows, cols, title: `CBED phase at (${ky}, ${kx})`, unit: "rad", pixel,
      kind: "signed", contrast: { log: false, lowPercentile: 0, highPercentile: 100 } });
    if (this.bragg) this.drawBragg();
  }
}
