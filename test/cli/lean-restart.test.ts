// How `stream send --low-memory` starts Node again (cli/lean-restart.ts): the malloc settings the restarted sender
// gets without overriding the user's (its V8 flags are checked on a real restart in test/scale/stream-cli.test.ts).
import { describe, expect, it } from "vitest";
import { leanEnv } from "../../cli/lean-restart.js";

describe("the lean sender's restart", () => {
  it("gives the restarted sender one malloc arena and fixed malloc thresholds, keeping what the user set", () => {
    expect(leanEnv({ PATH: "/bin" })).toMatchObject({ PATH: "/bin", MALLOC_ARENA_MAX: "1", MALLOC_TRIM_THRESHOLD_: "131072", STEM4D_LOW_MEMORY_RESTARTED: "1" });
    expect(leanEnv({ MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "0" })).toMatchObject({ MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "0" });
  });
});
