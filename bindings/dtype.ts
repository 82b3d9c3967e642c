// The element types a dataset can hold, and what each needs from JS and from the WASM core.

export type Dtype = "u8" | "u16" | "u32" | "f32";
export const DTYPES: readonly Dtype[] = ["u8", "u16", "u32", "f32"];

export type TypedArrayOf = Uint8Array | Uint16Array | Uint32Array | Float32Array;

export function dtypeSize(d: Dtype): number {
  return d === "u8" ? 1 : d === "u16" ? 2 : 4;
}

/** The suffix the core's kernels carry for this dtype: `maskedSums` + `U16`. */
/** The suffix of a dtype's kernels: maskedSumsU16, pcaRowsF32, ... */
export type KernelSuffix = Uppercase<Dtype>;

export function kernelSuffix(d: Dtype): KernelSuffix {
  return d.toUpperCase() as KernelSuffix;
}

export function typedArray(d: Dtype, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArrayOf {
  switch (d) {
    case "u8": return new Uint8Array(buffer, byteOffset, length);
    case "u16": return new Uint16Array(buffer, byteOffset, length);
    case "u32": return new Uint32Array(buffer, byteOffset, length);
    case "f32": return new Float32Array(buffer, byteOffset, length);
  }
}

export function allocTyped(d: Dtype, length: number): TypedArrayOf {
  return typedArray(d, new ArrayBuffer(length * dtypeSize(d)), 0, length);
}

export function dtypeOf(a: TypedArrayOf): Dtype {
  if (a instanceof Uint8Array) return "u8";
  if (a instanceof Uint16Array) return "u16";
  if (a instanceof Uint32Array) return "u32";
  return "f32";
}

export function isDtype(s: string): s is Dtype {
  return (DTYPES as readonly string[]).includes(s);
}

/** Reverses the byte order of every `width`-byte element of `bytes` in place (big-endian files). */
export function byteswapInPlace(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  if (bytes.byteLength % width !== 0) throw new RangeError(`byteswap: ${bytes.byteLength} bytes is not a whole number of ${width}-byte elements`);
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
