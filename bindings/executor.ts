// Runs reductions over a dataset: reads blocks of frames into the core's memory (the next block is read while the
// current one is processed), cuts each block into fixed tiles, hands the tiles' kernel calls to the pool, and
// merges sig/single partials in tile order so that the result is the same for any number of workers.
import { type Core, type Task, READ_FILE } from "./core.js";
import { type Dataset, frameBytes, frameCount, framePixels, sigShape } from "./dataset.js";
import { type BufferSpec, type Buffers, type Reduction, type ReductionContext, type Tile, bufferTypeSize } from "./reduction.js";

export interface RunOptions {
  /** Frames per tile for reductions that do not fix their own: part of the partition, so part of the result. */
  tileFrames?: number;
  /** Approximate bytes of frames per block read (default 32 MiB). */
  blockBytes?: number;
  /** Frames [start, end) to reduce; default all (a shard runs a range). */
  range?: [number, number];
  /** Partial states (one per reduction) to continue from instead of empty buffers: a stream reduced range after
   * range, each range starting on a tile boundary, then folds every tile in the same order as one pass does. */
  initial?: PartialState[];
  onProgress?: (framesDone: number, framesTotal: number) => void;
}

/** The default tile: about 2 MiB of frames, so a tile's partials and frames stay in cache. */
export function defaultTileFrames(ds: Pick<Dataset, "shape" | "dtype">): number {
  return Math.max(1, Math.floor((2 << 20) / frameBytes(ds)));
}

interface Planned {
  reduction: Reduction<unknown>;
  ctx: ReductionContext;
  specs: [string, Required<BufferSpec>, number][]; // name, spec, values
  finals: Record<string, number>;
  tile: number;
  inputs: number[];
}

/** The buffers of a reduction over a range of frames, before `finish`: what shards and streams send and merge.
 * Nav buffers span all frames; only the range's part is filled. */
export interface PartialState {
  range: [number, number];
  buffers: Buffers;
}

/** Runs several reductions in one pass over the frames and returns their results in order. */
export async function runReductions<T extends unknown[]>(
  core: Core,
  dataset: Dataset,
  reductions: { [K in keyof T]: Reduction<T[K]> },
  options: RunOptions = {},
): Promise<T> {
  const states = await runPartials(core, dataset, reductions as Reduction<unknown>[], options);
  return states.map((st, i) => finishState(core, dataset, (reductions as Reduction<unknown>[])[i]!, st)) as T;
}

/** Runs reductions over `options.range` (default all frames) and returns their partial states. */
export async function runPartials(core: Core, dataset: Dataset, reductions: Reduction<unknown>[], options: RunOptions = {}): Promise<PartialState[]> {
  const arena = core.arena;
  const P = frameCount(dataset), Q = framePixels(dataset), fb = frameBytes(dataset);
  const [rows, cols] = sigShape(dataset);
  const [first, end] = options.range ?? [0, P];
  if (!(Number.isInteger(first) && Number.isInteger(end) && 0 <= first && first <= end && end <= P)) {
    throw new RangeError(`frame range [${first}, ${end}) is outside the dataset's ${P} frames`);
  }
  const owned: number[] = [];
  const planned: Planned[] = [];
  try {
    for (const reduction of reductions as Reduction<unknown>[]) {
      const inputs: number[] = [];
      const ctx: ReductionContext = {
        core, shape: dataset.shape, dtype: dataset.dtype,
        input: (data) => { const p = arena.put(data); inputs.push(p); owned.push(p); return p; },
      };
      const specs = Object.entries(reduction.buffers(ctx)).map(([name, s]) => {
        const full = withDefaults(s);
        const values = (full.kind === "nav" ? P : full.kind === "sig" ? Q : 1) * full.per;
        return [name, full, values] as [string, Required<BufferSpec>, number];
      });
      const finals: Record<string, number> = {};
      const seed = options.initial?.[planned.length]?.buffers;
      for (const [name, spec, values] of specs) {
        finals[name] = arena.alloc(values * bufferTypeSize[spec.type]);
        owned.push(finals[name]!);
        const from = seed?.[name];
        if (!from) fill(core, finals[name]!, spec, values);
        else if (from.length === values) view(core, finals[name]!, spec, values).set(from);
        else throw new RangeError(`${reduction.name}: initial buffer ${name} has ${from.length} values; expected ${values}`);
      }
      reduction.prepare?.(ctx);
      const tile = reduction.tileFrames?.(ctx) ?? options.tileFrames ?? defaultTileFrames(dataset);
      if (!Number.isInteger(tile) || tile < 1) throw new RangeError(`${reduction.name}: tile of ${tile} frames`);
      planned.push({ reduction, ctx, specs, finals, tile, inputs });
    }

    // A block is a whole number of every reduction's tile, aligned to frame 0, so tiles never straddle blocks.
    const lcmTile = planned.reduce((a, p) => lcm(a, p.tile), 1);
    const target = Math.max(1, Math.floor((options.blockBytes ?? 32 << 20) / fb));
    // No larger than the range itself (rounded up to whole tiles), so small datasets get small buffers.
    const blockFrames = Math.min(Math.max(1, Math.round(target / lcmTile)), Math.ceil((end - first) / lcmTile) + 1) * lcmTile;
    if (blockFrames * fb > 1 << 30) throw new RangeError(`a block of ${blockFrames} frames exceeds 1 GiB; use smaller tiles`);
    const blocks: [number, number][] = [];
    for (let s = Math.floor(first / blockFrames) * blockFrames; s < end; s += blockFrames) {
      blocks.push([Math.max(s, first), Math.min(s + blockFrames, end)]);
    }
    // Frames already in this core's memory are processed where they are; otherwise two block buffers.
    const resident = dataset.source.resident?.core === core ? dataset.source.resident.ptr : undefined;
    const buf = resident === undefined ? [arena.alloc(blockFrames * fb), arena.alloc(blockFrames * fb)] : [];
    owned.push(...buf);
    // Partials: one set per tile of a block for every merged buffer.
    const partials = planned.map((p) => {
      const perBlock = Math.ceil(blockFrames / p.tile) + 1;
      return Array.from({ length: perBlock }, () => {
        const set: Record<string, number> = {};
        for (const [name, spec, values] of p.specs) {
          if (spec.kind === "nav" || spec.merge === "direct") continue;
          set[name] = arena.alloc(values * bufferTypeSize[spec.type]);
          owned.push(set[name]!);
        }
        return set;
      });
    });

    // Frames that lie in a local file are read by the workers themselves, each tile just before the kernels that
    // use it: parallel reads, and the data is still in cache when the kernels run. Otherwise the main thread reads
    // the next block while the workers process this one.
    const workersRead = resident === undefined && core.readsFiles && dataset.source.locate !== undefined;
    const sameTile = planned.every((p) => p.tile === planned[0]?.tile);
    const readUnit = sameTile && planned.length ? planned[0]!.tile : defaultTileFrames(dataset);
    const read = (i: number) => {
      const [s, e] = blocks[i]!;
      return dataset.source.readFrames(s, e - s, arena.bytes(buf[i % 2]!, (e - s) * fb));
    };
    const readCalls = (t0: number, t1: number, base: number, s: number): Task => {
      const ext = dataset.source.locate!(t0, t1 - t0);
      if (!ext) throw new Error(`${dataset.source.name}: frames ${t0}-${t1} are not in one local file`);
      const ptr = base + (t0 - s) * fb, bytes = (t1 - t0) * fb;
      const calls: Task = [{ fn: READ_FILE, args: [ptr, bytes, ext.offset], path: ext.path }];
      if (ext.swapWidth > 1) calls.push({ fn: "byteswap", args: [ptr, bytes / ext.swapWidth, ext.swapWidth] });
      return calls;
    };
    const mainReads = resident === undefined && !workersRead;
    let pending = blocks.length && mainReads ? read(0) : undefined;
    let done = 0;
    for (let b = 0; b < blocks.length; b++) {
      const [s, e] = blocks[b]!;
      const base = resident === undefined ? buf[b % 2]! : resident + s * fb;
      if (mainReads) {
        await pending;
        pending = b + 1 < blocks.length ? read(b + 1) : undefined;
      }
      // Tasks keyed by the first frame of their tile, so that reads can be fused with them.
      const parallel = new Map<number, Task[]>();
      const merges: (() => void)[] = [];
      const directs: Task[][] = [];
      planned.forEach((p, pi) => {
        let k = 0;
        for (let t0 = s; t0 < e; k++) {
          const t1 = Math.min(e, (Math.floor(t0 / p.tile) + 1) * p.tile);
          const tile: Tile = { start: t0, count: t1 - t0, ptr: base + (t0 - s) * fb, dtype: dataset.dtype, rows, cols };
          const ptrs: Record<string, number> = {};
          const part = partials[pi]![k]!;
          let direct = false;
          for (const [name, spec, values] of p.specs) {
            const size = bufferTypeSize[spec.type];
            if (spec.kind === "nav") ptrs[name] = p.finals[name]! + t0 * spec.per * size;
            else if (spec.merge === "direct") { ptrs[name] = p.finals[name]!; direct = true; }
            else {
              ptrs[name] = part[name]!;
              fill(core, part[name]!, spec, values);
              merges.push(() => core.call(mergeKernel(spec), p.finals[name]!, part[name]!, values));
            }
          }
          const tasks = p.reduction.process(tile, ptrs, p.ctx);
          if (direct) directs.push(tasks);
          else parallel.set(t0, [...(parallel.get(t0) ?? []), ...tasks]);
          t0 = t1;
        }
      });
      if (workersRead && sameTile) {
        // One task per tile: read it, then run every reduction's calls on it (in order, on one worker).
        const fused: Task[] = [];
        for (let t0 = s; t0 < e; ) {
          const t1 = Math.min(e, (Math.floor(t0 / readUnit) + 1) * readUnit);
          fused.push([...readCalls(t0, t1, base, s), ...(parallel.get(t0) ?? []).flat()]);
          t0 = t1;
        }
        await core.run(fused);
      } else {
        if (workersRead) {
          const reads: Task[] = [];
          for (let t0 = s; t0 < e; ) {
            const t1 = Math.min(e, (Math.floor(t0 / readUnit) + 1) * readUnit);
            reads.push(readCalls(t0, t1, base, s));
            t0 = t1;
          }
          await core.run(reads);
        }
        await core.run([...parallel.values()].flat());
      }
      for (const m of merges) m();
      for (const tasks of directs) await core.run(tasks);
      done += e - s;
      options.onProgress?.(done, end - first);
    }
    await pending;

    return planned.map((p) => {
      const buffers: Buffers = {};
      for (const [name, spec, values] of p.specs) buffers[name] = copyOut(core, p.finals[name]!, spec, values);
      return { range: [first, end], buffers };
    });
  } finally {
    for (const ptr of owned) arena.release(ptr);
  }
}

/** Runs one reduction over the dataset. */
export async function runReduction<R>(core: Core, dataset: Dataset, reduction: Reduction<R>, options?: RunOptions): Promise<R> {
  const [r] = await runReductions<[R]>(core, dataset, [reduction], options);
  return r;
}

function contextFor(core: Core, dataset: Dataset): ReductionContext {
  return {
    core, shape: dataset.shape, dtype: dataset.dtype,
    input: () => { throw new Error("inputs can only be placed while a reduction runs"); },
  };
}

/** Merges two partial states of the same reduction over disjoint frame ranges (in any grouping: associative). */
export function mergeStates(core: Core, dataset: Dataset, reduction: Reduction<unknown>, a: PartialState, b: PartialState): PartialState {
  const specs = reduction.buffers(contextFor(core, dataset));
  const buffers: Buffers = {};
  for (const [name, s] of Object.entries(specs)) {
    const spec = withDefaults(s);
    const x = a.buffers[name]!, y = b.buffers[name]!;
    const out = x.slice();
    if (spec.kind === "nav") {
      out.set(y.subarray(b.range[0] * spec.per, b.range[1] * spec.per), b.range[0] * spec.per);
    } else if (spec.merge === "direct") {
      throw new Error(`${reduction.name}: buffer ${name} is written directly and cannot be merged across shards`);
    } else {
      const op = spec.merge === "sum" ? (p: number, q: number) => p + q : spec.merge === "max" ? Math.max : Math.min;
      for (let i = 0; i < out.length; i++) out[i] = op(x[i]!, y[i]!);
    }
    buffers[name] = out;
  }
  const range: [number, number] = [Math.min(a.range[0], b.range[0]), Math.max(a.range[1], b.range[1])];
  return { range, buffers };
}

/** Turns a (merged) partial state into the reduction's result. */
export function finishState<R>(core: Core, dataset: Dataset, reduction: Reduction<R>, state: PartialState): R {
  return reduction.finish(state.buffers, contextFor(core, dataset));
}

function withDefaults(s: BufferSpec): Required<BufferSpec> {
  const merge = s.merge ?? "sum";
  return { kind: s.kind, type: s.type, per: s.per ?? 1, merge, fill: s.fill ?? (merge === "max" ? -Infinity : merge === "min" ? Infinity : 0) };
}

function view(core: Core, ptr: number, spec: BufferSpec, values: number) {
  const a = core.arena;
  return spec.type === "f32" ? a.f32(ptr, values) : spec.type === "f64" ? a.f64(ptr, values) : spec.type === "i32" ? a.i32(ptr, values) : a.u32(ptr, values);
}

function fill(core: Core, ptr: number, spec: Required<BufferSpec>, values: number): void {
  let v = spec.fill;
  if (spec.type === "i32" && !Number.isFinite(v)) v = v > 0 ? 2147483647 : -2147483648;
  if (spec.type === "u32" && !Number.isFinite(v)) v = v > 0 ? 4294967295 : 0;
  view(core, ptr, spec, values).fill(v);
}

function copyOut(core: Core, ptr: number, spec: BufferSpec, values: number) {
  return view(core, ptr, spec, values).slice();
}

function mergeKernel(spec: Required<BufferSpec>): string {
  const op = spec.merge === "sum" ? "Sum" : spec.merge === "max" ? "Max" : "Min";
  return `merge${op}${spec.type.toUpperCase()}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
