// Saving from the page: any view as PNG (the canvas as drawn), the arrays behind the views as .npy, and the
// pipeline's self-contained report.html (the same page `stem4d analyze` writes).
import { encodeNpy } from "../bindings/npy.js";
import { analyzeReport } from "../bindings/figures/report-analyze.js";
import type { AnalyzeResult } from "../bindings/analyses/analyze.js";

/** Offers `parts` to the user as a download called `name`. */
export function download(parts: BlobPart[], name: string, type: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function savePng(canvas: HTMLCanvasElement, name: string): Promise<void> {
  return new Promise((ok, fail) => canvas.toBlob((blob) => {
    if (!blob) return fail(new Error(`${name}: the view could not be encoded as PNG`));
    download([blob], name, "image/png");
    ok();
  }, "image/png"));
}

export function saveNpy(values: Float32Array | Int32Array, shape: readonly number[], name: string): void {
  const bytes = encodeNpy(values, values instanceof Float32Array ? "f32" : "i32", shape);
  download([Uint8Array.from(bytes)], name, "application/octet-stream");
}

export async function saveReport(r: AnalyzeResult, source: string): Promise<void> {
  download([await analyzeReport(r, { source })], "report.html", "text/html");
}
