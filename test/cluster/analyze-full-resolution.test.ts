// analyze on a detector above 96 x 96 with --bin 1: the report's Fourier section sums its spectrum and Bragg maps
// over a binned detector (a few passes instead of dozens) and says so; the CBED patterns stay at full resolution.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliBuilt, stem4d } from "../helpers/cli.js";

describe.skipIf(!cliBuilt)("stem4d analyze --bin 1 on a large detector", () => {
  it("takes the report's power spectrum from the detector binned to at most 96 x 96 and says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "stem4d-analyze-full-"));
    const data = join(dir, "sim.npy"), out = join(dir, "analysis");
    const s = stem4d("simulate", "-o", data, "--scan", "12,10", "--detector", "150,150", "--seed", "2", "-q");
    expect(s.status, s.stderr).toBe(0);
    const r = stem4d("analyze", data, "-o", out, "--bin", "1", "--components", "8", "--k", "4", "--cuts", "2", "--replicates", "2", "-q", "--json");
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.analysed).toMatchObject({ shape: [12, 10, 150, 150], bin: 1 });
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("sum over the detector binned 2 x 2 (75 x 75 pixels)");
    expect(html).toContain("CBED amplitude");
  }, 120_000);
});
