// A Gaussian fitted to the histogram of pixel values: the noise peak of dark-subtracted detector frames, whose mean
// and sigma set the counting thresholds. Electrons and X-rays form a tail on the right, so the fit only looks at
// the peak: start from the median and the median absolute deviation (both blind to a small tail), histogram around
// them, then fit a parabola to the log counts within +-2 sigma of the current estimate (Caruana's method, weighted
// by the counts as Guo proposed) and repeat until it settles.

export interface GaussianFit {
  mean: number;
  sigma: number;
  /** Peak height in counts per bin. */
  amplitude: number;
  binWidth: number;
  iterations: number;
}

/** The values of one array, as one block to GaussianFitter. */
export function fitGaussian(values: Float32Array | Float64Array): GaussianFit {
  if (values.length === 0) throw new RangeError("fitGaussian: no values");
  const fitter = new GaussianFitter(values.length);
  fitter.sample(values);
  fitter.count(values);
  return fitter.fit();
}

/**
 * The same fit over values that arrive in blocks, in two passes over the same blocks in the same order (nothing
 * kept but a strided sample and the histogram): `sample` every block, then `count` every block, then `fit`. The
 * result is fitGaussian's on the blocks' concatenation, to the bit.
 */
export class GaussianFitter {
  private readonly stride: number;
  private readonly sampleSize: number;
  /** The strided sample, in the values' own precision (f32 values take half the memory), until the plan is made. */
  private picked?: Float32Array | Float64Array;
  private picks = 0;
  private seen = 0;
  private integer = true;
  private start?: { median: number; sigma: number; lo: number; width: number; hist: Float64Array };

  /** `total`: how many values the two passes will see. */
  constructor(private readonly total: number) {
    // Median and MAD from a strided sample of at most 2^18 values (a starting point only; the fit uses them all).
    this.stride = Math.max(1, Math.floor(total / (1 << 18)));
    this.sampleSize = Math.ceil(total / this.stride);
  }

  /** First pass: the next block of values. */
  sample(values: ArrayLike<number>): void {
    const n = this.sampleSize;
    const picked = (this.picked ??= values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
    for (let i = (this.stride - (this.seen % this.stride)) % this.stride; i < values.length; i += this.stride) {
      const v = values[i]!;
      picked[this.picks++] = v;
      if (this.integer && v !== Math.round(v)) this.integer = false;
    }
    this.seen += values.length;
  }

  /** Second pass: the next block of the same values, into the histogram around the sample's median. */
  count(values: ArrayLike<number>): void {
    const h = this.histogram();
    if (!h) return;
    const bins = h.hist.length;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i]! - h.lo) / h.width);
      if (b >= 0 && b < bins) h.hist[b]!++;
    }
  }

  /** The second pass's histogram, for a caller that counts the values itself instead of count() (a kernel of the
   * core): each value v adds one to bin floor((v - lo) / width) when that is in [0, hist.length). Undefined when
   * the sample has no spread (nothing to count). Made from the first pass's sample when first asked for. */
  histogram(): { lo: number; width: number; hist: Float64Array } | undefined {
    const st = (this.start ??= this.histogramPlan());
    return st.sigma > 0 ? st : undefined;
  }

  /** The histogram's bins around the median: sigma/8 wide (integer-wide, centred on the integers, for integer
   * data, so no bin is systematically empty), +-12 sigma. */
  private histogramPlan() {
    if (!this.picked || this.picks !== this.sampleSize) {
      throw new RangeError(`GaussianFitter: sampled ${this.seen} of ${this.total} values before counting`);
    }
    const sorted = this.picked.sort();
    this.picked = undefined; // a few MB an edge computer's sender need not keep
    const median = sorted[sorted.length >> 1]!;
    const sigma = 1.4826 * middleDeviation(sorted, median);
    if (!(sigma > 0)) return { median, sigma, lo: 0, width: 0, hist: new Float64Array(0) };
    const integer = this.integer;
    const width = integer ? Math.max(1, Math.round(sigma / 8)) : sigma / 8;
    const lo = integer ? Math.floor(median - 12 * sigma) - 0.5 * width : median - 12 * sigma;
    return { median, sigma, lo, width, hist: new Float64Array(Math.ceil((24 * sigma) / width) + 1) };
  }

  fit(): GaussianFit {
    const { median, sigma: sigma0, lo, width, hist } = (this.start ??= this.histogramPlan());
    // More than half the values are equal (noise-free data): the peak is a spike.
    if (!(sigma0 > 0)) return { mean: median, sigma: 0, amplitude: this.total, binWidth: 0, iterations: 0 };
    return fitPeak(hist, lo, width, median, sigma0);
  }
}

/** The median of |v - median| over sorted values (the element at index n >> 1 of the sorted deviations), without
 * sorting a copy: the deviations below and above the median are two sorted runs, merged until that index. */
export function middleDeviation(sorted: Float32Array | Float64Array, median: number): number {
  const k = sorted.length >> 1;
  let n = sorted.length; // NaNs sort last, and their deviations too
  while (n > 0 && Number.isNaN(sorted[n - 1]!)) n--;
  if (k >= n) return NaN;
  // Values below the split point deviate by median - v (ascending towards index 0), the others by v - median.
  let split = 0;
  while (split < n && sorted[split]! < median) split++;
  let below = split - 1, above = split, dev = 0;
  for (let taken = 0; taken <= k; taken++) {
    const down = below >= 0 ? median - sorted[below]! : Infinity, up = above < n ? sorted[above]! - median : Infinity;
    if (down < up) { dev = down; below--; } else { dev = up; above++; }
  }
  return dev;
}

/** Caruana's parabola through the log counts within +-2 sigma, weighted by the counts squared (Guo), repeated
 * from (mean, sigma) until it settles. */
function fitPeak(hist: Float64Array, lo: number, width: number, mean: number, sigma: number): GaussianFit {
  const bins = hist.length;
  let amplitude = 0, it = 0;
  for (; it < 20; it++) {
    // Weighted least squares of ln(y) = a + b x + c x^2 over bins within +-2 sigma, weights y^2; x centred on mean.
    const x0 = mean;
    const S = new Float64Array(5), T = new Float64Array(3);
    for (let k = 0; k < bins; k++) {
      const y = hist[k]!;
      if (y <= 0) continue;
      const x = lo + (k + 0.5) * width - x0;
      if (Math.abs(x) > 2 * sigma + width) continue;
      const w = y * y, ly = Math.log(y);
      let p = w;
      for (let j = 0; j < 5; j++) { S[j]! += p; if (j < 3) T[j]! += p * ly; p *= x; }
    }
    const sol = solve3([[S[0]!, S[1]!, S[2]!], [S[1]!, S[2]!, S[3]!], [S[2]!, S[3]!, S[4]!]], [T[0]!, T[1]!, T[2]!]);
    if (!sol || !(sol[2] < 0)) break;
    const [a, b, c] = sol;
    const nextSigma = Math.sqrt(-1 / (2 * c));
    const shift = -b / (2 * c);
    const nextMean = x0 + shift;
    amplitude = Math.exp(a - (b * b) / (4 * c));
    const done = Math.abs(nextMean - mean) < 1e-4 * sigma && Math.abs(nextSigma - sigma) < 1e-4 * sigma;
    mean = nextMean;
    sigma = nextSigma;
    if (done) break;
  }
  return { mean, sigma, amplitude, binWidth: width, iterations: it };
}

function solve3(m: number[][], r: number[]): [number, number, number] | null {
  const a = m.map((row, i) => [...row, r[i]!]);
  for (let i = 0; i < 3; i++) {
    let p = i;
    for (let k = i + 1; k < 3; k++) if (Math.abs(a[k]![i]!) > Math.abs(a[p]![i]!)) p = k;
    if (Math.abs(a[p]![i]!) < 1e-300) return null;
    [a[i], a[p]] = [a[p]!, a[i]!];
    for (let k = 0; k < 3; k++) {
      if (k === i) continue;
      const f = a[k]![i]! / a[i]![i]!;
      for (let j = i; j < 4; j++) a[k]![j]! -= f * a[i]![j]!;
    }
  }
  return [a[0]![3]! / a[0]![0]!, a[1]![3]! / a[1]![1]!, a[2]![3]! / a[2]![2]!];
}
