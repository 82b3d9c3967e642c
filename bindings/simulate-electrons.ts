// Low-dose detector frames with known electron positions, for testing and benchmarking electron counting.
//
// Each frame: a per-pixel dark offset, Gaussian read noise, a Poisson number of electrons at uniformly random
// pixels, and rare X-rays. An electron deposits E ~ N(energy, energySigma) ADU, a fraction f ~ U(0.75, 0.95) of it
// in the pixel it hits and the rest split at random over its 4 edge neighbours (charge sharing in a direct
// detector, with the hit pixel dominant). An X-ray dumps `xrayEnergy` ADU into one pixel. With the defaults the hit
// pixel sits between stempy's 4-sigma background and 10-sigma X-ray thresholds.
//
// Frames are rendered when read, each from its own seeded streams (electrons and noise apart), so the truth of any
// frame can be replayed without rendering it.
import type { Dataset, FrameSource } from "./dataset.js";
import { type Dtype, dtypeSize, typedArray } from "./dtype.js";
import { Rng } from "./simulate.js";

export interface ElectronFramesOptions {
  scan: [number, number];
  detector: [number, number];
  /** Mean electrons per pixel per frame (default 0.01). */
  dose?: number;
  dtype?: Exclude<Dtype, "u8">;
  seed?: number;
  /** Mean dark level and the spread of per-pixel offsets around it (ADU; defaults 100 and 8). */
  darkLevel?: number;
  darkSpread?: number;
  /** Read noise sigma (ADU, default 5). */
  noise?: number;
  /** Mean and sigma of the energy an electron deposits (ADU, defaults 40 and 3). */
  energy?: number;
  energySigma?: number;
  /** Mean X-rays per frame (default 0.2) and their energy (ADU, default 600). */
  xrays?: number;
  xrayEnergy?: number;
}

export interface ElectronFrames {
  dataset: Dataset;
  /** The true dark offset of every pixel (what a dark reference estimates). */
  dark: Float32Array;
  /** The flat detector index each electron of frame `f` hit, ascending (repeats when two hit one pixel). */
  electrons(frame: number): Uint32Array;
  /** The pixels X-rays hit in frame `f`. */
  xrays(frame: number): Uint32Array;
}

export function simulateElectronFrames(options: ElectronFramesOptions): ElectronFrames {
  const o = {
    dose: 0.01, dtype: "u16" as const, seed: 1, darkLevel: 100, darkSpread: 8, noise: 5, energy: 40, energySigma: 3, xrays: 0.2, xrayEnergy: 600,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<ElectronFramesOptions>;
  const [sr, sc] = o.scan, [dr, dc] = o.detector;
  const P = sr * sc, Q = dr * dc;
  const dark = new Float32Array(Q);
  const dr0 = new Rng(o.seed, 0x7fffffff);
  for (let q = 0; q < Q; q++) dark[q] = o.darkLevel + o.darkSpread * dr0.normal();

  // The electron part of a frame: positions, energies and sharing, from the frame's own stream.
  const hits = (frame: number) => {
    const rng = new Rng(o.seed, 2 * frame);
    const n = rng.poisson(o.dose * Q), nx = rng.poisson(o.xrays);
    const e: { q: number; energy: number; f: number; split: number[] }[] = [];
    for (let k = 0; k < n; k++) {
      const q = Math.min(Q - 1, Math.floor(rng.next() * Q));
      const energy = o.energy + o.energySigma * rng.normal();
      const f = 0.75 + 0.2 * rng.next();
      const w = [rng.next(), rng.next(), rng.next(), rng.next()];
      const s = w[0]! + w[1]! + w[2]! + w[3]!;
      e.push({ q, energy, f, split: w.map((x) => x / s) });
    }
    const x: number[] = [];
    for (let k = 0; k < nx; k++) x.push(Math.min(Q - 1, Math.floor(rng.next() * Q)));
    return { e, x };
  };

  const render = (frame: number, out: { [i: number]: number }, at: number) => {
    const signal = new Float32Array(Q);
    const { e, x } = hits(frame);
    for (const h of e) {
      const r = Math.floor(h.q / dc), c = h.q % dc;
      signal[h.q]! += h.f * h.energy;
      const rest = (1 - h.f) * h.energy;
      const nb: [number, number][] = [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]];
      nb.forEach(([rr, cc], k) => { if (rr >= 0 && rr < dr && cc >= 0 && cc < dc) signal[rr * dc + cc]! += rest * h.split[k]!; });
    }
    for (const q of x) signal[q]! += o.xrayEnergy;
    const rng = new Rng(o.seed, 2 * frame + 1);
    const max = o.dtype === "u16" ? 65535 : o.dtype === "u32" ? 4294967295 : Infinity;
    for (let q = 0; q < Q; q++) {
      let v = dark[q]! + signal[q]! + o.noise * rng.normal();
      if (o.dtype !== "f32") v = Math.min(max, Math.max(0, Math.round(v)));
      out[at + q] = v;
    }
  };

  const fb = Q * dtypeSize(o.dtype);
  const name = `simulated electrons ${sr}x${sc}x${dr}x${dc} ${o.dtype} dose ${o.dose} seed ${o.seed}`;
  const source: FrameSource = {
    name,
    async readFrames(start, count, dest) {
      if (!(start >= 0 && count >= 0 && start + count <= P)) throw new RangeError(`${name}: frames [${start}, ${start + count}) outside ${P}`);
      const aligned = dest.byteOffset % dtypeSize(o.dtype) === 0;
      const buf = aligned ? dest : new Uint8Array(count * fb);
      const view = typedArray(o.dtype, buf.buffer, buf.byteOffset, count * Q);
      for (let f = 0; f < count; f++) render(start + f, view, f * Q);
      if (!aligned) dest.set(buf.subarray(0, count * fb));
    },
  };
  return {
    dataset: { shape: [sr, sc, dr, dc], dtype: o.dtype, source, metadata: { simulated: "electron counting", ...o } },
    dark,
    electrons: (frame) => Uint32Array.from(hits(frame).e.map((h) => h.q)).sort(),
    xrays: (frame) => Uint32Array.from(hits(frame).x).sort(),
  };
}
