// The library's API under Node, Deno and Bun (the npm packages `deno` and `bun` bring their binaries): one bundle of
// test/runtimes/fixtures/library.ts (virtual detector, COM, counting, lossless and events encode/decode, a short
// PCA, and the stream's edge side) run by each runtime; the outputs (CRC-32Cs of every array, the thresholds, the
// eigenvalues) must be the same to the last bit. Chromium runs the stream's edge side in stream-browser.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleFixture, repoRoot as root } from "../helpers/web-bundle.js";

const bin = (name: string) => join(root, "node_modules", ".bin", name);
const runtimes: [string, string[]][] = [
  ["node", [process.execPath]],
  ["deno", [bin("deno"), "run", "--allow-read"]],
  ["bun", [bin("bun")]],
];
const missing = runtimes.filter(([, cmd]) => !existsSync(cmd[0]!)).map(([n]) => n);
let dir = "";

describe.skipIf(missing.length > 0 || !existsSync(join(root, "build/stem4d.simd.wasm")))(`the library under Node, Deno and Bun${missing.length ? ` (missing: ${missing.join(", ")}; npm install)` : ""}`, () => {
  beforeAll(async () => {
    dir = await bundleFixture("test/runtimes/fixtures/library.ts", "library");
    writeFileSync(join(dir, "run.mjs"), `import { runLibrary } from "./out/library.js";\nconsole.log(JSON.stringify(await runLibrary()));\n`);
  }, 120_000);

  it("gives the same outputs, bit for bit, in every runtime", () => {
    const outputs = runtimes.map(([name, cmd]) => {
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), join(dir, "run.mjs")], { encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      return [name, JSON.parse(r.stdout.trim().split("\n").pop()!)] as const;
    });
    const [, node] = outputs[0]!;
    for (const [name, out] of outputs.slice(1)) {
      // The eigenvalues are float64 from the small eigen-solver in JS (bindings/linalg.ts), which rotates with
      // Math.hypot: V8 and JavaScriptCore (Bun) implement it differently (V8 scales and sums, JSC calls libm's
      // hypot), so Bun's eigenvalues may differ in the last bits. Everything from the WASM kernels, the f32
      // components and scores included, is identical; the eigenvalues must agree to 1e-13 relative.
      const eig = (o: typeof node) => o.pca.eigenvalues as number[];
      eig(out).forEach((v, i) => expect(Math.abs(v / eig(node)[i]! - 1), `${name} eigenvalue ${i}`).toBeLessThan(1e-13));
      expect({ ...out, pca: { ...out.pca, eigenvalues: null } }, name).toEqual({ ...node, pca: { ...node.pca, eigenvalues: null } });
      if (name === "deno") expect(eig(out)).toEqual(eig(node)); // V8 too: bit for bit
    }
    expect(node.counting.electrons).toBeGreaterThan(50);
    expect(Object.keys(node.stream)).toEqual(["raw", "lossless", "events", "pca"]);
  }, 300_000);
});
