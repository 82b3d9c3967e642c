// The scree SVGs and the PNG grids: what they draw, not how it looks.
import { describe, expect, it } from "vitest";
import { screeSvg, scanGrid } from "../../bindings/index.js";

describe("scree plots", () => {
  const values = Array.from({ length: 40 }, (_, i) => 1e4 / (i + 1) ** 2);

  it("draws one marker per component, the chosen ones in colour, a dashed cut and decade ticks", () => {
    const svg = screeSvg(values, { chosen: 10, logX: false, title: "t" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<circle/g)).toHaveLength(40);
    expect(svg.match(/<circle[^>]*fill="#1f77b4"/g)).toHaveLength(10);
    expect(svg).toMatch(/stroke-dasharray/);
    expect(svg).toMatch(/>10 chosen</);
    for (const d of ["1e0", "1e1", "1e2", "1e3", "1e4"]) expect(svg).toContain(`>${d}<`);
  });

  it("puts components on a log axis in the log-log plot (1, 10 ticks) and stays valid for zeros", () => {
    const svg = screeSvg([5, 1, 0, 0], { logX: true });
    expect(svg).toMatch(/>1<\/text>/);
    expect(svg).toMatch(/component \(log scale\)/);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("positions: a larger eigenvalue is drawn higher", () => {
    const svg = screeSvg([100, 10, 1], {});
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[0]!).toBeLessThan(ys[1]!);
    expect(ys[1]!).toBeLessThan(ys[2]!);
  });
});

describe("PNG grids", () => {
  it("scan grids fold leading nav axes", () => {
    expect(scanGrid([7])).toEqual([1, 7]);
    expect(scanGrid([4, 5])).toEqual([4, 5]);
    expect(scanGrid([2, 3, 5])).toEqual([6, 5]);
  });
});
