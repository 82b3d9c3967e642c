// Median centroids for cityblock k-means (assembly/kmeans.ts).

/**
 * Centroids = per-dimension medians of their points (the centre that minimises cityblock distance; for an even
 * count, the mean of the two middle values, as Matlab's median). Points are grouped by cluster with a counting
 * sort, then 16 dimensions at a time are gathered into columns and selected.
 */
export function updateMedians(points: usize, n: i32, d: i32, k: i32, labels: usize, counts: usize, order: usize, offsets: usize, scratch: usize, cents: usize): void {
  let acc = 0;
  for (let j = 0; j < k; j++) {
    store<i32>(offsets + (<usize>j << 2), acc);
    acc += load<i32>(counts + (<usize>j << 2));
  }
  store<i32>(offsets + (<usize>k << 2), acc);
  for (let i = 0; i < n; i++) {
    const po = offsets + (<usize>load<i32>(labels + (<usize>i << 2)) << 2);
    const at = load<i32>(po);
    store<i32>(order + (<usize>at << 2), i);
    store<i32>(po, at + 1);
  }
  // The fill above advanced every offset to its cluster's end; shift back to starts.
  for (let j = k; j > 0; j--) store<i32>(offsets + (<usize>j << 2), load<i32>(offsets + (<usize>(j - 1) << 2)));
  store<i32>(offsets, 0);
  for (let j = 0; j < k; j++) {
    const start = load<i32>(offsets + (<usize>j << 2));
    const m = load<i32>(counts + (<usize>j << 2));
    if (m == 0) continue;
    for (let l0 = 0; l0 < d; l0 += 16) {
      const w = min(16, d - l0);
      for (let t = 0; t < m; t++) {
        const src = points + ((<usize>load<i32>(order + (<usize>(start + t) << 2)) * <usize>d + <usize>l0) << 2);
        for (let u = 0; u < w; u++) store<f32>(scratch + ((<usize>u * <usize>m + <usize>t) << 2), load<f32>(src + (<usize>u << 2)));
      }
      for (let u = 0; u < w; u++) {
        store<f32>(cents + ((<usize>j * <usize>d + <usize>(l0 + u)) << 2), median(scratch + ((<usize>u * <usize>m) << 2), m));
      }
    }
  }
}

/** Median of m values at a (reordered in place). */
function median(a: usize, m: i32): f32 {
  const h = m >> 1;
  const hi = selectKth(a, m, h);
  if (m & 1) return hi;
  // After selection every value left of h is <= a[h]: the lower middle value is their maximum.
  let lo = load<f32>(a);
  for (let i = 1; i < h; i++) lo = max(lo, load<f32>(a + (<usize>i << 2)));
  return <f32>((<f64>lo + <f64>hi) * 0.5);
}

/** Wirth's selection: reorders a[0..m) so that a[kth] holds the kth smallest, smaller ones left, larger right. */
function selectKth(a: usize, m: i32, kth: i32): f32 {
  let lo = 0, hi = m - 1;
  while (lo < hi) {
    const pivot = load<f32>(a + (<usize>(lo + ((hi - lo) >> 1)) << 2));
    let i = lo, j = hi;
    do {
      while (load<f32>(a + (<usize>i << 2)) < pivot) i++;
      while (pivot < load<f32>(a + (<usize>j << 2))) j--;
      if (i <= j) {
        const pi = a + (<usize>i << 2), pj = a + (<usize>j << 2);
        const t = load<f32>(pi);
        store<f32>(pi, load<f32>(pj));
        store<f32>(pj, t);
        i++;
        j--;
      }
    } while (i <= j);
    if (j < kth) lo = i;
    if (kth < i) hi = j;
  }
  return load<f32>(a + (<usize>kth << 2));
}
