// Text for HTML and SVG figures that runs in Node and in browsers: escaping, base64 and data: URIs.

/** The text with &, <, >, " and ' escaped for HTML and SVG. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A data: URI of some bytes (base64), without Node's Buffer so it runs in browsers too. */
export function dataUri(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${base64(bytes)}`;
}

const BASE64 = new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

/** Standard base64 (RFC 4648, with padding), written as bytes and decoded once: building the string through
 * String.fromCharCode and btoa took about a second for a full-resolution report's figures. */
export function base64(bytes: Uint8Array): string {
  const n = bytes.length, out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64[v >> 18]!; out[o++] = BASE64[(v >> 12) & 63]!; out[o++] = BASE64[(v >> 6) & 63]!; out[o++] = BASE64[v & 63]!;
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    out[o++] = BASE64[v >> 18]!; out[o++] = BASE64[(v >> 12) & 63]!;
    out[o++] = i + 1 < n ? BASE64[(v >> 6) & 63]! : 61; // "="
    out[o++] = 61;
  }
  return new TextDecoder().decode(out);
}
