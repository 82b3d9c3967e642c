// Columns of the codec's EVENTS chunks (codec/SPEC.md 4.2), built in one pass each over the grouped events:
// per-position counts, detector steps and time offsets written straight into their byte planes, time bases as
// zigzag deltas, and an entropy estimate that tells the encoder which planes zstd cannot shrink. Pointers into
// JS-owned memory; nothing allocates. Events: offsets u32[P + 1], pixels u32[E], times f64[E] (integer ticks).

/**
 * Counts per position into counts[P] and, in stats[0..1], the largest count and the largest detector step.
 * Returns -1, or the first position whose detector indices are not ascending (not canonical).
 */
export function evCounts(offsets: usize, pixels: usize, P: i32, counts: usize, stats: usize): i32 {
  let maxCount: u32 = 0, maxStep: u32 = 0;
  for (let p = 0; p < P; p++) {
    const a = load<u32>(offsets + (<usize>p << 2)), b = load<u32>(offsets + (<usize>p << 2), 4);
    const c = b - a;
    store<u32>(counts + (<usize>p << 2), c);
    if (c > maxCount) maxCount = c;
    let prev: u32 = 0;
    for (let e = a; e < b; e++) {
      const d = load<u32>(pixels + (<usize>e << 2));
      if (d < prev) return p;
      const s = d - prev;
      if (s > maxStep) maxStep = s;
      prev = d;
    }
  }
  store<u32>(stats, maxCount);
  store<u32>(stats, maxStep, 4);
  return -1;
}

/** Detector steps (first index of a position absolute, then differences) as wd (1, 2 or 4) byte planes of E. */
export function evStepPlanes(offsets: usize, pixels: usize, P: i32, E: i32, wd: i32, out: usize): void {
  const n = <usize>E;
  for (let p = 0; p < P; p++) {
    const a = load<u32>(offsets + (<usize>p << 2)), b = load<u32>(offsets + (<usize>p << 2), 4);
    let prev: u32 = 0;
    if (wd == 1) {
      for (let e = a; e < b; e++) { const d = load<u32>(pixels + (<usize>e << 2)); store<u8>(out + <usize>e, <u8>(d - prev)); prev = d; }
    } else if (wd == 2) {
      for (let e = a; e < b; e++) {
        const d = load<u32>(pixels + (<usize>e << 2)), s = d - prev;
        store<u8>(out + <usize>e, <u8>s);
        store<u8>(out + n + <usize>e, <u8>(s >> 8));
        prev = d;
      }
    } else {
      for (let e = a; e < b; e++) {
        const d = load<u32>(pixels + (<usize>e << 2)), s = d - prev, q = out + <usize>e;
        store<u8>(q, <u8>s);
        store<u8>(q + n, <u8>(s >> 8));
        store<u8>(q + 2 * n, <u8>(s >> 16));
        store<u8>(q + 3 * n, <u8>(s >> 24));
        prev = d;
      }
    }
  }
}

/** n u32 values as w (1, 2 or 4) byte planes. */
export function evPlanesU32(src: usize, n: i32, w: i32, out: usize): void {
  const nn = <usize>n;
  for (let i = 0; i < n; i++) {
    const v = load<u32>(src + (<usize>i << 2));
    for (let j = 0; j < w; j++) store<u8>(out + <usize>j * nn + <usize>i, <u8>(v >> (<u32>j << 3)));
  }
}

/** Whether every electron's time is its position's index (first + p): then no time column is needed. */
export function evTimesAreFrames(offsets: usize, times: usize, P: i32, first: f64): i32 {
  for (let p = 0; p < P; p++) {
    const a = load<u32>(offsets + (<usize>p << 2)), b = load<u32>(offsets + (<usize>p << 2), 4);
    const t = first + <f64>p;
    for (let e = a; e < b; e++) if (load<f64>(times + (<usize>e << 3)) != t) return 0;
  }
  return 1;
}

/**
 * Time bases. Position p's base is its smallest time (the previous base when it has no electrons): bases[p] as i64,
 * and zig = zigzag(base[p] - base[p - 1]) (base[-1] = 0) as 8 byte planes of P. Returns the largest offset
 * time - base, or -1 when a time is negative, not an integer or not below 2^53.
 */
export function evTimeBases(offsets: usize, times: usize, P: i32, bases: usize, zig: usize): f64 {
  let prev: i64 = 0, maxOff: f64 = 0;
  const np = <usize>P;
  for (let p = 0; p < P; p++) {
    const a = load<u32>(offsets + (<usize>p << 2)), b = load<u32>(offsets + (<usize>p << 2), 4);
    let base = prev;
    if (b > a) {
      // Two times per step: the smallest and largest, and whether all are integers in [0, 2^53).
      let lo2 = f64x2.splat(Infinity), hi2 = f64x2.splat(-Infinity), ok = i64x2.splat(-1);
      const zero = f64x2.splat(0), limit = f64x2.splat(9007199254740992.0);
      let e = a;
      for (; e + 2 <= b; e += 2) {
        const t = v128.load(times + (<usize>e << 3));
        lo2 = f64x2.pmin(lo2, t);
        hi2 = f64x2.pmax(hi2, t);
        ok = v128.and(ok, v128.and(v128.and(f64x2.ge(t, zero), f64x2.lt(t, limit)), f64x2.eq(t, f64x2.floor(t))));
      }
      let lo = min(f64x2.extract_lane(lo2, 0), f64x2.extract_lane(lo2, 1)), hi = max(f64x2.extract_lane(hi2, 0), f64x2.extract_lane(hi2, 1));
      if (!i64x2.all_true(ok)) return -1;
      for (; e < b; e++) {
        const t = load<f64>(times + (<usize>e << 3));
        if (!(t >= 0 && t < 9007199254740992.0) || t != Math.floor(t)) return -1;
        lo = min(lo, t);
        hi = max(hi, t);
      }
      base = <i64>lo;
      if (hi - lo > maxOff) maxOff = hi - lo;
    }
    store<i64>(bases + (<usize>p << 3), base);
    const s = base - prev;
    const z = <u64>((s << 1) ^ (s >> 63));
    for (let j = 0; j < 8; j++) store<u8>(zig + <usize>j * np + <usize>p, <u8>(z >> (<u64>j << 3)));
    prev = base;
  }
  return maxOff;
}

/** Time offsets (time - base of the electron's position) as wt (1, 2, 4 or 8) byte planes of E. */
export function evTimeOffsetPlanes(offsets: usize, times: usize, P: i32, E: i32, bases: usize, wt: i32, out: usize): void {
  const n = <usize>E;
  for (let p = 0; p < P; p++) {
    const a = load<u32>(offsets + (<usize>p << 2)), b = load<u32>(offsets + (<usize>p << 2), 4);
    const base = load<i64>(bases + (<usize>p << 3));
    if (wt == 2) {
      // Eight offsets per step (exact in f64: times are integers below 2^53 and offsets below 2^16): subtract,
      // truncate to i32, narrow to u16, then split low and high bytes into the two planes.
      const fb = f64x2.splat(<f64>base);
      let e = a;
      for (; e + 8 <= b; e += 8) {
        const q = times + (<usize>e << 3);
        const x0 = i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(v128.load(q), fb));
        const x1 = i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(v128.load(q, 16), fb));
        const x2 = i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(v128.load(q, 32), fb));
        const x3 = i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(v128.load(q, 48), fb));
        const lo4 = i64x2.shuffle(x0, x1, 0, 2), hi4 = i64x2.shuffle(x2, x3, 0, 2);
        const u16s = i16x8.narrow_i32x4_u(lo4, hi4);
        const split = i8x16.shuffle(u16s, u16s, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
        v128.store64_lane(out + <usize>e, split, 0);
        v128.store64_lane(out + n + <usize>e, split, 1);
      }
      for (; e < b; e++) {
        const o = <u64>(<i64>load<f64>(times + (<usize>e << 3)) - base);
        store<u8>(out + <usize>e, <u8>o);
        store<u8>(out + n + <usize>e, <u8>(o >> 8));
      }
    } else {
      for (let e = a; e < b; e++) {
        const o = <u64>(<i64>load<f64>(times + (<usize>e << 3)) - base);
        for (let j = 0; j < wt; j++) store<u8>(out + <usize>j * n + <usize>e, <u8>(o >> (<u64>j << 3)));
      }
    }
  }
}

/**
 * Byte entropy of n bytes, estimated from at most their first `sample` bytes (the encoder's choice between storing,
 * packing and zstd needs no precision), in bits per byte; on return the first u32 of hist (4096 bytes of scratch)
 * holds the largest byte of all n, exactly (bit-packing relies on it). Four interleaved histograms keep runs of
 * equal bytes from serialising on one counter.
 */
export function evEntropy(src: usize, n: i32, hist: usize, sample: i32): f64 {
  memory.fill(hist, 0, 4096);
  const m = min(n, sample);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const v = load<u32>(src + <usize>i);
    const h0 = hist + ((<usize>(v & 255)) << 2), h1 = hist + 1024 + ((<usize>((v >> 8) & 255)) << 2);
    const h2 = hist + 2048 + ((<usize>((v >> 16) & 255)) << 2), h3 = hist + 3072 + ((<usize>(v >> 24)) << 2);
    store<u32>(h0, load<u32>(h0) + 1);
    store<u32>(h1, load<u32>(h1) + 1);
    store<u32>(h2, load<u32>(h2) + 1);
    store<u32>(h3, load<u32>(h3) + 1);
  }
  for (; i < m; i++) { const h = hist + ((<usize>load<u8>(src + <usize>i)) << 2); store<u32>(h, load<u32>(h) + 1); }
  let bits: f64 = 0;
  const inv = 1.0 / <f64>max(m, 1);
  for (let k = 0; k < 256; k++) {
    const c = load<u32>(hist + (<usize>k << 2)) + load<u32>(hist + 1024 + (<usize>k << 2)) + load<u32>(hist + 2048 + (<usize>k << 2)) + load<u32>(hist + 3072 + (<usize>k << 2));
    if (c > 0) { const q = <f64>c * inv; bits -= q * Math.log2(q); }
  }
  // The largest byte of all n, 16 at a time.
  let top = i8x16.splat(0);
  let j = 0;
  for (; j + 16 <= n; j += 16) top = i8x16.max_u(top, v128.load(src + <usize>j));
  let t: u32 = 0;
  v128.store(hist, top); // the histograms are done with: reuse their first 16 bytes
  for (let k = 0; k < 16; k++) t = max(t, <u32>load<u8>(hist + <usize>k));
  for (; j < n; j++) t = max(t, <u32>load<u8>(src + <usize>j));
  store<u32>(hist, t);
  return bits;
}

/** n bytes, each below 2^b (b = 1, 2 or 4), packed b bits each, least significant first; ceil(n b / 8) bytes. */
export function evPack(src: usize, n: i32, b: i32, out: usize): void {
  const per = 8 / b, full = n / per;
  for (let k = 0; k < full; k++) {
    let v: u32 = 0;
    const q = src + <usize>(k * per);
    for (let j = 0; j < per; j++) v |= <u32>load<u8>(q + <usize>j) << <u32>(j * b);
    store<u8>(out + <usize>k, <u8>v);
  }
  if (full * per < n) {
    let v: u32 = 0;
    for (let j = 0; full * per + j < n; j++) v |= <u32>load<u8>(src + <usize>(full * per + j)) << <u32>(j * b);
    store<u8>(out + <usize>full, <u8>v);
  }
}

/**
 * Groups E loose events (any order) into canonical order - by position, then detector index, then input order - by
 * two stable counting sorts (by pixel, then by position). position/pixel: u32[E]; times f64[E] or 0 for none.
 * Writes offsets u32[count + 1], pixOut u32[E] and timeOut f64[E]; scratch: start u32[Q + 1], next u32[count],
 * order u32[E]. Returns -1, or the first event whose position is outside [first, first + count) or whose detector
 * index is not below Q.
 */
export function evGroup(
  position: usize, pixel: usize, times: usize, E: i32, first: u32, count: i32, Q: i32,
  offsets: usize, start: usize, next: usize, order: usize, pixOut: usize, timeOut: usize,
): i32 {
  memory.fill(offsets, 0, (<usize>count + 1) << 2);
  memory.fill(start, 0, (<usize>Q + 1) << 2);
  for (let e = 0; e < E; e++) {
    const p = load<u32>(position + (<usize>e << 2)) - first, d = load<u32>(pixel + (<usize>e << 2));
    if (p >= <u32>count || d >= <u32>Q) return e;
    const o = offsets + ((<usize>p + 1) << 2), s = start + ((<usize>d + 1) << 2);
    store<u32>(o, load<u32>(o) + 1);
    store<u32>(s, load<u32>(s) + 1);
  }
  let run: u32 = 0;
  for (let i = 0; i <= count; i++) {
    const o = offsets + (<usize>i << 2);
    run += load<u32>(o);
    store<u32>(o, run);
  }
  run = 0;
  for (let d = 0; d <= Q; d++) {
    const s = start + (<usize>d << 2);
    run += load<u32>(s);
    store<u32>(s, run);
  }
  for (let e = 0; e < E; e++) {
    const s = start + (<usize>load<u32>(pixel + (<usize>e << 2)) << 2);
    const at = load<u32>(s);
    store<u32>(s, at + 1);
    store<u32>(order + (<usize>at << 2), e);
  }
  memory.copy(next, offsets, <usize>count << 2);
  for (let k = 0; k < E; k++) {
    const e = <usize>load<u32>(order + (<usize>k << 2));
    const n = next + (<usize>(load<u32>(position + (e << 2)) - first) << 2);
    const at = <usize>load<u32>(n);
    store<u32>(n, <u32>at + 1);
    store<u32>(pixOut + (at << 2), load<u32>(pixel + (e << 2)));
    if (times) store<f64>(timeOut + (at << 3), load<f64>(times + (e << 3)));
  }
  return -1;
}
