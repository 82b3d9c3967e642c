// Kernels of the probe simulator (bindings/simulate-probe.ts): the shifted probe's spectrum, the exit wave under
// it, and what the detector sees. Complex values are interleaved float32 (re, im); grids are n x n, FFT order.

/** out[m, l] = aperture[m, l] * ey[m] * ex[l]: the probe's spectrum times the phase ramp that puts it at r0. */
export function probeShift(aperture: usize, ey: usize, ex: usize, n: i32, out: usize): void {
  for (let m = 0; m < n; m++) {
    const yr = load<f32>(ey + (<usize>m << 3)), yi = load<f32>(ey + (<usize>m << 3), 4);
    const row = <usize>m * <usize>n;
    for (let l = 0; l < n; l++) {
      const i = (row + <usize>l) << 3;
      const ar = load<f32>(aperture + i), ai = load<f32>(aperture + i, 4);
      const xr = load<f32>(ex + (<usize>l << 3)), xi = load<f32>(ex + (<usize>l << 3), 4);
      const rr = yr * xr - yi * xi, ri = yr * xi + yi * xr;
      store<f32>(out + i, ar * rr - ai * ri);
      store<f32>(out + i, ar * ri + ai * rr, 4);
    }
  }
}

/** w[m, l] *= t[y0 + m, x0 + l]: the probe (in real space) times the transmission function under the window; t is
 * field x field. Two complex values per step. */
export function multiplyWindow(w: usize, n: i32, t: usize, field: i32, y0: i32, x0: i32): void {
  const flip = i32x4(-2147483648, 0, -2147483648, 0); // the sign bits of lanes 0 and 2
  for (let m = 0; m < n; m++) {
    const a = w + ((<usize>m * <usize>n) << 3), b = t + ((<usize>(y0 + m) * <usize>field + <usize>x0) << 3);
    let l = 0;
    for (; l + 1 < n; l += 2) {
      const p = v128.load(a + (<usize>l << 3)), q = v128.load(b + (<usize>l << 3));
      // (pr + i pi)(qr + i qi) = (pr qr - pi qi, pr qi + pi qr)
      const pr = i32x4.shuffle(p, p, 0, 0, 2, 2), pi = i32x4.shuffle(p, p, 1, 1, 3, 3);
      const qs = v128.xor(i32x4.shuffle(q, q, 1, 0, 3, 2), flip); // (-qi, qr, ...)
      v128.store(a + (<usize>l << 3), f32x4.add(f32x4.mul(pr, q), f32x4.mul(pi, qs)));
    }
    for (; l < n; l++) {
      const pa = a + (<usize>l << 3), qa = b + (<usize>l << 3);
      const pr = load<f32>(pa), pi = load<f32>(pa, 4), qr = load<f32>(qa), qi = load<f32>(qa, 4);
      store<f32>(pa, pr * qr - pi * qi);
      store<f32>(pa, pr * qi + pi * qr, 4);
    }
  }
}

/** out (dr x dc float32) = scale |w|^2 over the centre of the spectrum: detector pixel (i, j) is frequency
 * (i - dr / 2, j - dc / 2) (integer division), wrapped into FFT order. */
export function detectorIntensity(w: usize, n: i32, dr: i32, dc: i32, scale: f32, out: usize): void {
  for (let i = 0; i < dr; i++) {
    const m = (i - dr / 2 + n) % n;
    for (let j = 0; j < dc; j++) {
      const k = (<usize>m * <usize>n + <usize>((j - dc / 2 + n) % n)) << 3;
      const re = load<f32>(w + k), im = load<f32>(w + k, 4);
      store<f32>(out + ((<usize>i * <usize>dc + <usize>j) << 2), (re * re + im * im) * scale);
    }
  }
}
