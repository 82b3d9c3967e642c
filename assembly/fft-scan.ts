// Helpers of the scan-axis transform (bindings/analyses/fourier-scan.ts). Detector pixels are gathered two per
// complex value, z = a + i b (pixel 2l in the real part, 2l + 1 in the imaginary part), so one complex FFT over the
// scan transforms two real pixel series; they are separated afterwards with the symmetry of real transforms:
//   A(k) = (Z(k) + conj Z(-k)) / 2,   B(k) = (Z(k) - conj Z(-k)) / 2i.
import { load4, load1 } from "./lanes";

// For each of n frames: `count` pixels from q0 converted to float32 at dst + f * per * 4, then zeros up to `per`.
@inline function gather<T>(frames: usize, n: i32, q: i32, q0: i32, count: i32, per: i32, dst: usize): void {
  const fb = <usize>q << alignof<T>();
  const end = count & ~3;
  for (let f = 0; f < n; f++) {
    const src = frames + <usize>f * fb + (<usize>q0 << alignof<T>());
    const out = dst + ((<usize>f * <usize>per) << 2);
    let i = 0;
    for (; i < end; i += 4) v128.store(out + (<usize>i << 2), load4<T>(src + (<usize>i << alignof<T>())));
    for (; i < count; i++) store<f32>(out + (<usize>i << 2), load1<T>(src + (<usize>i << alignof<T>())));
    for (; i < per; i++) store<f32>(out + (<usize>i << 2), 0);
  }
}

export function fftGatherU8(fr: usize, n: i32, q: i32, q0: i32, count: i32, per: i32, dst: usize): void { gather<u8>(fr, n, q, q0, count, per, dst); }
export function fftGatherU16(fr: usize, n: i32, q: i32, q0: i32, count: i32, per: i32, dst: usize): void { gather<u16>(fr, n, q, q0, count, per, dst); }
export function fftGatherU32(fr: usize, n: i32, q: i32, q0: i32, count: i32, per: i32, dst: usize): void { gather<u32>(fr, n, q, q0, count, per, dst); }
export function fftGatherF32(fr: usize, n: i32, q: i32, q0: i32, count: i32, per: i32, dst: usize): void { gather<f32>(fr, n, q, q0, count, per, dst); }

// The transform of the Hann-windowed scan from the plain one: the periodic Hann window w(n) = 1/2 - cos(2 pi n / N) / 2
// has three Fourier coefficients, so windowing is a 3-tap stencil along each frequency axis,
//   Zw(k) = (2 Z(k) - Z(k - 1) - Z(k + 1)) / 4   (indices modulo N; the identity for N = 1),
// and the plain transform serves both the windowed power and the exact values at chosen bins.
@inline function stencil(m: v128, lo: v128, hi: v128): v128 {
  return f32x4.sub(f32x4.add(m, m), f32x4.add(lo, hi));
}

/** out[ky nx + kx] += sum over `pairs` complex lanes of |Zw(ky, kx)|^2 for frequency rows [y0, y1) of packed lanes z
 * (ny x nx elements of `pairs` complex each); scratch holds one row of stencilled lanes (nx pairs complex). */
export function fftPowerLanesHann(z: usize, ny: i32, nx: i32, pairs: i32, y0: i32, y1: i32, out: usize, scratch: usize): void {
  const row = <usize>nx * <usize>pairs << 3, bytes = <usize>pairs << 3;
  // Each stencilled axis scales the power by 1/16 (its 1/4 squared).
  const scale = (ny > 1 ? 1.0 / 16 : 1.0) * (nx > 1 ? 1.0 / 16 : 1.0);
  for (let ky = y0; ky < y1; ky++) {
    const pm = z + <usize>ky * row;
    if (ny > 1) {
      const pl = z + <usize>((ky + ny - 1) % ny) * row, ph = z + <usize>((ky + 1) % ny) * row;
      let o: usize = 0;
      for (; o + 16 <= row; o += 16) v128.store(scratch + o, stencil(v128.load(pm + o), v128.load(pl + o), v128.load(ph + o)));
      // A row of an odd number of complex values ends with one.
      if (o < row) v128.store64_lane(scratch + o, stencil(v128.load64_zero(pm + o), v128.load64_zero(pl + o), v128.load64_zero(ph + o)), 0);
    } else {
      memory.copy(scratch, pm, row);
    }
    for (let kx = 0; kx < nx; kx++) {
      const pc = scratch + <usize>kx * bytes;
      const pl = nx > 1 ? scratch + <usize>((kx + nx - 1) % nx) * bytes : pc, ph = nx > 1 ? scratch + <usize>((kx + 1) % nx) * bytes : pc;
      let acc = f32x4.splat(0), o: usize = 0;
      for (; o + 16 <= bytes; o += 16) {
        const v = nx > 1 ? stencil(v128.load(pc + o), v128.load(pl + o), v128.load(ph + o)) : v128.load(pc + o);
        acc = f32x4.add(acc, f32x4.mul(v, v));
      }
      if (o < bytes) {
        const m = v128.load64_zero(pc + o);
        const v = nx > 1 ? stencil(m, v128.load64_zero(pl + o), v128.load64_zero(ph + o)) : m;
        acc = f32x4.add(acc, f32x4.mul(v, v));
      }
      const s = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
      const po = out + (<usize>(ky * nx + kx) << 3);
      store<f64>(po, load<f64>(po) + s * scale);
    }
  }
}

// The complex transform of every pixel of the slab at bins [j0, j1) of `bins` (flat element indices ky nx + kx),
// unpacked from the pairs (see the top) into float32 out[(2 j) Q + q0 + i] (real) and out[(2 j + 1) Q + q0 + i]
// (imaginary) for the slab's pixels i < count, as the scan DFT lays them out (fourier-cbed.ts).
export function fftTakeBins(z: usize, ny: i32, nx: i32, pairs: i32, count: i32, bins: usize, j0: i32, j1: i32, out: usize, q: i32, q0: i32): void {
  for (let j = j0; j < j1; j++) {
    const e = load<i32>(bins + (<usize>j << 2)), ky = e / nx, kx = e % nx;
    const m = ((ny - ky) % ny) * nx + (nx - kx) % nx;
    const pz = z + (<usize>e * <usize>pairs << 3), pm = z + (<usize>m * <usize>pairs << 3);
    const re = out + ((<usize>(2 * j) * <usize>q + <usize>q0) << 2), im = re + (<usize>q << 2);
    for (let l = 0; l < pairs; l++) {
      const zr = load<f32>(pz + (<usize>l << 3)), zi = load<f32>(pz + (<usize>l << 3), 4);
      const wr = load<f32>(pm + (<usize>l << 3)), wi = -load<f32>(pm + (<usize>l << 3), 4);
      const i = <usize>(2 * l) << 2;
      store<f32>(re + i, (zr + wr) * 0.5); store<f32>(im + i, (zi + wi) * 0.5);
      if (2 * l + 1 < count) { store<f32>(re + i, (zi - wi) * 0.5, 4); store<f32>(im + i, -(zr - wr) * 0.5, 4); }
    }
  }
}

/** out[e] += sum over `lanes` complex values of |z|^2, for n elements `stride` complex apart (out is float64). */
export function fftPowerLanes(data: usize, n: i32, stride: i32, lanes: i32, out: usize): void {
  const end = <usize>(lanes & ~3) << 3;
  const bytes = <usize>lanes << 3;
  for (let e = 0; e < n; e++) {
    const p = data + ((<usize>e * <usize>stride) << 3);
    let a0 = f32x4.splat(0), a1 = a0;
    let o: usize = 0;
    for (; o < end; o += 32) {
      const x = v128.load(p + o), y = v128.load(p + o, 16);
      a0 = f32x4.add(a0, f32x4.mul(x, x));
      a1 = f32x4.add(a1, f32x4.mul(y, y));
    }
    const a = f32x4.add(a0, a1);
    let s = <f64>f32x4.extract_lane(a, 0) + <f64>f32x4.extract_lane(a, 1) + <f64>f32x4.extract_lane(a, 2) + <f64>f32x4.extract_lane(a, 3);
    for (; o < bytes; o += 4) { const v = <f64>load<f32>(p + o); s += v * v; }
    const po = out + (<usize>e << 3);
    store<f64>(po, load<f64>(po) + s);
  }
}

// One frequency row ky of packed pairs z (ny x nx elements of `pairs` complex) unpacked into `count` complex
// values per kx at out + kx * outStride complex (count = pixels of the slab; an odd count drops the last pair's
// empty imaginary pixel).
export function fftUnpackPairs(z: usize, ny: i32, nx: i32, pairs: i32, ky: i32, count: i32, out: usize, outStride: i32): void {
  const half = f32x4.splat(0.5);
  const rotNeg = f32x4(0.5, -0.5, 0.5, -0.5); // (m, -r) / 2 after the swap: -i x / 2
  const sign = i32x4(0, 0x80000000, 0, 0x80000000);
  const mky = (ny - ky) % ny;
  const whole = count >> 1; // pairs holding two pixels
  for (let kx = 0; kx < nx; kx++) {
    const mkx = (nx - kx) % nx;
    const pz = z + ((<usize>(ky * nx + kx) * <usize>pairs) << 3);
    const pm = z + ((<usize>(mky * nx + mkx) * <usize>pairs) << 3);
    const po = out + ((<usize>kx * <usize>outStride) << 3);
    let l = 0;
    for (; l + 2 <= whole; l += 2) {
      const zv = v128.load(pz + (<usize>l << 3));
      const w = v128.xor(v128.load(pm + (<usize>l << 3)), sign);
      const a = f32x4.mul(f32x4.add(zv, w), half);
      const d = f32x4.sub(zv, w);
      const b = f32x4.mul(i32x4.shuffle(d, d, 1, 0, 3, 2), rotNeg);
      v128.store(po + (<usize>(2 * l) << 3), i32x4.shuffle(a, b, 0, 1, 4, 5));
      v128.store(po + (<usize>(2 * l) << 3), i32x4.shuffle(a, b, 2, 3, 6, 7), 16);
    }
    for (; l < pairs; l++) {
      const zr = load<f32>(pz + (<usize>l << 3)), zi = load<f32>(pz + (<usize>l << 3), 4);
      const wr = load<f32>(pm + (<usize>l << 3)), wi = -load<f32>(pm + (<usize>l << 3), 4);
      const o = po + (<usize>(2 * l) << 3);
      store<f32>(o, (zr + wr) * 0.5); store<f32>(o, (zi + wi) * 0.5, 4);
      if (2 * l + 1 < count) { store<f32>(o, (zi - wi) * 0.5, 8); store<f32>(o, -(zr - wr) * 0.5, 12); }
    }
  }
}
