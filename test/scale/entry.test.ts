// The package entries resolve as a user's import would (package.json "exports", through the built dist/).
import { describe, expect, it } from "vitest";
import { cliBuilt } from "../helpers/cli.js";

describe.skipIf(!cliBuilt)("package entries", () => {
  it("stem4d/scale exposes the stream and shard engines, stem4d/edge the web sender, stem4d the core API", async () => {
    const scale = await import("stem4d/scale");
    for (const name of ["sendDataset", "StreamReceiver", "runSharded", "startShardWorker", "encodeState", "decodeState"]) expect(typeof (scale as Record<string, unknown>)[name]).toBe("function");
    const edge = await import("stem4d/edge");
    for (const name of ["sendSeries", "encodeDataset", "webSocketSender"]) expect(typeof (edge as Record<string, unknown>)[name]).toBe("function");
    const core = await import("stem4d");
    for (const name of ["Core", "openDataset", "runReductions", "analyze", "adjustedRandIndex"]) expect(typeof (core as Record<string, unknown>)[name]).toBe("function");
  });
});
