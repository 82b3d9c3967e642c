// A custom detector drawn on the pattern with a brush: detector-shaped weights (1 inside, 0 outside) that go to the
// same virtualImages reduction as the disk and annulus. Dragging paints discs of the brush radius along the path
// (erase mode clears them); the mask is drawn over the pattern in translucent blue.
import { pixelAt, type Placement } from "./canvas-figure.js";

/** Sets every pixel within `radius` of (y, x) to `value`; returns how many changed. */
export function paintDisc(mask: Float32Array, rows: number, cols: number, y: number, x: number, radius: number,
  value: 0 | 1): number {
  let changed = 0;
  const r0 = Math.max(0, Math.ceil(y - radius)), r1 = Math.min(rows - 1, Math.floor(y + radius));
  const c0 = Math.max(0, Math.ceil(x - radius)), c1 = Math.min(cols - 1, Math.floor(x + radius));
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      if ((r - y) ** 2 + (c - x) ** 2 > radius * radius || mask[r * cols + c] === value) continue;
      mask[r * cols + c] = value;
      changed++;
    }
  }
  return changed;
}

/** Paints the segment from `a` to `b` (pattern pixel coordinates) with discs at most half a pixel apart. */
export function paintStroke(mask: Float32Array, rows: number, cols: number, a: { y: number; x: number },
  b: { y: number; x: number }, radius: number, value: 0 | 1): number {
  const steps = Math.max(1, Math.ceil(2 * Math.hypot(b.y - a.y, b.x - a.x)));
  let changed = 0;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    changed += paintDisc(mask, rows, cols, a.y + t * (b.y - a.y), a.x + t * (b.x - a.x), radius, value);
  }
  return changed;
}

/** The mask over the pattern placed at `p`: its pixels in translucent blue. */
export function drawMaskOverlay(ctx: CanvasRenderingContext2D, p: Placement, mask: Float32Array): void {
  ctx.fillStyle = "rgba(50, 150, 255, 0.45)";
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      if (mask[r * p.cols + c]! > 0) ctx.fillRect(p.x0 + c * p.scale, p.y0 + r * p.scale, p.scale, p.scale);
    }
  }
}

export interface BrushSettings {
  /** "brush": paint discs along a drag; "polygon": click corners, double-click to fill (mask-polygon.ts). */
  tool: "brush" | "polygon";
  radius: number;
  erase: boolean;
}

/** Mouse painting on the pattern canvas while `placement()` gives a placement (the page's mask mode): `changed` after
 * every stroke segment that changed a pixel; the listeners go when `signal` aborts. */
export function brushOnCanvas(canvas: HTMLCanvasElement, placement: () => Placement | undefined,
  mask: () => Float32Array, brush: () => BrushSettings, changed: () => void, signal: AbortSignal): void {
  let last: { y: number; x: number } | undefined;
  const paint = (e: MouseEvent) => {
    const p = placement();
    if (!p) return;
    const r = canvas.getBoundingClientRect();
    const y = ((e.clientY - r.top) * canvas.height) / r.height, x = ((e.clientX - r.left) * canvas.width) / r.width;
    const at = { y: (y - p.y0) / p.scale - 0.5, x: (x - p.x0) / p.scale - 0.5 };
    const b = brush();
    if (paintStroke(mask(), p.rows, p.cols, last ?? at, at, Math.max(0.5, b.radius), b.erase ? 0 : 1) > 0) changed();
    last = at;
  };
  canvas.addEventListener("mousedown", (e) => {
    const p = placement();
    if (!p || !pixelAt(canvas, p, e)) return;
    last = undefined;
    paint(e);
    e.preventDefault();
  }, { signal });
  canvas.addEventListener("mousemove", (e) => { if (last) paint(e); }, { signal });
  const release = () => { last = undefined; };
  canvas.addEventListener("mouseup", release, { signal });
  canvas.addEventListener("mouseleave", release, { signal });
}
