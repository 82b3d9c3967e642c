// How close a phase image is to a known one: Pearson correlation after removing constants, and the Fourier ring
// correlation (FRC) with the highest frequency where it still reaches a threshold (a resolution measure).

/** Pearson correlation of two images (finite pairs only). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) { n++; sa += a[i]!; sb += b[i]!; }
  const ma = sa / n, mb = sb / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(Number.isFinite(a[i]!) && Number.isFinite(b[i]!))) continue;
    const x = a[i]! - ma, y = b[i]! - mb;
    ab += x * y; aa += x * x; bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The 2D DFT of a real image minus its mean, as float64 (re, im) pairs; direct row-column sums (small images). */
function dft2(img: ArrayLike<number>, ny: number, nx: number): Float64Array {
  let mean = 0;
  for (let i = 0; i < ny * nx; i++) mean += img[i]!;
  mean /= ny * nx;
  const rows = new Float64Array(2 * ny * nx), out = new Float64Array(2 * ny * nx);
  for (let y = 0; y < ny; y++) {
    for (let k = 0; k < nx; k++) {
      let re = 0, im = 0;
      for (let x = 0; x < nx; x++) {
        const t = (-2 * Math.PI * ((k * x) % nx)) / nx, v = img[y * nx + x]! - mean;
        re += v * Math.cos(t); im += v * Math.sin(t);
      }
      rows[2 * (y * nx + k)] = re; rows[2 * (y * nx + k) + 1] = im;
    }
  }
  for (let k = 0; k < nx; k++) {
    for (let m = 0; m < ny; m++) {
      let re = 0, im = 0;
      for (let y = 0; y < ny; y++) {
        const t = (-2 * Math.PI * ((m * y) % ny)) / ny, c = Math.cos(t), s = Math.sin(t);
        const r = rows[2 * (y * nx + k)]!, i = rows[2 * (y * nx + k) + 1]!;
        re += r * c - i * s; im += r * s + i * c;
      }
      out[2 * (m * nx + k)] = re; out[2 * (m * nx + k) + 1] = im;
    }
  }
  return out;
}

export interface RingCorrelation {
  /** FRC of ring r (r = 1 .. min(ny, nx) / 2), at radius r / min(ny, nx) in cycles per scan pixel. */
  frc: number[];
  /** The highest ring whose FRC still reaches the threshold (as cycles per pixel; 0 if none does): the resolution.
   * The lowest rings hold few frequencies (and SSB transfers little there), so a first dip is not the measure. */
  crossing: number;
}

/** Fourier ring correlation of two ny x nx images; rings one frequency bin of the shorter axis wide. */
export function fourierRingCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, ny: number, nx: number, threshold = 0.5): RingCorrelation {
  const fa = dft2(a, ny, nx), fb = dft2(b, ny, nx), n = Math.min(ny, nx), rings = Math.floor(n / 2);
  const cross = new Float64Array(rings + 1), pa = new Float64Array(rings + 1), pb = new Float64Array(rings + 1);
  for (let m = 0; m < ny; m++) {
    const fy = (m < Math.ceil(ny / 2) ? m : m - ny) / ny;
    for (let k = 0; k < nx; k++) {
      const fx = (k < Math.ceil(nx / 2) ? k : k - nx) / nx;
      const r = Math.round(Math.hypot(fy, fx) * n);
      if (r < 1 || r > rings) continue;
      const i = 2 * (m * nx + k);
      cross[r]! += fa[i]! * fb[i]! + fa[i + 1]! * fb[i + 1]!;
      pa[r]! += fa[i]! ** 2 + fa[i + 1]! ** 2;
      pb[r]! += fb[i]! ** 2 + fb[i + 1]! ** 2;
    }
  }
  const frc: number[] = [];
  for (let r = 1; r <= rings; r++) frc.push(cross[r]! / Math.sqrt(pa[r]! * pb[r]! || 1));
  let last = frc.length - 1;
  while (last >= 0 && !(frc[last]! >= threshold)) last--;
  return { frc, crossing: (last + 1) / n };
}
