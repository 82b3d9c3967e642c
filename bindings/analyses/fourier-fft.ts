// The FFT as the rest of stem4d calls it: plans cached per core, 1D and 2D transforms of complex64 arrays
// (interleaved re, im), and kernel tasks that transform an axis of data already in the core's memory, split over
// the worker pool by lanes. Conventions follow numpy.fft: forward unscaled, inverse scaled by 1/n.
import type { Core, KernelCall, Task } from "../core.js";
import { buildPlan, type PlanBytes } from "./fourier-plan.js";

export interface FftPlan extends Omit<PlanBytes, "bytes"> {
  /** Where the plan lives in the core's memory (for as long as the core). */
  ptr: number;
}

const plans = new WeakMap<Core, Map<string, FftPlan>>();

/** The plan of a length-n transform in this core's memory, built once per core. */
export function fftPlan(core: Core, n: number, inverse = false): FftPlan {
  let cache = plans.get(core);
  if (!cache) plans.set(core, (cache = new Map()));
  const key = `${n}${inverse ? "i" : "f"}`;
  let plan = cache.get(key);
  if (!plan) {
    const { bytes, ...rest } = buildPlan(n, inverse);
    plan = { ...rest, ptr: core.arena.put(bytes) };
    cache.set(key, plan);
  }
  return plan;
}

/** Lanes per chunk: the two n x chunk ping-pong buffers of a stage should stay within ~256 KiB of cache. */
export function fftChunk(plan: FftPlan, lanes: number): number {
  const max = Math.max(2, Math.floor((256 << 10) / (plan.scratchPerLane * 8)) & ~1);
  const chunks = Math.ceil(lanes / max);
  return Math.max(1, Math.min(lanes, Math.ceil(lanes / chunks / 2) * 2));
}

/** Bytes of scratch one fftLanes call over `lanes` lanes needs. */
export function fftScratchBytes(plan: FftPlan, lanes: number): number {
  return plan.scratchPerLane * fftChunk(plan, lanes) * 8;
}

/** The kernel call transforming in place the axis of n elements `stride` complex apart, `lanes` contiguous lanes at `ptr`. */
export function fftLanesCall(plan: FftPlan, ptr: number, stride: number, lanes: number, scratch: number): KernelCall {
  return { fn: "fftLanes", args: [plan.ptr, ptr, stride, lanes, fftChunk(plan, lanes), scratch] };
}

export interface FftOptions {
  inverse?: boolean;
  /** Multiply the result by 1/n (default: true for inverse transforms, as numpy). */
  scale?: boolean;
}

function checkComplex(data: Float32Array, n: number, what: string): void {
  if (data.length !== 2 * n) throw new RangeError(`${what}: expected ${n} complex values (${2 * n} float32 re, im), got ${data.length} float32`);
}

/** 1D FFT of n complex values (interleaved float32); returns a new array. */
export function fft(core: Core, data: Float32Array, o: FftOptions = {}): Float32Array {
  if (data.length % 2 !== 0 || data.length === 0) throw new RangeError(`fft: expected interleaved complex values (an even, non-zero number of float32), got ${data.length}`);
  return fftBatch(core, data, data.length / 2, 1, o);
}

/** `count` independent 1D FFTs of length n stored one after another (n x count would be `lanes`: see fftLanesCall). */
export function fftBatch(core: Core, data: Float32Array, n: number, count: number, o: FftOptions = {}): Float32Array {
  checkComplex(data, n * count, "fftBatch");
  const plan = fftPlan(core, n, !!o.inverse);
  const a = core.arena;
  const ptr = a.put(data);
  const scratch = a.alloc(fftScratchBytes(plan, 1));
  try {
    // Each signal is its own single-lane axis (stride 1): short runs, but no transposes.
    for (let c = 0; c < count; c++) core.call("fftLanes", plan.ptr, ptr + c * n * 8, 1, 1, 1, scratch);
    if (o.scale ?? !!o.inverse) core.call("fftScale", ptr, n * count, 1 / n);
    return a.f32(ptr, 2 * n * count).slice();
  } finally {
    a.release(scratch);
    a.release(ptr);
  }
}

/** Bytes of scratch fft2d needs. */
export function fft2dScratchBytes(rows: FftPlan, cols: FftPlan): number {
  const r = rows.n, c = cols.n;
  return r * c * 8 + Math.max(fftScratchBytes(rows, c), fftScratchBytes(cols, r));
}

/** The kernel call for a 2D FFT in place of a rows x cols complex array at ptr (chunk sized for both axes). */
export function fft2dCall(rows: FftPlan, cols: FftPlan, ptr: number, scratch: number): KernelCall & { fn: "fft2d" } {
  const chunk = Math.min(fftChunk(rows, cols.n), fftChunk(cols, rows.n));
  return { fn: "fft2d", args: [rows.ptr, cols.ptr, ptr, rows.n, cols.n, chunk, scratch] };
}

/** 2D FFT of a rows x cols complex array (C order, interleaved float32); returns a new array. */
export function fft2(core: Core, data: Float32Array, rows: number, cols: number, o: FftOptions = {}): Float32Array {
  checkComplex(data, rows * cols, "fft2");
  const inv = !!o.inverse;
  const pr = fftPlan(core, rows, inv), pc = fftPlan(core, cols, inv);
  const a = core.arena;
  const ptr = a.put(data);
  const scratch = a.alloc(fft2dScratchBytes(pr, pc));
  try {
    const c = fft2dCall(pr, pc, ptr, scratch);
    core.call(c.fn, ...c.args);
    if (o.scale ?? inv) core.call("fftScale", ptr, rows * cols, 1 / (rows * cols));
    return a.f32(ptr, 2 * rows * cols).slice();
  } finally {
    a.release(scratch);
    a.release(ptr);
  }
}

/** Several 2D FFTs of the same shape, one task each, on the worker pool. */
export async function fft2Many(core: Core, images: Float32Array[], rows: number, cols: number, o: FftOptions = {}): Promise<Float32Array[]> {
  const inv = !!o.inverse;
  const pr = fftPlan(core, rows, inv), pc = fftPlan(core, cols, inv);
  const a = core.arena;
  const owned: number[] = [];
  try {
    const tasks: Task[] = images.map((img, i) => {
      checkComplex(img, rows * cols, `fft2Many image ${i}`);
      const ptr = a.put(img);
      owned.push(ptr);
      const scratch = a.alloc(fft2dScratchBytes(pr, pc));
      owned.push(scratch);
      const t: Task = [fft2dCall(pr, pc, ptr, scratch)];
      if (o.scale ?? inv) t.push({ fn: "fftScale", args: [ptr, rows * cols, 1 / (rows * cols)] });
      return t;
    });
    await core.run(tasks);
    return images.map((_, i) => a.f32(owned[2 * i]!, 2 * rows * cols).slice());
  } finally {
    for (const p of owned) a.release(p);
  }
}

/** Real values as complex64 (imaginary parts zero). */
export function toComplex(real: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * real.length);
  for (let i = 0; i < real.length; i++) out[2 * i] = real[i]!;
  return out;
}

/** |z|^2 of every complex value. */
export function powerOf(z: Float32Array): Float32Array {
  const out = new Float32Array(z.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = z[2 * i]! ** 2 + z[2 * i + 1]! ** 2;
  return out;
}
