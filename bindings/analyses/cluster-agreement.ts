// Agreement between two labelings of the same probe positions (a cluster map against ground truth, or two runs).

/** Adjusted Rand index (Hubert & Arabie 1985): 1 when the labelings are the same up to renaming, about 0 for
 * chance agreement, negative below chance. Labels are any integers; both arrays must have the same length. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`adjustedRandIndex: labelings of ${n} and ${b.length} positions`);
  const table = new Map<string, number>(), ra = new Map<number, number>(), rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1);
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1);
  }
  const pairs = (x: number) => (x * (x - 1)) / 2;
  let index = 0, sa = 0, sb = 0;
  for (const v of table.values()) index += pairs(v);
  for (const v of ra.values()) sa += pairs(v);
  for (const v of rb.values()) sb += pairs(v);
  const expected = n > 1 ? (sa * sb) / pairs(n) : 0, max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
