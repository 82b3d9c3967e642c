// Frames of counts copied into the smallest unsigned integer type that holds them (bindings/resident-copy.ts): u8
// or u16. Every value is checked: one that is not an integer in the target's range (or not a number) sets the flag,
// and the caller drops the copy.
import { load4, load1 } from "./lanes";

@inline function compact<S, D>(src: usize, count: i32, dst: usize, flag: usize): void {
  const most: f32 = sizeof<D>() == 1 ? 255 : 65535;
  const zero = f32x4.splat(0), top = f32x4.splat(most);
  let bad = i32x4.splat(0);
  let i = 0;
  const end = count & ~15;
  for (; i < end; i += 16) {
    const a = load4<S>(src + (<usize>i << alignof<S>())), b = load4<S>(src + (<usize>(i + 4) << alignof<S>()));
    const c = load4<S>(src + (<usize>(i + 8) << alignof<S>())), d = load4<S>(src + (<usize>(i + 12) << alignof<S>()));
    bad = v128.or(bad, v128.or(v128.or(outside(a, zero, top), outside(b, zero, top)), v128.or(outside(c, zero, top), outside(d, zero, top))));
    const ab = i16x8.narrow_i32x4_u(i32x4.trunc_sat_f32x4_u(a), i32x4.trunc_sat_f32x4_u(b));
    const cd = i16x8.narrow_i32x4_u(i32x4.trunc_sat_f32x4_u(c), i32x4.trunc_sat_f32x4_u(d));
    if (sizeof<D>() == 1) {
      v128.store(dst + <usize>i, i8x16.narrow_i16x8_u(ab, cd));
    } else {
      v128.store(dst + (<usize>i << 1), ab);
      v128.store(dst + (<usize>i << 1), cd, 16);
    }
  }
  let tail = false;
  for (; i < count; i++) {
    const v = load1<S>(src + (<usize>i << alignof<S>()));
    const ok = v >= 0 && v <= most && v == Mathf.floor(v);
    if (!ok) tail = true;
    store<D>(dst + (<usize>i << alignof<D>()), <D>(ok ? <u32>v : 0));
  }
  if (tail || v128.any_true(bad)) store<i32>(flag, 1);
}

/** All lanes set where v is not an integer in [0, top] (NaN included). */
@inline function outside(v: v128, zero: v128, top: v128): v128 {
  return v128.not(v128.and(v128.and(f32x4.ge(v, zero), f32x4.le(v, top)), f32x4.eq(v, f32x4.floor(v))));
}

export function compactU8FromU8(src: usize, n: i32, dst: usize, flag: usize): void { compact<u8, u8>(src, n, dst, flag); }
export function compactU8FromU16(src: usize, n: i32, dst: usize, flag: usize): void { compact<u16, u8>(src, n, dst, flag); }
export function compactU8FromU32(src: usize, n: i32, dst: usize, flag: usize): void { compact<u32, u8>(src, n, dst, flag); }
export function compactU8FromF32(src: usize, n: i32, dst: usize, flag: usize): void { compact<f32, u8>(src, n, dst, flag); }
export function compactU16FromU16(src: usize, n: i32, dst: usize, flag: usize): void { compact<u16, u16>(src, n, dst, flag); }
export function compactU16FromU32(src: usize, n: i32, dst: usize, flag: usize): void { compact<u32, u16>(src, n, dst, flag); }
export function compactU16FromF32(src: usize, n: i32, dst: usize, flag: usize): void { compact<f32, u16>(src, n, dst, flag); }
