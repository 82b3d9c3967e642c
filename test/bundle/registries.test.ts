// The reader and writer lists are plain data: importing an entry point gives every format without relying on
// module side effects (which bundlers drop under "sideEffects": false), and a caller can pass a list of its own.
import { describe, expect, it } from "vitest";
import * as browserEntry from "../../bindings/index.js";
import * as nodeEntry from "../../bindings/node.js";
import { writerFor, writeDataset, type DatasetWriter, type WriterFormat } from "../../bindings/writers/index.js";
import { memoryDataset, npyHeader, type FormatReader } from "../../bindings/index.js";
import { bufferByteSource } from "../../bindings/sources.js";

/** The exports of a module that look like readers (or writers): a name, extensions and open (or create). */
function exported(entry: Record<string, unknown>, method: "open" | "create"): unknown[] {
  return Object.values(entry).filter((v) => {
    const x = v as { name?: unknown; extensions?: unknown } & Record<string, unknown>;
    return typeof x === "object" && x !== null && typeof x.name === "string" && Array.isArray(x.extensions) &&
      typeof x[method] === "function";
  });
}

function npyBytes(values: Uint8Array, shape: number[]): Uint8Array {
  const head = npyHeader("u8", shape);
  const out = new Uint8Array(head.length + values.length);
  out.set(head);
  out.set(values, head.length);
  return out;
}

const noSiblings = async (rel: string) => { throw new Error(`${rel}: no siblings here`); };

describe("reader lists", () => {
  it("each entry lists every reader it exports; the Node entry adds HDF5 after the isomorphic ones", () => {
    const readers = exported(browserEntry, "open");
    expect(readers.length).toBeGreaterThanOrEqual(8);
    expect(new Set(browserEntry.formats())).toEqual(new Set(readers));
    expect(browserEntry.readers).toBe(browserEntry.formats());
    expect(new Set(nodeEntry.formats())).toEqual(new Set(exported(nodeEntry, "open")));
    expect(nodeEntry.formats().map((r) => r.name)).toEqual([...browserEntry.readers.map((r) => r.name), "hdf5"]);
    expect(nodeEntry.nodeReaders).toBe(nodeEntry.formats());
    expect(Object.isFrozen(browserEntry.readers)).toBe(true);
  });

  it("every reader has a unique name and lower-case extensions with the dot", () => {
    const names = nodeEntry.nodeReaders.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of nodeEntry.nodeReaders) for (const e of r.extensions) expect(e).toMatch(/^\.[a-z0-9.]+$/);
  });

  it("opens .npy bytes with the default list, and with a caller's list only that list's readers", async () => {
    const bytes = npyBytes(Uint8Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i % 251), [2, 3, 4, 5]);
    const ctx = { bytes: bufferByteSource(bytes, "x.npy"), options: {}, sibling: noSiblings };
    expect((await browserEntry.openWithRegistry(ctx)).shape).toEqual([2, 3, 4, 5]);

    const opened: string[] = [];
    const mine: FormatReader = {
      name: "mine",
      extensions: [".npy"],
      async open(c) { opened.push(c.bytes.name); return memoryDataset(new Uint8Array(4), [1, 1, 2, 2], "mine"); },
    };
    const ds = await browserEntry.openWithRegistry({ ...ctx, options: { readers: [mine] } });
    expect([ds.shape, opened]).toEqual([[1, 1, 2, 2], ["x.npy"]]);
    await expect(browserEntry.openWithRegistry({ ...ctx, options: { readers: [] } }))
      .rejects.toThrow(/x\.npy: unknown format \(known: \)/);
  });
});

describe("writer lists", () => {
  it("the Node entry lists every writer it exports", () => {
    expect(nodeEntry.writerFormats().map((w) => w.name)).toEqual(["npy", "emd", "zarr", "s4d"]);
    expect(new Set(nodeEntry.writers)).toEqual(new Set(exported(nodeEntry, "create")));
    expect(writerFor("a/b.ZARR/").name).toBe("zarr");
  });

  it("a caller's list: picked by extension, fed every frame in order", async () => {
    const got: number[] = [];
    const memory: WriterFormat = {
      name: "memory",
      extensions: [".mem"],
      description: "frames into an array",
      async create(): Promise<DatasetWriter> {
        return { async write(block) { got.push(...block); }, async close() {} };
      },
    };
    expect(() => writerFor("out.mem")).toThrow(/out\.mem: cannot tell the output format/);
    expect(writerFor("out.mem", undefined, [memory])).toBe(memory);
    const values = Uint8Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => i);
    const r = await writeDataset(memoryDataset(values, [3, 2, 2, 2]), "out.mem", { writers: [memory], blockBytes: 8 });
    expect(r).toEqual({ format: "memory", frames: 6, bytes: 24 });
    expect(got).toEqual([...values]);
  });
});
