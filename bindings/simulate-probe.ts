// A physical 4D-STEM simulator with ground truth for phase imaging: a convergent probe (accelerating voltage,
// convergence semi-angle, defocus, C3) scanned over a thin crystal, seen by a pixelated detector.
//
// The object is a phase object T(r) = exp(i sigma V(r) - mu sigma V(r)): V is the projected potential of atomic
// columns (Gaussians of width `columnWidthA`, peak `columnPotential` V A) on square lattices, one or two phases
// meeting at a slanted interface; sigma is the interaction constant at the voltage; mu a weak absorption.
// Every pattern is |FFT(P(r - r_p) T(r))|^2 on an N x N grid whose reciprocal pixel equals the detector pixel:
//
// Sampling rule: with dk = detector pixel / lambda, the real-space window is L = 1 / dk and the grid pixel
// dx = L / N. The probe's spectrum stops at alpha / lambda, and T is band-limited (hard aperture) to
// kT = kN - alpha / lambda, where kN = N dk / 2 is the grid's Nyquist frequency; so the exit wave's spectrum lies
// within kN and its FFT does not alias. N (2-3-5 smooth, >= the detector) is chosen so that kT >= max(2 alpha /
// lambda, the frequency where a column's spectrum falls to 1e-4). The detector crops the centre of the pattern.
//
// Probe positions: scan pixel (i, j) sits at step * (i - (ny - 1) / 2, j - (nx - 1) / 2) in scan axes, turned into
// the detector's (sample) frame by the scan rotation and flip (electron-optics.ts). Counts: Poisson at `dose`
// electrons per position (the whole pattern; what leaves the detector is lost), or the expected pattern (f32).
import type { Core, Task } from "./core.js";
import type { Dataset, FrameSource } from "./dataset.js";
import { type Dtype, typedArray } from "./dtype.js";
import { aberrationPhase, interactionConstant, scanToDetector, wavelengthA, type ProbeCalibration } from "./electron-optics.js";
import { fft2, fft2dCall, fft2dScratchBytes, fftPlan } from "./analyses/fourier-fft.js";
import { smoothAtLeast } from "./analyses/fourier-plan.js";
import { Rng } from "./simulate.js";

export interface CrystalPhase {
  /** Square lattice constant (A). */
  spacingA: number;
  rotationDeg: number;
  /** Peak projected potential of a column (V A). */
  columnPotential: number;
}

export interface ProbeSimulationOptions {
  scan: [number, number];
  detector: [number, number];
  kv?: number;
  alphaMrad?: number;
  defocusA?: number;
  c3mm?: number;
  stepA?: number;
  mradPerPixel?: number;
  rotationDeg?: number;
  flip?: boolean;
  /** Electrons per probe position (Poisson); Infinity gives the expected patterns (dtype f32). */
  dose?: number;
  dtype?: Dtype;
  seed?: number;
  /** One or two phases; the second lies right of a line from 45% of the width (top) to 60% (bottom). */
  phases?: CrystalPhase[];
  columnWidthA?: number;
  /** Absorption as a fraction of the phase: T = exp((i - absorption) sigma V). */
  absorption?: number;
}

export const DEFAULT_CRYSTAL: CrystalPhase[] = [
  { spacingA: 2.0, rotationDeg: 0, columnPotential: 600 },
  { spacingA: 2.5, rotationDeg: 12, columnPotential: 400 },
];

export interface ProbeSimulation {
  dataset: Dataset;
  /** The true phase sigma V at every probe position (scan-shaped, flattened, radians). */
  phase: Float32Array;
  /** Every parameter, resolved (what the calibration's `probe` record holds, plus the object's). */
  parameters: Required<Omit<ProbeSimulationOptions, "phases">> & { phases: CrystalPhase[]; gridSize: number; wavelengthA: number };
  /** Gives back the simulator's memory in the core. */
  close(): void;
}

/** Frames rendered per batch of FFT tasks. */
const BATCH = 16;

export function simulateProbe(core: Core, options: ProbeSimulationOptions): ProbeSimulation {
  const o = resolveOptions(options);
  const [ny, nx] = o.scan, [dr, dc] = o.detector;
  const lambda = wavelengthA(o.kv), sigma = interactionConstant(o.kv);
  const dk = (o.mradPerPixel * 1e-3) / lambda, kAlpha = (o.alphaMrad * 1e-3) / lambda;
  const kColumn = Math.sqrt(Math.log(1e4) / (2 * Math.PI ** 2 * o.columnWidthA ** 2));
  const kNeeded = kAlpha + Math.max(2 * kAlpha, kColumn);
  const n = smoothAtLeast(Math.max(dr, dc, Math.ceil((2 * kNeeded) / dk)));
  const dx = 1 / (n * dk), kT = (n * dk) / 2 - kAlpha;
  if (dr > n || dc > n) throw new RangeError(`simulate probe: detector ${dr} x ${dc} exceeds the ${n} x ${n} grid`);

  // Probe positions in the sample frame (A), and the field of view the windows need.
  const pos = new Float64Array(2 * ny * nx);
  let reach = 0;
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const [py, px] = scanToDetector((i - (ny - 1) / 2) * o.stepA, (j - (nx - 1) / 2) * o.stepA, o);
      pos[2 * (i * nx + j)] = py; pos[2 * (i * nx + j) + 1] = px;
      reach = Math.max(reach, Math.abs(py), Math.abs(px));
    }
  }
  const field = smoothAtLeast(2 * Math.ceil(reach / dx) + n + 4); // big grid, origin at its centre pixel
  const potential = projectedPotential(o, field, dx);
  const trans = bandLimitedTransmission(core, potential, field, dx, sigma, o.absorption, kT);
  const phase = new Float32Array(ny * nx);
  for (let p = 0; p < ny * nx; p++) phase[p] = sigma * potentialAt(o, pos[2 * p]!, pos[2 * p + 1]!);

  // The aperture times exp(-i chi) in FFT order, normalised so that a probe's intensity sums to 1 over the grid.
  const aperture = new Float32Array(2 * n * n);
  const kOf = (m: number) => (m <= n / 2 ? m : m - n) * dk;
  let inside = 0;
  for (let m = 0; m < n; m++) {
    for (let l = 0; l < n; l++) {
      const k2 = kOf(m) ** 2 + kOf(l) ** 2;
      if (k2 >= kAlpha * kAlpha) continue;
      const chi = aberrationPhase(k2, lambda, o);
      aperture[2 * (m * n + l)] = Math.cos(chi); aperture[2 * (m * n + l) + 1] = -Math.sin(chi);
      inside++;
    }
  }
  if (inside === 0) throw new RangeError(`simulate probe: the aperture (${o.alphaMrad} mrad) is smaller than a detector pixel (${o.mradPerPixel} mrad)`);
  // The probe made from `aperture` (inverse FFT scaled by 1 / n^2) carries inside / n^2 in sum |p|^2; the forward
  // FFT multiplies that by n^2 (Parseval): dividing by `inside` makes a pattern of a non-absorbing object sum to 1.
  const intensityScale = 1 / inside;


  // Core memory, placed once (the arena must not grow while a reader holds views): the aperture, the transmission
  // function, and per frame of a batch its window, FFT scratch, phase ramps and detector image.
  const plans = { inv: fftPlan(core, n, true), fwd: fftPlan(core, n, false) };
  const a = core.arena;
  const owned: number[] = [];
  const place = (bytes: number) => { const ptr = a.alloc(bytes); owned.push(ptr); return ptr; };
  const aperturePtr = place(aperture.byteLength), transPtr = place(trans.byteLength);
  a.f32(aperturePtr, aperture.length).set(aperture);
  a.f32(transPtr, trans.length).set(trans);
  const slots = Array.from({ length: BATCH }, () => ({
    window: place(n * n * 8), scratch: place(fft2dScratchBytes(plans.fwd, plans.fwd)), ramps: place(4 * n * 4), image: place(dr * dc * 4),
  }));
  const P = ny * nx, Q = dr * dc;
  const name = `simulated probe ${ny}x${nx}x${dr}x${dc} ${o.dtype} seed ${o.seed}`;

  // One task per frame, on the pool: the shifted probe's spectrum, to real space, times T, back, |.|^2 on the detector.
  const renderBatch = async (start: number, count: number, out: ArrayLike<number> & { [i: number]: number }, at: number) => {
    const tasks: Task[] = [];
    for (let b = 0; b < count; b++) {
      const s = slots[b]!, [y0, x0, fy, fx] = windowOf(pos, start + b, dx, field, n);
      a.f32(s.ramps, 4 * n).set(phaseRamps(n, dk, (Math.floor(n / 2) + fy) * dx, (Math.floor(n / 2) + fx) * dx));
      tasks.push([
        { fn: "probeShift", args: [aperturePtr, s.ramps, s.ramps + 8 * n, n, s.window] },
        fft2dCall(plans.inv, plans.inv, s.window, s.scratch),
        { fn: "fftScale", args: [s.window, n * n, 1 / (n * n)] },
        { fn: "multiplyWindow", args: [s.window, n, transPtr, field, y0, x0] },
        fft2dCall(plans.fwd, plans.fwd, s.window, s.scratch),
        { fn: "detectorIntensity", args: [s.window, n, dr, dc, intensityScale, s.image] },
      ]);
    }
    await core.run(tasks);
    for (let b = 0; b < count; b++) countElectrons(a.f32(slots[b]!.image, Q), o, start + b, out, at + b * Q);
  };
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && start + count <= P)) {
        throw new RangeError(`${name}: frames [${start}, ${start + count}) are outside the ${P} frames`);
      }
      const out = typedArray(o.dtype, dest.buffer, dest.byteOffset, count * Q);
      for (let f = 0; f < count; f += BATCH) await renderBatch(start + f, Math.min(BATCH, count - f), out, f * Q);
    },
  };
  const probe: ProbeCalibration = {
    kv: o.kv, alphaMrad: o.alphaMrad, defocusA: o.defocusA, c3mm: o.c3mm, stepA: [o.stepA, o.stepA],
    mradPerPixel: o.mradPerPixel, rotationDeg: o.rotationDeg, flip: o.flip,
  };
  const parameters = { ...o, gridSize: n, wavelengthA: lambda };
  const dataset: Dataset = {
    shape: [ny, nx, dr, dc],
    dtype: o.dtype,
    source,
    calibration: {
      axes: [
        { name: "scan_y", step: o.stepA, unit: "A" }, { name: "scan_x", step: o.stepA, unit: "A" },
        { name: "k_y", step: o.mradPerPixel, unit: "mrad" }, { name: "k_x", step: o.mradPerPixel, unit: "mrad" },
      ],
      probe: { ...probe, center: { cy: Math.floor(dr / 2), cx: Math.floor(dc / 2) } },
    },
    metadata: { simulator: "stem4d probe", parameters },
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const ptr of owned) a.release(ptr);
  };
  return { dataset, phase, parameters, close };
}

function resolveOptions(s: ProbeSimulationOptions) {
  const o = {
    scan: s.scan, detector: s.detector, kv: s.kv ?? 300, alphaMrad: s.alphaMrad ?? 20, defocusA: s.defocusA ?? 0,
    c3mm: s.c3mm ?? 0, stepA: s.stepA ?? 0.2, mradPerPixel: s.mradPerPixel ?? 1, rotationDeg: s.rotationDeg ?? 0,
    flip: s.flip ?? false, dose: s.dose ?? 1e5, dtype: s.dtype ?? (s.dose === Infinity ? "f32" : "u16") as Dtype,
    seed: s.seed ?? 1, phases: s.phases ?? DEFAULT_CRYSTAL, columnWidthA: s.columnWidthA ?? 0.35, absorption: s.absorption ?? 0,
  };
  const what = "simulate probe";
  for (const [k, v] of [["scan", o.scan], ["detector", o.detector]] as const) {
    if (v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1)) throw new RangeError(`${what}: ${k} must be two positive integers, got [${v.join(", ")}]`);
  }
  const positive: [string, number][] = [["kv (kV)", o.kv], ["alpha (mrad)", o.alphaMrad], ["step (A)", o.stepA],
    ["detector pixel (mrad)", o.mradPerPixel], ["dose (electrons per position)", o.dose], ["column width (A)", o.columnWidthA]];
  for (const [k, v] of positive) if (!(v > 0)) throw new RangeError(`${what}: ${k} must be positive, got ${v}`);
  if (o.dose === Infinity && o.dtype !== "f32") throw new RangeError(`${what}: noiseless patterns (infinite dose) need dtype f32`);
  if (!(o.absorption >= 0 && o.absorption < 1)) throw new RangeError(`${what}: absorption must lie in [0, 1), got ${o.absorption}`);
  if (o.phases.length < 1 || o.phases.length > 2) throw new RangeError(`${what}: one or two crystal phases, got ${o.phases.length}`);
  for (const p of o.phases) if (!(p.spacingA > 0)) throw new RangeError(`${what}: lattice spacing must be positive, got ${p.spacingA} A`);
  const [dr, dc] = o.detector;
  const edge = (Math.min(dr, dc) / 2) * o.mradPerPixel;
  if (o.alphaMrad >= edge) throw new RangeError(`${what}: the bright-field disk (alpha ${o.alphaMrad} mrad) does not fit the detector (${edge} mrad from centre to edge)`);
  return o;
}

type Resolved = ReturnType<typeof resolveOptions>;

/** Which phase owns sample point (y, x) (A): the interface runs through the scan area as in the two-phase simulator,
 * drawn in scan axes so that it looks the same whatever the scan rotation. */
function phaseOf(o: Resolved, y: number, x: number): number {
  if (o.phases.length === 1) return 0;
  const [ny, nx] = o.scan;
  const t = (-o.rotationDeg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  let sy = c * y - s * x, sx = s * y + c * x; // undo the rotation (scan axes, centred)
  if (o.flip) [sy, sx] = [sx, sy];
  const frac = Math.min(1, Math.max(0, sy / (ny * o.stepA) + 0.5));
  return sx / (nx * o.stepA) + 0.5 >= 0.45 + 0.15 * frac ? 1 : 0;
}

/** Column sites of phase p near (y, x): lattice points within `radius` A. */
function* columnsNear(p: CrystalPhase, y: number, x: number, radius: number): Generator<[number, number]> {
  const t = (p.rotationDeg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t), a = p.spacingA;
  const u = (c * y + s * x) / a, v = (-s * y + c * x) / a, r = radius / a;
  for (let i = Math.floor(u - r); i <= Math.ceil(u + r); i++) {
    for (let j = Math.floor(v - r); j <= Math.ceil(v + r); j++) {
      yield [a * (c * i - s * j), a * (s * i + c * j)];
    }
  }
}

/** The projected potential (V A) at sample point (y, x): columns of the phase that owns each column's site. */
function potentialAt(o: Resolved, y: number, x: number): number {
  const w = o.columnWidthA, cut = 5 * w;
  let v = 0;
  o.phases.forEach((p, k) => {
    for (const [cy, cx] of columnsNear(p, y, x, cut)) {
      const d2 = (cy - y) ** 2 + (cx - x) ** 2;
      if (d2 < cut * cut && phaseOf(o, cy, cx) === k) v += p.columnPotential * Math.exp(-d2 / (2 * w * w));
    }
  });
  return v;
}

function projectedPotential(o: Resolved, field: number, dx: number): Float64Array {
  const v = new Float64Array(field * field), h = Math.floor(field / 2);
  for (let i = 0; i < field; i++) for (let j = 0; j < field; j++) v[i * field + j] = potentialAt(o, (i - h) * dx, (j - h) * dx);
  return v;
}

/** exp((i - mu) sigma V) on the big grid, its spectrum cut at kT (complex float32, interleaved). */
function bandLimitedTransmission(core: Core, v: Float64Array, field: number, dx: number, sigma: number, mu: number, kT: number): Float32Array {
  const t = new Float32Array(2 * field * field);
  for (let i = 0; i < v.length; i++) {
    const ph = sigma * v[i]!, amp = Math.exp(-mu * ph);
    t[2 * i] = amp * Math.cos(ph); t[2 * i + 1] = amp * Math.sin(ph);
  }
  const spec = fft2(core, t, field, field);
  const dkf = 1 / (field * dx);
  for (let m = 0; m < field; m++) {
    const ky = (m <= field / 2 ? m : m - field) * dkf;
    for (let l = 0; l < field; l++) {
      const kx = (l <= field / 2 ? l : l - field) * dkf;
      if (ky * ky + kx * kx > kT * kT) { spec[2 * (m * field + l)] = 0; spec[2 * (m * field + l) + 1] = 0; }
    }
  }
  return fft2(core, spec, field, field, { inverse: true });
}

/** Where probe p's window starts on the big grid, and the probe's sub-pixel offset inside it (grid pixels). */
function windowOf(pos: Float64Array, p: number, dx: number, field: number, n: number): [number, number, number, number] {
  const h = Math.floor(field / 2), cy = pos[2 * p]! / dx + h, cx = pos[2 * p + 1]! / dx + h;
  const iy = Math.round(cy), ix = Math.round(cx);
  return [iy - Math.floor(n / 2), ix - Math.floor(n / 2), cy - iy, cx - ix];
}

/** exp(-2 pi i k r0y) for the n frequencies k of the rows, then the same for the columns (complex float32). */
function phaseRamps(n: number, dk: number, r0y: number, r0x: number): Float32Array {
  const out = new Float32Array(4 * n);
  for (let m = 0; m < n; m++) {
    const k = (m <= n / 2 ? m : m - n) * dk;
    out[2 * m] = Math.cos(-2 * Math.PI * k * r0y); out[2 * m + 1] = Math.sin(-2 * Math.PI * k * r0y);
    out[2 * n + 2 * m] = Math.cos(-2 * Math.PI * k * r0x); out[2 * n + 2 * m + 1] = Math.sin(-2 * Math.PI * k * r0x);
  }
  return out;
}

/** Electrons counted on the detector (Poisson at the dose), or the expected fractions for an infinite dose. */
function countElectrons(expected: Float32Array, o: Resolved, p: number, out: ArrayLike<number> & { [i: number]: number }, to: number): void {
  const rng = new Rng(o.seed, p);
  const max = o.dtype === "u8" ? 255 : o.dtype === "u16" ? 65535 : o.dtype === "u32" ? 4294967295 : Infinity;
  for (let i = 0; i < expected.length; i++) {
    out[to + i] = o.dose === Infinity ? expected[i]! : Math.min(max, rng.poisson(expected[i]! * o.dose));
  }
}
