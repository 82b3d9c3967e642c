// A small PNG decoder for tests (8-bit greyscale, RGB and RGBA, non-interlaced: what Chromium's screenshots and
// stem4d's figures are), to read rendered pixels back.
import { inflateSync } from "node:zlib";

export interface DecodedPng { width: number; height: number; rgba: Uint8Array }

export function decodePng(png: Uint8Array): DecodedPng {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = dv.getUint32(at), type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = dv.getUint32(at + 8);
      height = dv.getUint32(at + 12);
      const [depth, colorType, , , interlace] = data.subarray(8, 13);
      channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType!] ?? 0;
      if (depth !== 8 || !channels || interlace) throw new Error(`decodePng: unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${interlace})`);
    } else if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!, line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride), up = y ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0, b = up[i]!, c = i >= channels ? up[i - channels]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`decodePng: row ${y} has filter type ${filter}`);
      out[i] = (line[i]! + predictor) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let ch = 0; ch < 3; ch++) rgba[i * 4 + ch] = pixels[i * channels + (channels === 1 ? 0 : ch)]!;
    rgba[i * 4 + 3] = channels === 4 ? pixels[i * 4 + 3]! : 255;
  }
  return { width, height, rgba };
}
