// Random damage for fuzz tests: flips, overwrites or zeroes 1-4 bytes of a file, from a seeded stream.
import type { Rng } from "../../bindings/simulate.js";

export function mutate(b: Uint8Array, rng: Rng): void {
  const edits = 1 + Math.floor(rng.next() * 4);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(rng.next() * b.length);
    const how = rng.next();
    if (how < 0.4) b[at]! ^= 1 << Math.floor(rng.next() * 8);
    else if (how < 0.8) b[at] = Math.floor(rng.next() * 256);
    else b[at] = rng.next() < 0.5 ? 0 : 255;
  }
}
