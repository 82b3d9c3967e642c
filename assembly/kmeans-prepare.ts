// The points of k-means made ready for the kernels (bindings/analyses/kmeans.ts): checked finite, their column
// means and spreads taken in float64, then centred and padded with zero columns to a multiple of 4. In this order
// and in float64, so the results are those of the plain loops it replaces, bit for bit.

/**
 * For src (n x cols float32, the first d columns used): returns -1 when every used value is finite, else the index
 * i * cols + j of the first that is not (and writes nothing). Otherwise mean (d float64) = the column means,
 * sq (d float64) = the sums of squared deviations from them, and dst (n x dp float32) = src - mean with columns
 * d..dp zero. dst may be src when dp == cols (each value is read before it is overwritten).
 */
export function kmeansCentre(src: usize, n: i32, cols: i32, d: i32, dp: i32, mean: usize, sq: usize, dst: usize): i32 {
  const row = <usize>cols << 2;
  for (let i = 0; i < n; i++) {
    const p = src + <usize>i * row;
    for (let j = 0; j < d; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (!isFinite(v)) return i * cols + j;
    }
  }
  memory.fill(mean, 0, <usize>d << 3);
  memory.fill(sq, 0, <usize>d << 3);
  for (let i = 0; i < n; i++) {
    const p = src + <usize>i * row;
    for (let j = 0; j < d; j++) {
      const m = mean + (<usize>j << 3);
      store<f64>(m, load<f64>(m) + <f64>load<f32>(p + (<usize>j << 2)));
    }
  }
  for (let j = 0; j < d; j++) store<f64>(mean + (<usize>j << 3), load<f64>(mean + (<usize>j << 3)) / <f64>n);
  for (let i = 0; i < n; i++) {
    const p = src + <usize>i * row;
    for (let j = 0; j < d; j++) {
      const s = sq + (<usize>j << 3);
      const x = <f64>load<f32>(p + (<usize>j << 2)) - load<f64>(mean + (<usize>j << 3));
      store<f64>(s, load<f64>(s) + x * x);
    }
  }
  const out = <usize>dp << 2;
  for (let i = 0; i < n; i++) {
    const p = src + <usize>i * row, q = dst + <usize>i * out;
    for (let j = 0; j < d; j++) store<f32>(q + (<usize>j << 2), <f32>(<f64>load<f32>(p + (<usize>j << 2)) - load<f64>(mean + (<usize>j << 3))));
    for (let j = d; j < dp; j++) store<f32>(q + (<usize>j << 2), 0);
  }
  return -1;
}
