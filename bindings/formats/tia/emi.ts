// The .emi file TIA writes beside its .ser files: binary, with one XML <ObjectInfo> document per data object
// (object k describes "<name>_<k+1>.ser"). Kept as metadata: a small XML reader turns elements into nested objects
// (repeated names become lists); the ExperimentalDescription's Label/Value/Unit rows become "Label (Unit)": value.

/** The XML documents in an .emi file, in order. */
export function emiObjects(bytes: Uint8Array): string[] {
  const text = new TextDecoder("latin1").decode(bytes);
  const out: string[] = [];
  for (let from = 0; ;) {
    const a = text.indexOf("<ObjectInfo>", from);
    if (a < 0) break;
    const b = text.indexOf("</ObjectInfo>", a);
    if (b < 0) break;
    out.push(text.slice(a, b + "</ObjectInfo>".length));
    from = b;
  }
  return out;
}

type Xml = string | { [name: string]: Xml | Xml[] };

const MAX_DEPTH = 64;

/** Elements with text become strings, others objects; attributes, comments and declarations are ignored. */
export function parseXml(xml: string): Xml {
  const tags = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
  const stack: { name: string; kids: [string, Xml][]; text: string }[] = [{ name: "", kids: [], text: "" }];
  let last = 0;
  for (let m = tags.exec(xml); m; m = tags.exec(xml)) {
    stack.at(-1)!.text += xml.slice(last, m.index);
    last = tags.lastIndex;
    if (!m[2]) continue; // comment or declaration
    if (m[1]) {
      const done = stack.pop()!;
      if (done.name !== m[2] || stack.length === 0) throw new Error(`XML: </${m[2]}> closes <${done.name}>`);
      stack.at(-1)!.kids.push([done.name, finish(done)]);
    } else if (m[3]) {
      stack.at(-1)!.kids.push([m[2], ""]);
    } else {
      if (stack.length > MAX_DEPTH) throw new Error(`XML: elements nested deeper than ${MAX_DEPTH}`);
      stack.push({ name: m[2], kids: [], text: "" });
    }
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack.at(-1)!.name}> is never closed`);
  return finish(stack[0]!);
}

function finish(e: { name: string; kids: [string, Xml][]; text: string }): Xml {
  if (e.kids.length === 0) return unescape(e.text.trim());
  if (e.name === "ExperimentalDescription") return experimental(e.kids);
  const out: { [name: string]: Xml | Xml[] } = {};
  for (const [k, v] of e.kids) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** <Root><Data><Label/><Value/><Unit/></Data>...</Root> as { "Label (Unit)": value }. */
function experimental(kids: [string, Xml][]): Xml {
  const root = kids.find(([k]) => k === "Root")?.[1];
  const rows = typeof root === "object" ? root.Data : undefined;
  const out: { [name: string]: Xml } = {};
  for (const row of Array.isArray(rows) ? rows : rows ? [rows] : []) {
    if (typeof row !== "object" || Array.isArray(row)) continue;
    const label = typeof row.Label === "string" ? row.Label : "", unit = typeof row.Unit === "string" ? row.Unit : "";
    if (label) out[unit ? `${label} (${unit})` : label] = typeof row.Value === "string" ? row.Value : "";
  }
  return out;
}

function unescape(s: string): string {
  const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'" };
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => named[e]!);
}
