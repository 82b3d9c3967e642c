// Grouping loose events (Timepix-style arrival order) into canonical order in WASM (assembly/events.ts evGroup):
// the same two stable counting sorts as groupEvents in codec/events.ts, which stays as the plain reference (and the
// choice where no core is at hand). Measured in bench/codec.ts: several times faster than the JS loops.
import type { Core } from "../bindings/core.js";
import { Region, codecCore } from "./engine.js";
import type { SparseEvents } from "./events.js";

export class EventGrouper {
  private readonly region: Region;

  private constructor(private readonly core: Core) {
    this.region = new Region(core);
  }

  static async create(): Promise<EventGrouper> {
    return new EventGrouper(await codecCore());
  }

  /** groupEvents (codec/events.ts) with the work in WASM: the same result and the same errors. */
  group(
    scanShape: [number, number], detShape: [number, number], first: number, count: number,
    position: Uint32Array, pixel: Uint32Array, time?: Float64Array,
  ): SparseEvents {
    const E = position.length, Q = detShape[0] * detShape[1];
    if (pixel.length !== E || (time && time.length !== E)) throw new RangeError(`group: ${E} positions, ${pixel.length} pixels${time ? `, ${time.length} times` : ""}`);
    const at: Record<string, number> = {};
    let size = 0;
    const carve = (name: string, bytes: number) => { at[name] = size; size += (bytes + 7) & ~7; };
    carve("position", 4 * E); carve("pixel", 4 * E); carve("offsets", 4 * (count + 1)); carve("start", 4 * (Q + 1));
    carve("next", 4 * count); carve("order", 4 * E); carve("pixOut", 4 * E);
    if (time) { carve("times", 8 * E); carve("timeOut", 8 * E); }
    const base = this.region.ensure(Math.max(size, 8)), ptr = (k: string) => (k in at ? base + at[k]! : 0);
    const a = this.core.arena;
    a.u32(ptr("position"), E).set(position);
    a.u32(ptr("pixel"), E).set(pixel);
    if (time) a.f64(ptr("times"), E).set(time);
    const bad = this.core.call("evGroup", ptr("position"), ptr("pixel"), ptr("times"), E, first >>> 0, count, Q,
      ptr("offsets"), ptr("start"), ptr("next"), ptr("order"), ptr("pixOut"), ptr("timeOut"));
    if (bad >= 0) {
      if (!(position[bad]! - first >= 0 && position[bad]! - first < count)) throw new RangeError(`event ${bad}: position ${position[bad]} is outside [${first}, ${first + count})`);
      throw new RangeError(`event ${bad}: detector index ${pixel[bad]} is outside the ${detShape[0]} x ${detShape[1]} detector`);
    }
    const offsets = a.u32(ptr("offsets"), count + 1).slice(), pixels = a.u32(ptr("pixOut"), E).slice();
    return { scanShape, detShape, first, offsets, pixels, ...(time ? { times: a.f64(ptr("timeOut"), E).slice() } : {}) };
  }

  dispose(): void {
    this.region.release();
  }
}
