/**
 * @module GS1 UDIs: the human-readable form with Application Identifiers in parentheses
 * `(01)00643169007222(17)160128(21)BLC200461H` and the scanned form (optional symbology identifier
 * `]d2`, `]C1`, `]e0`, `]Q3`, `]J1`, FNC1 transmitted as GS `\x1d` after variable-length fields).
 * @see GS1 General Specifications §3.2 (AI table), §7.8 (symbology identifiers), §7.9.5 (mod-10 check
 * digit), §7.12 (century of a YYMMDD date); GS1 Barcode Syntax Dictionary for lengths.
 */
import { emptyUdi, isoDate, type ParsedUdi, udiError } from './udi-types.js';

interface AiSpec {
  name: string;
  /** Fixed data length, or the maximum of a variable one. */
  length: number;
  fixed: boolean;
  numeric?: boolean;
  kind?: 'gtin' | 'date';
}

const f = (name: string, length: number, extra: Partial<AiSpec> = {}): AiSpec => ({
  name,
  length,
  fixed: true,
  numeric: true,
  ...extra,
});
const v = (name: string, length: number, extra: Partial<AiSpec> = {}): AiSpec => ({
  name,
  length,
  fixed: false,
  ...extra,
});

/** The AIs seen on medical devices and their packaging (GS1 General Specifications §3.2). */
const AIS: Record<string, AiSpec> = {
  '00': f('SSCC', 18),
  '01': f('GTIN', 14, { kind: 'gtin' }),
  '02': f('CONTENT', 14, { kind: 'gtin' }),
  '10': v('BATCH/LOT', 20),
  '11': f('PROD DATE', 6, { kind: 'date' }),
  '12': f('DUE DATE', 6, { kind: 'date' }),
  '13': f('PACK DATE', 6, { kind: 'date' }),
  '15': f('BEST BEFORE', 6, { kind: 'date' }),
  '16': f('SELL BY', 6, { kind: 'date' }),
  '17': f('USE BY/EXPIRY', 6, { kind: 'date' }),
  '20': f('VARIANT', 2),
  '21': v('SERIAL', 20),
  '22': v('CPV', 20),
  '235': v('TPX', 28),
  '240': v('ADDITIONAL ID', 30),
  '241': v('CUST. PART No.', 30),
  '242': v('MTO VARIANT', 6, { numeric: true }),
  '243': v('PCN', 20),
  '250': v('SECONDARY SERIAL', 30),
  '251': v('REF. TO SOURCE', 30),
  '253': v('GDTI', 30),
  '254': v('GLN EXTENSION COMPONENT', 20),
  '30': v('VAR. COUNT', 8, { numeric: true }),
  '37': v('COUNT', 8, { numeric: true }),
  '400': v('ORDER NUMBER', 30),
  '401': v('GINC', 30),
  '402': f('GSIN', 17),
  '403': v('ROUTE', 30),
  '420': v('SHIP TO POST', 20),
  '422': f('ORIGIN', 3),
  '7003': f('EXPIRY TIME', 10),
  '7004': v('ACTIVE POTENCY', 4, { numeric: true }),
  '8003': v('GRAI', 30),
  '8004': v('GIAI', 30),
  '8005': f('PRICE PER UNIT', 6),
  '8006': f('ITIP', 18),
  '8012': v('VERSION', 20),
  '8013': v('GMN', 25),
  '8014': v('MUDI', 25),
  '8020': v('REF No.', 25),
};
// 310n–369n: trade measures, 6 digits; 390n–393n amounts; 410–417 GLNs; 91–99 company internal.
for (let p = 310; p <= 369; p++) for (let n = 0; n <= 9; n++) AIS[`${p}${n}`] = f('MEASURE', 6);
for (const [p, len] of [
  ['390', 15],
  ['391', 18],
  ['392', 15],
  ['393', 18],
] as const)
  for (let n = 0; n <= 9; n++) AIS[`${p}${n}`] = v('AMOUNT', len, { numeric: true });
for (let p = 410; p <= 417; p++) AIS[String(p)] = f('GLN', 13);
AIS['90'] = v('INTERNAL', 30);
for (let p = 91; p <= 99; p++) AIS[String(p)] = v('INTERNAL', 90);

const GS = '\x1d';
const SYMBOLOGY = /^\](?:d2|C1|e0|Q3|J1|d1|Q1)/;

/** GS1 mod-10 check digit of the digits before it (weights 3,1,3 … from the right). */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  let sum = 0;
  for (let i = 0; i < digitsWithoutCheck.length; i++) {
    const d = digitsWithoutCheck.charCodeAt(digitsWithoutCheck.length - 1 - i) - 48;
    sum += d * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * A YYMMDD date; DD 00 means the last day of the month. The century is the one that puts the year
 * within −49…+50 years of `now` (GS1 General Specifications §7.12).
 */
export function gs1Date(yymmdd: string, now: Date = new Date()): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  let dd = Number(yymmdd.slice(4, 6));
  const current = now.getUTCFullYear();
  const cy = current % 100;
  let century = current - cy;
  const diff = yy - cy;
  if (diff >= 51) century -= 100;
  else if (diff <= -50) century += 100;
  const year = century + yy;
  if (dd === 0 && mm >= 1 && mm <= 12) dd = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  return isoDate(year, mm, dd);
}

function aiAt(s: string, i: number): string | null {
  for (const len of [2, 3, 4]) {
    const k = s.slice(i, i + len);
    if (k.length === len && /^\d+$/.test(k) && AIS[k]) return k;
  }
  return null;
}

/** Is this string GS1 syntax (either form)? */
export function looksLikeGs1(s: string): boolean {
  return s.startsWith('(') || SYMBOLOGY.test(s) || s.startsWith(GS) || /^\d{16}/.test(s);
}

export function parseGs1(input: string, now: Date = new Date()): ParsedUdi {
  const out = emptyUdi('GS1');
  let s = input;
  let base = 0;
  const sym = SYMBOLOGY.exec(s);
  if (sym) {
    base = sym[0].length;
    s = s.slice(base);
  }
  const bracketed = s.startsWith('(');
  let i = 0;
  if (!bracketed) while (s[i] === GS) i++; // a leading FNC1 some scanners transmit
  if (i >= s.length) throw udiError(base + i, 'no GS1 Application Identifier');
  while (i < s.length) {
    const at = base + i;
    let ai: string;
    if (bracketed) {
      const close = s.indexOf(')', i);
      if (s[i] !== '(' || close < 0) throw udiError(at, 'expected "(AI)"');
      ai = s.slice(i + 1, close);
      if (!AIS[ai]) throw udiError(at + 1, `unknown GS1 Application Identifier (${ai})`);
      i = close + 1;
    } else {
      const k = aiAt(s, i);
      if (!k) throw udiError(at, `unknown GS1 Application Identifier at "${s.slice(i, i + 4)}"`);
      ai = k;
      i += k.length;
    }
    const spec = AIS[ai]!;
    const dataAt = base + i;
    let value: string;
    if (bracketed) {
      const next = s.indexOf('(', i);
      value = s.slice(i, next < 0 ? s.length : next);
      i = next < 0 ? s.length : next;
    } else if (spec.fixed) {
      value = s.slice(i, i + spec.length);
      i += value.length;
      if (s[i] === GS) i++; // a redundant FNC1 after a fixed-length field is harmless
    } else {
      const gs = s.indexOf(GS, i);
      const end = gs < 0 ? s.length : gs;
      value = s.slice(i, end);
      i = gs < 0 ? end : gs + 1;
    }
    if (spec.fixed && value.length !== spec.length)
      throw udiError(
        dataAt,
        `AI (${ai}) ${spec.name} needs ${spec.length} characters, found ${value.length}`,
      );
    if (!spec.fixed && (value.length === 0 || value.length > spec.length))
      throw udiError(
        dataAt,
        `AI (${ai}) ${spec.name} needs 1–${spec.length} characters, found ${value.length}`,
      );
    if (spec.numeric && !/^\d+$/.test(value))
      throw udiError(dataAt, `AI (${ai}) ${spec.name} must be digits`);
    // CSET 82: the printable ASCII subset GS1 allows in alphanumeric fields.
    const bad = /[^!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]/.exec(value);
    if (bad)
      throw udiError(dataAt + bad.index, `character ${JSON.stringify(bad[0])} is not allowed in AI (${ai})`);
    if (spec.kind === 'gtin') {
      const check = gs1CheckDigit(value.slice(0, 13));
      if (check !== Number(value[13]))
        throw udiError(dataAt + 13, `bad GTIN check digit ${value[13]} (expected ${check})`);
    }
    let date: string | null = null;
    if (spec.kind === 'date') {
      date = gs1Date(value, now);
      if (!date) throw udiError(dataAt, `AI (${ai}) ${spec.name} ${value} is not a date (YYMMDD)`);
    }
    out.elements.push({ id: ai, name: spec.name, value, position: at });
    if (ai === '01' && !out.di) out.di = value;
    else if (ai === '10') out.lot = value;
    else if (ai === '21') out.serial = value;
    else if (ai === '17') out.expiry = date;
    else if (ai === '11') out.manufactured = date;
    else if (ai === '8012') out.extra['softwareVersion'] = value;
    else if (ai === '240') out.extra['additionalId'] = value;
    else if (ai === '30') out.extra['count'] = value;
  }
  if (!out.di) throw udiError(base, 'no device identifier: AI (01) GTIN is missing');
  return out;
}

/**
 * A GS1 Digital Link URI (what GS1 QR codes and some DataMatrix labels carry):
 * `https://id.gs1.org/01/09506000134352/10/ABC1/21/XYZ?17=251231`. The path holds the GTIN and its
 * qualifiers, the query string further AIs; both become AI elements and are read as above. A GTIN
 * written with 8, 12 or 13 digits is padded to 14.
 * @see GS1 Digital Link Standard: URI Syntax, §4 (path and query string).
 */
export function looksLikeGs1DigitalLink(s: string): boolean {
  return /^https?:\/\/[^/]+\/(?:.*\/)?(?:01|gtin)\/\d{8,14}(?:[/?#]|$)/i.test(s);
}

export function parseGs1DigitalLink(input: string, now: Date = new Date()): ParsedUdi {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw udiError(0, 'not a valid URI');
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const at = segments.findIndex((p) => p === '01' || p.toLowerCase() === 'gtin');
  if (at < 0) throw udiError(0, 'no /01/ GTIN in the Digital Link path');
  const pairs: [string, string][] = [];
  for (let i = at; i + 1 < segments.length; i += 2) {
    let ai = segments[i]!;
    if (ai.toLowerCase() === 'gtin') ai = '01';
    let value: string;
    try {
      value = decodeURIComponent(segments[i + 1]!);
    } catch {
      throw udiError(input.indexOf(segments[i + 1]!), 'bad percent-encoding');
    }
    pairs.push([ai, value]);
  }
  if ((segments.length - at) % 2 !== 0) throw udiError(input.length, 'the path ends with an AI and no value');
  for (const [k, v] of url.searchParams) if (/^\d{2,4}$/.test(k)) pairs.push([k, v]);
  const gtin = pairs.find(([k]) => k === '01');
  if (gtin && /^\d{8,13}$/.test(gtin[1])) gtin[1] = gtin[1].padStart(14, '0');
  for (const [k, v] of pairs)
    if (v.includes('(') || v.includes(')'))
      throw udiError(input.indexOf(v), `AI (${k}) value contains a parenthesis`);
  const r = parseGs1(pairs.map(([k, v]) => `(${k})${v}`).join(''), now);
  // Positions refer to the element string, not the URI: drop them rather than mislead.
  for (const e of r.elements) e.position = -1;
  return r;
}
