// A self-contained HTML report: one file, SVG figures inline and PNG images as data: URIs, no scripts, no external
// styles, so it opens anywhere and can be mailed or archived as it is. A report is a title and a list of sections; analyses add
// their own sections (the Fourier analysis adds its figures the same way the clustering does).
import { dataUri, escapeHtml } from "./markup.js";

export interface ReportFigure {
  /** A PNG (bytes, shown at half its pixel size: figures are drawn at 2x density) or SVG (markup, inlined). */
  png?: Uint8Array;
  svg?: string;
  caption?: string;
  /** Display width in CSS pixels (default: the image's own). */
  width?: number;
  /** A colour swatch drawn before the caption (e.g. a cluster's map colour), as CSS. */
  swatch?: string;
}

export interface ReportSection {
  title: string;
  /** Anchor id (default: from the title). */
  id?: string;
  /** Plain text paragraphs (escaped). */
  text?: string[];
  /** Key/value rows or a table with a header (values escaped). */
  table?: { head?: string[]; rows: (string | number)[][] };
  figures?: ReportFigure[];
  /** Figures per row (default: as many as fit at their own sizes). */
  columns?: number;
  /** Sub-sections, rendered inside this one. */
  sections?: ReportSection[];
}

export interface ReportDocument {
  title: string;
  subtitle?: string;
  sections: ReportSection[];
}

export function renderReport(doc: ReportDocument): string {
  const toc = doc.sections.map((s) => `<a href="#${anchor(s)}">${escapeHtml(s.title)}</a>`).join(" · ");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1280px;padding:0 16px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin-top:20px}.sub{color:#666;margin-top:0}nav{font-size:13px;margin:8px 0 16px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.grid{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}figure{margin:0}figure img,figure svg{image-rendering:pixelated;max-width:100%;height:auto;display:block}
figcaption{font-size:13px;color:#444;margin-top:2px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;border:1px solid #999;vertical-align:middle}
</style></head><body>
<h1>${escapeHtml(doc.title)}</h1>${doc.subtitle ? `<p class="sub">${escapeHtml(doc.subtitle)}</p>` : ""}
<nav>${toc}</nav>
${doc.sections.map((s) => section(s, 2)).join("\n")}
</body></html>
`;
}

function anchor(s: ReportSection): string {
  return s.id ?? s.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

function section(s: ReportSection, level: number): string {
  const out = [`<section id="${escapeHtml(anchor(s))}"><h${level}>${escapeHtml(s.title)}</h${level}>`];
  for (const p of s.text ?? []) out.push(`<p>${escapeHtml(p)}</p>`);
  if (s.table) {
    const head = s.table.head ? `<tr>${s.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>` : "";
    const rows = s.table.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 && !s.table!.head ? `<th>${escapeHtml(String(c))}</th>` : `<td>${escapeHtml(String(c))}</td>`)).join("")}</tr>`).join("");
    out.push(`<table>${head}${rows}</table>`);
  }
  if (s.figures?.length) {
    const style = s.columns ? ` style="display:grid;grid-template-columns:repeat(${s.columns}, max-content)"` : "";
    out.push(`<div class="grid"${style}>${s.figures.map(figure).join("")}</div>`);
  }
  for (const sub of s.sections ?? []) out.push(section(sub, Math.min(6, level + 1)));
  out.push("</section>");
  return out.join("\n");
}

function figure(f: ReportFigure): string {
  const swatch = f.swatch ? `<span class="sw" style="background:${escapeHtml(f.swatch)}"></span>` : "";
  const caption = f.caption || swatch ? `<figcaption>${swatch}${escapeHtml(f.caption ?? "")}</figcaption>` : "";
  const style = f.width ? ` style="width:${f.width}px"` : "";
  if (f.svg !== undefined) return `<figure${style}>${f.svg}${caption}</figure>`;
  const src = f.png ? dataUri("image/png", f.png) : "";
  const shown = f.width ?? (f.png ? pngWidth(f.png) / 2 : 0);
  const width = shown > 0 ? ` width="${shown}"` : "";
  return `<figure><img src="${src}"${width} alt="${escapeHtml(f.caption ?? "")}">${caption}</figure>`;
}

/** The width in pixels a PNG's header gives. */
function pngWidth(png: Uint8Array): number {
  return png.length >= 24 ? new DataView(png.buffer, png.byteOffset, png.length).getUint32(16) : 0;
}

