// `stem4d stream receive` and `stem4d stream send` as two processes on 127.0.0.1: the receiver's files equal what
// `stem4d virtual` and `stem4d com` write for the same file.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";

const dir = mkdtempSync(join(tmpdir(), "stem4d-stream-cli-"));

describe.skipIf(!cliBuilt)("stem4d stream (CLI)", () => {
  it("receive writes what virtual and com write for the file that send pushes", async () => {
    const data = join(dir, "sim.npy");
    expect(stem4d("simulate", "-o", data, "--scan", "20,16", "--detector", "40,40", "--seed", "4", "-q").status).toBe(0);
    const port = await freePort();
    const out = join(dir, "rx");
    const rx = spawn(process.execPath, [CLI, "stream", "receive", "--bind", `tcp://127.0.0.1:${port}`, "--bf", "3", "--adf", "6,18", "--com", "--center", "19.5,19.5", "-o", out, "--json", "--timeout", "20"]);
    let stdout = "", stderr = "";
    rx.stdout.on("data", (d) => { stdout += d.toString(); });
    rx.stderr.on("data", (d) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => rx.on("exit", r));
    // The receiver says when it listens; ZeroMQ would also queue the sender's blocks until it does.
    const s = await new Promise<ReturnType<typeof stem4d>>((resolve) => {
      const p = spawn(process.execPath, [CLI, "stream", "send", data, "--to", `tcp://127.0.0.1:${port}`, "--block-frames", "24", "--json", "-q"]);
      let so = "", se = "";
      p.stdout.on("data", (d) => { so += d.toString(); });
      p.stderr.on("data", (d) => { se += d.toString(); });
      p.on("exit", (status) => resolve({ status: status ?? -1, stdout: so, stderr: se }));
    });
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ blocks: 14, frames: 320 });
    expect(await exited, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ shape: [20, 16, 40, 40], dtype: "u16", blocks: 14, frames: 320, center: { cy: 19.5, cx: 19.5 } });
    expect(stderr).toMatch(/receive: 100% \(320\/320\)/);

    expect(stem4d("virtual", data, "--bf", "3", "--center", "19.5,19.5", "-o", join(dir, "bf.npy"), "-q").status).toBe(0);
    expect(stem4d("virtual", data, "--adf", "6,18", "--center", "19.5,19.5", "-o", join(dir, "adf.npy"), "-q").status).toBe(0);
    expect(stem4d("com", data, "--center", "19.5,19.5", "-o", join(dir, "com"), "-q").status).toBe(0);
    for (const [a, b] of [["bf.npy", "bf.npy"], ["adf.npy", "adf.npy"], ["com_y.npy", "com_y.npy"], ["com_x.npy", "com_x.npy"]]) {
      expect(readFileSync(join(out, a!)).equals(readFileSync(join(dir, b!))), a).toBe(true);
    }
    expect(readFileSync(join(out, "bf.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("send fails with a clear error when no receiver takes the blocks", () => {
    const data = join(dir, "small.npy");
    expect(stem4d("simulate", "-o", data, "--scan", "4,4", "--detector", "16,16", "-q").status).toBe(0);
    const r = stem4d("stream", "send", data, "--to", "tcp://127.0.0.1:9", "--timeout", "1", "--hwm", "1", "--block-frames", "1", "-q");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stem4d stream send: error: tcp:\/\/127\.0\.0\.1:9: no receiver took block \d+ \(frames \d+-\d+\) within 1 s/);
  });
});
