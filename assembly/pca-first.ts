// PCA's first pass over the frames in one sweep of each tile: the column sums (the mean pattern), the range of the
// values (whether the later passes can multiply in 16-bit integers), and the first sketch Y0 = D Omega with a sparse
// random Omega: row j of Omega has s non-zeros, at columns idx[j*s .. j*s+s) with values val[j*s ..], so a pixel
// costs s multiply-adds instead of l (Martinsson & Tropp 2020, sparse sign embeddings).
//
// Frames go four at a time: four vector loads of 4 pixels from 4 frames, transposed in registers, give each pixel's
// values in the 4 frames as one vector, which the pixel's s non-zeros add into a 4-frame accumulator (l x 4 floats,
// `work`) with vector operations; a pixel zero in all 4 frames (common in counted data) costs nothing there. The sums
// add frame after frame in float64, in the order of a plain per-frame accumulation.
import { load1, load4 } from "./lanes";

// sums[j..j+3] (float64) += x, in frame order: call once per frame.
@inline function addSums(sums: usize, x: v128): void {
  v128.store(sums, f64x2.add(v128.load(sums), f64x2.promote_low_f32x4(x)));
  v128.store(sums, f64x2.add(v128.load(sums, 16), f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1))), 16);
}

// The s non-zeros of pixel j add v (the pixel in 4 frames) into their columns of the 4-frame accumulator.
@inline function scatter(v: v128, j: i32, idx: usize, val: usize, s: i32, work: usize): void {
  if (!v128.any_true(v)) return;
  const base = <usize>j * <usize>s;
  for (let t = 0; t < s; t++) {
    const p = work + (<usize>load<i32>(idx + ((base + <usize>t) << 2)) << 4);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(v, f32x4.splat(load<f32>(val + ((base + <usize>t) << 2))))));
  }
}

/** For frames [0, n) of a tile (rows of q elements of T): out[r, 0:l] = D[r, :] Omega, sums[j] += sum over r of
 * D[r, j] (float64), and the floats at hi, lo and frac widened to the largest and smallest value and the largest
 * distance of a value from an integer (NaN when a value is not finite). `work`: l x 4 floats of scratch. */
@inline function firstPass<T>(src: usize, n: i32, q: i32, idx: usize, val: usize, s: i32, l: i32, out: usize, work: usize, sums: usize, hiP: usize, loP: usize, fracP: usize): void {
  const rowBytes = <usize>q << alignof<T>(), q4 = q & ~3;
  let hi = f32x4.splat(load<f32>(hiP)), lo = f32x4.splat(load<f32>(loP)), frac = f32x4.splat(load<f32>(fracP));
  for (let r0 = 0; r0 < n; r0 += 4) {
    const m = min(4, n - r0);
    // Rows past the last frame read the first row again and are masked out of the sketch, sums and range.
    const p0 = src + <usize>r0 * rowBytes, p1 = m > 1 ? p0 + rowBytes : p0;
    const p2 = m > 2 ? p0 + 2 * rowBytes : p0, p3 = m > 3 ? p0 + 3 * rowBytes : p0;
    const keep = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(-1), 1, m > 1 ? -1 : 0), 2, m > 2 ? -1 : 0), 3, m > 3 ? -1 : 0);
    memory.fill(work, 0, <usize>l << 4);
    for (let j = 0; j < q4; j += 4) {
      const o = <usize>j << alignof<T>();
      const a = load4<T>(p0 + o), b = load4<T>(p1 + o), c = load4<T>(p2 + o), d = load4<T>(p3 + o);
      const sj = sums + (<usize>j << 3);
      addSums(sj, a);
      if (m > 1) addSums(sj, b);
      if (m > 2) addSums(sj, c);
      if (m > 3) addSums(sj, d);
      hi = f32x4.max(hi, f32x4.max(f32x4.max(a, b), f32x4.max(c, d)));
      lo = f32x4.min(lo, f32x4.min(f32x4.min(a, b), f32x4.min(c, d)));
      if (!isInteger<T>()) {
        const fa = f32x4.max(f32x4.abs(f32x4.sub(a, f32x4.nearest(a))), f32x4.abs(f32x4.sub(b, f32x4.nearest(b))));
        const fc = f32x4.max(f32x4.abs(f32x4.sub(c, f32x4.nearest(c))), f32x4.abs(f32x4.sub(d, f32x4.nearest(d))));
        frac = f32x4.max(frac, f32x4.max(fa, fc));
      }
      // Transpose: column i = pixel j + i in the 4 frames.
      const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
      scatter(v128.and(i64x2.shuffle(t0, t2, 0, 2), keep), j, idx, val, s, work);
      scatter(v128.and(i64x2.shuffle(t0, t2, 1, 3), keep), j + 1, idx, val, s, work);
      scatter(v128.and(i64x2.shuffle(t1, t3, 0, 2), keep), j + 2, idx, val, s, work);
      scatter(v128.and(i64x2.shuffle(t1, t3, 1, 3), keep), j + 3, idx, val, s, work);
    }
    for (let j = q4; j < q; j++) {
      const o = <usize>j << alignof<T>();
      const v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load1<T>(p0 + o)), 1, load1<T>(p1 + o)), 2, load1<T>(p2 + o)), 3, load1<T>(p3 + o));
      const sj = sums + (<usize>j << 3);
      for (let i = 0; i < m; i++) store<f64>(sj, load<f64>(sj) + <f64>laneOf(v, i));
      hi = f32x4.max(hi, v);
      lo = f32x4.min(lo, v);
      if (!isInteger<T>()) frac = f32x4.max(frac, f32x4.abs(f32x4.sub(v, f32x4.nearest(v))));
      scatter(v128.and(v, keep), j, idx, val, s, work);
    }
    // The accumulator's 4 frames into their rows of out.
    for (let i = 0; i < m; i++) {
      const row = out + ((<usize>(r0 + i) * <usize>l) << 2);
      for (let c = 0; c < l; c++) store<f32>(row + (<usize>c << 2), load<f32>(work + (<usize>c << 4) + (<usize>i << 2)));
    }
  }
  store<f32>(hiP, max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3))));
  store<f32>(loP, min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3))));
  store<f32>(fracP, max(max(f32x4.extract_lane(frac, 0), f32x4.extract_lane(frac, 1)), max(f32x4.extract_lane(frac, 2), f32x4.extract_lane(frac, 3))));
}

// Lane i of v (i < 4, not a constant).
@inline function laneOf(v: v128, i: i32): f32 {
  return i == 0 ? f32x4.extract_lane(v, 0) : i == 1 ? f32x4.extract_lane(v, 1) : i == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

export function pcaFirstPassU8(p: usize, n: i32, q: i32, idx: usize, val: usize, s: i32, l: i32, out: usize, work: usize, sums: usize, hi: usize, lo: usize, frac: usize): void { firstPass<u8>(p, n, q, idx, val, s, l, out, work, sums, hi, lo, frac); }
export function pcaFirstPassU16(p: usize, n: i32, q: i32, idx: usize, val: usize, s: i32, l: i32, out: usize, work: usize, sums: usize, hi: usize, lo: usize, frac: usize): void { firstPass<u16>(p, n, q, idx, val, s, l, out, work, sums, hi, lo, frac); }
export function pcaFirstPassU32(p: usize, n: i32, q: i32, idx: usize, val: usize, s: i32, l: i32, out: usize, work: usize, sums: usize, hi: usize, lo: usize, frac: usize): void { firstPass<u32>(p, n, q, idx, val, s, l, out, work, sums, hi, lo, frac); }
export function pcaFirstPassF32(p: usize, n: i32, q: i32, idx: usize, val: usize, s: i32, l: i32, out: usize, work: usize, sums: usize, hi: usize, lo: usize, frac: usize): void { firstPass<f32>(p, n, q, idx, val, s, l, out, work, sums, hi, lo, frac); }
