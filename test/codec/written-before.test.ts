// Containers written before stem4d built its own zstd: lossless files from the zstd-codec and @bokuweb/zstd-wasm
// backends and an events file from bokuweb (test/codec/fixtures/*written-by*.s4d, made by the previous version from
// the data below) decode bit-exactly with today's backends, each of them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import "../../bindings/node.js";
import { bufferByteSource, ContainerReader, openContainerDataset, readContainerEvents } from "../../bindings/index.js";
import type { ZstdBackendName } from "../../codec/index.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** The frames the lossless fixtures hold: [4, 3, 24, 20] u16, mostly zeros. */
function frames(): Uint16Array {
  const data = new Uint16Array(4 * 3 * 24 * 20);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 20) % 7 === 0 ? (i * 13) % 4000 : 0;
  return data;
}

describe("containers written by the previous zstd backends", () => {
  for (const file of ["written-by-zstd-codec.s4d", "written-by-bokuweb.s4d"]) {
    for (const zstd of ["stem4d", "zstd-codec"] as ZstdBackendName[]) {
      it(`${file} decodes bit-exactly with ${zstd}`, async () => {
        const ds = await openContainerDataset(bufferByteSource(fixture(file), file), { zstd });
        expect([ds.shape, ds.dtype]).toEqual([[4, 3, 24, 20], "u16"]);
        const back = new Uint16Array(frames().length);
        await ds.source.readFrames(0, 12, new Uint8Array(back.buffer));
        expect(Buffer.compare(Buffer.from(back.buffer), Buffer.from(frames().buffer))).toBe(0);
      });
    }
  }

  it("events-written-by-bokuweb.s4d decodes to the events written", async () => {
    const reader = await ContainerReader.open(bufferByteSource(fixture("events-written-by-bokuweb.s4d"), "events"));
    const ev = await readContainerEvents(reader, { zstd: "stem4d" });
    // Five electrons at positions 0, 0, 5, 3, 2 (pixels 9, 4, 255, 0, 17; times 5, 9, 1e12, 7, 3), in scan order.
    expect(Array.from(ev.offsets)).toEqual([0, 2, 2, 3, 4, 4, 5]);
    expect(Array.from(ev.pixels)).toEqual([4, 9, 17, 0, 255]);
    expect(Array.from(ev.times ?? [])).toEqual([9, 5, 3, 7, 1e12]);
  });
});
