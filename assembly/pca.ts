// Frame tiles as float32 matrices for the PCA products: any dtype is converted on the way in and a centre
// (a float32 pattern, the mean or a near-mean) is subtracted, so the products see small centred values and keep
// float32 precision; the centre's contribution is added back exactly (in float64) by the bindings.
import { load4, load1 } from "./lanes";

// dst[r, j] = src[r, c0 + j] - centre[c0 + j] for r < rows, j < c1 - c0, float32; src rows hold q elements, dst rows
// are ld elements apart (ld >= c1 - c0; callers pad it so that rows do not fall on the same cache sets). The 16-bit
// output of the integer products is rowsI16 below.
@inline function rows<T>(src: usize, nRows: i32, q: i32, c0: i32, c1: i32, centre: usize, dst: usize, ld: i32): void {
  const w = c1 - c0, vecEnd = w & ~7;
  const rowBytes = <usize>q << alignof<T>();
  const cen = centre + (<usize>c0 << 2);
  for (let r = 0; r < nRows; r++) {
    const s = src + <usize>r * rowBytes + (<usize>c0 << alignof<T>());
    const d = dst + ((<usize>r * <usize>ld) << 2);
    let j = 0;
    for (; j < vecEnd; j += 8) {
      v128.store(d + (<usize>j << 2), f32x4.sub(load4<T>(s + (<usize>j << alignof<T>())), v128.load(cen + (<usize>j << 2))));
      v128.store(d + (<usize>j << 2), f32x4.sub(load4<T>(s + (<usize>(j + 4) << alignof<T>())), v128.load(cen + (<usize>(j + 4) << 2))), 16);
    }
    for (; j < w; j++) store<f32>(d + (<usize>j << 2), load1<T>(s + (<usize>j << alignof<T>())) - load<f32>(cen + (<usize>j << 2)));
  }
}

// The transpose of `rows`: dst[j, r] = src[r, c0 + j] - centre[c0 + j], dst rows hold nRows float32 elements (the
// 16-bit output is colsI16 below). When sumsq is not 0, sumsq[c0 + j] (float64) += sum over r of (src - centre)^2:
// the centred sum of squares, for the total variance. Works on 4 x 4 blocks so that both the reads and the writes
// are whole vectors.
@inline function cols<T>(src: usize, nRows: i32, q: i32, c0: i32, c1: i32, centre: usize, dst: usize, sumsq: usize): void {
  const w = c1 - c0, r4 = nRows & ~3, w4 = w & ~3;
  const rowBytes = <usize>q << alignof<T>();
  const dstRow = <usize>nRows << 2;
  for (let j = 0; j < w4; j += 4) {
    const cen = v128.load(centre + (<usize>(c0 + j) << 2));
    const s = src + (<usize>(c0 + j) << alignof<T>());
    const d = dst + <usize>j * dstRow;
    let ss0 = f64x2.splat(0), ss1 = f64x2.splat(0);
    for (let r = 0; r < r4; r += 4) {
      const p = s + <usize>r * rowBytes;
      const x0 = f32x4.sub(load4<T>(p), cen), x1 = f32x4.sub(load4<T>(p + rowBytes), cen);
      const x2 = f32x4.sub(load4<T>(p + 2 * rowBytes), cen), x3 = f32x4.sub(load4<T>(p + 3 * rowBytes), cen);
      // 4 x 4 transpose: t0 = column 0 of the block (x0[0], x1[0], x2[0], x3[0]), and so on.
      const u0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), u1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
      const u2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7), u3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
      const t0 = i64x2.shuffle(u0, u1, 0, 2), t1 = i64x2.shuffle(u0, u1, 1, 3);
      const t2 = i64x2.shuffle(u2, u3, 0, 2), t3 = i64x2.shuffle(u2, u3, 1, 3);
      const o = <usize>r << 2;
      v128.store(d + o, t0);
      v128.store(d + dstRow + o, t1);
      v128.store(d + 2 * dstRow + o, t2);
      v128.store(d + 3 * dstRow + o, t3);
      if (sumsq) {
        // Per column j..j+3: lanes of x0..x3 squared, summed in float64.
        const q0 = f32x4.add(f32x4.mul(x0, x0), f32x4.mul(x1, x1)), q1 = f32x4.add(f32x4.mul(x2, x2), f32x4.mul(x3, x3));
        const qq = f32x4.add(q0, q1);
        ss0 = f64x2.add(ss0, f64x2.promote_low_f32x4(qq));
        ss1 = f64x2.add(ss1, f64x2.promote_low_f32x4(i32x4.shuffle(qq, qq, 2, 3, 0, 1)));
      }
    }
    for (let r = r4; r < nRows; r++) {
      const x = f32x4.sub(load4<T>(s + <usize>r * rowBytes), cen);
      const o = <usize>r << 2;
      store<f32>(d + o, f32x4.extract_lane(x, 0));
      store<f32>(d + dstRow + o, f32x4.extract_lane(x, 1));
      store<f32>(d + 2 * dstRow + o, f32x4.extract_lane(x, 2));
      store<f32>(d + 3 * dstRow + o, f32x4.extract_lane(x, 3));
      if (sumsq) {
        const qq = f32x4.mul(x, x);
        ss0 = f64x2.add(ss0, f64x2.promote_low_f32x4(qq));
        ss1 = f64x2.add(ss1, f64x2.promote_low_f32x4(i32x4.shuffle(qq, qq, 2, 3, 0, 1)));
      }
    }
    if (sumsq) {
      const ps = sumsq + (<usize>(c0 + j) << 3);
      v128.store(ps, f64x2.add(v128.load(ps), ss0));
      v128.store(ps, f64x2.add(v128.load(ps, 16), ss1), 16);
    }
  }
  for (let j = w4; j < w; j++) {
    const c = load<f32>(centre + (<usize>(c0 + j) << 2));
    const s = src + (<usize>(c0 + j) << alignof<T>());
    const d = dst + <usize>j * dstRow;
    let ss: f64 = 0;
    for (let r = 0; r < nRows; r++) {
      const x = load1<T>(s + <usize>r * rowBytes) - c;
      store<f32>(d + (<usize>r << 2), x);
      ss += <f64>(x * x);
    }
    if (sumsq) {
      const ps = sumsq + (<usize>(c0 + j) << 3);
      store<f64>(ps, load<f64>(ps) + ss);
    }
  }
}

// --- 16-bit integer output (the integer products): integer arithmetic throughout ---
// Integer data less an integer centre, both taken modulo 2^16: the wrapping 16-bit difference is the exact one
// whenever it fits in 16 bits, which the caller guarantees (integerPairs: a span of at most 2048). So the centre is
// given as 16-bit integers (the rounded mean modulo 2^16), and a frame's values are widened (u8), taken as they are
// (u16) or cut to their low 16 bits (u32, and float32 holding integers, truncated first): no float conversion.

/** Eight values of a row as i16 lanes, each modulo 2^16. */
@inline function load8i16<T>(p: usize): v128 {
  if (sizeof<T>() == 1) return i16x8.extend_low_i8x16_u(v128.load64_zero(p));
  if (sizeof<T>() == 2) return v128.load(p);
  const a = isInteger<T>() ? v128.load(p) : i32x4.trunc_sat_f32x4_s(v128.load(p));
  const b = isInteger<T>() ? v128.load(p, 16) : i32x4.trunc_sat_f32x4_s(v128.load(p, 16));
  return i8x16.shuffle(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
}

/** One value modulo 2^16 (as i32). */
@inline function load1i<T>(p: usize): i32 {
  return isInteger<T>() ? <i32>load<T>(p) : <i32>load<f32>(p);
}

// rows<T, i16>: dst[r, j] = src[r, c0 + j] - centre[c0 + j] (mod 2^16); a row of odd length gets a zero after its last
// element, so that the products can take the pixels in pairs.
@inline function rowsI16<T>(src: usize, nRows: i32, q: i32, c0: i32, c1: i32, centre: usize, dst: usize, ld: i32): void {
  const w = c1 - c0, vecEnd = w & ~7;
  const rowBytes = <usize>q << alignof<T>();
  const cen = centre + (<usize>c0 << 1);
  for (let r = 0; r < nRows; r++) {
    const s = src + <usize>r * rowBytes + (<usize>c0 << alignof<T>());
    const d = dst + ((<usize>r * <usize>ld) << 1);
    let j = 0;
    for (; j < vecEnd; j += 8) v128.store(d + (<usize>j << 1), i16x8.sub(load8i16<T>(s + (<usize>j << alignof<T>())), v128.load(cen + (<usize>j << 1))));
    for (; j < w; j++) store<i16>(d + (<usize>j << 1), <i16>(load1i<T>(s + (<usize>j << alignof<T>())) - <i32>load<i16>(cen + (<usize>j << 1))));
    if (w & 1) store<i16>(d + (<usize>w << 1), 0);
  }
}

// cols<T, i16>: the transpose of rowsI16, dst[j, r] (rows of nRows rounded up to even, an odd count padded with a
// zero), in 8 x 8 blocks (three rounds of interleaving); sumsq (float64, when not 0) += the squared differences,
// summed exactly in 32 bits over each block of 8 frames (8 x 32767^2 < 2^33: the caller's span keeps it far below).
@inline function colsI16<T>(src: usize, nRows: i32, q: i32, c0: i32, c1: i32, centre: usize, dst: usize, sumsq: usize): void {
  const w = c1 - c0, r8 = nRows & ~7, w8 = w & ~7;
  const rowBytes = <usize>q << alignof<T>();
  const even = (nRows + 1) & ~1, dstRow = <usize>even << 1;
  for (let j = 0; j < w8; j += 8) {
    const cen = v128.load(centre + (<usize>(c0 + j) << 1));
    const s = src + (<usize>(c0 + j) << alignof<T>());
    const d = dst + <usize>j * dstRow;
    let lo = f64x2.splat(0), lo2 = f64x2.splat(0), hi = f64x2.splat(0), hi2 = f64x2.splat(0);
    for (let r = 0; r < r8; r += 8) {
      const p = s + <usize>r * rowBytes;
      const v0 = i16x8.sub(load8i16<T>(p), cen), v1 = i16x8.sub(load8i16<T>(p + rowBytes), cen);
      const v2 = i16x8.sub(load8i16<T>(p + 2 * rowBytes), cen), v3 = i16x8.sub(load8i16<T>(p + 3 * rowBytes), cen);
      const v4 = i16x8.sub(load8i16<T>(p + 4 * rowBytes), cen), v5 = i16x8.sub(load8i16<T>(p + 5 * rowBytes), cen);
      const v6 = i16x8.sub(load8i16<T>(p + 6 * rowBytes), cen), v7 = i16x8.sub(load8i16<T>(p + 7 * rowBytes), cen);
      // Frames v0..v7 (lanes: pixels) to pixels t0..t7 (lanes: frames).
      const a0 = i16x8.shuffle(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11), a1 = i16x8.shuffle(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15);
      const a2 = i16x8.shuffle(v2, v3, 0, 8, 1, 9, 2, 10, 3, 11), a3 = i16x8.shuffle(v2, v3, 4, 12, 5, 13, 6, 14, 7, 15);
      const a4 = i16x8.shuffle(v4, v5, 0, 8, 1, 9, 2, 10, 3, 11), a5 = i16x8.shuffle(v4, v5, 4, 12, 5, 13, 6, 14, 7, 15);
      const a6 = i16x8.shuffle(v6, v7, 0, 8, 1, 9, 2, 10, 3, 11), a7 = i16x8.shuffle(v6, v7, 4, 12, 5, 13, 6, 14, 7, 15);
      const b0 = i32x4.shuffle(a0, a2, 0, 4, 1, 5), b1 = i32x4.shuffle(a0, a2, 2, 6, 3, 7);
      const b2 = i32x4.shuffle(a1, a3, 0, 4, 1, 5), b3 = i32x4.shuffle(a1, a3, 2, 6, 3, 7);
      const b4 = i32x4.shuffle(a4, a6, 0, 4, 1, 5), b5 = i32x4.shuffle(a4, a6, 2, 6, 3, 7);
      const b6 = i32x4.shuffle(a5, a7, 0, 4, 1, 5), b7 = i32x4.shuffle(a5, a7, 2, 6, 3, 7);
      const o = d + (<usize>r << 1);
      v128.store(o, i64x2.shuffle(b0, b4, 0, 2));
      v128.store(o + dstRow, i64x2.shuffle(b0, b4, 1, 3));
      v128.store(o + 2 * dstRow, i64x2.shuffle(b1, b5, 0, 2));
      v128.store(o + 3 * dstRow, i64x2.shuffle(b1, b5, 1, 3));
      v128.store(o + 4 * dstRow, i64x2.shuffle(b2, b6, 0, 2));
      v128.store(o + 5 * dstRow, i64x2.shuffle(b2, b6, 1, 3));
      v128.store(o + 6 * dstRow, i64x2.shuffle(b3, b7, 0, 2));
      v128.store(o + 7 * dstRow, i64x2.shuffle(b3, b7, 1, 3));
      if (sumsq) {
        // Per pixel (lanes 0..3 and 4..7), the block's squares summed in 32 bits, then added in float64.
        let sl = i32x4.add(i32x4.extmul_low_i16x8_s(v0, v0), i32x4.extmul_low_i16x8_s(v1, v1));
        let sh = i32x4.add(i32x4.extmul_high_i16x8_s(v0, v0), i32x4.extmul_high_i16x8_s(v1, v1));
        sl = i32x4.add(sl, i32x4.add(i32x4.extmul_low_i16x8_s(v2, v2), i32x4.extmul_low_i16x8_s(v3, v3)));
        sh = i32x4.add(sh, i32x4.add(i32x4.extmul_high_i16x8_s(v2, v2), i32x4.extmul_high_i16x8_s(v3, v3)));
        sl = i32x4.add(sl, i32x4.add(i32x4.extmul_low_i16x8_s(v4, v4), i32x4.extmul_low_i16x8_s(v5, v5)));
        sh = i32x4.add(sh, i32x4.add(i32x4.extmul_high_i16x8_s(v4, v4), i32x4.extmul_high_i16x8_s(v5, v5)));
        sl = i32x4.add(sl, i32x4.add(i32x4.extmul_low_i16x8_s(v6, v6), i32x4.extmul_low_i16x8_s(v7, v7)));
        sh = i32x4.add(sh, i32x4.add(i32x4.extmul_high_i16x8_s(v6, v6), i32x4.extmul_high_i16x8_s(v7, v7)));
        lo = f64x2.add(lo, f64x2.convert_low_i32x4_u(sl));
        lo2 = f64x2.add(lo2, f64x2.convert_low_i32x4_u(i32x4.shuffle(sl, sl, 2, 3, 0, 1)));
        hi = f64x2.add(hi, f64x2.convert_low_i32x4_u(sh));
        hi2 = f64x2.add(hi2, f64x2.convert_low_i32x4_u(i32x4.shuffle(sh, sh, 2, 3, 0, 1)));
      }
    }
    for (let r = r8; r < nRows; r++) {
      const v = i16x8.sub(load8i16<T>(s + <usize>r * rowBytes), cen);
      const o = d + (<usize>r << 1);
      store<i16>(o, i16x8.extract_lane_s(v, 0)); store<i16>(o + dstRow, i16x8.extract_lane_s(v, 1));
      store<i16>(o + 2 * dstRow, i16x8.extract_lane_s(v, 2)); store<i16>(o + 3 * dstRow, i16x8.extract_lane_s(v, 3));
      store<i16>(o + 4 * dstRow, i16x8.extract_lane_s(v, 4)); store<i16>(o + 5 * dstRow, i16x8.extract_lane_s(v, 5));
      store<i16>(o + 6 * dstRow, i16x8.extract_lane_s(v, 6)); store<i16>(o + 7 * dstRow, i16x8.extract_lane_s(v, 7));
      if (sumsq) {
        const sl = i32x4.extmul_low_i16x8_s(v, v), sh = i32x4.extmul_high_i16x8_s(v, v);
        lo = f64x2.add(lo, f64x2.convert_low_i32x4_u(sl));
        lo2 = f64x2.add(lo2, f64x2.convert_low_i32x4_u(i32x4.shuffle(sl, sl, 2, 3, 0, 1)));
        hi = f64x2.add(hi, f64x2.convert_low_i32x4_u(sh));
        hi2 = f64x2.add(hi2, f64x2.convert_low_i32x4_u(i32x4.shuffle(sh, sh, 2, 3, 0, 1)));
      }
    }
    if (even > nRows) for (let t = 0; t < 8; t++) store<i16>(d + <usize>t * dstRow + (<usize>nRows << 1), 0);
    if (sumsq) {
      const ps = sumsq + (<usize>(c0 + j) << 3);
      v128.store(ps, f64x2.add(v128.load(ps), lo));
      v128.store(ps, f64x2.add(v128.load(ps, 16), lo2), 16);
      v128.store(ps, f64x2.add(v128.load(ps, 32), hi), 32);
      v128.store(ps, f64x2.add(v128.load(ps, 48), hi2), 48);
    }
  }
  for (let j = w8; j < w; j++) {
    const c = <i32>load<i16>(centre + (<usize>(c0 + j) << 1));
    const s = src + (<usize>(c0 + j) << alignof<T>());
    const d = dst + <usize>j * dstRow;
    let ss: f64 = 0;
    for (let r = 0; r < nRows; r++) {
      const x = <i16>(load1i<T>(s + <usize>r * rowBytes) - c);
      store<i16>(d + (<usize>r << 1), x);
      ss += <f64>(<i32>x * <i32>x);
    }
    if (even > nRows) store<i16>(d + (<usize>nRows << 1), 0);
    if (sumsq) {
      const ps = sumsq + (<usize>(c0 + j) << 3);
      store<f64>(ps, load<f64>(ps) + ss);
    }
  }
}

export function pcaRowsU8(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rows<u8>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsI16U8(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rowsI16<u8>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsU16(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rows<u16>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsI16U16(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rowsI16<u16>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsU32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rows<u32>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsI16U32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rowsI16<u32>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsF32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rows<f32>(s, n, q, c0, c1, cen, d, ld); }
export function pcaRowsI16F32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ld: i32): void { rowsI16<f32>(s, n, q, c0, c1, cen, d, ld); }
export function pcaColsU8(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { cols<u8>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsI16U8(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { colsI16<u8>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsU16(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { cols<u16>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsI16U16(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { colsI16<u16>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsU32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { cols<u32>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsI16U32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { colsI16<u32>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsF32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { cols<f32>(s, n, q, c0, c1, cen, d, ss); }
export function pcaColsI16F32(s: usize, n: i32, q: i32, c0: i32, c1: i32, cen: usize, d: usize, ss: usize): void { colsI16<f32>(s, n, q, c0, c1, cen, d, ss); }
