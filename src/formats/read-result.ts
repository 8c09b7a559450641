/**
 * @module The result shape shared by the vulnerability-feed readers (NVD, CVE 5, OSV) and the small
 * helpers they share: JSON paths for issues, zod errors turned into issues, CVE id normalisation and
 * element-wise parsing so that one bad entry never sinks a whole file.
 */
import type { z } from 'zod';
import type { InputIssue } from '../advisories/records.js';
import { describeNotUtf8, firstNotUtf8 } from './utf8.js';
import { type Utf16, utf16Of, utf16Reason } from './utf16.js';

export interface ReadResult<T> {
  records: T[];
  issues: InputIssue[];
}

/** @see https://www.cve.org/ResourcesSupport/Glossary (CVE ID syntax: 4-digit year, 4 or more digits) */
export const CVE_ID_PATTERN = /^CVE-\d{4}-\d{4,}$/;

/** Upper-cases and trims; null when the result is not a CVE id. */
export function normalizeCveId(raw: string): string | null {
  const id = raw.trim().toUpperCase();
  return CVE_ID_PATTERN.test(id) ? id : null;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `$.a[0].b`, with bracket-quoted keys when a key is not an identifier. */
export function jsonPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && IDENTIFIER.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

/** At most this many issues per failed parse: a record broken everywhere should not flood the list. */
const MAX_ISSUES_PER_PARSE = 5;

export function zodIssues(error: z.ZodError, file: string, base: string): InputIssue[] {
  const all = error.issues.map((i) => ({ file, where: jsonPath(base, i.path), message: i.message }));
  if (all.length <= MAX_ISSUES_PER_PARSE) return all;
  return [
    ...all.slice(0, MAX_ISSUES_PER_PARSE),
    { file, where: base, message: `${all.length - MAX_ISSUES_PER_PARSE} further problems not listed` },
  ];
}

/**
 * Parses each element of `items` (when it is an array) on its own; bad elements become issues and are
 * skipped. A missing list (`undefined`/`null`) is an empty list; anything else is one issue.
 */
export function parseEach<T>(
  items: unknown,
  schema: z.ZodType<T>,
  file: string,
  base: string,
  issues: InputIssue[],
): { value: T; path: string }[] {
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) {
    issues.push({ file, where: base, message: 'expected an array' });
    return [];
  }
  const out: { value: T; path: string }[] = [];
  items.forEach((item, i) => {
    const path = `${base}[${i}]`;
    const r = schema.safeParse(item);
    if (r.success) out.push({ value: r.data, path });
    else issues.push(...zodIssues(r.error, file, path));
  });
  return out;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The English text of a `{lang, value}` list (`en`, `en-US`, `eng` …), else the first one. */
export function pickEnglish(list: readonly { lang?: string | undefined; value: string }[]): string | null {
  const en = list.find((d) => d.lang !== undefined && /^en/i.test(d.lang));
  return (en ?? list[0])?.value ?? null;
}

export function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

export const CWE_PATTERN = /^CWE-\d+$/;

/**
 * The issue for a document whose bytes are not UTF-8 (RFC 8259, CSAF, CycloneDX and SPDX require it), or
 * null. `text` is their lenient decoding: such a byte would be stored as U+FFFD inside a product, package
 * or component name, so the document is refused instead, at the byte's offset into the (inflated) file.
 * A UTF-16 file (a JSON document saved by a Windows editor as "Unicode") is named as such: its NULs are
 * UTF-8, so it would otherwise fail as JSON at offset 1, or, with a byte order mark, at offset 0.
 */
export function notUtf8Issue(raw: Uint8Array, text: string, file: string): InputIssue | null {
  const utf16 = utf16Of(raw);
  if (utf16) return utf16Issue(utf16, file);
  const bad = firstNotUtf8(raw, text);
  return bad
    ? { file, where: `offset ${bad.offset}`, message: `not UTF-8 text (${describeNotUtf8(bad)})` }
    : null;
}

/** The issue for a document whose first bytes are UTF-16. */
export const utf16Issue = (utf16: Utf16, file: string): InputIssue => ({
  file,
  where: 'offset 0',
  message: `the file ${utf16Reason(utf16)}`,
});
