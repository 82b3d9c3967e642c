// A simulator of two-phase crystalline 4D-STEM data with ground truth, in the spirit of the paper's BiFeO3 film:
// two square lattices with different spacing and a few degrees of rotation meet at a slightly tilted interface.
// Each CBED pattern holds a bright-field disk and Bragg disks at the phase's reciprocal lattice positions; their
// intensities and a small shift of the whole pattern depend on where the probe sits relative to the nearest atomic
// column; a diffuse halo, brighter on the columns, feeds annular dark field. Poisson noise at a chosen dose, then
// optional gain, dark offset and dark noise for counting tests.
//
// The dataset is lazy: frames are rendered when read, each from its own seeded random stream, so any block of any
// size is reproducible and a 10 GB simulation streams to disk without ever being held in memory.
import type { Dataset, FrameSource } from "./dataset.js";
import { type Dtype, dtypeSize, typedArray } from "./dtype.js";

export interface PhaseSpec {
  /** Lattice spacing in scan pixels. */
  spacing: number;
  /** Lattice rotation in degrees. */
  rotationDeg: number;
}

export interface SimulateOptions {
  scan: [number, number];
  detector: [number, number];
  /** Mean electrons per pattern (default 20000). */
  dose?: number;
  dtype?: Dtype;
  seed?: number;
  phases?: [PhaseSpec, PhaseSpec];
  /** Bright-field disk radius in detector pixels (default: detector size / 14). */
  bfRadius?: number;
  /** Distance of the first-order Bragg disks of phase 0 from the centre, in detector pixels (default size / 4.5). */
  braggDistance?: number;
  /** Largest shift of the pattern (detector pixels) as the probe crosses a column (default 0.1 x bfRadius:
   * atomic fields deflect the beam by a small fraction of the convergence angle). */
  maxShift?: number;
  /** Fraction of the dose in the diffuse halo between columns (default 0.05). */
  haloFraction?: number;
  /** How much more of the dose the halo takes with the probe on a column (default 0.2: 0.25 on a column, the
   * annular dark field contrast of a thin crystal of medium-Z atoms). */
  columnContrast?: number;
  /** Relative modulation of the Bragg disks with the probe position in the cell (default 0.2). */
  braggBeating?: number;
  /** Detector response: value = gain * electrons + darkOffset + N(0, darkSigma) (defaults 1, 0, 0). */
  gain?: number;
  darkOffset?: number;
  darkSigma?: number;
  /** No Poisson noise: the expected pattern itself (float32 only). */
  noiseless?: boolean;
}

export interface GroundTruth {
  /** Phase (0 or 1) of every probe position, scan-shaped, flattened. */
  phase: Uint8Array;
  /** Fractional position in the unit cell (two values per probe position, each in [0, 1)). */
  cell: Float32Array;
  /** The pattern centre (detector pixels) of an unshifted pattern. */
  center: { cy: number; cx: number };
  bfRadius: number;
  phases: [PhaseSpec, PhaseSpec];
}

/** Bumped whenever a default changes what the simulator renders (cached simulations carry it in their names). */
export const SIMULATOR_VERSION = 2;

export const DEFAULT_PHASES: [PhaseSpec, PhaseSpec] = [
  { spacing: 6, rotationDeg: 0 },
  { spacing: 7, rotationDeg: 8 },
];

interface Resolved extends Required<Omit<SimulateOptions, "phases">> {
  phases: [PhaseSpec, PhaseSpec];
}

export function simulateTwoPhase(options: SimulateOptions): { dataset: Dataset; truth: GroundTruth } {
  const o = resolve(options);
  const [sr, sc] = o.scan, [dr, dc] = o.detector;
  const P = sr * sc, Q = dr * dc;
  const center = { cy: (dr - 1) / 2, cx: (dc - 1) / 2 };
  const truth: GroundTruth = { phase: new Uint8Array(P), cell: new Float32Array(2 * P), center, bfRadius: o.bfRadius, phases: o.phases };
  for (let y = 0; y < sr; y++) {
    for (let x = 0; x < sc; x++) {
      const i = y * sc + x, ph = phaseAt(o, y, x);
      truth.phase[i] = ph;
      const [u, v] = cellCoords(o.phases[ph]!, y, x);
      truth.cell[2 * i] = u - Math.floor(u);
      truth.cell[2 * i + 1] = v - Math.floor(v);
    }
  }
  const halo = diffuseHalo(dr, dc, center, o.bfRadius);
  const name = `simulated two-phase ${sr}x${sc}x${dr}x${dc} ${o.dtype} seed ${o.seed}`;
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && start + count <= P)) {
        throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the ${P} frames`);
      }
      const out = typedArray(o.dtype, dest.buffer, dest.byteOffset, count * Q);
      const expected = new Float32Array(Q);
      for (let f = 0; f < count; f++) {
        const i = start + f;
        renderExpected(o, Math.floor(i / sc), i % sc, center, halo, expected);
        sampleFrame(o, expected, i, out, f * Q);
      }
    },
  };
  const dataset: Dataset = {
    shape: [sr, sc, dr, dc],
    dtype: o.dtype,
    source,
    calibration: { axes: [{ name: "scan_y", unit: "px" }, { name: "scan_x", unit: "px" }, { name: "k_y", unit: "px" }, { name: "k_x", unit: "px" }] },
    metadata: { simulator: "stem4d two-phase", version: SIMULATOR_VERSION, options: { ...o } },
  };
  return { dataset, truth };
}

function resolve(s: SimulateOptions): Resolved {
  const [dr, dc] = s.detector;
  const bfRadius = s.bfRadius ?? Math.min(dr, dc) / 14;
  const o: Resolved = {
    scan: s.scan,
    detector: s.detector,
    dose: s.dose ?? 20000,
    dtype: s.dtype ?? "u16",
    seed: s.seed ?? 1,
    phases: s.phases ?? DEFAULT_PHASES,
    bfRadius,
    braggDistance: s.braggDistance ?? Math.min(dr, dc) / 4.5,
    maxShift: s.maxShift ?? 0.1 * bfRadius,
    haloFraction: s.haloFraction ?? 0.05,
    columnContrast: s.columnContrast ?? 0.2,
    braggBeating: s.braggBeating ?? 0.2,
    gain: s.gain ?? 1,
    darkOffset: s.darkOffset ?? 0,
    darkSigma: s.darkSigma ?? 0,
    noiseless: s.noiseless ?? false,
  };
  for (const [k, v] of [["scan", o.scan], ["detector", o.detector]] as const) {
    if (v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`simulate: ${k} must be two positive integers, got [${v.join(", ")}]`);
  }
  if (!(o.dose > 0 && Number.isFinite(o.dose))) throw new RangeError(`simulate: dose must be a positive number of electrons per pattern, got ${o.dose}`);
  if (!(o.bfRadius > 0)) throw new RangeError(`simulate: bright-field radius must be positive, got ${o.bfRadius}`);
  if (!(o.haloFraction >= 0 && o.columnContrast >= 0 && o.haloFraction + o.columnContrast < 1)) {
    throw new RangeError(`simulate: halo fraction ${o.haloFraction} plus column contrast ${o.columnContrast} must lie in [0, 1)`);
  }
  if (!(o.braggBeating >= 0 && o.braggBeating <= 1)) throw new RangeError(`simulate: Bragg beating must lie in [0, 1], got ${o.braggBeating}`);
  if (o.noiseless && o.dtype !== "f32") throw new RangeError("simulate: noiseless patterns need dtype f32");
  for (const p of o.phases) if (!(p.spacing > 1)) throw new RangeError(`simulate: lattice spacing must exceed 1 scan pixel, got ${p.spacing}`);
  return o;
}

/** Phase 1 lies right of a line running from 45% of the width at the top to 60% at the bottom. */
function phaseAt(o: Resolved, y: number, x: number): 0 | 1 {
  const [sr, sc] = o.scan;
  const t = sr > 1 ? y / (sr - 1) : 0.5;
  return x >= sc * (0.45 + 0.15 * t) ? 1 : 0;
}

/** Lattice coordinates of scan position (y, x): integers on the atomic columns. */
function cellCoords(p: PhaseSpec, y: number, x: number): [number, number] {
  const t = (p.rotationDeg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  return [(c * y - s * x) / p.spacing + 0.5, (s * y + c * x) / p.spacing + 0.5];
}

/** A smooth halo outside the bright-field disk (thermal diffuse scattering), normalised to sum 1. */
function diffuseHalo(dr: number, dc: number, c: { cy: number; cx: number }, rbf: number): Float32Array {
  const h = new Float32Array(dr * dc);
  let sum = 0;
  for (let i = 0; i < dr; i++) {
    for (let j = 0; j < dc; j++) {
      const d = Math.hypot(i - c.cy, j - c.cx);
      const v = d < rbf ? 0 : Math.exp(-(d - rbf) / (4 * rbf)) + 0.02;
      h[i * dc + j] = v;
      sum += v;
    }
  }
  for (let i = 0; i < h.length; i++) h[i]! /= sum;
  return h;
}

/** The expected pattern (electrons per pixel, summing to the dose) for the probe at scan (y, x). */
function renderExpected(o: Resolved, y: number, x: number, c: { cy: number; cx: number }, halo: Float32Array, out: Float32Array): void {
  const ph = o.phases[phaseAt(o, y, x)]!;
  const [dr, dc] = o.detector;
  const [u, v] = cellCoords(ph, y, x);
  // Column proximity: 1 on a column, 0 between columns; its gradient pushes the pattern (a COM signal).
  const cu = Math.cos(2 * Math.PI * u), cv = Math.cos(2 * Math.PI * v);
  const column = ((1 - cu) * (1 - cv)) / 4;
  const t = (ph.rotationDeg * Math.PI) / 180, cs = Math.cos(t), sn = Math.sin(t);
  const gu = Math.sin(2 * Math.PI * u) * (1 - cv), gv = Math.sin(2 * Math.PI * v) * (1 - cu);
  const shiftY = (o.maxShift / 2) * (cs * gu + sn * gv);
  const shiftX = (o.maxShift / 2) * (-sn * gu + cs * gv);
  const cy = c.cy + shiftY, cx = c.cx + shiftX;
  // Weights: bright field loses to the halo on the columns; Bragg disks beat with the position in the cell.
  const haloWeight = o.haloFraction + o.columnContrast * column;
  out.fill(0);
  const d1 = (o.braggDistance * o.phases[0].spacing) / ph.spacing;
  const r = o.bfRadius;
  let disks = 0;
  for (let h = -3; h <= 3; h++) {
    for (let k = -3; k <= 3; k++) {
      const g2 = h * h + k * k;
      const py = cy + d1 * (cs * h - sn * k), px = cx + d1 * (sn * h + cs * k);
      if (py < -r || px < -r || py > dr - 1 + r || px > dc - 1 + r) continue;
      const w = g2 === 0 ? 1 : 0.35 * Math.exp(-g2 / 2) * (1 + o.braggBeating * Math.cos(2 * Math.PI * (h * u + k * v)));
      disks += w * Math.PI * r * r;
      addDisk(out, dr, dc, py, px, r, w);
    }
  }
  const diskScale = ((1 - haloWeight) * o.dose) / disks;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * diskScale + halo[i]! * haloWeight * o.dose;
}

/** Adds w times an anti-aliased disk (coverage of each pixel by the disk edge, to first order). */
function addDisk(out: Float32Array, dr: number, dc: number, cy: number, cx: number, r: number, w: number): void {
  const i0 = Math.max(0, Math.floor(cy - r - 1)), i1 = Math.min(dr - 1, Math.ceil(cy + r + 1));
  const j0 = Math.max(0, Math.floor(cx - r - 1)), j1 = Math.min(dc - 1, Math.ceil(cx + r + 1));
  for (let i = i0; i <= i1; i++) {
    for (let j = j0; j <= j1; j++) {
      const cover = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(i - cy, j - cx)));
      if (cover > 0) out[i * dc + j]! += w * cover;
    }
  }
}

/** Poisson electrons, then the detector response, into out[at..] in the dataset's dtype. */
function sampleFrame(o: Resolved, expected: Float32Array, frame: number, out: ArrayLike<number> & { [i: number]: number }, at: number): void {
  const rng = new Rng(o.seed, frame);
  const max = o.dtype === "u8" ? 255 : o.dtype === "u16" ? 65535 : o.dtype === "u32" ? 4294967295 : Infinity;
  const integer = o.dtype !== "f32";
  for (let i = 0; i < expected.length; i++) {
    let v = o.noiseless ? expected[i]! : rng.poisson(expected[i]!);
    if (o.gain !== 1) v *= o.gain;
    if (o.darkOffset !== 0) v += o.darkOffset;
    if (o.darkSigma > 0) v += o.darkSigma * rng.normal();
    if (integer) v = Math.round(v);
    out[at + i] = Math.min(max, Math.max(0, v));
  }
}

/** xoshiro128** seeded from (seed, frame) through splitmix32: one independent stream per frame. */
export class Rng {
  private s = new Uint32Array(4);
  private spare = NaN;

  constructor(seed: number, stream = 0) {
    let x = (Math.imul(seed | 0, 0x9e3779b9) ^ Math.imul(stream | 0, 0x85ebca6b) ^ 0x6a09e667) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r / 4294967296;
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) { const v = this.spare; this.spare = NaN; return v; }
    let u = 0, v = 0, q = 0;
    do { u = 2 * this.next() - 1; v = 2 * this.next() - 1; q = u * u + v * v; } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
  }

  /** Poisson variate: Knuth's product method below 30, a rounded normal above (error < 1% of sigma there). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const l = Math.exp(-lambda);
      let k = 0, p = this.next();
      while (p > l) { k++; p *= this.next(); }
      return k;
    }
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Bytes a simulated dataset occupies. */
export function simulatedBytes(o: Pick<SimulateOptions, "scan" | "detector" | "dtype">): number {
  return o.scan[0] * o.scan[1] * o.detector[0] * o.detector[1] * dtypeSize(o.dtype ?? "u16");
}
