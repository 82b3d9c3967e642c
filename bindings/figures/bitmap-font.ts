// Text for PNG figures: the glyphs of font-data.ts (DejaVu Sans at 24 device pixels = 12 CSS pixels at 2x density),
// measured and drawn with their coverage blended over the pixels. SVG figures use the same font at 12 px, so a
// layout measured here fits both.
import { FONT_ASCENT, FONT_BITS, FONT_CHARS, FONT_HEIGHT, FONT_SIZE, FONT_WIDTHS } from "./font-data.js";
import type { RGB } from "../png.js";

/** CSS pixels per device pixel of the glyphs (they are drawn at 2x). */
const DENSITY = 2;
/** Font size (CSS pixels) the layouts use. */
export const TEXT_SIZE = FONT_SIZE / DENSITY;
export const TEXT_ASCENT = FONT_ASCENT / DENSITY;
export const TEXT_HEIGHT = FONT_HEIGHT / DENSITY;

interface Glyph { width: number; coverage: Uint8Array }
let glyphs: Map<string, Glyph> | undefined;

function table(): Map<string, Glyph> {
  if (glyphs) return glyphs;
  const bin = atob(FONT_BITS);
  const level = (i: number) => (bin.charCodeAt(i >> 2) >> (2 * (i & 3))) & 3;
  glyphs = new Map();
  let at = 0;
  [...FONT_CHARS].forEach((ch, g) => {
    const width = FONT_WIDTHS[g]!, coverage = new Uint8Array(width * FONT_HEIGHT);
    for (let i = 0; i < coverage.length; i++) coverage[i] = level(at + i);
    at += coverage.length;
    glyphs!.set(ch, { width, coverage });
  });
  return glyphs;
}

/** The glyph drawn for a character ('?' when the font lacks it). */
function glyph(ch: string): Glyph {
  const t = table();
  return t.get(ch) ?? t.get("?")!;
}

/** Width of a text in CSS pixels. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += glyph(ch).width;
  return w / DENSITY;
}

/** Draws text into an RGBA raster of `width` device pixels per row; (x, baseline) in device pixels. */
export function drawText(rgba: Uint8Array, width: number, height: number, text: string, x: number, baseline: number, color: RGB): void {
  let pen = Math.round(x);
  const top = Math.round(baseline) - FONT_ASCENT;
  for (const ch of text) {
    const g = glyph(ch);
    for (let r = 0; r < FONT_HEIGHT; r++) {
      const y = top + r;
      if (y < 0 || y >= height) continue;
      for (let c = 0; c < g.width; c++) {
        const a = g.coverage[r * g.width + c]! / 3, px = pen + c;
        if (a === 0 || px < 0 || px >= width) continue;
        const p = (y * width + px) * 4;
        for (let k = 0; k < 3; k++) rgba[p + k] = Math.round(rgba[p + k]! * (1 - a) + color[k]! * a);
      }
    }
    pen += g.width;
  }
}
