// How `stream send --low-memory` starts Node again (cli/lean-restart.ts): which V8 flags go with which options,
// and which malloc settings the restarted sender gets without overriding the user's.
import { describe, expect, it } from "vitest";
import { leanEnv, leanNodeFlags } from "../../cli/lean-restart.js";

const send = ["stream", "send", "scan.npy", "--to", "ws://127.0.0.1:9", "--low-memory"];

describe("the lean sender's restart", () => {
  it("keeps V8's optimising compiler for JavaScript (without inlining) when WebAssembly keeps TurboFan", () => {
    const flags = leanNodeFlags(send);
    expect(flags).toEqual(expect.arrayContaining(["--max-semi-space-size=1", "--single-threaded", "--expose-gc", "--no-turbo-inlining"]));
    expect(flags).not.toContain("--no-opt");
    expect(flags).not.toContain("--no-sparkplug");
  });

  it("runs JavaScript in the interpreter only with --baseline-wasm", () => {
    const flags = leanNodeFlags([...send, "--baseline-wasm"]);
    expect(flags).toEqual(expect.arrayContaining(["--max-semi-space-size=1", "--single-threaded", "--expose-gc", "--no-opt", "--no-sparkplug"]));
    expect(flags).not.toContain("--no-turbo-inlining");
  });

  it("gives the restarted sender one malloc arena and fixed malloc thresholds, keeping what the user set", () => {
    expect(leanEnv({ PATH: "/bin" })).toMatchObject({ PATH: "/bin", MALLOC_ARENA_MAX: "1", MALLOC_TRIM_THRESHOLD_: "131072", STEM4D_LOW_MEMORY_RESTARTED: "1" });
    expect(leanEnv({ MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "0" })).toMatchObject({ MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "0" });
  });
});
