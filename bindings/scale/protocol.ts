// The wire format of a live series (no Node API: browsers and Deno speak it too). A stream carries a stem4d
// container (codec/SPEC.md) cut into messages: a series message with the container's header and metadata, then
// every chunk as it lies in the container (36-byte header with its CRC-32C, payload with its CRC-32C), in order,
// then an end message. Each message is a small JSON header and an optional binary part. The receiver answers on the
// same connection (ZeroMQ DEALER/ROUTER, or a WebSocket): `resume` says which chunk to send next (at the start,
// after a restart, a lost or damaged chunk), `ack` which chunks are safely in its container, `done` that the
// container is complete. JSON because the header is a few dozen bytes beside kilobytes of chunk, and any language
// can write it.
//   sender:   {"stem4d":2,"type":"hello","series":"s1","epoch":null,"sent":0,"ended":false}
//   receiver: {"stem4d":2,"type":"resume","id":"r3f-1","next":0,"header":true}
//   sender:   {"stem4d":2,"type":"series","series":"s1","epoch":"r3f-1","mode":"events",...}   + container header
//   sender:   {"stem4d":2,"type":"chunk","series":"s1","epoch":"r3f-1","seq":0,"kind":2,"frames":[0,128]} + chunk
//   receiver: {"stem4d":2,"type":"ack","series":"s1","next":1}
//   sender:   {"stem4d":2,"type":"end","series":"s1","epoch":"r3f-1","chunks":33,"frames":4096}
//   receiver: {"stem4d":2,"type":"done","series":"s1","chunks":33,"bytes":123456}
import type { Dtype } from "../dtype.js";

export const PROTOCOL_VERSION = 2;

export type EncodeMode = "raw" | "lossless" | "events" | "pca";
export const ENCODE_MODES: readonly EncodeMode[] = ["raw", "lossless", "events", "pca"];

/** Where the pattern centre the receiver uses came from. */
export interface StreamCenter {
  cy: number;
  cx: number;
  /** e.g. "sender: bright-field disk of the mean of 512 sampled source frames". */
  from: string;
}

interface SenderMessage {
  stem4d: number;
  series: string;
  /** The id of the receiver's resume request this message answers (null before the first). */
  epoch: string | null;
}

export interface HelloMessage extends SenderMessage {
  type: "hello";
  /** Chunks sent so far (in this epoch's order), and whether the encoder has finished. */
  sent: number;
  ended: boolean;
}

export interface SeriesMessage extends SenderMessage {
  type: "series";
  mode: EncodeMode;
  /** The source's layout (the container's metadata has the decoded layout). */
  shape: number[];
  dtype: Dtype;
  frames: number;
  center?: StreamCenter;
  /** The counting thresholds and their rules (events mode). */
  counting?: Record<string, unknown>;
}

export interface ChunkMessage extends SenderMessage {
  type: "chunk";
  seq: number;
  kind: number;
  /** Frames [first, end) the chunk holds, or null (a PCA basis, a summary). */
  frames: [number, number] | null;
}

export interface EndMessage extends SenderMessage {
  type: "end";
  chunks: number;
  frames: number;
}

/** The sender gives up (e.g. the receiver asks for chunks it no longer holds): the receiver stops with this. */
export interface AbortMessage extends SenderMessage {
  type: "abort";
  message: string;
}

export interface ResumeMessage {
  stem4d: number;
  type: "resume";
  /** Names this request: the sender tags what it sends in answer with it as `epoch`. */
  id: string;
  /** The first chunk the receiver lacks, and whether it needs the series message (it has no container yet). */
  next: number;
  header: boolean;
}

export interface AckMessage {
  stem4d: number;
  type: "ack";
  series: string;
  /** Chunks [0, next) are in the receiver's container. */
  next: number;
}

export interface DoneMessage {
  stem4d: number;
  type: "done";
  series: string;
  chunks: number;
  bytes: number;
}

export interface RefuseMessage {
  stem4d: number;
  type: "refuse";
  message: string;
}

export type ToReceiver = HelloMessage | SeriesMessage | ChunkMessage | EndMessage | AbortMessage;
export type ToSender = ResumeMessage | AckMessage | DoneMessage | RefuseMessage;

/** Distributes Omit over a union. */
type Body<T> = T extends unknown ? Omit<T, "stem4d"> : never;

export function encodeMessage(m: Body<ToReceiver | ToSender>, binary?: Uint8Array): Uint8Array[] {
  const json = new TextEncoder().encode(JSON.stringify({ stem4d: PROTOCOL_VERSION, ...m }));
  return binary ? [json, binary] : [json];
}

const SENDER_TYPES = ["hello", "series", "chunk", "end", "abort"];
const RECEIVER_TYPES = ["resume", "ack", "done", "refuse"];

/** Parses a message's JSON part and checks the fields its type needs; `where` names the peer in errors. */
export function decodeMessage<T extends ToReceiver | ToSender>(parts: Uint8Array[], where: string, from: "sender" | "receiver"): { message: T; binary?: Uint8Array } {
  if (parts.length < 1 || parts.length > 2) throw new Error(`${where}: a message of ${parts.length} parts; expected 1 or 2 (JSON, binary)`);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(new TextDecoder().decode(parts[0]!));
  } catch {
    throw new Error(`${where}: the message header is not JSON (${parts[0]!.length} bytes)`);
  }
  if (typeof m !== "object" || m === null) throw new Error(`${where}: the message header is not a JSON object`);
  if (m.stem4d !== PROTOCOL_VERSION) throw new Error(`${where}: protocol version ${String(m.stem4d)}; expected ${PROTOCOL_VERSION} (both sides must run the same stem4d)`);
  const types = from === "sender" ? SENDER_TYPES : RECEIVER_TYPES;
  if (!types.includes(m.type as string)) throw new Error(`${where}: message type ${JSON.stringify(m.type)}; a ${from} sends ${types.join(", ")}`);
  const need = (field: string, ok: boolean) => { if (!ok) throw new Error(`${where}: ${String(m.type)} message: field ${field} is missing or invalid`); };
  if (from === "sender") need("series", typeof m.series === "string");
  if (m.type === "chunk") {
    need("seq", isCount(m.seq));
    need("binary part (the chunk)", parts.length === 2);
  }
  if (m.type === "series") need("binary part (the container header)", parts.length === 2);
  if (m.type === "end") need("chunks", isCount(m.chunks));
  if (m.type === "resume") need("next", isCount(m.next) && typeof m.id === "string");
  if (m.type === "ack") need("next", isCount(m.next));
  return { message: m as unknown as T, ...(parts.length === 2 ? { binary: parts[1]! } : {}) };
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** "frames 0-127" or "no frames" for a message's frame range. */
export function framesText(frames: [number, number] | null | undefined): string {
  return frames ? `frames ${frames[0]}-${frames[1] - 1}` : "no frames";
}
