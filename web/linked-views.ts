// The linked views of one dataset: the mean (or max) pattern with the virtual detector, the virtual image it makes
// (recomputed while the detector is dragged), the pattern at the probe position under the cursor or clicked, the
// mean pattern of a shift-dragged region, and the centre of mass and its integral (iCoM).
import type { Core } from "../bindings/core.js";
import { runReduction } from "../bindings/executor.js";
import { frameSubset } from "../bindings/pipeline.js";
import { virtualImages } from "../bindings/analyses/virtual.js";
import { patternStats } from "../bindings/analyses/patterns.js";
import { centerOfMass } from "../bindings/analyses/com.js";
import { dpcFromCom } from "../bindings/analyses/dpc.js";
import { pixelSize } from "../bindings/figures/calibration.js";
import { readProbeCalibration } from "../bindings/electron-optics.js";
import { drawMap, pixelAt, type Contrast, type Placement } from "./canvas-figure.js";
import { detectorMask, detectorProblem, diskDetector, dragDetector, drawDetector, type Detector } from "./detector.js";
import { dragRunOptions, frameValues, type Loaded } from "./loaded.js";
import { brushOnCanvas, drawMaskOverlay, type BrushSettings } from "./mask-brush.js";
import { drawPolygonPath, polygonOnCanvas, type Point } from "./mask-polygon.js";

export interface ViewElements {
  pattern: HTMLCanvasElement;
  image: HTMLCanvasElement;
  probe: HTMLCanvasElement;
  comY: HTMLCanvasElement;
  comX: HTMLCanvasElement;
  icom: HTMLCanvasElement;
  /** One line about the detector (its problem, or the last update's time). */
  detectorNote: HTMLElement;
}

export interface ViewSettings {
  contrast: Contrast;
  /** Show the max pattern instead of the mean. */
  max: boolean;
  /** "annulus": the draggable disk or annulus; "mask": the mask drawn with the brush. */
  mode: "annulus" | "mask";
  brush: BrushSettings;
}

export class LinkedViews {
  detector: Detector;
  /** The drawn mask (detector-shaped weights): it starts as the disk or annulus shown when the view opened. */
  readonly drawnMask: Float32Array;
  /** Corners of the polygon being drawn (emptied when it is filled). */
  readonly polygon: Point[] = [];
  /** The last results, for exports and tests. */
  image?: Float32Array;
  probePattern?: Float32Array;
  probeIndex?: number;
  region?: { rows: [number, number]; cols: [number, number]; mean: Float32Array };
  com?: { comY: Float32Array; comX: Float32Array; phase?: Float32Array; relative: boolean };
  /** Milliseconds of each virtual image update (reduction and drawing). */
  readonly updateTimes: number[] = [];
  /** Milliseconds of the reduction alone in each update. */
  readonly reduceTimes: number[] = [];
  /** Milliseconds of each probe pattern shown (read and drawn). */
  readonly probeTimes: number[] = [];
  /** When the virtual image was first drawn (performance.now(), ms). */
  firstImageAt?: number;
  patternAt?: Placement;
  imageAt?: Placement;
  private pinned = false;
  private imageBase?: ImageData;
  /** The pattern as drawn without the detector, and the settings it was drawn with (a drag redraws only the rings). */
  private patternBase?: { key: string; pixels: ImageData; at: Placement };
  private work: Promise<void> = Promise.resolve();
  private readonly listeners = new AbortController();
  private queued = false;

  /** `failed` reports errors of updates started by the mouse (they have no caller to reject). */
  constructor(readonly core: Core, readonly data: Loaded, readonly el: ViewElements,
    readonly settings: () => ViewSettings, readonly failed: (e: unknown) => void) {
    this.detector = diskDetector(data.disk);
    this.drawnMask = detectorMask(data.det[0], data.det[1], this.detector);
    const when = (mode: ViewSettings["mode"], tool?: BrushSettings["tool"]) => () => {
      const s = this.settings();
      return s.mode === mode && (tool === undefined || s.brush.tool === tool) ? this.patternAt : undefined;
    };
    const signal = this.listeners.signal;
    dragDetector(el.pattern, when("annulus"), () => this.detector, (next) => this.setDetector(next),
      () => this.later(this.updateCom()), signal);
    brushOnCanvas(el.pattern, when("mask", "brush"), () => this.drawnMask, () => this.settings().brush,
      () => this.maskChanged(), signal);
    polygonOnCanvas(el.pattern, when("mask", "polygon"), () => this.drawnMask,
      () => (this.settings().brush.erase ? 0 : 1), this.polygon, () => this.drawPattern(), () => this.maskChanged(),
      signal);
    this.attachProbe();
  }

  /** Draws everything once. */
  async start(): Promise<void> {
    this.drawPattern();
    await this.updateVirtual();
    await this.updateCom();
    await this.showProbe(0);
  }

  /** Detaches the mouse handlers and gives the frames' memory back. */
  async close(): Promise<void> {
    this.listeners.abort();
    await this.settled();
    await this.data.ds.source.close?.();
  }

  /** Tracks an update the mouse started, so that settled() waits for it; its error is reported. */
  private later(p: Promise<void>): void {
    this.work = this.work.then(() => p).catch(this.failed);
  }

  /** Resolves when every requested update has been drawn. */
  async settled(): Promise<void> {
    let last;
    do { last = this.work; await last; } while (last !== this.work);
  }

  setDetector(d: Detector): void {
    this.detector = d;
    this.drawPattern();
    this.requestVirtual().catch(this.failed);
  }

  /** After the drawn mask changed (painted, cleared) or the mode switched: the pattern and the image. */
  maskChanged(): void {
    this.drawPattern();
    this.requestVirtual().catch(this.failed);
  }

  /** The detector weights the virtual image uses now. */
  currentMask(): Float32Array {
    const [rows, cols] = this.data.det;
    return this.settings().mode === "mask" ? this.drawnMask : detectorMask(rows, cols, this.detector);
  }

  /** Redraws every view with the current contrast settings. */
  redraw(): void {
    this.drawPattern();
    if (this.image) this.drawImage();
    if (this.probePattern) this.drawProbe();
    if (this.com) this.drawCom();
  }

  drawPattern(): void {
    const { det } = this.data, s = this.settings(), ctx = this.el.pattern.getContext("2d")!;
    const key = JSON.stringify([s.max, s.mode, s.contrast]);
    if (this.patternBase?.key === key) {
      ctx.putImageData(this.patternBase.pixels, 0, 0);
      this.patternAt = this.patternBase.at;
    } else {
      this.patternAt = drawMap(this.el.pattern, {
        values: s.max ? this.data.stats.max : this.data.stats.mean, rows: det[0], cols: det[1],
        title: `${s.max ? "max" : "mean"} pattern, ${s.mode === "mask" ? "drawn mask" : "detector"} in blue`,
        unit: "counts", pixel: this.detPixel(), contrast: s.contrast,
      });
      const { width, height } = this.el.pattern;
      this.patternBase = { key, pixels: ctx.getImageData(0, 0, width, height), at: this.patternAt };
    }
    if (s.mode === "mask") {
      drawMaskOverlay(ctx, this.patternAt, this.drawnMask);
      drawPolygonPath(ctx, this.patternAt, this.polygon);
    } else drawDetector(ctx, this.patternAt, this.detector);
  }

  /** Recomputes the virtual image; requests arriving while one runs are folded into one more run. */
  requestVirtual(): Promise<void> {
    if (this.queued) return this.work;
    this.queued = true;
    this.work = this.work.then(() => { this.queued = false; return this.updateVirtual(); });
    return this.work;
  }

  private async updateVirtual(): Promise<void> {
    const drawn = this.settings().mode === "mask";
    const problem = drawn ? undefined : detectorProblem(this.detector);
    if (problem) {
      this.el.detectorNote.textContent = `detector: ${problem}; the image shows the last valid detector`;
      this.el.detectorNote.className = "problem";
      return;
    }
    const t0 = performance.now();
    const mask = this.currentMask();
    const { core, data } = this;
    const v = await runReduction(core, data.ds, virtualImages([mask]), dragRunOptions(core, data.ds));
    this.reduceTimes.push(performance.now() - t0);
    this.image = v.images[0]!;
    this.drawImage();
    const ms = performance.now() - t0;
    this.updateTimes.push(ms);
    const d = this.detector, pixels = mask.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
    this.el.detectorNote.className = "";
    const what = !drawn ? `detector at (${d.cy}, ${d.cx}), radii ${d.inner}-${d.outer} px`
      : `drawn mask of ${pixels} pixels${pixels ? "" : " (empty: paint on the pattern)"}`;
    this.el.detectorNote.textContent = `${what}: image in ${ms.toFixed(1)} ms`;
  }

  private drawImage(): void {
    const [rows, cols] = this.data.scan;
    this.imageAt = drawMap(this.el.image, {
      values: this.image!, rows, cols, title: `virtual image${this.settings().mode === "mask" ? " (drawn mask)" : ""}`,
      unit: "counts", pixel: this.scanPixel(),
      contrast: { ...this.settings().contrast, log: false },
    });
    const ctx = this.el.image.getContext("2d")!;
    this.imageBase = ctx.getImageData(0, 0, this.el.image.width, this.el.image.height);
    this.drawImageMarks();
    this.firstImageAt ??= performance.now();
  }

  /** The probe position and region over the drawn virtual image (restored first: no redraw of the map). */
  private drawImageMarks(): void {
    const ctx = this.el.image.getContext("2d")!, p = this.imageAt!, cols = this.data.scan[1];
    if (this.imageBase) ctx.putImageData(this.imageBase, 0, 0);
    ctx.strokeStyle = "#0c0";
    if (this.probeIndex !== undefined) {
      const r = Math.floor(this.probeIndex / cols), c = this.probeIndex % cols;
      ctx.strokeRect(p.x0 + c * p.scale, p.y0 + r * p.scale, p.scale, p.scale);
    }
    if (this.region) {
      const { rows: [r0, r1], cols: [c0, c1] } = this.region;
      ctx.strokeStyle = "#fc0";
      ctx.strokeRect(p.x0 + c0 * p.scale, p.y0 + r0 * p.scale, (c1 - c0) * p.scale, (r1 - r0) * p.scale);
    }
  }

  /** Shows the pattern at probe position `index` (row-major over the scan image). */
  async showProbe(index: number): Promise<void> {
    const t0 = performance.now();
    this.probeIndex = index;
    this.probePattern = await frameValues(this.data.ds, index);
    this.region = undefined;
    this.drawProbe();
    if (this.imageAt) this.drawImageMarks();
    this.probeTimes.push(performance.now() - t0);
  }

  /** Shows the mean pattern of the scan rectangle rows [r0, r1) x cols [c0, c1). */
  async showRegion(rows: [number, number], cols: [number, number]): Promise<void> {
    const width = this.data.scan[1], indices: number[] = [];
    for (let r = rows[0]; r < rows[1]; r++) for (let c = cols[0]; c < cols[1]; c++) indices.push(r * width + c);
    const s = await runReduction(this.core, frameSubset(this.data.ds, indices, "region"), patternStats());
    this.region = { rows, cols, mean: s.mean };
    this.probePattern = s.mean;
    this.drawProbe();
    if (this.imageAt) this.drawImageMarks();
  }

  private drawProbe(): void {
    const [rows, cols] = this.data.det, width = this.data.scan[1];
    const g = this.region, at = this.probeIndex!;
    const title = g
      ? `mean of rows ${g.rows[0]}-${g.rows[1] - 1}, cols ${g.cols[0]}-${g.cols[1] - 1}`
      : `pattern at (${Math.floor(at / width)}, ${at % width})${this.pinned ? ", pinned" : ""}`;
    drawMap(this.el.probe, { values: this.probePattern!, rows, cols, title, unit: "counts", pixel: this.detPixel(),
      contrast: this.settings().contrast });
  }

  private attachProbe(): void {
    const canvas = this.el.image, signal = this.listeners.signal;
    let regionFrom: { row: number; col: number } | undefined;
    canvas.addEventListener("mousemove", (e) => {
      const at = this.imageAt && pixelAt(canvas, this.imageAt, e);
      if (!at || this.pinned || regionFrom) return;
      const index = at.row * this.data.scan[1] + at.col;
      if (index !== this.probeIndex || this.region) this.later(this.showProbe(index));
    }, { signal });
    canvas.addEventListener("mousedown", (e) => {
      const at = this.imageAt && pixelAt(canvas, this.imageAt, e);
      if (at && e.shiftKey) regionFrom = at;
    }, { signal });
    canvas.addEventListener("mouseup", (e) => {
      const at = this.imageAt && pixelAt(canvas, this.imageAt, e);
      if (regionFrom && at) {
        const rows: [number, number] = [Math.min(regionFrom.row, at.row), Math.max(regionFrom.row, at.row) + 1];
        const cols: [number, number] = [Math.min(regionFrom.col, at.col), Math.max(regionFrom.col, at.col) + 1];
        regionFrom = undefined;
        this.pinned = true;
        this.later(this.showRegion(rows, cols));
        return;
      }
      regionFrom = undefined;
      if (!at) return;
      this.pinned = !this.pinned || at.row * this.data.scan[1] + at.col !== this.probeIndex;
      this.later(this.showProbe(at.row * this.data.scan[1] + at.col));
    }, { signal });
  }

  /** Centre of mass about the detector's centre, and its integral where the scan is 2D. */
  async updateCom(): Promise<void> {
    const [rows, cols] = this.data.det, [ny, nx] = this.data.scan;
    const center = { cy: this.detector.cy, cx: this.detector.cx };
    const com = await runReduction(this.core, this.data.ds, centerOfMass(rows, cols, center));
    const cal = this.data.ds.calibration, scan = this.scanPixel(), det = this.detPixel();
    const stepA = scan && /^(nm|Å|A)$/.test(scan.unit) ? scan.step * (scan.unit === "nm" ? 10 : 1) : undefined;
    const mrad = det?.unit === "mrad" ? det.step : undefined;
    const kv = typeof cal?.beamEnergyKeV === "number" ? cal.beamEnergyKeV : readProbeCalibration(cal).kv;
    const relative = !(stepA && mrad && kv);
    let phase: Float32Array | undefined;
    if (ny >= 2 && nx >= 2) {
      phase = dpcFromCom(this.core, com.comY, com.comX, ny, nx,
        { kv: kv ?? 300, stepA: [stepA ?? 1, stepA ?? 1], mradPerPixel: mrad ?? 1, center }).phase;
    }
    this.com = { comY: com.comY, comX: com.comX, phase, relative };
    this.drawCom();
  }

  private drawCom(): void {
    const [rows, cols] = this.data.scan, pixel = this.scanPixel(), c = this.settings().contrast;
    const com = this.com!;
    const signed = { rows, cols, unit: "px", pixel, kind: "signed", contrast: c } as const;
    drawMap(this.el.comY, { ...signed, values: com.comY, title: "COM, row component" });
    drawMap(this.el.comX, { ...signed, values: com.comX, title: "COM, column component" });
    const ctx = this.el.icom.getContext("2d")!;
    if (!com.phase) {
      this.el.icom.width = 256;
      this.el.icom.height = 40;
      ctx.fillText("iCoM needs a 2D scan of at least 2 x 2", 6, 20);
      return;
    }
    drawMap(this.el.icom, { values: com.phase, rows, cols, title: `iCoM phase${com.relative ? " (uncalibrated)" : ""}`,
      unit: com.relative ? "rel." : "rad", pixel, kind: "signed", contrast: c });
  }

  scanPixel() { return pixelSize(this.data.ds.calibration, this.data.ds.shape, "scan"); }
  detPixel() { return pixelSize(this.data.ds.calibration, this.data.ds.shape, "detector"); }
}
