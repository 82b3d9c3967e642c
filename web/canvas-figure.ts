// A map drawn on a canvas for interactive views: the image (pixels kept sharp), a title, a colour bar with values
// and units, and a scale bar from the file's calibration (or in pixels, said so). The same stretch as the CLI's
// figures (bindings/png.ts): percentiles of the finite values, optionally on log1p.
import { colorOf, renderMap, stretchOf, type Colormap, type Stretch } from "../bindings/png.js";
import { formatValue, niceTicks } from "../bindings/figures/map-figure.js";
import { niceLength, type PixelSize } from "../bindings/figures/calibration.js";

export interface Contrast {
  log: boolean;
  lowPercentile: number;
  highPercentile: number;
}

export interface MapView {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  title: string;
  /** Unit of the values (colour bar label). */
  unit: string;
  /** Physical size of one pixel along the columns; undefined draws the scale bar in pixels. */
  pixel?: PixelSize;
  /** "signed": a diverging map centred at zero (COM, loadings); "labels": cluster numbers. */
  kind?: "intensity" | "signed" | "labels";
  contrast?: Contrast;
}

/** Where the image sits on the canvas: pixel (row, col) spans [x0 + col * scale, ...) in CSS pixels. */
export interface Placement {
  x0: number;
  y0: number;
  scale: number;
  rows: number;
  cols: number;
}

const TITLE = 22, PAD = 6, BAR = 14, BAR_TEXT = 64, FONT = "11px sans-serif";

/** Draws `v` on `canvas`, the image `size` CSS pixels on its long side; returns where the image went. */
export function drawMap(canvas: HTMLCanvasElement, v: MapView, size = 256): Placement {
  const scale = size / Math.max(v.rows, v.cols);
  const w = v.cols * scale, h = v.rows * scale;
  const width = Math.ceil(PAD + w + PAD + (v.kind === "labels" ? 0 : BAR + BAR_TEXT));
  const height = Math.ceil(TITLE + h + 30);
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  ctx.fillStyle = "#222";
  ctx.fillText(v.title, PAD, 15);
  const { colormap, stretch, options } = styleOf(v);
  const { rgba, width: iw, height: ih } = renderMap(v.values, v.rows, v.cols, { ...options, colormap, scale: 1 });
  const tile = document.createElement("canvas");
  tile.width = iw;
  tile.height = ih;
  tile.getContext("2d")!.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer as ArrayBuffer), iw, ih), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, PAD, TITLE, w, h);
  if (stretch) colourBar(ctx, PAD + w + PAD, TITLE, h, stretch, colormap, v.unit);
  scaleBar(ctx, PAD, TITLE + h, w, v.cols, v.pixel);
  return { x0: PAD, y0: TITLE, scale, rows: v.rows, cols: v.cols };
}

/** The pixel under a mouse event, or undefined outside the image. */
export function pixelAt(canvas: HTMLCanvasElement, p: Placement, e: MouseEvent):
  { row: number; col: number; y: number; x: number } | undefined {
  const r = canvas.getBoundingClientRect();
  const x = ((e.clientX - r.left) * canvas.width) / r.width, y = ((e.clientY - r.top) * canvas.height) / r.height;
  const col = (x - p.x0) / p.scale - 0.5, row = (y - p.y0) / p.scale - 0.5;
  if (row < -0.5 || col < -0.5 || row >= p.rows - 0.5 || col >= p.cols - 0.5) return undefined;
  return { row: Math.round(row), col: Math.round(col), y: row, x: col };
}

interface Style { colormap: Colormap; stretch?: Stretch; options: { range?: [number, number]; log?: boolean } }

function styleOf(v: MapView): Style {
  if (v.kind === "labels") return { colormap: "labels", options: {} };
  const c = v.contrast ?? { log: false, lowPercentile: 0.5, highPercentile: 99.5 };
  if (v.kind === "signed") {
    const s = stretchOf(v.values, { lowPercentile: c.lowPercentile, highPercentile: c.highPercentile });
    const m = Math.max(Math.abs(s.lo), Math.abs(s.hi)) || 1;
    const range: [number, number] = [-m, m];
    return { colormap: "coolwarm", stretch: stretchOf(v.values, { range }), options: { range } };
  }
  const stretch = stretchOf(v.values, c);
  const range: [number, number] = [stretch.inverse(stretch.lo), stretch.inverse(stretch.hi)];
  return { colormap: "magma", stretch, options: { range, log: c.log } };
}

function colourBar(ctx: CanvasRenderingContext2D, x: number, y: number, h: number, s: Stretch, map: Colormap,
  unit: string): void {
  for (let i = 0; i < h; i++) {
    const [r, g, b] = colorOf(Math.min(1, Math.max(0, 1 - i / Math.max(1, h - 1))), map);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, y + i, BAR, 1);
  }
  ctx.strokeStyle = "#444";
  ctx.strokeRect(x + 0.5, y + 0.5, BAR, h);
  const lo = s.inverse(s.lo), hi = s.inverse(s.hi);
  const at = (value: number) => y + h * (1 - (s.transform(value) - s.lo) / (s.hi - s.lo));
  const ticks = [lo, ...niceTicks(lo, hi).filter((t) => at(t) > y + 10 && at(t) < y + h - 10), hi];
  ctx.fillStyle = "#222";
  for (const t of ticks) {
    const ty = at(t);
    ctx.fillRect(x + BAR, ty, 3, 1);
    ctx.fillText(formatValue(+t.toPrecision(3), ticks), x + BAR + 5, Math.min(y + h, Math.max(y + 9, ty + 4)));
  }
  ctx.fillText(unit, x, y + h + 14);
}

function scaleBar(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, cols: number,
  pixel?: PixelSize): void {
  const step = pixel?.step ?? 1, unit = pixel?.unit ?? "px";
  const length = niceLength((cols * step) / 4);
  const barW = (length / step) * (w / cols);
  ctx.fillStyle = "#222";
  ctx.fillRect(x, y + 8, barW, 4);
  ctx.fillText(`${formatValue(length)} ${unit}${pixel ? "" : " (no calibration)"}`, x + barW + 6, y + 14);
}
