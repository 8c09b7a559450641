/**
 * @module Zeek's ASCII (TSV) log format: the `#` header (separator, set separator, empty and unset
 * markers, path, field names and types), value unescaping (`\xHH`, `\\`) and typed conversion of one
 * data row. Pure: one line of text in, field values or a reason out; never throws.
 *
 * Values come out in the same JavaScript shape as Zeek's JSON writer gives them (`zeek-json.ts`), so the
 * record schemas do not care which format a log was written in: `time` as epoch seconds, `interval`,
 * `count`, `int`, `port` and `double` as numbers, `bool` as boolean, `set[…]`/`vector[…]` as arrays, and
 * the rest (`addr`, `subnet`, `string`, `enum`, `pattern` …) as text. An unset field is absent.
 * @see https://docs.zeek.org/en/master/logs/index.html (Zeek logs)
 * @see zeek/src/logging/writers/ascii/Ascii.cc and zeek/src/threading/formatters/Ascii.cc (writer, escaping)
 */

export interface ZeekTsvHeader {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path: string | null;
  fields: string[] | null;
  types: string[] | null;
}

export type ZeekValue = string | number | boolean | (string | number | boolean)[];
export type ZeekFields = Record<string, ZeekValue>;

export function defaultTsvHeader(): ZeekTsvHeader {
  return {
    separator: '\t',
    setSeparator: ',',
    emptyField: '(empty)',
    unsetField: '-',
    path: null,
    fields: null,
    types: null,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** `\xHH` → that byte (runs of them decoded together as UTF-8), `\\` → `\`; anything else kept. */
export function unescapeZeek(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += utf8.decode(new Uint8Array(bytes));
    bytes = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
      continue;
    }
    flush();
    if (c === '\\' && s[i + 1] === '\\') {
      out += '\\';
      i++;
    } else out += c;
  }
  flush();
  return out;
}

/**
 * Applies one `#` line to the header. Returns false when the line is not a header directive Vigil knows
 * (unknown directives such as a future `#meta` are ignored by the caller).
 */
export function applyHeaderLine(header: ZeekTsvHeader, line: string): boolean {
  if (line.startsWith('#separator ')) {
    // The separator itself is written escaped (`#separator \x09`), followed by one space.
    header.separator = unescapeZeek(line.slice('#separator '.length)) || '\t';
    return true;
  }
  const sep = header.separator;
  const at = line.indexOf(sep);
  const directive = at < 0 ? line : line.slice(0, at);
  const rest = at < 0 ? '' : line.slice(at + sep.length);
  switch (directive) {
    case '#set_separator':
      header.setSeparator = unescapeZeek(rest) || ',';
      return true;
    case '#empty_field':
      header.emptyField = unescapeZeek(rest);
      return true;
    case '#unset_field':
      header.unsetField = unescapeZeek(rest);
      return true;
    case '#path':
      header.path = unescapeZeek(rest);
      // A new #path starts a new log (files are concatenated, or rotated into the same stream).
      header.fields = null;
      header.types = null;
      return true;
    case '#fields':
      header.fields = rest.split(sep);
      return true;
    case '#types':
      header.types = rest.split(sep);
      return true;
    case '#open':
    case '#close':
      return true;
    default:
      return false;
  }
}

const NUMERIC = new Set(['time', 'interval', 'count', 'int', 'port', 'double', 'counter']);

/** One scalar of Zeek type `type` (raw text, not yet unescaped); a reason string when it does not parse. */
function scalar(type: string, raw: string): string | number | boolean | { error: string } {
  if (NUMERIC.has(type)) {
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n)) return { error: `"${raw.slice(0, 40)}" is not a ${type}` };
    return n;
  }
  if (type === 'bool') {
    if (raw === 'T') return true;
    if (raw === 'F') return false;
    return { error: `"${raw.slice(0, 40)}" is not a bool (T or F)` };
  }
  return unescapeZeek(raw);
}

export type TsvRow = { fields: ZeekFields } | { error: string };

/** Splits and converts one data line by the header. */
export function parseTsvRow(header: ZeekTsvHeader, line: string): TsvRow {
  const names = header.fields;
  if (!names) return { error: 'data line before any #fields header' };
  const cells = line.split(header.separator);
  if (cells.length !== names.length)
    return { error: `${cells.length} columns where #fields names ${names.length}` };
  const types = header.types;
  const fields: ZeekFields = {};
  for (let i = 0; i < names.length; i++) {
    const raw = cells[i]!;
    if (raw === header.unsetField) continue;
    const type = types?.[i] ?? 'string';
    const container = /^(set|vector|table)\[(.+)\]$/.exec(type);
    if (container) {
      if (raw === header.emptyField) {
        fields[names[i]!] = [];
        continue;
      }
      const out: (string | number | boolean)[] = [];
      for (const part of raw.split(header.setSeparator)) {
        const v = scalar(container[2]!, part);
        if (typeof v === 'object') return { error: `${names[i]}: ${v.error}` };
        out.push(v);
      }
      fields[names[i]!] = out;
      continue;
    }
    // Zeek writes an empty string as `(empty)` too (a literal `(empty)` or `-` value is written escaped).
    if (raw === header.emptyField && !NUMERIC.has(type) && type !== 'bool') {
      fields[names[i]!] = '';
      continue;
    }
    const v = scalar(type, raw);
    if (typeof v === 'object') return { error: `${names[i]}: ${v.error}` };
    fields[names[i]!] = v;
  }
  return { fields };
}
