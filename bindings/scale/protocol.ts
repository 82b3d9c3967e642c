// Node-only (scale-out; never imported by bindings/index.ts or the browser bundle).
// The wire format of a live series over ZeroMQ PUSH/PULL. Every message has two frames: a small JSON header and a
// payload. JSON because the header is a few dozen bytes next to megabytes of frames, and any language (pyzmq, a
// detector's C++ server) can write it; the payload is the frames as they lie in memory (C order, little-endian).
//   {"stem4d":1,"type":"frames","series":"...","seq":7,"first":896,"count":128,"dtype":"u16","shape":[64,64,96,96]}
//   {"stem4d":1,"type":"end","series":"...","seq":32,"frames":4096}   (payload empty; seq = number of frame blocks)
import { type Dtype, dtypeSize } from "../dtype.js";
import { validateLayout } from "../dataset.js";

export const PROTOCOL_VERSION = 1;

export interface FramesHeader {
  stem4d: number;
  type: "frames";
  /** Names one acquisition; a receiver takes one series and rejects blocks of any other. */
  series: string;
  /** 0, 1, 2... per frame block: a gap is a lost block, a repeat a duplicate. */
  seq: number;
  /** Flat index of the block's first frame, and how many frames it holds. */
  first: number;
  count: number;
  dtype: Dtype;
  /** The whole series' shape [...nav, detRow, detCol]. */
  shape: number[];
}

export interface EndHeader {
  stem4d: number;
  type: "end";
  series: string;
  /** The number of frame blocks sent before this message. */
  seq: number;
  /** Frames sent in all. */
  frames: number;
}

export type Header = FramesHeader | EndHeader;

export function encodeHeader(h: Header): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(h));
}

/** Parses and checks a message; `where` names the socket in errors. Throws unless it is a well-formed stem4d message
 * whose payload size matches its header. */
export function decodeMessage(parts: Uint8Array[], where: string): { header: Header; payload: Uint8Array } {
  if (parts.length !== 2) throw new Error(`${where}: a message of ${parts.length} frames; expected 2 (header, payload)`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder().decode(parts[0]!));
  } catch {
    throw new Error(`${where}: the message header is not JSON (${parts[0]!.length} bytes)`);
  }
  const what = `${where}: message seq ${String(h.seq)}`;
  if (h.stem4d !== PROTOCOL_VERSION) throw new Error(`${what}: protocol version ${String(h.stem4d)}; expected ${PROTOCOL_VERSION}`);
  if (typeof h.series !== "string") throw new Error(`${what}: field series is missing`);
  if (!isCount(h.seq)) throw new Error(`${what}: field seq must be a non-negative integer`);
  const payload = parts[1]!;
  if (h.type === "end") {
    if (!isCount(h.frames)) throw new Error(`${what}: field frames must be a non-negative integer`);
    return { header: h as unknown as EndHeader, payload };
  }
  if (h.type !== "frames") throw new Error(`${what}: type ${JSON.stringify(h.type)}; expected "frames" or "end"`);
  const shape = h.shape as number[];
  if (!Array.isArray(shape)) throw new Error(`${what}: field shape is missing`);
  validateLayout(shape, String(h.dtype), `${what}: header`);
  if (!isCount(h.first) || !isCount(h.count) || (h.count as number) < 1) throw new Error(`${what}: fields first and count must be integers, count >= 1`);
  const frames = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const first = h.first as number, count = h.count as number;
  if (first + count > frames) throw new Error(`${what}: frames ${first}-${first + count - 1} are outside the series' ${frames} frames`);
  const expected = count * shape[shape.length - 2]! * shape[shape.length - 1]! * dtypeSize(h.dtype as Dtype);
  if (payload.length !== expected) throw new Error(`${what}: payload of ${payload.length} bytes; ${count} frames of [${shape.slice(-2).join(", ")}] ${String(h.dtype)} need ${expected}`);
  return { header: h as unknown as FramesHeader, payload };
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}
