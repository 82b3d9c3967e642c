// Reversible pre-filters of the codec's lossless frame mode (codec/SPEC.md section 3): byte shuffle, bit shuffle
// (the bitshuffle library's layout, whose untranspose the HDF5 bitshuffle+LZ4 reader uses too) and per-frame delta.
// They turn slowly varying or mostly-zero detector counts into long runs of equal bytes, which zstd then compresses
// fast and well. All work over pointers; nothing allocates.

// ---- byte shuffle: dst[j * n + i] = byte j of element i --------------------------------------------------------

export function shufBytes(src: usize, dst: usize, n: i32, w: i32): void {
  let i = 0;
  if (w == 2) {
    // 16 elements per step: even bytes to plane 0, odd bytes to plane 1.
    for (; i + 16 <= n; i += 16) {
      const a = v128.load(src + (<usize>i << 1));
      const b = v128.load(src + (<usize>i << 1), 16);
      v128.store(dst + <usize>i, i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
      v128.store(dst + <usize>n + <usize>i, i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
    }
  } else if (w == 4) {
    for (; i + 16 <= n; i += 16) {
      const p = src + (<usize>i << 2);
      const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
      // First gather each element's byte j of four elements, then join the four quarters.
      const a2 = i8x16.shuffle(a, a, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const b2 = i8x16.shuffle(b, b, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const c2 = i8x16.shuffle(c, c, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const d2 = i8x16.shuffle(d, d, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      const ab01 = i32x4.shuffle(a2, b2, 0, 4, 1, 5), ab23 = i32x4.shuffle(a2, b2, 2, 6, 3, 7);
      const cd01 = i32x4.shuffle(c2, d2, 0, 4, 1, 5), cd23 = i32x4.shuffle(c2, d2, 2, 6, 3, 7);
      const q = dst + <usize>i, nn = <usize>n;
      v128.store(q, i64x2.shuffle(ab01, cd01, 0, 2));
      v128.store(q + nn, i64x2.shuffle(ab01, cd01, 1, 3));
      v128.store(q + 2 * nn, i64x2.shuffle(ab23, cd23, 0, 2));
      v128.store(q + 3 * nn, i64x2.shuffle(ab23, cd23, 1, 3));
    }
  }
  for (; i < n; i++) {
    for (let j = 0; j < w; j++) store<u8>(dst + <usize>j * <usize>n + <usize>i, load<u8>(src + <usize>i * <usize>w + <usize>j));
  }
}

export function unshufBytes(src: usize, dst: usize, n: i32, w: i32): void {
  let i = 0;
  if (w == 2) {
    for (; i + 16 <= n; i += 16) {
      const lo = v128.load(src + <usize>i), hi = v128.load(src + <usize>n + <usize>i);
      v128.store(dst + (<usize>i << 1), i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      v128.store(dst + (<usize>i << 1), i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), 16);
    }
  } else if (w == 4) {
    for (; i + 16 <= n; i += 16) {
      const q = src + <usize>i, nn = <usize>n;
      const p0 = v128.load(q), p1 = v128.load(q + nn), p2 = v128.load(q + 2 * nn), p3 = v128.load(q + 3 * nn);
      // Interleave planes 0/1 and 2/3 bytewise, then the two results 16-bit-wise: element k's four bytes.
      const l01 = i8x16.shuffle(p0, p1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const h01 = i8x16.shuffle(p0, p1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const l23 = i8x16.shuffle(p2, p3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const h23 = i8x16.shuffle(p2, p3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const p = dst + (<usize>i << 2);
      v128.store(p, i16x8.shuffle(l01, l23, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(p, i16x8.shuffle(l01, l23, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      v128.store(p, i16x8.shuffle(h01, h23, 0, 8, 1, 9, 2, 10, 3, 11), 32);
      v128.store(p, i16x8.shuffle(h01, h23, 4, 12, 5, 13, 6, 14, 7, 15), 48);
    }
  }
  for (; i < n; i++) {
    for (let j = 0; j < w; j++) store<u8>(dst + <usize>i * <usize>w + <usize>j, load<u8>(src + <usize>j * <usize>n + <usize>i));
  }
}

// ---- bit shuffle --------------------------------------------------------------------------------------------

// Bit-rows of m bytes (m a multiple of 8): row r (of 8) gets bit r of every byte, byte k's bit in bit k % 8 of the
// row's byte k / 8. i8x16.bitmask gathers the top bit of 16 bytes at once, so each bit is shifted to the top first.
@inline function transposeBits(src: usize, dst: usize, m: i32): void {
  const rowBytes = <usize>(m >> 3);
  let k = 0;
  for (; k + 16 <= m; k += 16) {
    const v = v128.load(src + <usize>k);
    const at = dst + (<usize>k >> 3);
    store<u16>(at + 7 * rowBytes, <u16>i8x16.bitmask(v));
    store<u16>(at + 6 * rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 1)));
    store<u16>(at + 5 * rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 2)));
    store<u16>(at + 4 * rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 3)));
    store<u16>(at + 3 * rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 4)));
    store<u16>(at + 2 * rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 5)));
    store<u16>(at + rowBytes, <u16>i8x16.bitmask(i8x16.shl(v, 6)));
    store<u16>(at, <u16>i8x16.bitmask(i8x16.shl(v, 7)));
  }
  for (; k < m; k += 8) {
    for (let r = 0; r < 8; r++) {
      let byte: u32 = 0;
      for (let e = 0; e < 8; e++) byte |= ((<u32>load<u8>(src + <usize>(k + e)) >> r) & 1) << e;
      store<u8>(dst + <usize>r * rowBytes + (<usize>k >> 3), <u8>byte);
    }
  }
}

// Two 8x8 bit matrices (one per 64-bit lane, byte r = row r, bit e = column e) transposed in place: after it, byte e
// holds bit e of every input byte (Hacker's Delight's transpose8, by three rounds of delta swaps).
@inline function transpose8x8x2(x: v128): v128 {
  let t = v128.and(v128.xor(x, i64x2.shr_u(x, 7)), i64x2.splat(0x00aa00aa00aa00aa));
  x = v128.xor(x, v128.xor(t, i64x2.shl(t, 7)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 14)), i64x2.splat(0x0000cccc0000cccc));
  x = v128.xor(x, v128.xor(t, i64x2.shl(t, 14)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 28)), i64x2.splat(0x00000000f0f0f0f0));
  return v128.xor(x, v128.xor(t, i64x2.shl(t, 28)));
}

@inline function untransposeBits(src: usize, dst: usize, m: i32): void {
  const rowBytes = <usize>(m >> 3);
  const sel = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  let k = 0;
  // 128 elements per step: 16 bytes of each of the 8 bit-rows, byte-transposed so that each 64-bit lane holds the
  // 8 row bytes of one group of 8 elements, then each lane bit-transposed into those 8 elements' bytes.
  for (; k + 128 <= m; k += 128) {
    const at = src + (<usize>k >> 3);
    const r0 = v128.load(at), r1 = v128.load(at + rowBytes), r2 = v128.load(at + 2 * rowBytes), r3 = v128.load(at + 3 * rowBytes);
    const r4 = v128.load(at + 4 * rowBytes), r5 = v128.load(at + 5 * rowBytes), r6 = v128.load(at + 6 * rowBytes), r7 = v128.load(at + 7 * rowBytes);
    const a01l = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const a01h = i8x16.shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const a23l = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const a23h = i8x16.shuffle(r2, r3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const a45l = i8x16.shuffle(r4, r5, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const a45h = i8x16.shuffle(r4, r5, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const a67l = i8x16.shuffle(r6, r7, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const a67h = i8x16.shuffle(r6, r7, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    // 16-bit pairs (rows 0-1 with 2-3, 4-5 with 6-7): four columns each.
    const b0 = i16x8.shuffle(a01l, a23l, 0, 8, 1, 9, 2, 10, 3, 11), b1 = i16x8.shuffle(a01l, a23l, 4, 12, 5, 13, 6, 14, 7, 15);
    const b2 = i16x8.shuffle(a01h, a23h, 0, 8, 1, 9, 2, 10, 3, 11), b3 = i16x8.shuffle(a01h, a23h, 4, 12, 5, 13, 6, 14, 7, 15);
    const c0 = i16x8.shuffle(a45l, a67l, 0, 8, 1, 9, 2, 10, 3, 11), c1 = i16x8.shuffle(a45l, a67l, 4, 12, 5, 13, 6, 14, 7, 15);
    const c2 = i16x8.shuffle(a45h, a67h, 0, 8, 1, 9, 2, 10, 3, 11), c3 = i16x8.shuffle(a45h, a67h, 4, 12, 5, 13, 6, 14, 7, 15);
    const d = dst + <usize>k;
    v128.store(d, transpose8x8x2(i32x4.shuffle(b0, c0, 0, 4, 1, 5)));
    v128.store(d, transpose8x8x2(i32x4.shuffle(b0, c0, 2, 6, 3, 7)), 16);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b1, c1, 0, 4, 1, 5)), 32);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b1, c1, 2, 6, 3, 7)), 48);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b2, c2, 0, 4, 1, 5)), 64);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b2, c2, 2, 6, 3, 7)), 80);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b3, c3, 0, 4, 1, 5)), 96);
    v128.store(d, transpose8x8x2(i32x4.shuffle(b3, c3, 2, 6, 3, 7)), 112);
  }
  for (; k + 16 <= m; k += 16) {
    const at = src + (<usize>k >> 3);
    let acc = i8x16.splat(0);
    for (let r = 0; r < 8; r++) {
      // Spread the row's 16 bits over 16 lanes (low byte to lanes 0-7, high byte to 8-15), test each lane's bit.
      const bits = i8x16.swizzle(i16x8.splat(load<u16>(at + <usize>r * rowBytes)), i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
      const set = i8x16.eq(v128.and(bits, sel), sel);
      acc = v128.or(acc, v128.and(set, i8x16.splat(<i8>(<i32>1 << r))));
    }
    v128.store(dst + <usize>k, acc);
  }
  for (; k < m; k += 8) {
    for (let e = 0; e < 8; e++) {
      let byte: u32 = 0;
      for (let r = 0; r < 8; r++) byte |= ((<u32>load<u8>(src + <usize>r * rowBytes + (<usize>k >> 3)) >> e) & 1) << r;
      store<u8>(dst + <usize>(k + e), <u8>byte);
    }
  }
}

/**
 * Un-bitshuffles one block of any size (the only bit untranspose in assembly/: the codec's frame filter above and the
 * HDF5 bitshuffle+LZ4 reader in assembly/bitshuffle.ts both use it): src holds n * w shuffled bytes (n a multiple
 * of 8), dst receives the elements; tmp (n * w bytes) holds the byte planes between the two stages when w > 1.
 */
export function bitshuffleUntranspose(src: usize, dst: usize, n: i32, w: i32, tmp: usize): void {
  if (w == 1) { untransposeBits(src, dst, n); return; }
  for (let j = 0; j < w; j++) untransposeBits(src + <usize>j * <usize>n, tmp + <usize>j * <usize>n, n);
  unshufBytes(tmp, dst, n, w);
}

// Elements per bitshuffle block: 8192 bytes, as the bitshuffle library's default.
@inline function blockElements(w: i32): i32 {
  return 8192 / w;
}

/** Bit shuffle of n elements of w bytes (w = 1, 2, 4, 8) from src to dst; tmp holds 8192 bytes. */
export function shufBits(src: usize, dst: usize, n: i32, w: i32, tmp: usize): void {
  const B = blockElements(w);
  let done = 0;
  while (done < n) {
    let b = n - done;
    if (b > B) b = B;
    b &= ~7;
    if (b == 0) break;
    const s = src + <usize>done * <usize>w, d = dst + <usize>done * <usize>w;
    shufBytes(s, tmp, b, w);
    for (let j = 0; j < w; j++) transposeBits(tmp + <usize>j * <usize>b, d + <usize>j * <usize>b, b);
    done += b;
  }
  memory.copy(dst + <usize>done * <usize>w, src + <usize>done * <usize>w, <usize>(n - done) * <usize>w);
}

export function unshufBits(src: usize, dst: usize, n: i32, w: i32, tmp: usize): void {
  const B = blockElements(w);
  let done = 0;
  while (done < n) {
    let b = n - done;
    if (b > B) b = B;
    b &= ~7;
    if (b == 0) break;
    bitshuffleUntranspose(src + <usize>done * <usize>w, dst + <usize>done * <usize>w, b, w, tmp);
    done += b;
  }
  memory.copy(dst + <usize>done * <usize>w, src + <usize>done * <usize>w, <usize>(n - done) * <usize>w);
}

// ---- delta within each frame (modular) -------------------------------------------------------------------------

// dst[k] = src[k] - src[k-1] within each of `frames` frames of q elements; element 0 of a frame is kept.
@inline function deltaEncode<T>(src: usize, dst: usize, frames: i32, q: i32): void {
  const w = <usize>sizeof<T>();
  const lanes = 16 / <i32>w;
  for (let f = 0; f < frames; f++) {
    const s = src + <usize>f * <usize>q * w, d = dst + <usize>f * <usize>q * w;
    if (q > 0) store<T>(d, load<T>(s));
    let k = 1;
    for (; k + lanes <= q; k += lanes) {
      const cur = v128.load(s + <usize>k * w), prev = v128.load(s + <usize>(k - 1) * w);
      if (w == 1) v128.store(d + <usize>k * w, i8x16.sub(cur, prev));
      else if (w == 2) v128.store(d + <usize>k * w, i16x8.sub(cur, prev));
      else v128.store(d + <usize>k * w, i32x4.sub(cur, prev));
    }
    for (; k < q; k++) store<T>(d + <usize>k * w, <T>(load<T>(s + <usize>k * w) - load<T>(s + <usize>(k - 1) * w)));
  }
}

// In place: the running sum within each frame, modulo 2^(8w).
@inline function deltaDecode<T>(p: usize, frames: i32, q: i32): void {
  const w = <usize>sizeof<T>();
  for (let f = 0; f < frames; f++) {
    const s = p + <usize>f * <usize>q * w;
    let acc: T = 0;
    let k = 0;
    // Four elements per step: a prefix sum inside the vector, then the carry from the previous step.
    if (w == 4) {
      let carry = i32x4.splat(0);
      for (; k + 4 <= q; k += 4) {
        let v = v128.load(s + <usize>k * w);
        v = i32x4.add(v, i8x16.shuffle(i32x4.splat(0), v, 0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
        v = i32x4.add(v, i8x16.shuffle(i32x4.splat(0), v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
        v = i32x4.add(v, carry);
        v128.store(s + <usize>k * w, v);
        carry = i32x4.splat(i32x4.extract_lane(v, 3));
      }
      if (k > 0) acc = <T>i32x4.extract_lane(carry, 0);
    } else if (w == 2) {
      let carry = i16x8.splat(0);
      for (; k + 8 <= q; k += 8) {
        let v = v128.load(s + <usize>k * w);
        v = i16x8.add(v, i8x16.shuffle(i16x8.splat(0), v, 0, 1, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
        v = i16x8.add(v, i8x16.shuffle(i16x8.splat(0), v, 0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
        v = i16x8.add(v, i8x16.shuffle(i16x8.splat(0), v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
        v = i16x8.add(v, carry);
        v128.store(s + <usize>k * w, v);
        carry = i16x8.splat(i16x8.extract_lane_u(v, 7));
      }
      if (k > 0) acc = <T>i16x8.extract_lane_u(carry, 0);
    }
    for (; k < q; k++) {
      acc = <T>(acc + load<T>(s + <usize>k * w));
      store<T>(s + <usize>k * w, acc);
    }
  }
}

export function shufDeltaEncodeU8(src: usize, dst: usize, frames: i32, q: i32): void { deltaEncode<u8>(src, dst, frames, q); }
export function shufDeltaEncodeU16(src: usize, dst: usize, frames: i32, q: i32): void { deltaEncode<u16>(src, dst, frames, q); }
export function shufDeltaEncodeU32(src: usize, dst: usize, frames: i32, q: i32): void { deltaEncode<u32>(src, dst, frames, q); }
export function shufDeltaDecodeU8(p: usize, frames: i32, q: i32): void { deltaDecode<u8>(p, frames, q); }
export function shufDeltaDecodeU16(p: usize, frames: i32, q: i32): void { deltaDecode<u16>(p, frames, q); }
export function shufDeltaDecodeU32(p: usize, frames: i32, q: i32): void { deltaDecode<u32>(p, frames, q); }

// The floor filter (codec/SPEC.md section 3, filter 3): the chunk's per-pixel minimum over its frames (the floor
// map, q values) goes first, then every frame less the map, wrapping at the width (so any integers round-trip).
// An integrating detector's frames are a dark level with read noise around it per pixel: what is left is the noise
// and the electrons, small numbers whose high bytes byte-shuffle into runs of zeros.
function floorEncode<T>(src: usize, dst: usize, frames: i32, q: i32): void {
  const w = <usize>sizeof<T>(), frame = <usize>q * w;
  memory.copy(dst, src, frame);
  for (let f = 1; f < frames; f++) {
    const s = src + <usize>f * frame;
    for (let k = 0; k < q; k++) {
      const at = <usize>k * w, v = load<T>(s + at);
      if (v < load<T>(dst + at)) store<T>(dst + at, v);
    }
  }
  for (let f = 0; f < frames; f++) {
    const s = src + <usize>f * frame, d = dst + frame + <usize>f * frame;
    for (let k = 0; k < q; k++) {
      const at = <usize>k * w;
      store<T>(d + at, <T>(load<T>(s + at) - load<T>(dst + at)));
    }
  }
}

/** Undoes floorEncode: `src` holds the map and `frames` residual frames; the frames go to `dst`. */
function floorDecode<T>(src: usize, dst: usize, frames: i32, q: i32): void {
  const w = <usize>sizeof<T>(), frame = <usize>q * w;
  for (let f = 0; f < frames; f++) {
    const s = src + frame + <usize>f * frame, d = dst + <usize>f * frame;
    for (let k = 0; k < q; k++) {
      const at = <usize>k * w;
      store<T>(d + at, <T>(load<T>(s + at) + load<T>(src + at)));
    }
  }
}

export function floorEncodeU8(src: usize, dst: usize, frames: i32, q: i32): void { floorEncode<u8>(src, dst, frames, q); }
export function floorEncodeU16(src: usize, dst: usize, frames: i32, q: i32): void { floorEncode<u16>(src, dst, frames, q); }
export function floorEncodeU32(src: usize, dst: usize, frames: i32, q: i32): void { floorEncode<u32>(src, dst, frames, q); }
export function floorDecodeU8(src: usize, dst: usize, frames: i32, q: i32): void { floorDecode<u8>(src, dst, frames, q); }
export function floorDecodeU16(src: usize, dst: usize, frames: i32, q: i32): void { floorDecode<u16>(src, dst, frames, q); }
export function floorDecodeU32(src: usize, dst: usize, frames: i32, q: i32): void { floorDecode<u32>(src, dst, frames, q); }
