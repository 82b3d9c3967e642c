import { describe, it, expect } from "vitest";
import { linkage, leafOrder, cutHeight } from "../../bindings/analyses/hcluster.js";
import { dendrogramSvg } from "../../bindings/figures/dendrogram.js";
import { renderReport } from "../../bindings/figures/report.js";
import { dataUri } from "../../bindings/figures/markup.js";

describe("dendrogram SVG", () => {
  const C = [0, 1, 5, 6.5, 20, 40, 41];
  const l = linkage(C, 7, { method: "average" });

  it("draws one link per merge, leaves in SciPy's order, and a dashed line per cut at its height", () => {
    const svg = dendrogramSvg(l, { cuts: [3, 2], leafLabels: C.map((_, i) => `leaf${i}`), title: "a <title>" });
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.match(/<path d="M/g)).toHaveLength(6);
    const leaves = [...svg.matchAll(/>leaf(\d)</g)].map((m) => Number(m[1]));
    expect(leaves).toEqual(leafOrder(l));
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain("3 clusters");
    expect(svg).toContain("a &lt;title&gt;");
    // The cut lines sit between the merges: their y lies between the horizontal link heights around them.
    const ys = [...svg.matchAll(/<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="#c00"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    expect(ys[0]).toBeGreaterThan(ys[1]!); // the 3-cluster cut is lower (larger y) than the 2-cluster cut
    expect(cutHeight(l, 3)).toBeLessThan(cutHeight(l, 2));
  });

  it("colours the branches below the colour cut by group, the rest grey", () => {
    const svg = dendrogramSvg(l, { cuts: [2] });
    const strokes = [...svg.matchAll(/<path d="[^"]+" stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(strokes.filter((s) => s === "#555")).toHaveLength(1); // only the top merge is above the 2-cut
    expect(new Set(strokes.filter((s) => s !== "#555")).size).toBe(2);
  });
});

describe("HTML report", () => {
  it("inlines SVG figures and PNGs as data URIs (shown at half their pixel size), escapes text, renders extra sections", () => {
    const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3, 250]);
    const html = renderReport({
      title: "T & co",
      sections: [
        { title: "First", text: ["<b>not bold</b>"], figures: [{ png, caption: "a png" }, { svg: "<svg xmlns='http://www.w3.org/2000/svg'/>", caption: "an svg" }] },
        { title: "Fourier (extra)", table: { head: ["k", "v"], rows: [["a", 1]] }, sections: [{ title: "Sub", text: ["x"] }] },
      ],
    });
    expect(html).toContain("<title>T &amp; co</title>");
    expect(html).toContain("&lt;b&gt;not bold&lt;/b&gt;");
    expect(html).toContain(`src="${dataUri("image/png", png)}"`);
    expect(dataUri("image/png", png)).toBe(`data:image/png;base64,${Buffer.from(png).toString("base64")}`);
    expect(html).toContain("<figure><svg xmlns='http://www.w3.org/2000/svg'/><figcaption>an svg</figcaption></figure>");
    expect(html).toContain('<section id="fourier-extra"><h2>Fourier (extra)</h2>');
    expect(html).toContain("<h3>Sub</h3>");
    expect(html).toContain('<a href="#first">First</a>');
  });
});
