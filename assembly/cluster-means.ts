// Per-cluster sums of frames: the mean diffraction pattern of every cluster, from one pass over the frames.
import { load4, load1 } from "./lanes";

// acc[label_f * q + i] += frame_f[i] in float64 for the pixels i in [c0, c1), for the n frames of a tile and their
// labels (i32); frames whose label is outside [0, k) (e.g. -1 for "unassigned") are skipped. Disjoint pixel ranges
// can run side by side.
@inline function clusterAccumulate<T>(frames: usize, n: i32, q: i32, c0: i32, c1: i32, labels: usize, k: i32, acc: usize): void {
  const frameBytes = <usize>q << alignof<T>();
  const vecEnd = c0 + ((c1 - c0) & ~3);
  for (let f = 0; f < n; f++) {
    const label = load<i32>(labels + (<usize>f << 2));
    if (label < 0 || label >= k) continue;
    const frame = frames + <usize>f * frameBytes;
    const dst = acc + ((<usize>label * <usize>q) << 3);
    let i = c0;
    for (; i < vecEnd; i += 4) {
      const v = load4<T>(frame + (<usize>i << alignof<T>()));
      const pa = dst + (<usize>i << 3);
      v128.store(pa, f64x2.add(v128.load(pa), f64x2.promote_low_f32x4(v)));
      v128.store(pa, f64x2.add(v128.load(pa, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
    for (; i < c1; i++) {
      const pa = dst + (<usize>i << 3);
      store<f64>(pa, load<f64>(pa) + <f64>load1<T>(frame + (<usize>i << alignof<T>())));
    }
  }
}

export function clusterAccumulateU8(p: usize, n: i32, q: i32, c0: i32, c1: i32, labels: usize, k: i32, acc: usize): void { clusterAccumulate<u8>(p, n, q, c0, c1, labels, k, acc); }
export function clusterAccumulateU16(p: usize, n: i32, q: i32, c0: i32, c1: i32, labels: usize, k: i32, acc: usize): void { clusterAccumulate<u16>(p, n, q, c0, c1, labels, k, acc); }
export function clusterAccumulateU32(p: usize, n: i32, q: i32, c0: i32, c1: i32, labels: usize, k: i32, acc: usize): void { clusterAccumulate<u32>(p, n, q, c0, c1, labels, k, acc); }
export function clusterAccumulateF32(p: usize, n: i32, q: i32, c0: i32, c1: i32, labels: usize, k: i32, acc: usize): void { clusterAccumulate<f32>(p, n, q, c0, c1, labels, k, acc); }
