// A benchmark kernel, not an analysis.
/**
 * The ceiling the GEMM is measured against (bench/gemm.ts): `iterations` steps of 12 independent f32x4
 * multiply-then-add chains held in registers, 96 flops a step. Wasm SIMD in Node 20 has no fused multiply-add,
 * so a multiply and an add are two instructions: this is the most a core can do with them. Returns a value that
 * depends on every chain, so nothing is optimised away.
 */
export function simdPeakF32(iterations: i32): f32 {
  const m = f32x4.splat(0.9999999), b = f32x4.splat(1e-7);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    a0 = f32x4.add(f32x4.mul(a0, m), b); a1 = f32x4.add(f32x4.mul(a1, m), b); a2 = f32x4.add(f32x4.mul(a2, m), b);
    a3 = f32x4.add(f32x4.mul(a3, m), b); a4 = f32x4.add(f32x4.mul(a4, m), b); a5 = f32x4.add(f32x4.mul(a5, m), b);
    a6 = f32x4.add(f32x4.mul(a6, m), b); a7 = f32x4.add(f32x4.mul(a7, m), b); a8 = f32x4.add(f32x4.mul(a8, m), b);
    a9 = f32x4.add(f32x4.mul(a9, m), b); a10 = f32x4.add(f32x4.mul(a10, m), b); a11 = f32x4.add(f32x4.mul(a11, m), b);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
}

/**
 * The same ceiling for 16-bit integer products (the PCA passes on counted data, assembly/gemm-i16.ts): 12
 * independent chains of i32x4.dot_i16x8_s and i32x4.add, 8 multiply-adds (16 operations) per chain a step,
 * 192 operations a step.
 */
export function simdPeakI16(iterations: i32): i32 {
  const m = i16x8.splat(3);
  let a0 = i32x4.splat(1), a1 = i32x4.splat(2), a2 = i32x4.splat(3), a3 = i32x4.splat(4);
  let a4 = i32x4.splat(5), a5 = i32x4.splat(6), a6 = i32x4.splat(7), a7 = i32x4.splat(8);
  let a8 = i32x4.splat(9), a9 = i32x4.splat(10), a10 = i32x4.splat(11), a11 = i32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    // Each chain's product depends on its own accumulator, so no step can be hoisted or merged.
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(a0, m)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(a1, m)); a2 = i32x4.add(a2, i32x4.dot_i16x8_s(a2, m));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(a3, m)); a4 = i32x4.add(a4, i32x4.dot_i16x8_s(a4, m)); a5 = i32x4.add(a5, i32x4.dot_i16x8_s(a5, m));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(a6, m)); a7 = i32x4.add(a7, i32x4.dot_i16x8_s(a7, m)); a8 = i32x4.add(a8, i32x4.dot_i16x8_s(a8, m));
    a9 = i32x4.add(a9, i32x4.dot_i16x8_s(a9, m)); a10 = i32x4.add(a10, i32x4.dot_i16x8_s(a10, m)); a11 = i32x4.add(a11, i32x4.dot_i16x8_s(a11, m));
  }
  const s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7)));
  const t = i32x4.add(s, i32x4.add(i32x4.add(a8, a9), i32x4.add(a10, a11)));
  return i32x4.extract_lane(t, 0) + i32x4.extract_lane(t, 1) + i32x4.extract_lane(t, 2) + i32x4.extract_lane(t, 3);
}
