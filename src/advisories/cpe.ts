/**
 * @module CPE 2.3 names: parse formatted strings and 2.2 URIs into one well-formed-name (WFN) object,
 * format it back (formatted string or URI), and compare names attribute by attribute.
 *
 * Pure: no I/O, never throws on bad input; a malformed name is `{ ok: false, reason, offset }`.
 * Case is kept as written (NVD writes lower case); comparison lower-cases, as §6.1.2 of 7696 does.
 * Not checked: that `language` is a valid RFC 5646 tag (7695 §5.3.3.7).
 *
 * @see NISTIR 7695 (CPE Naming 2.3) §5 WFN, §6.1 URI binding, §6.2 formatted string binding
 * @see NISTIR 7696 (CPE Name Matching 2.3) §6.1 attribute comparison, §6.2 name comparison
 */

/** The eleven WFN attributes, in binding order. @see NISTIR 7695 §5.2 */
export const CPE_ATTRIBUTES = [
  'part',
  'vendor',
  'product',
  'version',
  'update',
  'edition',
  'language',
  'swEdition',
  'targetSw',
  'targetHw',
  'other',
] as const;
export type CpeAttribute = (typeof CPE_ATTRIBUTES)[number];

/**
 * One attribute value. ANY and NA are the logical values (§5.3.1). A string value keeps its
 * unescaped text in `literal` and its unquoted wildcards apart in `leading`/`trailing`, because
 * §5.3.2 only allows wildcards at either end: `''`, `'*'` (any sequence) or a run of `'?'`.
 * Keeping them apart means a literal `*` (written `\*`) can never be confused with a wildcard.
 */
export type CpeValue =
  | { readonly kind: 'any' }
  | { readonly kind: 'na' }
  | { readonly kind: 'value'; readonly literal: string; readonly leading: string; readonly trailing: string };

export type Cpe = { readonly [K in CpeAttribute]: CpeValue };

export type CpeParseResult = { ok: true; cpe: Cpe } | { ok: false; reason: string; offset: number };

/** Attribute comparison results. @see NISTIR 7696 §6.1 Table 6-1 */
export type CpeRelation = 'SUPERSET' | 'SUBSET' | 'EQUAL' | 'DISJOINT' | 'UNDEFINED';

export const ANY: CpeValue = Object.freeze({ kind: 'any' });
export const NA: CpeValue = Object.freeze({ kind: 'na' });

/** A plain string value without wildcards. */
export function cpeLiteral(literal: string): CpeValue {
  return { kind: 'value', literal, leading: '', trailing: '' };
}

/** Builds a Cpe from a partial record; unspecified attributes are ANY, as in §5.2 "unspecified = ANY". */
export function makeCpe(values: Partial<Record<CpeAttribute, CpeValue | string>>): Cpe {
  const out: Record<string, CpeValue> = {};
  for (const a of CPE_ATTRIBUTES) {
    const v = values[a];
    out[a] = v === undefined ? ANY : typeof v === 'string' ? cpeLiteral(v) : v;
  }
  return out as Cpe;
}

type Fail = { ok: false; reason: string; offset: number };
const fail = (reason: string, offset: number): Fail => ({ ok: false, reason, offset });

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);
// §5.3.2: WFN values are printable ASCII; anything else (spaces, controls, non-ASCII) is malformed.
const isPrintable = (c: string): boolean => c >= '!' && c <= '~';

/** Parses either binding; the prefix decides (`cpe:2.3:` or `cpe:/`). */
export function parseCpe(input: string): CpeParseResult {
  if (typeof input !== 'string') return fail('not a string', 0);
  if (input.startsWith('cpe:2.3:')) return parseFormattedString(input);
  if (input.toLowerCase().startsWith('cpe:/')) return parseCpeUri(input);
  return fail('expected "cpe:2.3:" or "cpe:/" prefix', 0);
}

// ---------------------------------------------------------------------------------------------
// Formatted string binding

/**
 * Parses a CPE 2.3 formatted string: exactly 11 colon-separated components after `cpe:2.3:`,
 * where `\` quotes the next character, a lone `*` is ANY, a lone `-` is NA, and unquoted
 * `*`/`?` are wildcards at either end.
 * @see NISTIR 7695 §6.2.3 unbind_fs / unbind_value_fs / add_quoting
 */
export function parseFormattedString(input: string): CpeParseResult {
  const prefix = 'cpe:2.3:';
  if (!input.startsWith(prefix)) return fail('expected "cpe:2.3:" prefix', 0);
  // Split on unquoted colons; a backslash always consumes the next character, so `\:` stays in.
  const components: { text: string; offset: number }[] = [];
  let start = prefix.length;
  let i = start;
  while (i <= input.length) {
    if (i === input.length || input[i] === ':') {
      components.push({ text: input.slice(start, i), offset: start });
      start = i + 1;
      i += 1;
      continue;
    }
    i += input[i] === '\\' ? 2 : 1;
  }
  if (components.length !== 11) {
    return fail(`expected 11 components after "cpe:2.3:", found ${components.length}`, input.length);
  }
  const out: Record<string, CpeValue> = {};
  for (let k = 0; k < 11; k++) {
    const attr = CPE_ATTRIBUTES[k] as CpeAttribute;
    const comp = components[k] as { text: string; offset: number };
    const v = parseFsValue(comp.text, comp.offset);
    if (!v.ok) return v;
    if (attr === 'part') {
      const bad = checkPart(v.value, comp.offset);
      if (bad) return bad;
    }
    out[attr] = v.value;
  }
  return { ok: true, cpe: out as Cpe };
}

function checkPart(v: CpeValue, offset: number): Fail | undefined {
  // §5.3.3.1: part is "a", "o", "h" or a logical value; wildcards make no sense for it.
  if (v.kind !== 'value') return undefined;
  if (v.leading === '' && v.trailing === '' && /^[aoh]$/i.test(v.literal)) return undefined;
  return fail('part must be "a", "o", "h", "*" or "-"', offset);
}

function parseFsValue(s: string, base: number): { ok: true; value: CpeValue } | Fail {
  if (s === '') return fail('empty component (the formatted string binding has no empty values)', base);
  if (s === '*') return { ok: true, value: ANY };
  if (s === '-') return { ok: true, value: NA };
  let literal = '';
  let leading = '';
  let trailing = '';
  let i = 0;
  // Leading wildcard: one `*` or a run of `?`.
  if (s[0] === '*') {
    leading = '*';
    i = 1;
  } else {
    while (s[i] === '?') {
      leading += '?';
      i++;
    }
  }
  while (i < s.length) {
    const c = s[i] as string;
    if (!isPrintable(c)) return fail(`character ${JSON.stringify(c)} is not printable ASCII`, base + i);
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined) return fail('backslash at end of component', base + i);
      // §5.3.2: only non-alphanumeric characters may be quoted.
      if (!isPrintable(next) || isAlnum(next)) {
        return fail(`"\\${next}" quotes a character that needs no quoting`, base + i);
      }
      literal += next;
      i += 2;
      continue;
    }
    if (c === '*' || c === '?') {
      const rest = s.slice(i);
      const ok = c === '*' ? rest === '*' : /^\?+$/.test(rest);
      if (!ok) return fail(`unquoted "${c}" is only allowed at the start or end of a value`, base + i);
      trailing = rest;
      break;
    }
    // §6.2.3 add_quoting: other punctuation is accepted unquoted (e.g. "." and "-") and quoted in the WFN.
    literal += c;
    i++;
  }
  if (literal === '' && leading !== '' && trailing !== '') {
    // "**" or "*?" have no meaning: "*" alone was ANY above, and "?" runs need no partner.
    return fail('a value cannot consist of two wildcard runs', base);
  }
  return { ok: true, value: { kind: 'value', literal, leading, trailing } };
}

/**
 * Formats a WFN as a CPE 2.3 formatted string. Every non-alphanumeric character except
 * `_`, `.` and `-` is quoted, as bind_value_for_formatted_string does (§6.2.2.2); a literal value
 * that is exactly "-" stays quoted so that it does not read back as NA.
 * @see NISTIR 7695 §6.2.2 bind_to_fs
 */
export function formatCpe(cpe: Cpe): string {
  return `cpe:2.3:${CPE_ATTRIBUTES.map((a) => formatFsValue(cpe[a])).join(':')}`;
}

function formatFsValue(v: CpeValue): string {
  if (v.kind === 'any') return '*';
  if (v.kind === 'na') return '-';
  if (v.literal === '-' && v.leading === '' && v.trailing === '') return '\\-';
  let body = '';
  for (const c of v.literal) {
    body += isAlnum(c) || c === '_' || c === '.' || c === '-' ? c : `\\${c}`;
  }
  return v.leading + body + v.trailing;
}

/** The WFN text of one value (§5.3.2 quoting: every non-alphanumeric except "_" is quoted). */
export function wfnValue(v: CpeValue): string {
  if (v.kind === 'any') return 'ANY';
  if (v.kind === 'na') return 'NA';
  let body = '';
  for (const c of v.literal) body += isAlnum(c) || c === '_' ? c : `\\${c}`;
  return `"${v.leading}${body}${v.trailing}"`;
}

/** The WFN notation of a whole name, e.g. `wfn:[part="a",vendor="microsoft",…]`, for explanations. */
export function formatWfn(cpe: Cpe): string {
  const names: Record<CpeAttribute, string> = {
    part: 'part',
    vendor: 'vendor',
    product: 'product',
    version: 'version',
    update: 'update',
    edition: 'edition',
    language: 'language',
    swEdition: 'sw_edition',
    targetSw: 'target_sw',
    targetHw: 'target_hw',
    other: 'other',
  };
  return `wfn:[${CPE_ATTRIBUTES.map((a) => `${names[a]}=${wfnValue(cpe[a])}`).join(',')}]`;
}

// ---------------------------------------------------------------------------------------------
// URI binding (CPE 2.2)

/** The seven components a URI carries; the other four travel packed in the edition. */
const URI_ATTRIBUTES: readonly CpeAttribute[] = [
  'part',
  'vendor',
  'product',
  'version',
  'update',
  'edition',
  'language',
];

/**
 * Parses a CPE 2.2-style URI. Empty components and missing trailing components are ANY, "-" is NA,
 * `%xx` decodes to a literal punctuation character except `%01` (`?`) and `%02` (`*`), which are
 * wildcards; an edition starting with `~` packs edition, sw_edition, target_sw, target_hw, other.
 * @see NISTIR 7695 §6.1.3 unbind_uri / decode
 */
export function parseCpeUri(input: string): CpeParseResult {
  if (!input.toLowerCase().startsWith('cpe:/')) return fail('expected "cpe:/" prefix', 0);
  const base = 5;
  const parts = input.slice(base).split(':');
  if (parts.length > 7) {
    return fail(`too many components (at most 7 after "cpe:/")`, base + parts.slice(0, 7).join(':').length);
  }
  const out: Record<string, CpeValue> = {};
  for (const a of CPE_ATTRIBUTES) out[a] = ANY;
  let offset = base;
  const uriAttrs = URI_ATTRIBUTES;
  for (let k = 0; k < parts.length; k++) {
    const text = parts[k] as string;
    const attr = uriAttrs[k] as CpeAttribute;
    if (attr === 'edition' && text.startsWith('~')) {
      const packed = text.split('~');
      // "~edition~sw_edition~target_sw~target_hw~other" splits into 6 pieces, the first empty.
      if (packed.length !== 6)
        return fail('packed edition must have exactly five "~"-separated fields', offset);
      const packedAttrs: CpeAttribute[] = ['edition', 'swEdition', 'targetSw', 'targetHw', 'other'];
      let o = offset + 1;
      for (let p = 0; p < 5; p++) {
        const field = packed[p + 1] as string;
        const v = decodeUriValue(field, o, false);
        if (!v.ok) return v;
        out[packedAttrs[p] as CpeAttribute] = v.value;
        o += field.length + 1;
      }
    } else {
      const v = decodeUriValue(text, offset, true);
      if (!v.ok) return v;
      if (attr === 'part') {
        const bad = checkPart(v.value, offset);
        if (bad) return bad;
      }
      out[attr] = v.value;
    }
    offset += text.length + 1;
  }
  return { ok: true, cpe: out as Cpe };
}

function decodeUriValue(
  s: string,
  base: number,
  tildeIsLiteral: boolean,
): { ok: true; value: CpeValue } | Fail {
  if (s === '') return { ok: true, value: ANY };
  if (s === '-') return { ok: true, value: NA };
  // Tokenise first: each token is a literal character or a wildcard, then check wildcard positions.
  const tokens: { c: string; wild: boolean; at: number }[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return fail('"%" must be followed by two hex digits', base + i);
      const code = Number.parseInt(hex, 16);
      if (code === 1) tokens.push({ c: '?', wild: true, at: i });
      else if (code === 2) tokens.push({ c: '*', wild: true, at: i });
      else {
        const d = String.fromCharCode(code);
        // §6.1.3.2 decode: only printable punctuation may be percent-encoded.
        if (!isPrintable(d) || isAlnum(d)) return fail(`invalid percent-encoding "%${hex}"`, base + i);
        tokens.push({ c: d, wild: false, at: i });
      }
      i += 3;
      continue;
    }
    if (!isPrintable(c)) return fail(`character ${JSON.stringify(c)} is not printable ASCII`, base + i);
    if (c === '~' && !tildeIsLiteral) return fail('"~" inside a packed edition field', base + i);
    // An unencoded "*" or "?" in a URI is ambiguous (wildcard in 2.3 intent, literal in 2.2 syntax),
    // and "\\" is the formatted-string escape: refuse rather than guess.
    if (c === '*' || c === '?' || c === '\\') {
      return fail(`"${c}" must be percent-encoded in a URI (%01/%02 for wildcards)`, base + i);
    }
    // §6.1.3.2: the URI form allows alphanumerics, "_", ".", "-" and "~" unencoded; we also take
    // other printable punctuation as literal, as real-world 2.2 names often leave it unencoded.
    tokens.push({ c, wild: false, at: i });
    i++;
  }
  let lo = 0;
  let hi = tokens.length;
  let leading = '';
  let trailing = '';
  if (tokens[0]?.wild && tokens[0].c === '*') {
    leading = '*';
    lo = 1;
  } else {
    while (lo < hi && tokens[lo]?.wild && tokens[lo]?.c === '?') {
      leading += '?';
      lo++;
    }
  }
  if (hi > lo && tokens[hi - 1]?.wild && tokens[hi - 1]?.c === '*') {
    trailing = '*';
    hi--;
  } else {
    while (hi > lo && tokens[hi - 1]?.wild && tokens[hi - 1]?.c === '?') {
      trailing = `?${trailing}`;
      hi--;
    }
  }
  let literal = '';
  for (let t = lo; t < hi; t++) {
    const tok = tokens[t] as { c: string; wild: boolean; at: number };
    if (tok.wild)
      return fail('wildcard (%01/%02) is only allowed at the start or end of a value', base + tok.at);
    literal += tok.c;
  }
  if (literal === '' && ((leading !== '' && trailing !== '') || leading === '*' || trailing === '*')) {
    return fail('a value cannot consist of wildcards only, except a run of "?"', base);
  }
  return { ok: true, value: { kind: 'value', literal, leading, trailing } };
}

/**
 * Formats a WFN as a URI, packing sw_edition, target_sw, target_hw and other into the edition with "~"
 * when any of them is set, and dropping trailing ANY components.
 * @see NISTIR 7695 §6.1.2 bind_to_uri / transform_for_uri / pct_encode
 */
export function formatCpeUri(cpe: Cpe): string {
  const extended: CpeAttribute[] = ['swEdition', 'targetSw', 'targetHw', 'other'];
  const comps = URI_ATTRIBUTES.map((a) => {
    if (a === 'edition' && extended.some((e) => cpe[e].kind !== 'any')) {
      return `~${['edition', ...extended].map((e) => formatUriValue(cpe[e as CpeAttribute])).join('~')}`;
    }
    return formatUriValue(cpe[a]);
  });
  while (comps.length > 0 && comps[comps.length - 1] === '') comps.pop();
  return `cpe:/${comps.join(':')}`;
}

function formatUriValue(v: CpeValue): string {
  if (v.kind === 'any') return '';
  if (v.kind === 'na') return '-';
  // A literal "-" would read back as NA, so it is encoded.
  if (v.literal === '-' && v.leading === '' && v.trailing === '') return '%2d';
  const wild = (w: string) => (w === '*' ? '%02' : '%01'.repeat(w.length));
  let body = '';
  for (const c of v.literal) {
    body +=
      isAlnum(c) || c === '_' || c === '.' || c === '-'
        ? c
        : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return wild(v.leading) + body + wild(v.trailing);
}

// ---------------------------------------------------------------------------------------------
// Name matching

const hasWildcards = (v: CpeValue): boolean => v.kind === 'value' && (v.leading !== '' || v.trailing !== '');

/**
 * Compares one source attribute value with one target value.
 * Strings compare case-insensitively (§6.1.2 step: lowercase both). A target with wildcards is
 * UNDEFINED because the spec only defines wildcards in the source (§6.1.2, Table 6-2 rows 4, 8, 13, 17).
 * @see NISTIR 7696 §6.1.2 compare / compareStrings
 */
export function compareCpeValues(source: CpeValue, target: CpeValue): CpeRelation {
  if (hasWildcards(target)) return 'UNDEFINED';
  if (source.kind === 'any') return target.kind === 'any' ? 'EQUAL' : 'SUPERSET';
  if (source.kind === 'na') {
    if (target.kind === 'na') return 'EQUAL';
    return target.kind === 'any' ? 'SUBSET' : 'DISJOINT';
  }
  if (target.kind === 'any') return 'SUBSET';
  if (target.kind === 'na') return 'DISJOINT';
  const s = source.literal.toLowerCase();
  const t = target.literal.toLowerCase();
  if (!hasWildcards(source)) return s === t ? 'EQUAL' : 'DISJOINT';
  return wildcardMatches(source.leading, s, source.trailing, t) ? 'SUPERSET' : 'DISJOINT';
}

/**
 * compareStrings of §6.1.2 on unescaped text: find the literal in the target such that at most
 * `leading.length` characters precede it (any number for "*") and at most `trailing.length`
 * follow it. Like the specification's pseudo-code, each "?" therefore matches zero or one character.
 */
function wildcardMatches(leading: string, literal: string, trailing: string, target: string): boolean {
  const maxBefore = leading === '*' ? Number.POSITIVE_INFINITY : leading.length;
  const maxAfter = trailing === '*' ? Number.POSITIVE_INFINITY : trailing.length;
  let index = target.indexOf(literal);
  while (index !== -1 && index <= maxBefore) {
    if (target.length - index - literal.length <= maxAfter) return true;
    index = target.indexOf(literal, index + 1);
  }
  return false;
}

export type CpeAttributeComparison = { readonly [K in CpeAttribute]: CpeRelation };

/** Compares every attribute. @see NISTIR 7696 §6.2 Compare_WFNs */
export function compareCpeAttributes(source: Cpe, target: Cpe): CpeAttributeComparison {
  const out: Record<string, CpeRelation> = {};
  for (const a of CPE_ATTRIBUTES) out[a] = compareCpeValues(source[a], target[a]);
  return out as CpeAttributeComparison;
}

/**
 * The name-level relation: DISJOINT if any attribute is DISJOINT, EQUAL if all are EQUAL,
 * SUBSET/SUPERSET if all are that or EQUAL, otherwise UNDEFINED (mixed SUBSET and SUPERSET, or a
 * target wildcard).
 * @see NISTIR 7696 §6.2 CPE_DISJOINT, CPE_EQUAL, CPE_SUBSET, CPE_SUPERSET
 */
export function compareCpes(source: Cpe, target: Cpe): CpeRelation {
  const rel = Object.values(compareCpeAttributes(source, target));
  if (rel.includes('DISJOINT')) return 'DISJOINT';
  if (rel.every((r) => r === 'EQUAL')) return 'EQUAL';
  if (rel.every((r) => r === 'SUBSET' || r === 'EQUAL')) return 'SUBSET';
  if (rel.every((r) => r === 'SUPERSET' || r === 'EQUAL')) return 'SUPERSET';
  return 'UNDEFINED';
}

/** True when the source name covers the target: CPE_SUPERSET or CPE_EQUAL (§6.2, the usual "match"). */
export function cpeMatches(source: Cpe, target: Cpe): boolean {
  const r = compareCpes(source, target);
  return r === 'SUPERSET' || r === 'EQUAL';
}
