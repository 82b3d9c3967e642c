// Node-only (scale-out). Partial states as JSON-safe values for job queues: BullMQ stores job data and return values
// as JSON text in Redis, where a Buffer would become {"type":"Buffer","data":[1,2,...]} (about 4 characters per
// byte); base64 costs 4/3. Nav buffers carry only the state's frame range (a shard fills no other frames), so what
// travels is the size of the results, never of the frames.
import type { Dtype } from "../dtype.js";
import type { PartialState } from "../executor.js";
import type { Core } from "../core.js";
import type { BufferSpec, BufferType, Buffers, Reduction } from "../reduction.js";
import { contextFor, plannedBuffers } from "../reduction-plan.js";
import { bufferTypeSize } from "../reduction.js";

export interface EncodedBuffer {
  type: BufferType;
  /** Index of the first value carried, and the buffer's full length in values. */
  offset: number;
  length: number;
  base64: string;
}

export interface EncodedState {
  range: [number, number];
  buffers: Record<string, EncodedBuffer>;
}

export interface StateLayout {
  shape: readonly number[];
  dtype: Dtype;
}

const arrays = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u32: Uint32Array } as const;

export function encodeState(reduction: Reduction<unknown>, layout: StateLayout, state: PartialState): EncodedState {
  const buffers: Record<string, EncodedBuffer> = {};
  for (const [name, spec, values] of specsOf(reduction, layout)) {
    const b = state.buffers[name];
    if (!b || b.length !== values) throw new Error(`${reduction.name}: state buffer ${name} has ${b?.length ?? 0} values; expected ${values}`);
    const [from, to] = spec.kind === "nav" ? [state.range[0] * (spec.per ?? 1), state.range[1] * (spec.per ?? 1)] : [0, values];
    const part = b.subarray(from, to);
    buffers[name] = { type: spec.type, offset: from, length: values, base64: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString("base64") };
  }
  return { range: [state.range[0], state.range[1]], buffers };
}

/** The inverse of encodeState; `what` names the sender in errors (a shard, a job). */
export function decodeState(reduction: Reduction<unknown>, layout: StateLayout, enc: EncodedState, what: string): PartialState {
  const buffers: Buffers = {};
  if (!enc || !Array.isArray(enc.range) || typeof enc.buffers !== "object") throw new Error(`${what}: not an encoded partial state`);
  for (const [name, spec, values] of specsOf(reduction, layout)) {
    const e = enc.buffers[name];
    if (!e) throw new Error(`${what}: ${reduction.name} state has no buffer ${name}`);
    if (e.type !== spec.type || e.length !== values) throw new Error(`${what}: ${reduction.name} buffer ${name} is ${e.length} ${e.type} values; expected ${values} ${spec.type}`);
    const bytes = Buffer.from(e.base64, "base64");
    const size = bufferTypeSize[spec.type];
    if (bytes.length % size !== 0 || e.offset < 0 || e.offset + bytes.length / size > values) {
      throw new Error(`${what}: ${reduction.name} buffer ${name}: ${bytes.length} bytes at value ${e.offset} do not fit ${values} ${spec.type} values`);
    }
    const out = new arrays[spec.type](values);
    const aligned = new Uint8Array(bytes); // a copy at offset 0, so the typed view below is aligned
    out.set(new arrays[spec.type](aligned.buffer, 0, bytes.length / size), e.offset);
    buffers[name] = out;
  }
  return { range: [enc.range[0]!, enc.range[1]!], buffers };
}

/** The buffers a state carries: every buffer but scratch, with its size for this layout. */
function specsOf(reduction: Reduction<unknown>, layout: StateLayout): [string, BufferSpec, number][] {
  const ctx = contextFor(undefined as unknown as Core, layout);
  return plannedBuffers(reduction, ctx).filter((b) => b.spec.kind !== "scratch").map((b) => [b.name, b.spec, b.values]);
}
