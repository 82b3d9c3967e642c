// The preview drawn while a file is read into memory (progressive-read.ts): the mean pattern of the frames read so
// far with the detector found on it, and that detector's virtual image filling in (frames not read yet are NaN,
// drawn in the colour maps' NaN colour). The linked views replace both once every frame is in.
import type { Dataset } from "../bindings/dataset.js";
import { pixelSize } from "../bindings/figures/calibration.js";
import { scanImageShape } from "../bindings/figures/report-analyze.js";
import { drawMap, type Contrast } from "./canvas-figure.js";
import { drawDetector } from "./detector.js";
import type { Preview } from "./progressive-read.js";

export function drawPreview(el: { pattern: HTMLCanvasElement; image: HTMLCanvasElement }, p: Preview,
  ds: Pick<Dataset, "shape" | "calibration">, contrast: Contrast): void {
  const { rows, cols } = p.stats, [scanRows, scanCols] = scanImageShape(ds.shape);
  const at = drawMap(el.pattern, { values: p.stats.mean, rows, cols, unit: "counts", contrast,
    title: `mean of the first ${p.frames} of ${p.total} frames (reading)`,
    pixel: pixelSize(ds.calibration, ds.shape, "detector") });
  drawDetector(el.pattern.getContext("2d")!, at, p.detector);
  drawMap(el.image, { values: p.image, rows: scanRows, cols: scanCols, unit: "counts",
    title: `virtual image, ${Math.floor((100 * p.frames) / p.total)}% of the frames read`,
    pixel: pixelSize(ds.calibration, ds.shape, "scan"), contrast: { ...contrast, log: false } });
}
