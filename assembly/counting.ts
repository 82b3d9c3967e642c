// Electron counting, as stempy does it: subtract the dark reference, multiply by the gain, zero every pixel at or
// below the background threshold or at or above the X-ray threshold, then report every pixel that is strictly
// greater than each of its existing 8 neighbours (fewer at the edges) as one electron.
import { load4 } from "./lanes";

// Pass 1: img[q] = v if bg < v < xray else 0, where v = (frame[q] - dark[q]) * gain[q] (gain = 0 pointer: 1).
// rowFlags[r] = 1 when row r keeps any pixel, so the second pass skips the empty rows of a low-dose frame.
@inline function threshold<T>(frame: usize, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, img: usize, rowFlags: usize): void {
  const vbg = f32x4.splat(bg), vx = f32x4.splat(xray);
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * <usize>cols;
    let any = i32x4.splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const q = base + <usize>c;
      let v = f32x4.sub(load4<T>(frame + (q << alignof<T>())), v128.load(dark + (q << 2)));
      if (gain) v = f32x4.mul(v, v128.load(gain + (q << 2)));
      const keep = v128.and(f32x4.gt(v, vbg), f32x4.lt(v, vx));
      any = v128.or(any, keep);
      v128.store(img + (q << 2), v128.and(v, keep));
    }
    let tail = false;
    for (; c < cols; c++) {
      const q = base + <usize>c;
      let v = (<f32>load<T>(frame + (q << alignof<T>())) - load<f32>(dark + (q << 2)));
      if (gain) v *= load<f32>(gain + (q << 2));
      const keep = v > bg && v < xray;
      if (keep) tail = true;
      store<f32>(img + (q << 2), keep ? v : 0);
    }
    store<u8>(rowFlags + <usize>r, v128.any_true(any) || tail ? 1 : 0);
  }
}

@inline function px(img: usize, cols: i32, r: i32, c: i32): f32 {
  return load<f32>(img + ((<usize>r * <usize>cols + <usize>c) << 2));
}

// Pass 2: local maxima of the thresholded image, written as flat indices to out; returns how many.
// A maximum needs a non-zero value (a zeroed pixel is no electron), so only flagged rows and non-zero lanes are
// examined in detail.
function maxima(img: usize, rows: i32, cols: i32, rowFlags: usize, out: usize): i32 {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (!load<u8>(rowFlags + <usize>r)) continue;
    const base = img + ((<usize>r * <usize>cols) << 2);
    let c = 0;
    while (c < cols) {
      if (c + 4 <= cols && !v128.any_true(f32x4.ne(v128.load(base + (<usize>c << 2)), f32x4.splat(0)))) { c += 4; continue; }
      const v = load<f32>(base + (<usize>c << 2));
      if (v > 0) {
        let isMax = true;
        const r0 = r > 0 ? r - 1 : 0, r1 = r + 1 < rows ? r + 1 : rows - 1;
        const c0 = c > 0 ? c - 1 : 0, c1 = c + 1 < cols ? c + 1 : cols - 1;
        for (let rr = r0; rr <= r1 && isMax; rr++) {
          for (let cc = c0; cc <= c1; cc++) {
            if ((rr != r || cc != c) && !(v > px(img, cols, rr, cc))) { isMax = false; break; }
          }
        }
        if (isMax) {
          store<u32>(out + (<usize>n << 2), <u32>(r * cols + c));
          n++;
        }
      }
      c++;
    }
  }
  return n;
}

// Counts nFrames frames: frame f's electrons go to out + f * cap * 4 (cap = the most a frame can hold: no two
// maxima touch, so ceil(rows/2) * ceil(cols/2)), their number to counts[f]. scratch holds rows*cols f32 + rows bytes.
@inline function countFrames<T>(frames: usize, nFrames: i32, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, scratch: usize, out: usize, cap: i32, counts: usize): void {
  const q = <usize>rows * <usize>cols;
  const flags = scratch + (q << 2);
  for (let f = 0; f < nFrames; f++) {
    threshold<T>(frames + ((<usize>f * q) << alignof<T>()), rows, cols, dark, gain, bg, xray, scratch, flags);
    store<i32>(counts + (<usize>f << 2), maxima(scratch, rows, cols, flags, out + ((<usize>f * <usize>cap) << 2)));
  }
}

export function countFramesU8(frames: usize, n: i32, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, scratch: usize, out: usize, cap: i32, counts: usize): void {
  countFrames<u8>(frames, n, rows, cols, dark, gain, bg, xray, scratch, out, cap, counts);
}
export function countFramesU16(frames: usize, n: i32, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, scratch: usize, out: usize, cap: i32, counts: usize): void {
  countFrames<u16>(frames, n, rows, cols, dark, gain, bg, xray, scratch, out, cap, counts);
}
export function countFramesU32(frames: usize, n: i32, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, scratch: usize, out: usize, cap: i32, counts: usize): void {
  countFrames<u32>(frames, n, rows, cols, dark, gain, bg, xray, scratch, out, cap, counts);
}
export function countFramesF32(frames: usize, n: i32, rows: i32, cols: i32, dark: usize, gain: usize, bg: f32, xray: f32, scratch: usize, out: usize, cap: i32, counts: usize): void {
  countFrames<f32>(frames, n, rows, cols, dark, gain, bg, xray, scratch, out, cap, counts);
}

// The dark-subtracted, gain-corrected values of n frames as f32 (for the threshold histogram of sampled frames).
@inline function corrected<T>(frames: usize, n: i32, q: i32, dark: usize, gain: usize, out: usize): void {
  for (let f = 0; f < n; f++) {
    const src = frames + ((<usize>f * <usize>q) << alignof<T>()), dst = out + ((<usize>f * <usize>q) << 2);
    let i = 0;
    for (; i + 4 <= q; i += 4) {
      let v = f32x4.sub(load4<T>(src + (<usize>i << alignof<T>())), v128.load(dark + (<usize>i << 2)));
      if (gain) v = f32x4.mul(v, v128.load(gain + (<usize>i << 2)));
      v128.store(dst + (<usize>i << 2), v);
    }
    for (; i < q; i++) {
      let v = <f32>load<T>(src + (<usize>i << alignof<T>())) - load<f32>(dark + (<usize>i << 2));
      if (gain) v *= load<f32>(gain + (<usize>i << 2));
      store<f32>(dst + (<usize>i << 2), v);
    }
  }
}

export function countCorrectedU8(frames: usize, n: i32, q: i32, dark: usize, gain: usize, out: usize): void { corrected<u8>(frames, n, q, dark, gain, out); }
export function countCorrectedU16(frames: usize, n: i32, q: i32, dark: usize, gain: usize, out: usize): void { corrected<u16>(frames, n, q, dark, gain, out); }
export function countCorrectedU32(frames: usize, n: i32, q: i32, dark: usize, gain: usize, out: usize): void { corrected<u32>(frames, n, q, dark, gain, out); }
export function countCorrectedF32(frames: usize, n: i32, q: i32, dark: usize, gain: usize, out: usize): void { corrected<f32>(frames, n, q, dark, gain, out); }

// The threshold fit's passes over the sampled frames' corrected values (bindings/analyses/counting.ts): in f64, in
// order, continuing `acc`, so a pass over blocks gives the sums of JavaScript's loop over the same values to the bit.
export function fitSumF32(p: usize, n: i32, acc: f64): f64 {
  for (let i = 0; i < n; i++) acc += <f64>load<f32>(p + (<usize>i << 2));
  return acc;
}

export function fitSquaredDeviationsF32(p: usize, n: i32, mean: f64, acc: f64): f64 {
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(p + (<usize>i << 2)) - mean;
    acc += d * d;
  }
  return acc;
}

/** Adds one to bin floor((v - lo) / width) of the f64 counts at `hist` for each value that falls in [0, bins). */
export function fitHistogramF32(p: usize, n: i32, lo: f64, width: f64, hist: usize, bins: i32): void {
  for (let i = 0; i < n; i++) {
    const b = Math.floor((<f64>load<f32>(p + (<usize>i << 2)) - lo) / width);
    if (b >= 0 && b < <f64>bins) {
      const at = hist + (<usize><i32>b << 3);
      store<f64>(at, load<f64>(at) + 1);
    }
  }
}
