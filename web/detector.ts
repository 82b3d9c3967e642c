// The virtual detector on the mean pattern: a bright-field disk (inner radius 0) or an annulus, moved by dragging
// its inside and resized by dragging either ring. Radii that make no detector give a message, never an exception.
import { annulusMask } from "../bindings/analyses/masks.js";
import type { DiskFit } from "../bindings/analyses/center.js";
import { pixelAt, type Placement } from "./canvas-figure.js";

export interface Detector {
  cy: number;
  cx: number;
  inner: number;
  outer: number;
}

/** The detector a view opens with: the bright-field disk, to a tenth of a pixel. */
export function diskDetector(d: DiskFit): Detector {
  return { cy: +d.cy.toFixed(1), cx: +d.cx.toFixed(1), inner: 0, outer: +d.radius.toFixed(1) };
}

/** Why these radii make no detector, in one line; undefined when they do. */
export function detectorProblem(d: Detector): string | undefined {
  if (!(Number.isFinite(d.inner) && Number.isFinite(d.outer))) return "the radii must be numbers";
  if (d.inner < 0) return `inner radius ${d.inner} is negative`;
  if (d.outer <= 0) return `outer radius ${d.outer} must be larger than 0`;
  if (d.inner >= d.outer) return `inner radius ${d.inner} must be smaller than the outer radius ${d.outer}`;
  return undefined;
}

export function detectorMask(rows: number, cols: number, d: Detector): Float32Array {
  return annulusMask(rows, cols, { cy: d.cy, cx: d.cx }, d.inner, d.outer);
}

/** Draws the detector's rings over the pattern placed at `p`. */
export function drawDetector(ctx: CanvasRenderingContext2D, p: Placement, d: Detector): void {
  ctx.strokeStyle = "#39f";
  ctx.lineWidth = 1.5;
  for (const r of [d.inner, d.outer]) {
    if (!(r > 0)) continue;
    ctx.beginPath();
    ctx.arc(p.x0 + (d.cx + 0.5) * p.scale, p.y0 + (d.cy + 0.5) * p.scale, r * p.scale, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

type Grip = "move" | "inner" | "outer";

/** Mouse dragging on the pattern canvas: `change` gets every new detector while the button is down, `end` is called
 * on release; the listeners go when `signal` aborts. */
export function dragDetector(canvas: HTMLCanvasElement, placement: () => Placement | undefined,
  current: () => Detector, change: (d: Detector) => void, end: () => void, signal: AbortSignal): void {
  let grip: Grip | undefined, from = { y: 0, x: 0 }, start = current();
  canvas.addEventListener("mousedown", (e) => {
    const p = placement(), at = p && pixelAt(canvas, p, e);
    if (!p || !at) return;
    start = current();
    from = at;
    const dist = Math.hypot(at.y - start.cy, at.x - start.cx), grab = Math.max(1, 5 / p.scale);
    const onInner = start.inner > 0 && Math.abs(dist - start.inner) < grab;
    grip = Math.abs(dist - start.outer) < grab ? "outer" : onInner ? "inner" : "move";
    e.preventDefault();
  }, { signal });
  canvas.addEventListener("mousemove", (e) => {
    const p = placement();
    if (!grip || !p) return;
    const r = canvas.getBoundingClientRect();
    const y = ((e.clientY - r.top) * canvas.height) / r.height, x = ((e.clientX - r.left) * canvas.width) / r.width;
    const at = { y: (y - p.y0) / p.scale - 0.5, x: (x - p.x0) / p.scale - 0.5 };
    const round = (v: number) => Math.round(v * 2) / 2;
    if (grip === "move") change({ ...start, cy: round(start.cy + at.y - from.y), cx: round(start.cx + at.x - from.x) });
    else change({ ...start, [grip]: round(Math.max(0, Math.hypot(at.y - start.cy, at.x - start.cx))) });
  }, { signal });
  const release = () => {
    if (!grip) return;
    grip = undefined;
    end();
  };
  canvas.addEventListener("mouseup", release, { signal });
  canvas.addEventListener("mouseleave", release, { signal });
}
