/**
 * @module Field types shared by the openFDA device record parsers: tolerant of unknown fields and of
 * openFDA's habits (empty strings for absent values, dates as YYYY-MM-DD or YYYYMMDD, lists that are
 * sometimes a single string), strict about the natural keys.
 */
import { z } from 'zod';
import { type InputIssue, invalidInput } from '../errors.js';

/** Text or absent; empty and whitespace-only text count as absent. */
export const optText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => {
    if (v === null || v === undefined) return null;
    const s = String(v).trim();
    return s === '' ? null : s;
  });

/** A required identifier: non-empty text (numbers are accepted and turned into text). */
export const idText = (what: string) =>
  z
    .union([z.string(), z.number()], {
      // A record without its key is told so; "must be text" would send the reader looking for a value.
      error: (issue) => (issue.input === undefined ? `${what} is missing` : `${what} must be text`),
    })
    .transform((v) => String(v).trim())
    .refine((s) => s.length > 0 && s.length <= 200, `${what} must be 1–200 characters`);

/**
 * A list of strings; a lone string is a one-element list; blanks are dropped. The message is zod's
 * bare "Invalid input" otherwise, which tells the person reading the import report nothing.
 */
export const textList = z
  .union([z.array(z.union([z.string(), z.number()])), z.string()], {
    error: 'must be a list of text values (or one text value)',
  })
  .nullish()
  .transform((v) => {
    if (v === null || v === undefined) return [];
    const arr = Array.isArray(v) ? v : [v];
    return [...new Set(arr.map((x) => String(x).trim()).filter(Boolean))];
  });

/** openFDA dates: YYYY-MM-DD (recalls) or YYYYMMDD (enforcement) → YYYY-MM-DD; anything else → null. */
export const fdaDate = z
  .string()
  .nullish()
  .transform((v) => {
    if (!v) return null;
    const s = v.trim();
    const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(s);
    return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
  });

/** zod's complaints about one record as issues naming the file, record index and byte offset. */
export function recordIssues(error: z.ZodError, file: string, index: number, offset: number): InputIssue[] {
  return error.issues.map((i) => ({
    file,
    offset,
    field: `results[${index}]${i.path.length ? `.${i.path.join('.')}` : ''}`,
    reason: i.message,
  }));
}

export function parseRecord<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: { file: string; index: number; offset: number },
): { ok: true; value: z.output<S> } | { ok: false; issues: InputIssue[] } {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: recordIssues(r.error, where.file, where.index, where.offset) };
}

export { invalidInput };
