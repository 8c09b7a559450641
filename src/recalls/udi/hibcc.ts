/**
 * @module HIBCC UDIs (HIBC Supplier Labeling Standard, ANSI/HIBC 2.6): the primary data structure
 * `+ LIC PCN U/M check` (the DI is LIC+PCN+U/M), a concatenated secondary after `/` with one check
 * character for the whole string, or a standalone secondary `+ data link check`. Secondary data:
 * `$$` (+ date format digit) lot, `$$+` … serial, `$` lot, `$+` serial, a 5-digit Julian date + lot,
 * and supplemental fields `/S` serial, `/16D` manufacture date, `/14D` expiry (YYYYMMDD).
 * @see ANSI/HIBC 2.6 §2.1 (primary), §2.2 (secondary, Table 2 date formats), Appendix B (mod 43).
 */
import { emptyUdi, isoDate, julianDate, type ParsedUdi, udiError } from './udi-types.js';

const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';

/** Mod 43 check character over every character of the message (Appendix B). */
export function hibccCheckCharacter(message: string, offset = 0): string {
  let sum = 0;
  for (let i = 0; i < message.length; i++) {
    const v = CHARSET.indexOf(message[i]!);
    if (v < 0)
      throw udiError(offset + i, `character ${JSON.stringify(message[i])} is not in the HIBC character set`);
    sum += v;
  }
  return CHARSET[sum % 43]!;
}

export function looksLikeHibcc(s: string): boolean {
  return /^\*?\+/.test(s);
}

const yy = (s: string) => 2000 + Number(s);

/** The expiry date of a `$$`/`$$+` secondary and where the lot/serial starts (Table 2). */
function secondaryDate(d: string, at: number): { date: string | null; rest: string; quantity?: string } {
  let quantity: string | undefined;
  let s = d;
  if (s[0] === '8' || s[0] === '9') {
    const n = s[0] === '8' ? 2 : 5;
    quantity = s.slice(1, 1 + n);
    if (!/^\d+$/.test(quantity) || quantity.length !== n) throw udiError(at, `quantity needs ${n} digits`);
    s = s.slice(1 + n);
  }
  const need = (len: number, what: string) => {
    const part = s.slice(1, 1 + len);
    if (!/^\d+$/.test(part) || part.length !== len) throw udiError(at, `expiry date needs ${what}`);
    return part;
  };
  const res = (date: string | null, rest: string, raw: string) => {
    if (!date) throw udiError(at, `expiry date ${raw} is not a date`);
    return quantity === undefined ? { date, rest } : { date, rest, quantity };
  };
  const c = s[0];
  if (c === '0' || c === '1') {
    // MMYY: no format digit; the day is the month's last.
    const p = s.slice(0, 4);
    if (!/^\d{4}$/.test(p)) throw udiError(at, 'expiry date needs MMYY');
    const y = yy(p.slice(2, 4));
    const m = Number(p.slice(0, 2));
    const date = m >= 1 && m <= 12 ? isoDate(y, m, new Date(Date.UTC(y, m, 0)).getUTCDate()) : null;
    return res(date, s.slice(4), p);
  }
  if (c === '2') {
    const p = need(6, 'MMDDYY');
    return res(isoDate(yy(p.slice(4, 6)), Number(p.slice(0, 2)), Number(p.slice(2, 4))), s.slice(7), p);
  }
  if (c === '3' || c === '4') {
    const p = need(c === '3' ? 6 : 8, c === '3' ? 'YYMMDD' : 'YYMMDDHH');
    return res(
      isoDate(yy(p.slice(0, 2)), Number(p.slice(2, 4)), Number(p.slice(4, 6))),
      s.slice(1 + p.length),
      p,
    );
  }
  if (c === '5' || c === '6') {
    const p = need(c === '5' ? 5 : 7, c === '5' ? 'YYJJJ' : 'YYJJJHH');
    return res(julianDate(yy(p.slice(0, 2)), Number(p.slice(2, 5))), s.slice(1 + p.length), p);
  }
  if (c === '7')
    return quantity === undefined
      ? { date: null, rest: s.slice(1) }
      : { date: null, rest: s.slice(1), quantity };
  throw udiError(at, `unknown secondary date format ${JSON.stringify(c ?? '')}`);
}

/** Secondary data (without flag, link or check characters) into the result. */
function readSecondary(out: ParsedUdi, data: string, at: number): void {
  const [head, ...supplemental] = data.split('/');
  const h = head ?? '';
  let idField: 'lot' | 'serial' = 'lot';
  let body: string;
  let id = '';
  if (h.startsWith('$$+')) {
    id = '$$+';
    idField = 'serial';
    const r = secondaryDate(h.slice(3), at + 3);
    out.expiry = r.date;
    if (r.quantity) out.extra['quantity'] = r.quantity;
    body = r.rest;
  } else if (h.startsWith('$$')) {
    id = '$$';
    const r = secondaryDate(h.slice(2), at + 2);
    out.expiry = r.date;
    if (r.quantity) out.extra['quantity'] = r.quantity;
    body = r.rest;
  } else if (h.startsWith('$+')) {
    id = '$+';
    idField = 'serial';
    body = h.slice(2);
  } else if (h.startsWith('$')) {
    id = '$';
    body = h.slice(1);
  } else if (/^\d{5}/.test(h)) {
    id = 'YYJJJ';
    const date = julianDate(yy(h.slice(0, 2)), Number(h.slice(2, 5)));
    if (!date) throw udiError(at, `date ${h.slice(0, 5)} is not a YYJJJ date`);
    out.expiry = date;
    body = h.slice(5);
  } else throw udiError(at, 'secondary data must start with $, $$, $+, $$+ or a 5-digit Julian date');
  if (body.length > 18) throw udiError(at, `${idField} is longer than 18 characters`);
  if (body) out[idField] = body;
  out.elements.push({ id, name: idField === 'lot' ? 'LOT' : 'SERIAL', value: h, position: at });
  let pos = at + h.length + 1;
  for (const field of supplemental) {
    if (field.startsWith('S')) out.serial = field.slice(1);
    else if (field.startsWith('16D')) {
      const d = field.slice(3);
      const date = /^\d{8}$/.test(d)
        ? isoDate(Number(d.slice(0, 4)), Number(d.slice(4, 6)), Number(d.slice(6)))
        : null;
      if (!date) throw udiError(pos + 3, `manufacture date ${d} is not YYYYMMDD`);
      out.manufactured = date;
    } else if (field.startsWith('14D')) {
      const d = field.slice(3);
      const date = /^\d{8}$/.test(d)
        ? isoDate(Number(d.slice(0, 4)), Number(d.slice(4, 6)), Number(d.slice(6)))
        : null;
      if (!date) throw udiError(pos + 3, `expiry date ${d} is not YYYYMMDD`);
      out.expiry = date;
    } else if (field.length) out.extra[`/${field.slice(0, 3)}`] = field.slice(3);
    out.elements.push({ id: `/${field[0] ?? ''}`, name: 'SUPPLEMENTAL', value: field, position: pos });
    pos += field.length + 1;
  }
}

export function parseHibcc(input: string): ParsedUdi {
  // Linear human-readable text shows Code 39 start/stop asterisks: not data.
  let base = 0;
  let s = input;
  if (s.startsWith('*') && s.endsWith('*') && s.length > 2) {
    s = s.slice(1, -1);
    base = 1;
  }
  if (!s.startsWith('+')) throw udiError(base, 'a HIBCC UDI starts with "+"');
  if (s.length < 3) throw udiError(base + s.length, 'too short for a HIBCC UDI');
  const message = s.slice(0, -1);
  const check = s[s.length - 1]!;
  const expected = hibccCheckCharacter(message, base);
  if (expected !== check)
    throw udiError(
      base + s.length - 1,
      `bad check character ${JSON.stringify(check)} (expected ${JSON.stringify(expected)})`,
    );
  const out = emptyUdi('HIBCC');
  if (/^[A-Z]/.test(s.slice(1))) {
    // Primary: + LIC(4, first alphabetic) PCN(1–18) U/M(1 digit) [/ secondary]
    const slash = message.indexOf('/');
    const primary = message.slice(1, slash < 0 ? message.length : slash);
    const m = /^([A-Z][A-Z0-9]{3})([A-Z0-9]{1,18})(\d)$/.exec(primary);
    if (!m) {
      const bad = /[^A-Z0-9]/.exec(primary);
      throw udiError(
        base + 1 + (bad ? bad.index : 0),
        bad
          ? `character ${JSON.stringify(bad[0])} is not allowed in the labeler code or product number`
          : 'primary data must be a 4-character labeler code, a 1–18 character product number and a unit-of-measure digit',
      );
    }
    out.di = primary;
    out.extra['lic'] = m[1]!;
    out.extra['pcn'] = m[2]!;
    out.extra['unitOfMeasure'] = m[3]!;
    out.elements.push(
      { id: 'lic', name: 'LABELER', value: m[1]!, position: base + 1 },
      { id: 'pcn', name: 'PRODUCT', value: m[2]!, position: base + 5 },
      { id: 'um', name: 'UNIT OF MEASURE', value: m[3]!, position: base + 5 + m[2]!.length },
    );
    if (slash >= 0) readSecondary(out, message.slice(slash + 1), base + slash + 1);
    return out;
  }
  // A standalone secondary symbol: + data link-character check; it carries no DI of its own.
  const link = message[message.length - 1]!;
  readSecondary(out, message.slice(1, -1), base + 1);
  out.extra['link'] = link;
  return out;
}
