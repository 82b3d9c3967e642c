// Per-pixel reductions over frames (sum, max), detector binning and dtype conversion.
import { load4, load1, hsum } from "./lanes";

// acc[i] += sum over the n frames of frame[i], in frame order, in float64 (a 192x192 scan of u16 counts
// overflows float32's exact integers long before it ends).
@inline function accumulateF64<T>(frames: usize, n: i32, q: i32, acc: usize): void {
  const frameBytes = <usize>q << alignof<T>();
  const vecEnd = q & ~3;
  for (let f = 0; f < n; f++) {
    const frame = frames + <usize>f * frameBytes;
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const v = load4<T>(frame + (<usize>i << alignof<T>()));
      const pa = acc + (<usize>i << 3);
      v128.store(pa, f64x2.add(v128.load(pa), f64x2.promote_low_f32x4(v)));
      v128.store(pa, f64x2.add(v128.load(pa, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
    for (; i < q; i++) {
      const pa = acc + (<usize>i << 3);
      store<f64>(pa, load<f64>(pa) + <f64>load1<T>(frame + (<usize>i << alignof<T>())));
    }
  }
}

// acc[i] = max(acc[i], frame[i]) over the n frames.
@inline function accumulateMax<T>(frames: usize, n: i32, q: i32, acc: usize): void {
  const frameBytes = <usize>q << alignof<T>();
  const vecEnd = q & ~3;
  for (let f = 0; f < n; f++) {
    const frame = frames + <usize>f * frameBytes;
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const pa = acc + (<usize>i << 2);
      v128.store(pa, f32x4.max(v128.load(pa), load4<T>(frame + (<usize>i << alignof<T>()))));
    }
    for (; i < q; i++) {
      const pa = acc + (<usize>i << 2);
      store<f32>(pa, max(load<f32>(pa), load1<T>(frame + (<usize>i << alignof<T>()))));
    }
  }
}

// Sums b x b detector pixels into one: frames of rows x cols become (rows / b) x (cols / b) float32 frames;
// a remainder of rows or columns that does not fill a whole bin is dropped. The first input row of a bin stores its
// sums and the others add to them: zero-filling first would have vector loads read back scalar stores, a
// store-forwarding stall that halved the throughput.
@inline function binDetector<T>(frames: usize, n: i32, rows: i32, cols: i32, b: i32, out: usize): void {
  const outRows = rows / b, outCols = cols / b;
  const frameBytes = <usize>(rows * cols) << alignof<T>();
  for (let f = 0; f < n; f++) {
    const frame = frames + <usize>f * frameBytes;
    const dst = out + ((<usize>f * <usize>(outRows * outCols)) << 2);
    for (let r = 0; r < outRows; r++) {
      const orow = dst + (<usize>(r * outCols) << 2);
      for (let k = 0; k < b; k++) binRow<T>(frame + (<usize>((r * b + k) * cols) << alignof<T>()), outCols, b, orow, k == 0);
    }
  }
}

// One input row's share of a row of bins.
@inline function binRow<T>(irow: usize, outCols: i32, b: i32, orow: usize, first: bool): void {
  const e = alignof<T>();
  let c = 0;
  if (b == 2) {
    // Four bins from eight elements: the even lanes plus the odd lanes.
    for (; c + 4 <= outCols; c += 4) {
      const p = irow + (<usize>(c * 2) << e);
      const v0 = load4<T>(p), v1 = load4<T>(p + (<usize>4 << e));
      put4(orow + (<usize>c << 2), f32x4.add(f32x4.shuffle(v0, v1, 0, 2, 4, 6), f32x4.shuffle(v0, v1, 1, 3, 5, 7)), first);
    }
  } else if (b == 3) {
    // Four bins from twelve elements: lanes 0, 3, 6, 9 plus 1, 4, 7, 10 plus 2, 5, 8, 11.
    for (; c + 4 <= outCols; c += 4) {
      const p = irow + (<usize>(c * 3) << e);
      const v0 = load4<T>(p), v1 = load4<T>(p + (<usize>4 << e)), v2 = load4<T>(p + (<usize>8 << e));
      const a = f32x4.shuffle(f32x4.shuffle(v0, v1, 0, 3, 6, 7), v2, 0, 1, 2, 5);
      const m = f32x4.shuffle(f32x4.shuffle(v0, v1, 1, 4, 7, 7), v2, 0, 1, 2, 6);
      const z = f32x4.shuffle(f32x4.shuffle(v0, v1, 2, 5, 5, 5), v2, 0, 1, 4, 7);
      put4(orow + (<usize>c << 2), f32x4.add(f32x4.add(a, m), z), first);
    }
  } else if (b == 4) {
    // Four bins from sixteen elements: pairwise sums within each group of four, then the pairs of pairs.
    for (; c + 4 <= outCols; c += 4) {
      const p = irow + (<usize>(c * 4) << e);
      const v0 = load4<T>(p), v1 = load4<T>(p + (<usize>4 << e)), v2 = load4<T>(p + (<usize>8 << e)), v3 = load4<T>(p + (<usize>12 << e));
      const s01 = f32x4.add(f32x4.shuffle(v0, v1, 0, 1, 4, 5), f32x4.shuffle(v0, v1, 2, 3, 6, 7));
      const s23 = f32x4.add(f32x4.shuffle(v2, v3, 0, 1, 4, 5), f32x4.shuffle(v2, v3, 2, 3, 6, 7));
      put4(orow + (<usize>c << 2), f32x4.add(f32x4.shuffle(s01, s23, 0, 2, 4, 6), f32x4.shuffle(s01, s23, 1, 3, 5, 7)), first);
    }
  } else if ((b & 3) == 0) {
    // Larger multiples of four: four elements at a time, one horizontal sum per bin.
    for (; c < outCols; c++) {
      const p = irow + (<usize>(c * b) << e);
      let v = load4<T>(p);
      for (let l = 4; l < b; l += 4) v = f32x4.add(v, load4<T>(p + (<usize>l << e)));
      put1(orow + (<usize>c << 2), hsum(v), first);
    }
  }
  // Other factors, and the bins left over by the groups of four above.
  for (; c < outCols; c++) {
    let s: f32 = 0;
    const p = irow + (<usize>(c * b) << e);
    for (let l = 0; l < b; l++) s += load1<T>(p + (<usize>l << e));
    put1(orow + (<usize>c << 2), s, first);
  }
}

@inline function put4(p: usize, v: v128, first: bool): void {
  if (first) v128.store(p, v);
  else v128.store(p, f32x4.add(v128.load(p), v));
}

@inline function put1(p: usize, s: f32, first: bool): void {
  if (first) store<f32>(p, s);
  else store<f32>(p, load<f32>(p) + s);
}

@inline function toF32<T>(src: usize, n: i32, dst: usize): void {
  const vecEnd = n & ~3;
  let i = 0;
  for (; i < vecEnd; i += 4) v128.store(dst + (<usize>i << 2), load4<T>(src + (<usize>i << alignof<T>())));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load1<T>(src + (<usize>i << alignof<T>())));
}

export function accumulateF64U8(p: usize, n: i32, q: i32, acc: usize): void { accumulateF64<u8>(p, n, q, acc); }
export function accumulateF64U16(p: usize, n: i32, q: i32, acc: usize): void { accumulateF64<u16>(p, n, q, acc); }
export function accumulateF64U32(p: usize, n: i32, q: i32, acc: usize): void { accumulateF64<u32>(p, n, q, acc); }
export function accumulateF64F32(p: usize, n: i32, q: i32, acc: usize): void { accumulateF64<f32>(p, n, q, acc); }
export function accumulateMaxU8(p: usize, n: i32, q: i32, acc: usize): void { accumulateMax<u8>(p, n, q, acc); }
export function accumulateMaxU16(p: usize, n: i32, q: i32, acc: usize): void { accumulateMax<u16>(p, n, q, acc); }
export function accumulateMaxU32(p: usize, n: i32, q: i32, acc: usize): void { accumulateMax<u32>(p, n, q, acc); }
export function accumulateMaxF32(p: usize, n: i32, q: i32, acc: usize): void { accumulateMax<f32>(p, n, q, acc); }
export function binDetectorU8(p: usize, n: i32, r: i32, c: i32, b: i32, out: usize): void { binDetector<u8>(p, n, r, c, b, out); }
export function binDetectorU16(p: usize, n: i32, r: i32, c: i32, b: i32, out: usize): void { binDetector<u16>(p, n, r, c, b, out); }
export function binDetectorU32(p: usize, n: i32, r: i32, c: i32, b: i32, out: usize): void { binDetector<u32>(p, n, r, c, b, out); }
export function binDetectorF32(p: usize, n: i32, r: i32, c: i32, b: i32, out: usize): void { binDetector<f32>(p, n, r, c, b, out); }
export function toF32U8(src: usize, n: i32, dst: usize): void { toF32<u8>(src, n, dst); }
export function toF32U16(src: usize, n: i32, dst: usize): void { toF32<u16>(src, n, dst); }
export function toF32U32(src: usize, n: i32, dst: usize): void { toF32<u32>(src, n, dst); }
export function toF32F32(src: usize, n: i32, dst: usize): void { toF32<f32>(src, n, dst); }

// In-place byte order reversal of n 2- or 4-byte elements (big-endian files).
export function byteswap(p: usize, n: i32, width: i32): void {
  const bytes = <usize>n * <usize>width;
  const vecEnd = bytes & ~15;
  let i: usize = 0;
  if (width == 2) {
    for (; i < vecEnd; i += 16) v128.store(p + i, i8x16.shuffle(v128.load(p + i), v128.load(p + i), 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
    for (; i < bytes; i += 2) store<u16>(p + i, bswap<u16>(load<u16>(p + i)));
  } else if (width == 4) {
    for (; i < vecEnd; i += 16) v128.store(p + i, i8x16.shuffle(v128.load(p + i), v128.load(p + i), 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    for (; i < bytes; i += 4) store<u32>(p + i, bswap<u32>(load<u32>(p + i)));
  } else if (width == 8) {
    for (; i < bytes; i += 8) store<u64>(p + i, bswap<u64>(load<u64>(p + i)));
  }
}
