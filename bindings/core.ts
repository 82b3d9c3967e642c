// The WASM core as the rest of stem4d sees it: one compiled module, one memory owned by JS (shared when workers
// are used), the main thread's instance, an arena over the memory, and a pool of workers running kernel calls.
import { Arena } from "./arena.js";
import type { KernelName, Kernels } from "./kernels.js";
import { platform, type WorkerLike } from "./platform.js";
import { instantiateWasm } from "./wasm-module.js";

/** A pseudo-kernel that workers with file access run: read `args[1]` bytes at file offset `args[2]` of `path` into
 * the core's memory at `args[0]`. */
export const READ_FILE = "@readFile";

/** One kernel invocation: a kernel of the core (bindings/kernels.ts, generated from assembly/) and its arguments,
 * checked against the kernel's parameters at compile time; or a file read by a worker. */
export type KernelCall =
  | { [K in KernelName]: { fn: K; args: Parameters<Kernels[K]>; path?: undefined } }[KernelName]
  | { fn: typeof READ_FILE; args: [ptr: number, bytes: number, offset: number]; path: string };
/** Calls that run in order on one worker; distinct tasks may run at the same time. */
export type Task = KernelCall[];

export interface CoreOptions {
  /** Workers in the pool: 0 runs every kernel on the calling thread. Default: one per core, at most 8. */
  workers?: number;
}

export type CoreExports = Kernels;

export class Core {
  private constructor(
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly exports: CoreExports,
    readonly arena: Arena,
    readonly build: "simd" | "threads",
    private readonly workers: PoolWorker[],
  ) {}

  /** Task counters shared with the workers, one per run in progress (made with the first run: a page without
   * cross-origin isolation has no SharedArrayBuffer, and no workers either). */
  private counters?: Counters;

  static async create(options: CoreOptions = {}): Promise<Core> {
    const p = platform();
    const wanted = options.workers ?? Math.min(8, p.cores);
    if (!Number.isInteger(wanted) || wanted < 0) throw new RangeError(`workers must be a non-negative integer, got ${wanted}`);
    const threads = wanted > 0 && p.canShareMemory && !!p.createWorker;
    const build = threads ? "threads" : "simd";
    // The workers start up (a Node worker takes ~0.1 s) while the module compiles.
    const started = threads ? Array.from({ length: wanted }, () => p.createWorker!()) : [];
    const { module, memory, exports, heapBase } = await instantiateWasm<CoreExports>(`stem4d.${build}.wasm`, {
      memory: { initial: 16, maximum: 65536, shared: threads } as WebAssembly.MemoryDescriptor, env: { abort: coreAbort },
    }).catch(async (e: unknown) => {
      await Promise.all(started.map((w) => w.terminate()));
      throw e;
    });
    const arena = new Arena(memory, heapBase);
    const workers = await Promise.all(started.map((w) => PoolWorker.start(w, module, memory)));
    return new Core(module, memory, exports, arena, build, workers);
  }

  /** Whether the workers can read local files themselves (READ_FILE calls). */
  get readsFiles(): boolean {
    return this.workers.length > 0 && platform().workersReadFiles === true;
  }

  /** Number of workers (0 when kernels run on the calling thread). */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Runs one kernel on the calling thread. */
  call<K extends KernelName>(fn: K, ...args: Parameters<Kernels[K]>): ReturnType<Kernels[K]> {
    const f = this.exports[fn] as ((...a: number[]) => ReturnType<Kernels[K]>) | undefined;
    if (!f) throw new Error(`the core has no kernel named ${fn}`);
    return f(...args);
  }

  /** Runs the tasks, spread over the workers (or in order on this thread), and resolves when all have finished. */
  async run(tasks: Task[]): Promise<void> {
    if (this.workers.length === 0) {
      for (const t of tasks) {
        for (const c of t) {
          if (c.fn === READ_FILE) throw new Error(`${c.path}: reads by workers need a worker pool`);
          (this.call as (fn: string, ...a: number[]) => number)(c.fn, ...c.args);
        }
      }
      return;
    }
    if (tasks.length === 0) return;
    // Every worker gets the whole list and takes tasks by a shared counter: one message each way per worker, not per
    // task, and still dynamic (a worker that finishes early takes more). The list is encoded once into shared memory,
    // so posting it copies nothing (structured clones of thousands of small call objects cost milliseconds per run).
    const counters = (this.counters ??= new Counters()), slot = counters.take(), array = counters.array;
    const encoded = encodeTasks(tasks);
    try {
      const results = await Promise.allSettled(this.workers.slice(0, tasks.length).map((w) => w.run(encoded, array, slot)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      counters.give(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

class PoolWorker {
  private pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;

  private constructor(private readonly w: WorkerLike) {
    w.onMessage((msg) => {
      if (msg.type !== "done") return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error));
      else p?.resolve();
    });
  }

  static start(w: WorkerLike, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<PoolWorker> {
    return new Promise((resolve) => {
      w.onMessage((msg) => {
        if (msg.type === "ready") resolve(new PoolWorker(w));
      });
      w.postMessage({ type: "init", module, memory });
    });
  }

  /** Runs tasks of `tasks` until counter[slot] passes the last (see kernel-worker.js). */
  run(tasks: EncodedTasks, counter: Int32Array, slot: number): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.w.postMessage({ type: "run", id, calls: tasks.calls, names: tasks.names, counter, slot });
    });
  }

  async terminate(): Promise<void> {
    await this.w.terminate();
  }
}

/** A run's tasks as kernel-worker.js reads them: `calls` (float64, in shared memory) holds the task count n, then
 * where each of the n tasks starts, then each task: its number of calls and, per call, the index of its kernel's name
 * in `names`, its number of arguments and the arguments (a file read carries its path's index in `names` last). */
interface EncodedTasks {
  calls: Float64Array;
  names: string[];
}

function encodeTasks(tasks: Task[]): EncodedTasks {
  const names: string[] = [], index = new Map<string, number>();
  const nameId = (name: string) => {
    let i = index.get(name);
    if (i === undefined) index.set(name, (i = names.push(name) - 1));
    return i;
  };
  let size = 1 + tasks.length;
  for (const t of tasks) {
    size++;
    for (const c of t) size += 2 + c.args.length + (c.fn === READ_FILE ? 1 : 0);
  }
  const calls = new Float64Array(new SharedArrayBuffer(size * 8));
  calls[0] = tasks.length;
  let at = 1 + tasks.length;
  for (const [i, t] of tasks.entries()) {
    calls[1 + i] = at;
    calls[at++] = t.length;
    for (const c of t) {
      const read = c.fn === READ_FILE;
      calls[at++] = nameId(c.fn);
      calls[at++] = c.args.length + (read ? 1 : 0);
      for (const v of c.args) calls[at++] = v;
      if (read) calls[at++] = nameId(c.path);
    }
  }
  return { calls, names };
}

/** Slots of a shared Int32Array, each the next task index of one run in progress; more slots when runs overlap. */
class Counters {
  array = new Int32Array(new SharedArrayBuffer(4 * 16));
  private free = Array.from({ length: 16 }, (_, i) => 15 - i);

  take(): number {
    if (this.free.length === 0) {
      // Runs in progress go on with the array they were given; later runs use a larger one (slots stay distinct).
      const n = this.array.length;
      this.array = new Int32Array(new SharedArrayBuffer(8 * n));
      for (let i = 2 * n - 1; i >= n; i--) this.free.push(i);
    }
    const slot = this.free.pop()!;
    Atomics.store(this.array, slot, 0);
    return slot;
  }

  give(slot: number): void {
    this.free.push(slot);
  }
}

function coreAbort(_msg: number, _file: number, line: number, col: number): never {
  throw new Error(`stem4d core aborted at line ${line}:${col}`);
}
