// The drawn mask's polygon tool: click the corners on the pattern, double-click to close; the pixels whose centres lie
// inside (even-odd rule) are set (or cleared in erase mode). Coordinates are pattern pixels, (row, col) centres.
import { pixelAt, type Placement } from "./canvas-figure.js";

export interface Point {
  y: number;
  x: number;
}

/** Sets every pixel whose centre lies inside `polygon` to `value`; returns how many changed. */
export function fillPolygon(mask: Float32Array, rows: number, cols: number, polygon: readonly Point[],
  value: 0 | 1): number {
  if (polygon.length < 3) return 0;
  let changed = 0;
  for (let r = 0; r < rows; r++) {
    // Where the polygon's edges cross this row of centres: the spans between pairs of crossings are inside.
    const crossings: number[] = [];
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const a = polygon[i]!, b = polygon[j]!;
      if ((a.y > r) !== (b.y > r)) crossings.push(a.x + ((r - a.y) * (b.x - a.x)) / (b.y - a.y));
    }
    crossings.sort((p, q) => p - q);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      for (let c = Math.max(0, Math.ceil(crossings[k]!)); c <= Math.min(cols - 1, crossings[k + 1]!); c++) {
        if (c === crossings[k + 1]) continue; // a centre on the right edge is outside (half-open spans)
        if (mask[r * cols + c] !== value) {
          mask[r * cols + c] = value;
          changed++;
        }
      }
    }
  }
  return changed;
}

/** The corners clicked so far, drawn as a blue line over the pattern placed at `p`. */
export function drawPolygonPath(ctx: CanvasRenderingContext2D, p: Placement, corners: readonly Point[]): void {
  if (corners.length === 0) return;
  ctx.strokeStyle = "#39f";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const [i, q] of corners.entries()) {
    const x = p.x0 + (q.x + 0.5) * p.scale, y = p.y0 + (q.y + 0.5) * p.scale;
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
}

/** Clicks add corners while `placement()` gives a placement (the polygon tool); a double click closes the polygon and
 * fills it with `value()`. `cornered` follows every corner, `filled` every fill; the listeners go when `signal`
 * aborts. */
export function polygonOnCanvas(canvas: HTMLCanvasElement, placement: () => Placement | undefined,
  mask: () => Float32Array, value: () => 0 | 1, corners: Point[], cornered: () => void, filled: () => void,
  signal: AbortSignal): void {
  canvas.addEventListener("click", (e) => {
    const p = placement(), at = p && pixelAt(canvas, p, e);
    if (!p || !at) return;
    const last = corners.at(-1);
    if (!last || last.y !== at.y || last.x !== at.x) corners.push({ y: at.y, x: at.x });
    cornered();
  }, { signal });
  canvas.addEventListener("dblclick", () => {
    const p = placement();
    if (!p) return;
    fillPolygon(mask(), p.rows, p.cols, corners, value());
    corners.length = 0;
    filled();
  }, { signal });
}
