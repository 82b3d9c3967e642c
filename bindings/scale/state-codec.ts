// Node-only (scale-out). Partial states for job queues, in two forms: JSON-safe values (BullMQ stores job data and
// return values as JSON text in Redis, where a Buffer would become {"type":"Buffer","data":[1,2,...]}, about 4
// characters per byte; base64 costs 4/3), and packed binary values a shard stores under a Redis key of its own
// (megabyte states such as PCA's Z = D^T Y, which should neither pass through base64 nor sit in BullMQ's events). Nav buffers carry only the state's frame range (a shard fills no other frames), so what
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
  for (const { name, type, offset, length, part } of carried(reduction, layout, state)) {
    buffers[name] = { type, offset, length, base64: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString("base64") };
  }
  return { range: [state.range[0], state.range[1]], buffers };
}

/** The inverse of encodeState; `what` names the sender in errors (a shard, a job). */
export function decodeState(reduction: Reduction<unknown>, layout: StateLayout, enc: EncodedState, what: string): PartialState {
  if (!enc || !Array.isArray(enc.range) || typeof enc.buffers !== "object") throw new Error(`${what}: not an encoded partial state`);
  return placeState(reduction, layout, enc, (e) => Buffer.from((e as EncodedBuffer).base64, "base64"), what);
}

/** The states of several reductions as one binary value (what a shard stores in Redis): a little-endian u32
 * header length, the JSON header (ranges, buffer types, offsets and lengths), then every buffer's bytes, each
 * starting on an 8-byte boundary. No base64, no JSON parse of the data. */
export function packStates(reductions: Reduction<unknown>[], layout: StateLayout, states: PartialState[]): Buffer {
  const parts: Uint8Array[] = [];
  let at = 0;
  const header = states.map((state, i) => {
    const buffers: Record<string, Omit<EncodedBuffer, "base64"> & { at: number; bytes: number }> = {};
    for (const { name, type, offset, length, part } of carried(reductions[i]!, layout, state)) {
      buffers[name] = { type, offset, length, at, bytes: part.byteLength };
      parts.push(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
      at += Math.ceil(part.byteLength / 8) * 8;
    }
    return { range: state.range, buffers };
  });
  const json = Buffer.from(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 8) * 8;
  const out = Buffer.alloc(start + at);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let pos = start;
  for (const p of parts) {
    out.set(p, pos);
    pos += Math.ceil(p.byteLength / 8) * 8;
  }
  return out;
}

/** The inverse of packStates. */
export function unpackStates(reductions: Reduction<unknown>[], layout: StateLayout, packed: Buffer, what: string): PartialState[] {
  let header: { range: [number, number]; buffers: Record<string, EncodedBuffer & { at: number; bytes: number }> }[];
  const size = packed.length >= 4 ? packed.readUInt32LE(0) : -1;
  try {
    if (size < 0 || 4 + size > packed.length) throw new Error("too short");
    header = JSON.parse(packed.subarray(4, 4 + size).toString());
  } catch (e) {
    throw new Error(`${what}: not packed partial states (${(e as Error).message} in the header of ${packed.length} bytes)`);
  }
  if (!Array.isArray(header) || header.length !== reductions.length) throw new Error(`${what}: ${Array.isArray(header) ? header.length : "no"} states; expected ${reductions.length}`);
  const start = Math.ceil((4 + size) / 8) * 8;
  return header.map((enc, i) => placeState(reductions[i]!, layout, enc, (e) => {
    const b = e as unknown as { at: number; bytes: number };
    if (!(b.at >= 0 && start + b.at + b.bytes <= packed.length)) throw new Error(`${what}: a buffer runs past the end of ${packed.length} bytes`);
    return packed.subarray(start + b.at, start + b.at + b.bytes);
  }, what));
}

/** The part of each buffer a state carries: nav buffers only the state's frames. */
function carried(reduction: Reduction<unknown>, layout: StateLayout, state: PartialState) {
  return specsOf(reduction, layout).map(([name, spec, values]) => {
    const b = state.buffers[name];
    if (!b || b.length !== values) throw new Error(`${reduction.name}: state buffer ${name} has ${b?.length ?? 0} values; expected ${values}`);
    const [from, to] = spec.kind === "nav" ? [state.range[0] * (spec.per ?? 1), state.range[1] * (spec.per ?? 1)] : [0, values];
    return { name, type: spec.type, offset: from, length: values, part: b.subarray(from, to) };
  });
}

/** Rebuilds a state's full-size buffers from the carried parts, checking each against the reduction. */
function placeState(
  reduction: Reduction<unknown>, layout: StateLayout, enc: { range: [number, number]; buffers: Record<string, Omit<EncodedBuffer, "base64">> },
  bytesOf: (e: Omit<EncodedBuffer, "base64">) => Uint8Array, what: string,
): PartialState {
  const buffers: Buffers = {};
  for (const [name, spec, values] of specsOf(reduction, layout)) {
    const e = enc.buffers?.[name];
    if (!e) throw new Error(`${what}: ${reduction.name} state has no buffer ${name}`);
    if (e.type !== spec.type || e.length !== values) throw new Error(`${what}: ${reduction.name} buffer ${name} is ${e.length} ${e.type} values; expected ${values} ${spec.type}`);
    const bytes = bytesOf(e);
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
