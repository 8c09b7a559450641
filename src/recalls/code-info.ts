/**
 * @module What a recall's free-text `code_info` (and product description) lists: lot numbers, serial
 * numbers and serial ranges, model, catalog and part numbers, UDI device identifiers, and whether it
 * says every unit is affected. FDA prints these as prose ("Lot #978933 & 978934", "Serial Numbers:
 * RRFK00036 - RRFK00128.", "Model numbers 1818363 and 1818454", one per line …), so this is a careful
 * heuristic: a value must contain a digit, and lists stop at the next label or sentence.
 */

export interface CodeInfo {
  lots: string[];
  serials: string[];
  /** Inclusive ranges of serials sharing a prefix: RRFK00036 – RRFK00128. */
  serialRanges: { from: string; to: string }[];
  models: string[];
  /** UDI-DIs or GTINs written in the text. */
  dis: string[];
  /** "All lots", "all serial numbers", "all units": every unit of the product is affected. */
  allUnits: boolean;
}

type Kind = 'lot' | 'serial' | 'model' | 'di';

// A label word must end there ("LOT000001" is a value, not the label "LOT"); "cat." carries its dot.
const LABEL =
  /\b(?:(lots?|batch(?:es)?)|(serials?)|(models?|catalog(?:ue)?s?|cat\.|parts?|ref\.|ref|reference|list|items?|products?)|(udi[- ]?dis?|udis?|gtins?|primary di|device identifiers?))(?![A-Za-z0-9])(?:\s*(?:numbers?|nos?\.?|no\.|#|codes?))?\s*(?:\(s\))?\s*[:#.]?\s*/gi;

const TOKEN = /[A-Z0-9][A-Z0-9\-./]*[A-Z0-9]|[0-9]/gi;

/** A normalised serial/lot/model token for comparison: upper case, no separators. */
export const codeKey = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

function splitRange(a: string, b: string): { from: string; to: string } | null {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (!ma || !mb || ma[1] !== mb[1]) return null;
  return Number(ma[2]) <= Number(mb[2]) ? { from: a, to: b } : null;
}

export function parseCodeInfo(...texts: (string | null | undefined)[]): CodeInfo {
  const out: CodeInfo = { lots: [], serials: [], serialRanges: [], models: [], dis: [], allUnits: false };
  const text = texts.filter(Boolean).join('\n');
  if (!text) return out;
  if (/\ball\s+(?:lots|serial|units|devices|software|products|codes)\b/i.test(text)) out.allUnits = true;
  const labels = [...text.matchAll(LABEL)];
  for (let n = 0; n < labels.length; n++) {
    const m = labels[n]!;
    const kind: Kind = m[1] ? 'lot' : m[2] ? 'serial' : m[3] ? 'model' : 'di';
    const start = m.index + m[0].length;
    const end = n + 1 < labels.length ? labels[n + 1]!.index : text.length;
    // A list ends at a sentence: ". " followed by a capitalised word that is not a value.
    let segment = text.slice(start, end);
    const stop = /\.\s+(?=[A-Z][a-z])|;\s*(?=[A-Z][a-z])/.exec(segment);
    if (stop) segment = segment.slice(0, stop.index);
    const tokens = [...segment.matchAll(TOKEN)].map((t) => t[0]);
    const values: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!/\d/.test(t) || t.length > 40) continue;
      // "A - B", "A through B", "A to B": a range when both ends share a prefix.
      const between = segment.slice(segment.indexOf(t) + t.length);
      const next = tokens[i + 1];
      if (kind === 'serial' && next && /^\s*(?:-|–|through|thru|to)\s*/i.test(between)) {
        const r = splitRange(t, next);
        if (r) {
          out.serialRanges.push(r);
          i++;
          continue;
        }
      }
      values.push(t.replace(/\.$/, ''));
    }
    const list =
      kind === 'lot' ? out.lots : kind === 'serial' ? out.serials : kind === 'model' ? out.models : out.dis;
    for (const v of values) if (!list.includes(v)) list.push(v);
  }
  // DIs written without a label: 14-digit GTINs.
  for (const g of text.matchAll(/\b\d{14}\b/g)) if (!out.dis.includes(g[0])) out.dis.push(g[0]);
  return out;
}

/** Is this serial (or lot) listed, or inside a listed range? */
export function listsCode(
  values: readonly string[],
  ranges: readonly { from: string; to: string }[],
  code: string,
): boolean {
  const key = codeKey(code);
  if (!key) return false;
  if (values.some((v) => codeKey(v) === key)) return true;
  for (const r of ranges) {
    const mf = /^(.*?)(\d+)$/.exec(r.from);
    const mt = /^(.*?)(\d+)$/.exec(r.to);
    const mc = /^(.*?)(\d+)$/.exec(code.trim());
    if (!mf || !mt || !mc) continue;
    if (codeKey(mc[1]!) !== codeKey(mf[1]!)) continue;
    const v = Number(mc[2]);
    if (v >= Number(mf[2]) && v <= Number(mt[2])) return true;
  }
  return false;
}
