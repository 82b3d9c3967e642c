// A figure as a list of marks (images, rectangles, text) in CSS pixels, drawn by two back ends: SVG for the report
// (text stays text; every group is a <g> whose class says what it is: map, colorbar, scalebar...) and PNG at 2x
// device pixel density for files (text from the bitmap font). One layout, so a figure looks the same in both.
import { encodePng, type RGB } from "../png.js";
import { drawText, TEXT_SIZE, textWidth } from "./bitmap-font.js";
import { dataUri, escapeHtml } from "./markup.js";

/** Device pixels per CSS pixel of PNG figures (and of the map images inside SVG figures). */
export const DENSITY = 2;

export interface Raster { rgba: Uint8Array; width: number; height: number }

export type Mark =
  /** A raster stretched over the box without smoothing. */
  | { type: "image"; x: number; y: number; w: number; h: number; image: Raster }
  | { type: "rect"; x: number; y: number; w: number; h: number; fill?: RGB; stroke?: RGB }
  /** y is the baseline. */
  | { type: "text"; x: number; y: number; text: string; anchor?: "start" | "middle" | "end"; color?: RGB; bold?: boolean };

export interface MarkGroup {
  /** What the group is (the SVG <g>'s class): "title", "map", "colorbar", "legend", "scalebar", "axes". */
  role: string;
  /** data-* attributes of the SVG group (e.g. a scale bar's length and unit), for readers and tests. */
  data?: Record<string, string | number>;
  marks: Mark[];
}

export interface FigureLayout {
  width: number;
  height: number;
  groups: MarkGroup[];
  /** Title (the SVG's <title> and aria-label). */
  title: string;
}

const css = (c: RGB) => `rgb(${c[0]},${c[1]},${c[2]})`;
const n = (v: number) => String(+v.toFixed(2));
const box = (m: { x: number; y: number; w: number; h: number }) => `x="${n(m.x)}" y="${n(m.y)}" width="${n(m.w)}" height="${n(m.h)}"`;

/** The figure as self-contained SVG markup (no ids, so several can be inlined in one page). */
export async function layoutSvg(f: FigureLayout): Promise<string> {
  const [w, h] = [n(f.width), n(f.height)];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"` +
    ` aria-label="${escapeHtml(f.title)}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="${TEXT_SIZE}">`];
  out.push(`<title>${escapeHtml(f.title)}</title><rect width="100%" height="100%" fill="white"/>`);
  for (const g of f.groups) {
    const data = Object.entries(g.data ?? {}).map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`).join("");
    out.push(`<g class="${g.role}"${data}>`);
    for (const m of g.marks) out.push(await markSvg(m));
    out.push("</g>");
  }
  out.push("</svg>");
  return out.join("");
}

async function markSvg(m: Mark): Promise<string> {
  if (m.type === "image") {
    const uri = dataUri("image/png", await encodePng(m.image.rgba, m.image.width, m.image.height));
    return `<image ${box(m)} preserveAspectRatio="none" style="image-rendering:pixelated" href="${uri}"/>`;
  }
  if (m.type === "rect") {
    return `<rect ${box(m)} fill="${m.fill ? css(m.fill) : "none"}"${m.stroke ? ` stroke="${css(m.stroke)}"` : ""}/>`;
  }
  const anchor = m.anchor && m.anchor !== "start" ? ` text-anchor="${m.anchor}"` : "";
  const fill = m.color ? ` fill="${css(m.color)}"` : "", bold = m.bold ? ' font-weight="bold"' : "";
  return `<text x="${n(m.x)}" y="${n(m.y)}"${anchor}${fill}${bold}>${escapeHtml(m.text)}</text>`;
}

/** The figure as RGBA pixels at DENSITY device pixels per CSS pixel. */
export function layoutRaster(f: FigureLayout): Raster {
  const width = Math.ceil(f.width * DENSITY), height = Math.ceil(f.height * DENSITY);
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const box = (x: number, y: number, w: number, h: number) =>
    [Math.round(x * DENSITY), Math.round(y * DENSITY), Math.round((x + w) * DENSITY), Math.round((y + h) * DENSITY)] as const;
  const fill = (x0: number, y0: number, x1: number, y1: number, c: RGB) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) rgba.set(c, (y * width + x) * 4);
    }
  };
  const px = new Uint32Array(rgba.buffer);
  // An image stretched over [x0, x0 + w) x [y0, y0 + h) by nearest neighbour: each device pixel takes the image pixel
  // under its left/top edge (whole blocks when the box is a whole multiple of the image), rows made once and copied.
  const drawImage = (image: Raster, x0: number, y0: number, w: number, h: number) => {
    const bytes = image.rgba.byteOffset % 4 ? image.rgba.slice() : image.rgba;
    const src = new Uint32Array(bytes.buffer, bytes.byteOffset, image.width * image.height);
    const xs0 = Math.max(0, x0), xs1 = Math.min(width, x0 + w);
    if (xs1 <= xs0) return;
    const cols = Int32Array.from({ length: xs1 - xs0 }, (_, i) => Math.min(image.width - 1, Math.floor(((xs0 + i - x0) * image.width) / w)));
    let last = -1, lastRow = 0;
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      const sy = Math.min(image.height - 1, Math.floor(((y - y0) * image.height) / h)), row = y * width;
      if (sy === last) { px.copyWithin(row + xs0, lastRow + xs0, lastRow + xs1); continue; }
      const from = sy * image.width;
      for (let i = 0; i < cols.length; i++) px[row + xs0 + i] = src[from + cols[i]!]!;
      last = sy;
      lastRow = row;
    }
  };
  for (const g of f.groups) {
    for (const m of g.marks) {
      if (m.type === "image") {
        const [x0, y0, x1, y1] = box(m.x, m.y, m.w, m.h);
        drawImage(m.image, x0, y0, x1 - x0, y1 - y0);
      } else if (m.type === "rect") {
        const [x0, y0, x1, y1] = box(m.x, m.y, m.w, m.h);
        if (m.fill) fill(x0, y0, x1, y1, m.fill);
        if (m.stroke) {
          const t = DENSITY / 2; // a 1 CSS px line centred on the edge
          fill(x0 - t, y0 - t, x1 + t, y0 + t, m.stroke); fill(x0 - t, y1 - t, x1 + t, y1 + t, m.stroke);
          fill(x0 - t, y0 - t, x0 + t, y1 + t, m.stroke); fill(x1 - t, y0 - t, x1 + t, y1 + t, m.stroke);
        }
      } else {
        const w = textWidth(m.text);
        const x = m.anchor === "middle" ? m.x - w / 2 : m.anchor === "end" ? m.x - w : m.x;
        drawText(rgba, width, height, m.text, x * DENSITY, m.y * DENSITY, m.color ?? [0, 0, 0]);
        if (m.bold) drawText(rgba, width, height, m.text, x * DENSITY + 1, m.y * DENSITY, m.color ?? [0, 0, 0]);
      }
    }
  }
  return { rgba, width, height };
}

/** The figure as a PNG file at 2x device pixel density, which its pHYs chunk states (192 dpi: a CSS pixel is
 * 1/96 inch), so viewers that honour it show it at its layout size. */
export function layoutPng(f: FigureLayout): Promise<Uint8Array> {
  const r = layoutRaster(f);
  return encodePng(r.rgba, r.width, r.height, 96 * DENSITY);
}

/** Several figures in one, in rows of `columns` (each cell as large as the largest figure). */
export function figureSheet(figures: readonly FigureLayout[], title: string, columns = Math.ceil(Math.sqrt(figures.length))): FigureLayout {
  const cw = Math.max(...figures.map((f) => f.width)), ch = Math.max(...figures.map((f) => f.height));
  const move = (m: Mark, dx: number, dy: number): Mark => ({ ...m, x: m.x + dx, y: m.y + dy });
  const groups = figures.flatMap((f, i) => {
    const dx = (i % columns) * cw, dy = Math.floor(i / columns) * ch;
    return f.groups.map((g) => ({ ...g, marks: g.marks.map((m) => move(m, dx, dy)) }));
  });
  return { width: Math.min(columns, figures.length) * cw, height: Math.ceil(figures.length / columns) * ch, groups, title };
}
