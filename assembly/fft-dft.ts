// The scan-axis DFT at a few chosen spatial frequencies as a weighted sum of frames: for frequency j,
//   out_j[q] = sum_f w_fj * frame_f[q],   w_fj = exp(-2 pi i (ky y_f / Ny + kx x_f / Nx))   (complex, per frame),
// over the frames of one tile, so one pass over the data yields whole CBED patterns at those frequencies.
// Frames are taken four at a time and read sequentially (four streams the prefetcher follows) into float32 sums
// that stay in cache; the output buffer's upper half holds those sums, and they are widened in place to float64 at
// the end of the tile (the executor then merges tiles in float64).
import { load4, load1 } from "./lanes";

// Adds G (1 or 4) weighted frames to the float32 sums re[q], im[q]; w: weights of the first frame, ws: frame stride.
@inline function group<T>(frames: usize, fb: usize, q: i32, w: usize, ws: usize, g: i32, re: usize, im: usize): void {
  const sz = alignof<T>();
  const end4 = q & ~3;
  if (g == 4) {
    const w0r = v128.load32_splat(w), w0i = v128.load32_splat(w, 4);
    const w1r = v128.load32_splat(w + ws), w1i = v128.load32_splat(w + ws, 4);
    const w2r = v128.load32_splat(w + 2 * ws), w2i = v128.load32_splat(w + 2 * ws, 4);
    const w3r = v128.load32_splat(w + 3 * ws), w3i = v128.load32_splat(w + 3 * ws, 4);
    const f1 = frames + fb, f2 = frames + 2 * fb, f3 = frames + 3 * fb;
    for (let p = 0; p < end4; p += 4) {
      const o = <usize>p << sz, a = <usize>p << 2;
      const x0 = load4<T>(frames + o), x1 = load4<T>(f1 + o), x2 = load4<T>(f2 + o), x3 = load4<T>(f3 + o);
      const r = f32x4.add(f32x4.add(f32x4.mul(x0, w0r), f32x4.mul(x1, w1r)), f32x4.add(f32x4.mul(x2, w2r), f32x4.mul(x3, w3r)));
      const i = f32x4.add(f32x4.add(f32x4.mul(x0, w0i), f32x4.mul(x1, w1i)), f32x4.add(f32x4.mul(x2, w2i), f32x4.mul(x3, w3i)));
      v128.store(re + a, f32x4.add(v128.load(re + a), r));
      v128.store(im + a, f32x4.add(v128.load(im + a), i));
    }
  } else {
    const wr = v128.load32_splat(w), wi = v128.load32_splat(w, 4);
    for (let p = 0; p < end4; p += 4) {
      const x = load4<T>(frames + (<usize>p << sz)), a = <usize>p << 2;
      v128.store(re + a, f32x4.add(v128.load(re + a), f32x4.mul(x, wr)));
      v128.store(im + a, f32x4.add(v128.load(im + a), f32x4.mul(x, wi)));
    }
  }
  for (let p = end4; p < q; p++) {
    let r: f32 = 0, i: f32 = 0;
    for (let f = 0; f < g; f++) {
      const x = load1<T>(frames + <usize>f * fb + (<usize>p << sz));
      r += x * load<f32>(w + <usize>f * ws); i += x * load<f32>(w + <usize>f * ws, 4);
    }
    store<f32>(re + (<usize>p << 2), load<f32>(re + (<usize>p << 2)) + r);
    store<f32>(im + (<usize>p << 2), load<f32>(im + (<usize>p << 2)) + i);
  }
}

// weights: (wr, wi) float32 for frame f and frequency j at weights + (f * k + j) * 8.
// out: float64, frequency j's real parts at out + (2 j q + p) * 8, its imaginary parts q values later (overwritten).
@inline function dftTile<T>(frames: usize, n: i32, q: i32, weights: usize, k: i32, out: usize): void {
  const fb = <usize>q << alignof<T>();
  const ws = <usize>k << 3;
  const qb = <usize>q << 3; // bytes of q float64 values
  for (let j = 0; j < k; j++) memory.fill(out + <usize>(2 * j) * qb + qb, 0, qb);
  for (let f = 0; f < n; ) {
    const g = n - f >= 4 ? 4 : 1;
    for (let j = 0; j < k; j++) {
      const re = out + <usize>(2 * j) * qb + qb, im = re + (<usize>q << 2);
      const w = weights + ((<usize>f * <usize>k + <usize>j) << 3);
      if (g == 4) group<T>(frames + <usize>f * fb, fb, q, w, ws, 4, re, im);
      else group<T>(frames + <usize>f * fb, fb, q, w, ws, 1, re, im);
    }
    f += g;
  }
  // Widen in place: the float32 value i (at base + 8q + 4i) becomes the float64 value i (at base + 8i); the write
  // position never passes the next unread value (8i + 32 <= 8q + 4i + 16 for i <= 2q - 4).
  const m = 2 * q, end = m & ~3;
  for (let j = 0; j < k; j++) {
    const base = out + <usize>(2 * j) * qb, src = base + qb;
    let i = 0;
    for (; i < end; i += 4) {
      const v = v128.load(src + (<usize>i << 2));
      v128.store(base + (<usize>i << 3), f64x2.promote_low_f32x4(v));
      v128.store(base + (<usize>i << 3), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), 16);
    }
    for (; i < m; i++) store<f64>(base + (<usize>i << 3), <f64>load<f32>(src + (<usize>i << 2)));
  }
}

export function fftDftTileU8(fr: usize, n: i32, q: i32, w: usize, k: i32, out: usize): void { dftTile<u8>(fr, n, q, w, k, out); }
export function fftDftTileU16(fr: usize, n: i32, q: i32, w: usize, k: i32, out: usize): void { dftTile<u16>(fr, n, q, w, k, out); }
export function fftDftTileU32(fr: usize, n: i32, q: i32, w: usize, k: i32, out: usize): void { dftTile<u32>(fr, n, q, w, k, out); }
export function fftDftTileF32(fr: usize, n: i32, q: i32, w: usize, k: i32, out: usize): void { dftTile<f32>(fr, n, q, w, k, out); }

// The second stage of a separable scan DFT at integer bins (bindings/analyses/fourier-rows.ts): after the first stage
// (a GEMM) has transformed one scan row along x into rows[a] (float32, frequency a's real parts at rows + 2 a q * 4,
// its imaginary parts q values later), each bin j adds coef_j * rows[idx_j] to out_j (float64, real parts at
// out + 2 j q * 8, imaginary parts q values later), where coef_j = exp(-2 pi i ky_j y / ny) for the row's y: (re, im)
// float64 at coef + 16 j. Pixels [0, n) of rows and out, whose pointers may start at any pixel of the q.
export function fftDftRowsCombine(rows: usize, q: i32, n: i32, out: usize, k: i32, idx: usize, coef: usize): void {
  const qb = <usize>q << 3, qs = <usize>q << 2;
  const end2 = n & ~1;
  for (let j = 0; j < k; j++) {
    const a = <usize>load<i32>(idx + (<usize>j << 2));
    const cr = f64x2.splat(load<f64>(coef + (<usize>j << 4))), ci = f64x2.splat(load<f64>(coef + (<usize>j << 4), 8));
    const sr = rows + 2 * a * qs, si = sr + qs;
    const dr = out + 2 * <usize>j * qb, di = dr + qb;
    let p = 0;
    for (; p < end2; p += 2) {
      const o = <usize>p << 3, os = <usize>p << 2;
      const xr = f64x2.promote_low_f32x4(v128.load64_zero(sr + os)), xi = f64x2.promote_low_f32x4(v128.load64_zero(si + os));
      // (cr + i ci)(xr + i xi) = (cr xr - ci xi) + i (cr xi + ci xr)
      v128.store(dr + o, f64x2.add(v128.load(dr + o), f64x2.sub(f64x2.mul(cr, xr), f64x2.mul(ci, xi))));
      v128.store(di + o, f64x2.add(v128.load(di + o), f64x2.add(f64x2.mul(cr, xi), f64x2.mul(ci, xr))));
    }
    for (; p < n; p++) {
      const o = <usize>p << 3, os = <usize>p << 2;
      const xr = <f64>load<f32>(sr + os), xi = <f64>load<f32>(si + os);
      const c0 = f64x2.extract_lane(cr, 0), c1 = f64x2.extract_lane(ci, 0);
      store<f64>(dr + o, load<f64>(dr + o) + c0 * xr - c1 * xi);
      store<f64>(di + o, load<f64>(di + o) + c0 * xi + c1 * xr);
    }
  }
}
