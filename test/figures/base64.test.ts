// The report inlines its figures as base64 data URIs: the encoder equals Node's Buffer base64 on every length
// remainder, on empty input and on all byte values.
import { describe, expect, it } from "vitest";
import { base64, dataUri } from "../../bindings/figures/markup.js";

describe("base64 of the report's inlined figures", () => {
  it("equals Node's Buffer encoding for lengths 0 to 300 and every byte value", () => {
    const all = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 255);
    for (let n = 0; n <= all.length; n++) expect(base64(all.subarray(0, n))).toBe(Buffer.from(all.subarray(0, n)).toString("base64"));
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
    expect(dataUri("image/png", bytes)).toBe(`data:image/png;base64,${Buffer.from(bytes).toString("base64")}`);
  });
});
