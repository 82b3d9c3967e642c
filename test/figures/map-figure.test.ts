// Map figures: the colour bar says the values (ticks where the stretch puts them), signed maps are centred at zero,
// phases are cyclic, the scale bar is as long as the calibration says, PNGs are drawn at 2x and carry their text.
import { describe, expect, it } from "vitest";
import { frequencyStep, niceLength, pixelSize, unitName } from "../../bindings/figures/calibration.js";
import { DENSITY, figureSheet, layoutRaster, layoutSvg, type FigureLayout, type Mark } from "../../bindings/figures/figure-layout.js";
import { formatValue, mapFigureLayout, mapFigurePng, niceTicks, type MapFigure } from "../../bindings/figures/map-figure.js";
import { textWidth } from "../../bindings/figures/bitmap-font.js";
import { colorOf } from "../../bindings/png.js";
import { hasPython, runPython } from "../helpers/python.js";

const group = (f: FigureLayout, role: string) => f.groups.find((g) => g.role === role)!;
const marks = <T extends Mark["type"]>(f: FigureLayout, role: string, type: T) =>
  group(f, role).marks.filter((m): m is Extract<Mark, { type: T }> => m.type === type);
const ramp = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe("map figures", () => {
  const base: MapFigure = { values: ramp(12 * 10, 0, 119), rows: 12, cols: 10, title: "ramp", units: "counts", space: "scan" };

  it("embeds one pixel per value, shown as whole device pixels per value at least the requested size", () => {
    const f = mapFigureLayout({ ...base, range: [0, 119] });
    const [img] = marks(f, "map", "image");
    expect([img!.image.width, img!.image.height]).toEqual([10, 12]);
    const per = Math.ceil((DENSITY * 320) / 12); // 54 device pixels per map pixel
    expect([img!.w * DENSITY, img!.h * DENSITY]).toEqual([10 * per, 12 * per]);
    expect(Math.max(img!.w, img!.h)).toBeGreaterThanOrEqual(320);
    // The PNG back end fills each value's block of device pixels with the value's pixel, nothing smoothed (inside
    // the frame's line, which covers the outermost device pixels).
    const r = layoutRaster(f), px = new Uint32Array(r.rgba.buffer), src = new Uint32Array(img!.image.rgba.buffer);
    const x0 = Math.round(img!.x * DENSITY), y0 = Math.round(img!.y * DENSITY);
    let wrong = 0;
    for (let y = 1; y < 12 * per - 1; y++) {
      for (let x = 1; x < 10 * per - 1; x++) if (px[(y0 + y) * r.width + x0 + x] !== src[Math.floor(y / per) * 10 + Math.floor(x / per)]) wrong++;
    }
    expect(wrong).toBe(0);
    expect(new Set(src).size).toBe(120); // the ramp's 120 values take 120 colours
  });

  it("puts colour-bar ticks where the stretch maps their values, ends included", () => {
    const f = mapFigureLayout({ ...base, range: [0, 100] });
    const [bar] = marks(f, "colorbar", "image");
    const ticks = marks(f, "colorbar", "rect").filter((r) => r.h === 1);
    const labels = marks(f, "colorbar", "text").filter((t) => t.text !== "counts").map((t) => t.text);
    expect(labels).toEqual(["0", "20", "40", "60", "80", "100"]);
    ticks.forEach((t, i) => expect(t.y + 0.5).toBeCloseTo(bar!.y + bar!.h * (1 - (20 * i) / 100), 6));
    expect(group(f, "colorbar").data).toMatchObject({ min: 0, max: 100, units: "counts", scale: "linear" });
  });

  it("centres signed maps at zero with a diverging map, and labels phases -pi..pi on a cyclic one", () => {
    const signed = mapFigureLayout({ ...base, values: ramp(120, -3, 7), kind: "signed" });
    const d = group(signed, "colorbar").data!;
    expect(d.colormap).toBe("coolwarm");
    expect(Number(d.min)).toBeCloseTo(-Number(d.max), 5);
    // Zero sits in the middle of the bar, in the map's neutral colour.
    const [bar] = marks(signed, "colorbar", "image");
    const zero = marks(signed, "colorbar", "text").find((t) => t.text === "0")!;
    expect(zero.y).toBeGreaterThan(bar!.y + bar!.h / 2 - 10);
    expect(zero.y).toBeLessThan(bar!.y + bar!.h / 2 + 10);
    const phase = mapFigureLayout({ ...base, values: ramp(120, -Math.PI, Math.PI), kind: "phase" });
    expect(group(phase, "colorbar").data!.colormap).toBe("twilight");
    expect(marks(phase, "colorbar", "text").map((t) => t.text).slice(-5)).toEqual(["−π", "−π/2", "0", "π/2", "π"]);
    expect(colorOf(0, "twilight")).toEqual(colorOf(1, "twilight")); // cyclic: -pi and pi look alike
  });

  it("draws a scale bar as long as the calibration says, or in pixels said plainly", () => {
    const cal = mapFigureLayout({ ...base, pixel: { step: 12.8, unit: "nm" } });
    const s = group(cal, "scalebar");
    const [rect] = marks(cal, "scalebar", "rect");
    const [img] = marks(cal, "map", "image");
    expect(s.data).toMatchObject({ unit: "nm", length: 20, calibrated: "yes" }); // a quarter of 128 nm, rounded down
    expect(rect!.w).toBeCloseTo((20 / 12.8) * (img!.w / 10), 6);
    expect(marks(cal, "scalebar", "text")[0]!.text).toBe("20 nm");
    const plain = mapFigureLayout(base);
    expect(marks(plain, "scalebar", "text")[0]!.text).toBe("2 scan px (no calibration)");
    expect(marks(plain, "scalebar", "rect")[0]!.w).toBeCloseTo(2 * (img!.w / 10), 6);
  });

  it("gives label maps a legend whose colours are the map's", () => {
    const colors: [number, number, number][] = [[10, 20, 30], [200, 100, 50], [0, 255, 0]];
    const f = mapFigureLayout({ ...base, values: Float32Array.from({ length: 120 }, (_, i) => i % 3), kind: "labels", labels: { colors, names: ["a", "b", "c"] } });
    const swatches = marks(f, "colorbar", "rect").map((r) => r.fill);
    expect(swatches).toEqual(colors);
    const raster = layoutRaster(f);
    const [img] = marks(f, "map", "image");
    for (let p = 0; p < 3; p++) { // map pixel p (row 0, col p) in the figure's raster
      const x = Math.round((img!.x + (p + 0.5) * (img!.w / 10)) * DENSITY), y = Math.round((img!.y + 2) * DENSITY);
      expect(Array.from(raster.rgba.subarray((y * raster.width + x) * 4, (y * raster.width + x) * 4 + 3))).toEqual(colors[p % 3]);
    }
  });

  it("writes PNGs at twice the layout's size, with the title drawn in dark pixels", async () => {
    const f = mapFigureLayout(base);
    const png = await mapFigurePng(base);
    const dv = new DataView(png.buffer, png.byteOffset);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([Math.ceil(f.width * 2), Math.ceil(f.height * 2)]);
    const r = layoutRaster(f), t = marks(f, "title", "text")[0]!;
    let dark = 0;
    for (let y = Math.round((t.y - 10) * 2); y < Math.round(t.y * 2); y++) {
      for (let x = Math.round(t.x * 2); x < Math.round((t.x + textWidth("ramp")) * 2); x++) if (r.rgba[(y * r.width + x) * 4]! < 100) dark++;
    }
    expect(dark).toBeGreaterThan(50);
  });

  it("writes SVG with one group per role, text as text, and escapes the title", async () => {
    const svg = await layoutSvg(mapFigureLayout({ ...base, title: "a < b" }));
    for (const role of ["title", "map", "colorbar", "scalebar"]) expect(svg).toContain(`<g class="${role}"`);
    expect(svg).toContain("<title>a &lt; b</title>");
    expect(svg).toContain('style="image-rendering:pixelated"');
  });

  it("lays several figures out as one sheet", () => {
    const f = mapFigureLayout(base);
    const sheet = figureSheet([f, f, f], "three", 2);
    expect([sheet.width, sheet.height]).toEqual([2 * f.width, 2 * f.height]);
    expect(sheet.groups.filter((g) => g.role === "map")).toHaveLength(3);
  });

  it("round ticks and labels", () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 12)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(niceTicks(-0.049, 0.049)).toEqual([-0.04, -0.02, 0, 0.02, 0.04]);
    expect(formatValue(-3)).toBe("−3");
    expect(formatValue(123456)).toBe("1.2e5");
    expect(niceLength(32)).toBe(20);
    expect(niceLength(0.07)).toBeCloseTo(0.05, 12);
  });
});

describe("calibration for scale bars", () => {
  it("reads the scan and detector pixel sizes, times the bin factors, in the usual spelling", () => {
    const cal = { axes: [{ step: 0.1268, unit: "nm" }, { step: 0.1268, unit: "nm" }, { step: 0.04425, unit: "A^-1" }, { step: 0.04425, unit: "A^-1" }] };
    expect(pixelSize(cal, [2, 3, 4, 5], "scan")).toEqual({ step: 0.1268, unit: "nm" });
    expect(pixelSize(cal, [2, 3, 4, 5], "detector", 2)).toEqual({ step: 0.0885, unit: "1/Å" });
    expect(pixelSize({ axes: [{}, {}, { step: 1, unit: "pixels" }, { step: 1, unit: "px" }] }, [2, 2, 4, 4], "detector")).toBeUndefined();
    expect(pixelSize(undefined, [2, 2, 4, 4], "scan")).toBeUndefined();
    expect(unitName("mrad")).toBe("mrad");
    expect(unitName("A")).toBe("Å");
    expect(frequencyStep({ step: 12.8, unit: "nm" }, 2)).toEqual({ step: 1 / 25.6, unit: "1/nm" });
  });
});

describe("figure PNG files", () => {
  it.skipIf(!hasPython(["numpy"]))("decode in Python to the raster drawn, and state 192 dpi (2x CSS pixels)", async () => {
    const f: MapFigure = { values: ramp(6, -1, 1), rows: 3, cols: 2, title: "tiny", kind: "signed", space: "scan" };
    const png = await mapFigurePng(f);
    const out = runPython(`
import sys, zlib, struct, numpy as np
d = sys.stdin.buffer.read(); i = 8; chunks = {}
while i < len(d):
    n, = struct.unpack(">I", d[i:i+4]); t = d[i+4:i+8].decode(); chunks.setdefault(t, b""); chunks[t] += d[i+8:i+8+n]; i += 12 + n
w, h = struct.unpack(">II", chunks["IHDR"][:8])
raw = np.frombuffer(zlib.decompress(chunks["IDAT"]), np.uint8).reshape(h, w * 4 + 1)
assert (raw[:, 0] == 0).all()
ppm = struct.unpack(">IIB", chunks["pHYs"])
print(w, h, ppm[0], ppm[2], int(raw[:, 1:].astype(np.int64).sum()))`, [], png);
    const r = layoutRaster(mapFigureLayout(f));
    const sum = r.rgba.reduce((a, b) => a + b, 0);
    expect(out.trim()).toBe(`${r.width} ${r.height} ${Math.round(192 / 0.0254)} 1 ${sum}`);
  });
});
