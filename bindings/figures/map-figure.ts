// A 2D map as a figure a microscopist can read quantitatively: a title, the map upscaled without smoothing to a
// readable size, a colour bar with its values and units (a legend of colours for cluster labels), and a scale bar
// from the calibration, or in pixels, said plainly, when there is none. Signed maps get a diverging colour map
// centred at zero; phases a cyclic one over -pi..pi. Drawn as SVG for the report (the map's image at one pixel per
// value, upscaled by the browser without smoothing) and as PNG (2x density) for files.
import { colorOf, renderMap, stretchOf, type Colormap, type ImageOptions, type RGB, type Stretch } from "../png.js";
import { TEXT_ASCENT, TEXT_HEIGHT, textWidth } from "./bitmap-font.js";
import { niceLength, type PixelSize } from "./calibration.js";
import { DENSITY, layoutPng, layoutSvg, type FigureLayout, type Mark, type MarkGroup } from "./figure-layout.js";

/** intensity: a sequential map; signed: diverging, centred at zero; phase: cyclic over -pi..pi; labels: categories. */
export type MapKind = "intensity" | "signed" | "phase" | "labels";

export interface MapFigure extends Pick<ImageOptions, "log" | "range" | "lowPercentile" | "highPercentile"> {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  title: string;
  /** What a value is, with its unit (over the colour bar), e.g. "counts", "px from the centre". */
  units?: string;
  kind?: MapKind;
  /** Colour map of an intensity map (default gray). */
  colormap?: Colormap;
  /** What the map's pixels are, for the scale bar: probe positions, detector pixels or FFT bins of the scan. */
  space: "scan" | "detector" | "frequency";
  /** Physical size of one map pixel; without it the scale bar is in pixels. */
  pixel?: PixelSize;
  /** For labels: the colour and the legend text of each label (default: tab10 colours, the label numbers). */
  labels?: { colors?: readonly RGB[]; names?: readonly string[] };
  /** Longer side of the map on the page, CSS pixels (default 320); small maps are upscaled by whole pixels. */
  size?: number;
}

const PAD = 10, BAR_W = 14, GAP = 14, TICK = 4, GREY: RGB = [110, 110, 110];
const FIXED_MAPS: Partial<Record<MapKind, Colormap>> = { signed: "coolwarm", phase: "twilight", labels: "labels" };
const SPACE_PIXELS = { scan: "scan px", detector: "detector px", frequency: "FFT bins" } as const;

export function mapFigureLayout(f: MapFigure): FigureLayout {
  if (f.values.length !== f.rows * f.cols) {
    const n = f.rows * f.cols;
    throw new RangeError(`${f.title}: a ${f.rows} x ${f.cols} map needs ${n} values, got ${f.values.length}`);
  }
  const kind = f.kind ?? "intensity";
  const colormap: Colormap = FIXED_MAPS[kind] ?? f.colormap ?? "gray";
  const opts: ImageOptions = { ...f, colormap, range: rangeOf(f, kind), labelColors: f.labels?.colors };
  const s = kind === "labels" ? undefined : stretchOf(f.values, opts);
  // Whole device pixels per map pixel, so that no value is smoothed into its neighbour.
  const scale = Math.max(1, Math.ceil((DENSITY * (f.size ?? 320)) / Math.max(f.rows, f.cols)));
  // The image holds one pixel per value; its box is the upscaled size, drawn without smoothing by both back ends.
  const image = renderMap(f.values, f.rows, f.cols, { ...opts, scale: 1 }, s);
  const mapW = (f.cols * scale) / DENSITY, mapH = (f.rows * scale) / DENSITY;
  const top = PAD + TEXT_HEIGHT + 4 + (f.units && kind !== "labels" ? TEXT_HEIGHT + 6 : 0);
  const x0 = PAD;
  const groups: MarkGroup[] = [];
  groups.push({ role: "title", marks: [{ type: "text", x: PAD, y: PAD + TEXT_ASCENT, text: f.title, bold: true }] });
  groups.push({
    role: "map", data: { rows: f.rows, cols: f.cols },
    marks: [
      { type: "image", x: x0, y: top, w: mapW, h: mapH, image },
      { type: "rect", x: x0, y: top, w: mapW, h: mapH, stroke: GREY },
    ],
  });
  const sideX = x0 + mapW + GAP;
  const side = kind === "labels"
    ? legend(f, sideX, top, mapH)
    : colorbar(f, kind, colormap, s!, sideX, top, Math.max(mapH, 120));
  groups.push(side.group);
  const bar = scaleBar(f, x0, top + mapH + 8, mapW);
  groups.push(bar.group);
  const width = Math.max(side.right, bar.right, PAD + textWidth(f.title) + 4) + PAD;
  const height = Math.max(top + mapH + 8 + bar.height, side.bottom) + PAD;
  return { width, height, groups, title: f.title };
}

export const mapFigureSvg = (f: MapFigure): Promise<string> => layoutSvg(mapFigureLayout(f));
export const mapFigurePng = (f: MapFigure): Promise<Uint8Array> => layoutPng(mapFigureLayout(f));

function rangeOf(f: MapFigure, kind: MapKind): [number, number] | undefined {
  if (f.range || kind === "intensity" || kind === "labels") return f.range;
  if (kind === "phase") return [-Math.PI, Math.PI];
  // Signed: symmetric about zero, so that zero is the neutral colour.
  const abs = new Float32Array(f.values.length);
  for (let i = 0; i < abs.length; i++) abs[i] = Number.isFinite(f.values[i]!) ? Math.abs(f.values[i]!) : NaN;
  const m = stretchOf(abs, { lowPercentile: 0, highPercentile: f.highPercentile ?? 99.5 }).hi;
  const max = m > 0 && Number.isFinite(m) ? m : 1;
  return [-max, max];
}

interface Side { group: MarkGroup; right: number; bottom: number }

function colorbar(f: MapFigure, kind: MapKind, map: Colormap, s: Stretch, x: number, y: number, h: number): Side {
  const steps = 256, rgba = new Uint8Array(steps * 4);
  for (let i = 0; i < steps; i++) {
    rgba.set([...colorOf(1 - i / (steps - 1), map), 255], i * 4);
  }
  const marks: Mark[] = [
    { type: "image", x, y, w: BAR_W, h, image: { rgba, width: 1, height: steps } },
    { type: "rect", x, y, w: BAR_W, h, stroke: GREY },
  ];
  if (f.units) marks.push({ type: "text", x, y: y - 11, text: f.units });
  let right = x + BAR_W + (f.units ? textWidth(f.units) : 0);
  for (const t of ticksOf(kind, s, f.log ?? false)) {
    const ty = y + h * (1 - (s.transform(t.value) - s.lo) / (s.hi - s.lo));
    marks.push({ type: "rect", x: x + BAR_W, y: ty - 0.5, w: TICK, h: 1, fill: [0, 0, 0] });
    marks.push({ type: "text", x: x + BAR_W + TICK + 3, y: ty + TEXT_ASCENT / 2 - 1, text: t.label });
    right = Math.max(right, x + BAR_W + TICK + 3 + textWidth(t.label));
  }
  const lo = s.inverse(s.lo), hi = s.inverse(s.hi);
  const data = {
    min: +lo.toPrecision(6), max: +hi.toPrecision(6), colormap: map, units: f.units ?? "", scale: f.log ? "log" : "linear",
  };
  return { group: { role: "colorbar", data, marks }, right, bottom: y + h };
}

/** Tick values within the colour bar's range and their labels. */
function ticksOf(kind: MapKind, s: Stretch, log: boolean): { value: number; label: string }[] {
  if (kind === "phase") {
    const labels = ["−π", "−π/2", "0", "π/2", "π"];
    return labels.map((label, i) => ({ value: (i - 2) * (Math.PI / 2), label }));
  }
  const lo = s.inverse(s.lo), hi = s.inverse(s.hi);
  const at = (v: number) => (s.transform(v) - s.lo) / (s.hi - s.lo);
  // Round values inside (even steps of the stretched scale for log maps), and the two ends, which say the range.
  const quarter = (i: number) => +s.inverse(s.lo + ((s.hi - s.lo) * i) / 4).toPrecision(2);
  const inner = log ? [1, 2, 3].map(quarter) : niceTicks(lo, hi);
  const values = [lo, ...inner.filter((v) => at(v) > 0.1 && at(v) < 0.9), hi];
  const labels = values.map((v, i) => (i === 0 || i === values.length - 1 ? +v.toPrecision(3) : v));
  return values.map((v, i) => ({ value: v, label: formatValue(labels[i]!, labels) }));
}

/** About six round values from lo to hi. */
export function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const step = niceStep(span / 5);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  }
  return out;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((v) => v >= raw * 0.999999) ?? 10 * mag;
}

/** A tick label: plain numbers where they are short, exponents otherwise; minus signs as minus signs. */
export function formatValue(v: number, all: readonly number[] = [v]): string {
  const big = Math.max(...all.map(Math.abs));
  let text: string;
  if (v === 0) text = "0";
  else if (big >= 1e5 || big < 1e-3) text = v.toExponential(1).replace("e+", "e");
  else text = String(+v.toPrecision(4));
  return text.replace(/^-/, "−");
}

function legend(f: MapFigure, x: number, y: number, mapH: number): Side {
  const n = Math.max(0, ...Array.from(f.values, (v) => (Number.isFinite(v) ? v + 1 : 0)));
  const rowH = TEXT_HEIGHT + 3, perColumn = Math.max(8, Math.floor(mapH / rowH));
  const marks: Mark[] = [];
  let right = x, bottom = y, colX = x, colW = 0;
  for (let c = 0; c < n; c++) {
    if (c > 0 && c % perColumn === 0) { colX += colW + 12; colW = 0; }
    const ry = y + (c % perColumn) * rowH;
    const color = f.labels?.colors?.[c] ?? colorOf(c, "labels");
    const name = f.labels?.names?.[c] ?? String(c);
    marks.push({ type: "rect", x: colX, y: ry + 2, w: 12, h: 12, fill: color, stroke: GREY });
    marks.push({ type: "text", x: colX + 17, y: ry + 2 + TEXT_ASCENT - 1, text: name });
    colW = Math.max(colW, 17 + textWidth(name));
    right = Math.max(right, colX + colW);
    bottom = Math.max(bottom, ry + rowH);
  }
  return { group: { role: "colorbar", data: { colormap: "labels", labels: n }, marks }, right, bottom };
}

/** A bar of a round length (about a quarter of the map's width) under the map's left edge. */
function scaleBar(f: MapFigure, x: number, y: number, mapW: number): { group: MarkGroup; right: number; height: number } {
  const pxPerPixel = mapW / f.cols;
  const step = f.pixel?.step ?? 1, unit = f.pixel?.unit ?? SPACE_PIXELS[f.space];
  const length = niceLength(Math.max(step, (f.cols * step) / 4));
  const w = (length / step) * pxPerPixel;
  const label = `${formatValue(length)} ${unit}${f.pixel ? "" : " (no calibration)"}`;
  const marks: Mark[] = [
    { type: "rect", x, y: y + 4, w, h: 4, fill: [0, 0, 0] },
    { type: "text", x: x + w + 6, y: y + TEXT_ASCENT - 1, text: label },
  ];
  return {
    group: {
      role: "scalebar", marks,
      data: { length, unit, step, pixels: +(length / step).toPrecision(6), calibrated: f.pixel ? "yes" : "no" },
    },
    right: x + w + 6 + textWidth(label), height: TEXT_HEIGHT,
  };
}
