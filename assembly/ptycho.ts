// Kernels of phase imaging from 4D-STEM: the one-pass accumulation of single-side-band ptychography and the
// Fourier integration of a centre-of-mass field (iCoM). Pure functions over pointers; no allocation.
import { fftLanes } from "./fft";

// The SSB plan (built in bindings/analyses/ssb.ts), i32 words:
//   0 ny, 1 nx (scan), 2 q (detector pixels per frame), 3 nbf (bright-field pixels), 4 nq (scan frequencies with a
//   trotter), 5 chunk (fftLanes lanes per chunk), 6 total trotter pixels T, 7 rows per group R,
//   8 fft plan of length nx, 9 bf (i32[nbf] detector pixel indices), 10 wy (f64[2 ny]: exp(-2 pi i m / ny)),
//   11 freqs (i32[3 nq]: qy, qx, trotter size; sorted by qx so one row of the row-FFT serves a run of entries),
//   12 trotter (i32[T]: position in the bf list of every trotter pixel, entry after entry).
// `out` receives the tile's T complex sums (f32): the first group of rows stores them (`out` need not be cleared
// first), later groups add to them; `work`, the tile's scratch: R row spectra (nx * nbf complex f32 each),
// the packed row (nx * ceil(nbf / 2) complex f32), R twiddle pairs (2 v128 each), R row indices (i32) and fftLanes'
// scratch for ceil(nbf / 2) lanes: R * (nx * nbf * 8 + 36) + nx * ceil(nbf / 2) * 8 + its bytes.

/** Splits the FFT z of a + i b (two real rows, lanes j of nx x half complex values) into the spectra of a and b,
 * written as lanes 2j and 2j + 1 of `to` (nx x nbf): A(q) = (z(q) + conj z(-q)) / 2, B(q) = (z(q) - conj z(-q)) / 2i. */
function unpackRealPairs(z: usize, nx: i32, half: i32, nbf: i32, to: usize): void {
  for (let q = 0; q < nx; q++) {
    const mirror = q == 0 ? 0 : nx - q;
    const zq = z + ((<usize>q * <usize>half) << 3), zm = z + ((<usize>mirror * <usize>half) << 3);
    const row = to + ((<usize>q * <usize>nbf) << 3);
    for (let j = 0; j < half; j++) {
      const zr = load<f32>(zq + (<usize>j << 3)), zi = load<f32>(zq + (<usize>j << 3), 4);
      const wr = load<f32>(zm + (<usize>j << 3)), wi = load<f32>(zm + (<usize>j << 3), 4);
      const a = row + (<usize>(2 * j) << 3);
      store<f32>(a, 0.5 * (zr + wr));
      store<f32>(a, 0.5 * (zi - wi), 4);
      if (2 * j + 1 < nbf) {
        store<f32>(a, 0.5 * (zi + wi), 8);
        store<f32>(a, -0.5 * (zr - wr), 12);
      }
    }
  }
}

// Adds, for every scan frequency Q and trotter pixel k of Q, the frames' sum of I(k) exp(-2 pi i Q.r) over the
// probe positions of the tile. A tile is cut into scan-row segments: each segment's bright-field pixels are gathered
// (zeros at the other columns) and transformed along the row; then, R rows at a time, each entry adds every row's
// twiddle exp(-2 pi i qy y / ny) times that row's spectrum at qx. The cost is one row FFT per row and T complex
// products per row, and the T sums stream through memory once per R rows.
/** The twiddle at tw (its real part splatted, then (-im, im, -im, im)) times the two complex values of v. */
@inline function twiddled(v: v128, tw: usize): v128 {
  return f32x4.add(f32x4.mul(v128.load(tw), v), f32x4.mul(v128.load(tw, 16), i32x4.shuffle(v, v, 1, 0, 3, 2)));
}

@inline function ssbRows<T>(plan: usize, frames: usize, count: i32, first: i32, out: usize, work: usize): void {
  const ny = load<i32>(plan), nx = load<i32>(plan, 4), q = load<i32>(plan, 8), nbf = load<i32>(plan, 12);
  const nq = load<i32>(plan, 16), chunk = load<i32>(plan, 20), group = load<i32>(plan, 28);
  const fft = <usize>load<i32>(plan, 32), bf = <usize>load<i32>(plan, 36), wy = <usize>load<i32>(plan, 40);
  const freqs = <usize>load<i32>(plan, 44), trot = <usize>load<i32>(plan, 48);
  const rowBytes = (<usize>nx * <usize>nbf) << 3, half = (nbf + 1) >> 1, packedBytes = (<usize>nx * <usize>half) << 3;
  const rows = work, packed = rows + <usize>group * rowBytes, twiddles = packed + packedBytes;
  const ys = twiddles + (<usize>group << 5), scratch = ys + (<usize>group << 2);
  const fb = <usize>q << alignof<T>();
  for (let f = 0, stored = false; f < count; stored = true) {
    let g = 0;
    for (; g < group && f < count; g++) {
      const p = first + f, y = p / nx, x0 = p % nx, n = min(nx - x0, count - f);
      memory.fill(packed, 0, packedBytes);
      for (let i = 0; i < n; i++) {
        // Bright-field pixels 2j and 2j + 1 as the real and imaginary parts of lane j (an odd last one alone).
        const fr = frames + <usize>(f + i) * fb, dst = packed + ((<usize>(x0 + i) * <usize>half) << 3);
        for (let j = 0; j < nbf; j++) {
          store<f32>(dst + (<usize>j << 2), <f32>load<T>(fr + (<usize>load<i32>(bf + (<usize>j << 2)) << alignof<T>())));
        }
      }
      fftLanes(fft, packed, half, half, chunk, scratch);
      unpackRealPairs(packed, nx, half, nbf, rows + <usize>g * rowBytes);
      store<i32>(ys + (<usize>g << 2), y);
      f += n;
    }
    let o: usize = 0;
    for (let e = 0; e < nq; e++) {
      const qy = load<i32>(freqs + <usize>(3 * e) * 4), qx = load<i32>(freqs + <usize>(3 * e + 1) * 4);
      const c = load<i32>(freqs + <usize>(3 * e + 2) * 4);
      for (let r = 0; r < g; r++) {
        const m = <usize>((<i64>qy * <i64>load<i32>(ys + (<usize>r << 2))) % <i64>ny);
        const tr = <f32>load<f64>(wy + (m << 4)), ti = <f32>load<f64>(wy + (m << 4), 8);
        v128.store(twiddles + (<usize>r << 5), f32x4.splat(tr));
        v128.store(twiddles + (<usize>r << 5), f32x4(-ti, ti, -ti, ti), 16);
      }
      // Two trotter pixels per step: their R products summed in float32 registers (R terms), then added to the
      // sums (float32: the state is streamed once per R rows, so its size is the kernel's memory traffic).
      const spectra = rows + ((<usize>qx * <usize>nbf) << 3);
      let k = 0;
      for (; k + 1 < c; k += 2) {
        const at4 = trot + ((o + <usize>k) << 2);
        const j0 = <usize>load<i32>(at4) << 3, j1 = <usize>load<i32>(at4, 4) << 3;
        let acc = f32x4.splat(0);
        for (let r = 0; r < g; r++) {
          const s = spectra + <usize>r * rowBytes;
          const v = v128.load64_lane(s + j1, v128.load64_zero(s + j0), 1);
          const tw = twiddles + (<usize>r << 5);
          acc = f32x4.add(acc, twiddled(v, tw));
        }
        const at = out + ((o + <usize>k) << 3);
        v128.store(at, stored ? f32x4.add(v128.load(at), acc) : acc);
      }
      if (k < c) {
        const j = <usize>load<i32>(trot + ((o + <usize>k) << 2)) << 3;
        let acc = f32x4.splat(0);
        for (let r = 0; r < g; r++) {
          const v = v128.load64_zero(spectra + <usize>r * rowBytes + j);
          const tw = twiddles + (<usize>r << 5);
          acc = f32x4.add(acc, twiddled(v, tw));
        }
        const at = out + ((o + <usize>k) << 3);
        v128.store64_lane(at, stored ? f32x4.add(v128.load64_zero(at), acc) : acc, 0);
      }
      o += <usize>c;
    }
  }
}

export function ssbAccumulateU8(plan: usize, fr: usize, n: i32, first: i32, out: usize, work: usize): void {
  ssbRows<u8>(plan, fr, n, first, out, work);
}
export function ssbAccumulateU16(plan: usize, fr: usize, n: i32, first: i32, out: usize, work: usize): void {
  ssbRows<u16>(plan, fr, n, first, out, work);
}
export function ssbAccumulateU32(plan: usize, fr: usize, n: i32, first: i32, out: usize, work: usize): void {
  ssbRows<u32>(plan, fr, n, first, out, work);
}
export function ssbAccumulateF32(plan: usize, fr: usize, n: i32, first: i32, out: usize, work: usize): void {
  ssbRows<f32>(plan, fr, n, first, out, work);
}

/** The spectrum of the phase whose gradient is 2 pi / lambda times a deflection field, from z = FFT(cy + i cx)
 * (ny x nx complex f32): phi~(q) = (qy Cy~ + qx Cx~) * scale / (i (|q|^2 + hp2)), where Cy~ and Cx~ are split off
 * z with its mirror z(-q), q = (m / (ny * stepY), n / (nx * stepX)) in signed FFT order (sy = 1 / (ny * stepY),
 * sx likewise), and hp2 the square of a high-pass frequency (0: none; the q = 0 term is always 0). */
export function icomSpectrum(z: usize, out: usize, ny: i32, nx: i32, sy: f64, sx: f64, scale: f64, hp2: f64): void {
  for (let m = 0; m < ny; m++) {
    const mm = m == 0 ? 0 : ny - m;
    const qy = <f64>(m <= ny / 2 ? m : m - ny) * sy;
    for (let n = 0; n < nx; n++) {
      const nn = n == 0 ? 0 : nx - n;
      const qx = <f64>(n <= nx / 2 ? n : n - nx) * sx;
      const a = z + ((<usize>m * <usize>nx + <usize>n) << 3), b = z + ((<usize>mm * <usize>nx + <usize>nn) << 3);
      const zr = <f64>load<f32>(a), zi = <f64>load<f32>(a, 4), wr = <f64>load<f32>(b), wi = <f64>load<f32>(b, 4);
      // Cy~ = (z + conj w) / 2, Cx~ = (z - conj w) / (2i) with w = z(-q).
      const yr = (zr + wr) / 2, yi = (zi - wi) / 2;
      const xr = (zi + wi) / 2, xi = -(zr - wr) / 2;
      const q2 = qy * qy + qx * qx;
      const d = m == 0 && n == 0 ? 0 : scale / (q2 + hp2);
      // (sr + i si) / i = si - i sr
      const sr = qy * yr + qx * xr, si = qy * yi + qx * xi;
      const o = out + ((<usize>m * <usize>nx + <usize>n) << 3);
      store<f32>(o, <f32>(si * d));
      store<f32>(o, <f32>(-sr * d), 4);
    }
  }
}
