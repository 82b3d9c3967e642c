// Writes FEI/Thermo TIA .ser series from the format description, for the reader's tests and benchmark: the header,
// dimension arrays, 2-D elements (calibration, data type, size, pixels) each followed by its tag, the offset arrays
// last. Elements can be spaced irregularly (gap), the series cut short of its total (a stopped scan).

export interface SerSpec {
  version?: 0x210 | 0x220; dataType: number; size: number; sx: number; sy: number; frames: Uint8Array[];
  dims: { size: number; delta: number; units: string; description: string }[]; total?: number;
  positions?: [number, number][]; gap?: (k: number) => number;
}

class Parts {
  chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void { this.chunks.push(b); this.length += b.length; }
  num(v: number, size: 2 | 4 | 8, float = false): void {
    const b = new Uint8Array(size), dv = new DataView(b.buffer);
    if (float) dv.setFloat64(0, v, true);
    else if (size === 8) dv.setBigUint64(0, BigInt(v), true);
    else if (size === 4) dv.setUint32(0, v, true);
    else dv.setUint16(0, v, true);
    this.bytes(b);
  }
  text(s: string): void { this.num(s.length, 4); this.bytes(new TextEncoder().encode(s)); }
  join(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}

export function serFile(s: SerSpec): Uint8Array {
  const version = s.version ?? 0x220, wide = version === 0x220, w = wide ? 8 : 4, total = s.total ?? s.frames.length;
  const tagType = s.positions ? 0x4142 : 0x4152;
  const p = new Parts();
  p.num(0x4949, 2); p.num(0x0197, 2); p.num(version, 2); p.num(0x4122, 4); p.num(tagType, 4);
  p.num(total, 4); p.num(s.frames.length, 4);
  const offsetField = p.chunks.length;
  p.num(0, w); p.num(s.dims.length, 4);
  for (const d of s.dims) {
    p.num(d.size, 4); p.num(0, 8, true); p.num(d.delta, 8, true); p.num(0, 4);
    p.text(d.description); p.text(d.units);
  }
  const dataOffsets: number[] = [], tagOffsets: number[] = [];
  s.frames.forEach((f, k) => {
    const gap = s.gap?.(k) ?? 0;
    if (gap) p.bytes(new Uint8Array(gap).fill(0xee));
    dataOffsets.push(p.length);
    p.num(0, 8, true); p.num(0.5, 8, true); p.num(0, 4); p.num(0, 8, true); p.num(0.25, 8, true); p.num(0, 4);
    p.num(s.dataType, 2); p.num(s.sx, 4); p.num(s.sy, 4); p.bytes(f);
    tagOffsets.push(p.length);
    p.num(tagType, 2); p.num(0, 2); p.num(k, 4);
    if (s.positions) { p.num(s.positions[k]![0], 8, true); p.num(s.positions[k]![1], 8, true); }
  });
  const offsetArrays = p.length;
  for (const offs of [dataOffsets, tagOffsets]) for (let k = 0; k < total; k++) p.num(offs[k] ?? 0, w);
  const field = p.chunks[offsetField]!, dv = new DataView(field.buffer);
  if (wide) dv.setBigUint64(0, BigInt(offsetArrays), true); else dv.setUint32(0, offsetArrays, true);
  return p.join();
}
