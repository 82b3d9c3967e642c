// The explorer's plain logic, in Node: which file of a chosen set is opened and how its companions are found, and
// which detector radii make a detector.
import { describe, expect, it } from "vitest";
import { chosenFile, fileSetContext, mainFile } from "../../web/files.js";
import { detectorProblem } from "../../web/detector.js";
import { paintStroke } from "../../web/mask-brush.js";
import { fillPolygon } from "../../web/mask-polygon.js";
import { Rng } from "../../bindings/simulate.js";
import { dragRunOptions } from "../../web/loaded.js";
import { Core, annulusMask, residentDataset, runReduction, virtualImages } from "../../bindings/node.js";
import { randomArray } from "../helpers/data.js";

const file = (name: string, size: number) => new File([new Uint8Array(size)], name);

describe("choosing the main file of a set", () => {
  it("opens the master, the .mib, the .emi and the .mrc, whatever their sizes, not their companions", () => {
    const sets: [File[], string][] = [
      [[file("a_data_000001.h5", 900), file("a.h5", 5), file("a_master.h5", 10)], "a_master.h5"],
      [[file("scan.hdr", 2000), file("scan.mib", 100)], "scan.mib"],
      [[file("x_1.ser", 900), file("x.emi", 10)], "x.emi"],
      [[file("movie.mrc", 10), file("scan.csv", 900)], "movie.mrc"],
      [[file("e.raw", 900), file("e.xml", 1)], "e.xml"],
      [[file("small.npy", 1), file("big.npy", 9)], "big.npy"],
    ];
    for (const [set, want] of sets) expect(mainFile(set).name).toBe(want);
  });

  it("finds siblings by their base name and names the missing one and the main file", async () => {
    const set = [file("a_master.h5", 10), file("a_data_000001.h5", 3)].map(chosenFile);
    const ctx = fileSetContext(set, set[0]!);
    expect((await ctx.sibling("./sub/a_data_000001.h5")).size).toBe(3);
    await expect(ctx.sibling("a_data_000002.h5")).rejects.toThrow(
      "a_data_000002.h5: not among the files opened; choose it together with a_master.h5");
    expect(await ctx.siblingNames!()).toEqual(["a_master.h5", "a_data_000001.h5"]);
  });
});

describe("detector radii", () => {
  it("accept a disk and an annulus and name what is wrong otherwise", () => {
    expect(detectorProblem({ cy: 1, cx: 1, inner: 0, outer: 3 })).toBeUndefined();
    expect(detectorProblem({ cy: 1, cx: 1, inner: 2, outer: 3 })).toBeUndefined();
    expect(detectorProblem({ cy: 1, cx: 1, inner: 4, outer: 3 }))
      .toBe("inner radius 4 must be smaller than the outer radius 3");
    expect(detectorProblem({ cy: 1, cx: 1, inner: 0, outer: 0 })).toBe("outer radius 0 must be larger than 0");
    expect(detectorProblem({ cy: 1, cx: 1, inner: -1, outer: 2 })).toBe("inner radius -1 is negative");
    expect(detectorProblem({ cy: 1, cx: 1, inner: NaN, outer: 2 })).toBe("the radii must be numbers");
  });
});

describe("the mask brush", () => {
  it("paints the capsule around a stroke (every pixel within the radius of the segment) and erases it again", () => {
    const rows = 12, cols = 32, mask = new Float32Array(rows * cols);
    expect(paintStroke(mask, rows, cols, { y: 5, x: 4 }, { y: 5, x: 26 }, 2, 1)).toBeGreaterThan(0);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const nearest = Math.min(26, Math.max(4, c)), inside = Math.hypot(r - 5, c - nearest) <= 2;
        expect(mask[r * cols + c], `pixel (${r}, ${c})`).toBe(inside ? 1 : 0);
      }
    }
    // Off the detector: clipped, no error.
    paintStroke(mask, rows, cols, { y: -3, x: -3 }, { y: 0, x: 0 }, 1, 1);
    expect(mask[0]).toBe(1);
    paintStroke(mask, rows, cols, { y: 5, x: 0 }, { y: 5, x: 31 }, 20, 0);
    expect(mask.every((w) => w === 0)).toBe(true);
  });
});

describe("the drag's scheduling", () => {
  it("gives resident frames one block of two tiles per worker, and the same image as other tiles", async () => {
    const core = await Core.create({ workers: 2 });
    try {
      const shape = [20, 30, 24, 24], frames = 600;
      const held = residentDataset(core, randomArray("u16", frames * 24 * 24, 7) as Uint16Array, shape);
      expect(dragRunOptions(core, held)).toEqual({ blockBytes: frames * 24 * 24 * 2, tileFrames: 150 });
      const masks = [annulusMask(24, 24, { cy: 11.5, cx: 12 }, 3, 9)];
      const dragged = await runReduction(core, held, virtualImages(masks), dragRunOptions(core, held));
      const small = { tileFrames: 7, blockBytes: 24 * 24 * 2 * 21 };
      const plain = await runReduction(core, held, virtualImages(masks), small);
      expect(Array.from(dragged.images[0]!)).toEqual(Array.from(plain.images[0]!));
      const elsewhere = await Core.create({ workers: 0 });
      expect(dragRunOptions(elsewhere, held)).toEqual({});
      await elsewhere.close();
      await held.source.close?.();
    } finally {
      await core.close();
    }
  });
});

describe("the mask polygon", () => {
  it("fills the pixels whose centres are inside, as the even-odd ray test says, and erases them again", () => {
    const rows = 20, cols = 24, rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const corners = Array.from({ length: 3 + (trial % 6) }, () => ({ y: rng.next() * 26 - 3, x: rng.next() * 30 - 3 }));
      const mask = new Float32Array(rows * cols);
      fillPolygon(mask, rows, cols, corners, 1);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          let inside = false; // PNPOLY: count the edges crossed by a ray to the right
          for (let i = 0, j = corners.length - 1; i < corners.length; j = i++) {
            const a = corners[i]!, b = corners[j]!;
            if ((a.y > r) !== (b.y > r) && c < ((b.x - a.x) * (r - a.y)) / (b.y - a.y) + a.x) inside = !inside;
          }
          expect(mask[r * cols + c], `trial ${trial}, pixel (${r}, ${c})`).toBe(inside ? 1 : 0);
        }
      }
      fillPolygon(mask, rows, cols, corners, 0);
      expect(mask.every((w) => w === 0)).toBe(true);
    }
  });

  it("fills a rectangle between pixel centres exactly, and nothing for fewer than 3 corners", () => {
    const mask = new Float32Array(12 * 12);
    const box = [{ y: 2.5, x: 3.5 }, { y: 2.5, x: 9.5 }, { y: 7.5, x: 9.5 }, { y: 7.5, x: 3.5 }];
    expect(fillPolygon(mask, 12, 12, box, 1)).toBe(5 * 6);
    for (let r = 0; r < 12; r++) {
      for (let c = 0; c < 12; c++) expect(mask[r * 12 + c]).toBe(r >= 3 && r <= 7 && c >= 4 && c <= 9 ? 1 : 0);
    }
    expect(fillPolygon(mask, 12, 12, box.slice(0, 2), 0)).toBe(0);
  });
});
