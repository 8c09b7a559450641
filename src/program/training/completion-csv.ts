/**
 * @module Training completions from a learning system's CSV export. Pure: bytes (or text) in, completion rows and
 * line-numbered issues out; never throws on bad input. Columns are found by header name (aliases for
 * the layouts Totara/Moodle completion uploads and common LMS transcript reports use, see
 * docs/training.md) or by an explicit mapping `Header=field`. Dates are read in one declared format
 * (`iso`, `mdy` or `dmy`), never guessed: 03/04/2026 means nothing until the operator says which.
 */
import { parse } from 'csv-parse/sync';
import type { InputIssue } from '../../errors.js';
import {
  controlInRecord,
  fieldCountProblem,
  isRecordTooLong,
  MAX_CSV_RECORD_CHARS,
  notUtf8Record,
  notUtf8Text,
  tooLongRecord,
  utf16Csv,
} from '../../formats/csv-row.js';
import { decodeLeniently, type NotUtf8Lines } from '../../formats/not-utf8-lines.js';
import { shortValue } from '../../formats/short-value.js';
import { utf16Of } from '../../formats/utf16.js';
import { isCalendarDate } from './due.js';

export const COMPLETION_FIELDS = [
  'employeeId',
  'email',
  'courseCode',
  'courseName',
  'date',
  'status',
  'score',
] as const;
export type CompletionField = (typeof COMPLETION_FIELDS)[number];

export const DATE_FORMATS = ['iso', 'mdy', 'dmy'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Header names are compared in this form: lower case, letters and digits only. */
export const headerKey = (h: string): string => h.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Headers each field is recognised by (as headerKey). */
const ALIASES: Record<CompletionField, string[]> = {
  employeeId: [
    'employeeid',
    'employeenumber',
    'employeeno',
    'empid',
    'staffid',
    'staffnumber',
    'personid',
    'useridnumber',
    'idnumber',
    'username',
    'userid',
    'learnerid',
    'login',
  ],
  email: ['email', 'emailaddress', 'useremail', 'learneremail', 'workemail'],
  courseCode: [
    'coursecode',
    'courseid',
    'courseidnumber',
    'courseshortname',
    'shortname',
    'code',
    'contentid',
  ],
  courseName: ['course', 'coursename', 'coursetitle', 'coursefullname', 'title', 'trainingtitle', 'training'],
  date: [
    'completiondate',
    'completeddate',
    'datecompleted',
    'completedon',
    'completed',
    'completedate',
    'timecompleted',
    'completiontime',
    'dateofcompletion',
  ],
  status: ['status', 'completionstatus', 'transcriptstatus', 'result'],
  score: ['score', 'grade', 'finalscore', 'scorepercent', 'percentage'],
};

/** Status words meaning the course was completed and passed. */
const PASSED = new Set([
  'completed',
  'complete',
  'passed',
  'pass',
  'completedpassed',
  'completedsuccessfully',
  'satisfied',
  'certified',
  'attended',
  'done',
  'yes',
  'y',
  'true',
  '1',
]);
/** Completed but failed: recorded, but it does not make the training current. */
const FAILED = new Set(['failed', 'fail', 'notpassed', 'completedfailed']);
/** Not a completion at all: the row is skipped without complaint. */
const NOT_COMPLETED = new Set([
  'inprogress',
  'notstarted',
  'incomplete',
  'notattempted',
  'enrolled',
  'registered',
  'assigned',
  'started',
  'pending',
  'withdrawn',
  'cancelled',
  'canceled',
  'expired',
  'no',
  'n',
  'false',
  '0',
]);

export interface CompletionCsvOptions {
  /** File name used in issues. */
  file: string;
  /** Default `iso`. */
  dateFormat?: DateFormat;
  /** Header (as written in the file) → field; wins over the built-in aliases. */
  mapping?: ReadonlyMap<string, CompletionField>;
  /** The longest record read (default MAX_CSV_RECORD_CHARS); a longer one stops the reading. */
  maxRecordChars?: number;
}

export interface CompletionCsvRow {
  line: number;
  employeeId: string | null;
  email: string | null;
  courseCode: string | null;
  courseName: string | null;
  /** YYYY-MM-DD as the learning system wrote it. */
  completedOn: string;
  passed: boolean;
  score: number | null;
}

export interface CompletionCsvResult {
  /** Header → field for every recognised column. */
  columns: { header: string; field: CompletionField }[];
  rows: CompletionCsvRow[];
  /** Data rows read (blank lines not counted). */
  dataRows: number;
  /** Rows whose status says the course was not completed (in progress, not started …). */
  notCompleted: number;
  /** Line-numbered problems; a row with an issue is not in `rows`. */
  issues: InputIssue[];
  /** True when the file cannot be read at all (no header, missing required columns). */
  fatal: boolean;
}

/**
 * Parses `Header=field` mapping entries (`--mapping "Learner ID=employeeId"`); returns the mapping
 * and an issue per bad entry.
 */
export function parseCompletionMapping(entries: readonly string[]): {
  mapping: Map<string, CompletionField>;
  issues: InputIssue[];
} {
  const mapping = new Map<string, CompletionField>();
  const issues: InputIssue[] = [];
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    const header = at > 0 ? entry.slice(0, at).trim() : '';
    const field = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!header || !(COMPLETION_FIELDS as readonly string[]).includes(field)) {
      issues.push({
        field: 'mapping',
        reason: `"${shortValue(entry)}" is not Header=field with field one of ${COMPLETION_FIELDS.join(', ')}`,
      });
      continue;
    }
    mapping.set(header, field as CompletionField);
  }
  return { mapping, issues };
}

const DATE_HINT: Record<DateFormat, string> = {
  iso: 'YYYY-MM-DD, optionally followed by a time',
  mdy: 'M/D/YYYY (US), optionally followed by a time',
  dmy: 'D/M/YYYY, optionally followed by a time',
};

// An optional time after the date ("T10:00:00Z", " 10:00", ", 2:30 PM"): the date part is what counts.
const TIME = String.raw`(?:(?:T|,?\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?`;
const ISO_RE = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})${TIME}$`);
const SLASH_RE = new RegExp(String.raw`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})${TIME}$`);

/** A date in the declared format → YYYY-MM-DD, or the reason it is not one. */
export function parseCompletionDate(
  value: string,
  format: DateFormat,
): { date: string } | { reason: string } {
  const v = value.trim();
  if (v.length > 64) return { reason: `completion date '${shortValue(v, 64)}' is not a date` };
  const m = (format === 'iso' ? ISO_RE : SLASH_RE).exec(v);
  if (!m) {
    const hint =
      format === 'iso' && SLASH_RE.test(v)
        ? '; this looks like M/D/YYYY or D/M/YYYY: give --date-format mdy or dmy'
        : format !== 'iso' && ISO_RE.test(v)
          ? '; this looks like YYYY-MM-DD: give --date-format iso'
          : '';
    return {
      reason: `completion date '${shortValue(v)}' is not in the ${format} format (${DATE_HINT[format]})${hint}`,
    };
  }
  const [y, mo, d] =
    format === 'iso'
      ? [Number(m[1]), Number(m[2]), Number(m[3])]
      : format === 'mdy'
        ? [Number(m[3]), Number(m[1]), Number(m[2])]
        : [Number(m[3]), Number(m[2]), Number(m[1])];
  if (!isCalendarDate(y, mo, d) || y < 1900 || y > 2999)
    return { reason: `completion date '${shortValue(v)}' is not a date` };
  return {
    date: `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
  };
}

function parseScore(value: string): { score: number | null } | { reason: string } {
  const v = value.trim().replace(/%$/, '').trim();
  if (!v) return { score: null };
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n > 100)
    return { reason: `score '${shortValue(value.trim())}' is not a number from 0 to 100` };
  return { score: n };
}

interface RawRecord {
  line: number;
  /** The record's last line (a quoted field may hold line breaks). */
  endLine: number;
  fields: string[];
}

/**
 * Records with the line each starts on; syntax errors as issues. Never throws. A record over
 * `maxRecordChars` stops the reading and is returned as `tooLong`: the file is then unusable.
 */
function records(
  text: string,
  file: string,
  issues: InputIssue[],
  maxRecordChars: number,
): { records: RawRecord[]; tooLong?: InputIssue } {
  const out: RawRecord[] = [];
  let lastEnd = 0;
  try {
    const parsed = parse(text.replace(/\r\n?/g, '\n'), {
      info: true,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: maxRecordChars,
      on_record: (rec: string[], ctx: { lines: number }) => {
        lastEnd = ctx.lines;
        return rec;
      },
      on_skip: (err: (Error & { code?: string; lines?: number }) | undefined) => {
        if (!err) return undefined;
        // Skipped, the record would still be read to its end (the slow part of a 64 MB line): thrown.
        if (isRecordTooLong(err)) throw err;
        const at = typeof err.lines === 'number' ? err.lines : lastEnd + 1;
        issues.push({
          file,
          line: Math.max(1, Math.min(at, lastEnd + 1)),
          reason:
            err.code === 'CSV_QUOTE_NOT_CLOSED'
              ? 'a quoted field starting on or after this line is never closed'
              : `malformed CSV: ${shortValue(err.message.replace(/ at line \d+/, ''), 200)}`,
        });
        lastEnd = at;
        return undefined;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
    for (const rec of parsed) {
      let breaks = 0;
      for (const f of rec.record) breaks += f.split('\n').length - 1;
      out.push({ line: rec.info.lines - breaks, endLine: rec.info.lines, fields: rec.record });
    }
  } catch (e) {
    const err = e as Error & { lines?: number };
    if (isRecordTooLong(err)) {
      return { records: out, tooLong: { file, ...tooLongRecord(err, lastEnd, maxRecordChars) } };
    }
    issues.push({
      file,
      line: typeof err.lines === 'number' ? err.lines : lastEnd + 1,
      reason: `malformed CSV: ${shortValue(String(err.message).replace(/ at line \d+/, ''), 200)}`,
    });
  }
  return { records: out };
}

/**
 * `input` is the file's bytes as read, so that a byte that is not UTF-8 is told from a U+FFFD the file
 * really holds; text given as a string is taken as it is.
 */
export function parseCompletionCsv(
  input: string | Uint8Array,
  opts: CompletionCsvOptions,
): CompletionCsvResult {
  const file = opts.file;
  const format = opts.dateFormat ?? 'iso';
  const issues: InputIssue[] = [];
  const result: CompletionCsvResult = {
    columns: [],
    rows: [],
    dataRows: 0,
    notCompleted: 0,
    issues,
    fatal: false,
  };
  let text: string;
  let notUtf8: NotUtf8Lines | null = null;
  if (typeof input === 'string') text = input;
  else {
    // An LMS report re-saved from Excel as "Unicode Text": decoded as UTF-8, a header of NULs.
    const utf16 = utf16Of(input);
    if (utf16) {
      issues.push({ file, reason: utf16Csv(utf16) });
      result.fatal = true;
      return result;
    }
    ({ text, notUtf8 } = decodeLeniently(input));
  }
  const { records: recs, tooLong } = records(text, file, issues, opts.maxRecordChars ?? MAX_CSV_RECORD_CHARS);
  if (tooLong) {
    issues.splice(0, issues.length, tooLong);
    result.fatal = true;
    return result;
  }
  const header = recs[0];
  if (!header) {
    issues.push({ file, line: 1, reason: 'the file has no header row' });
    result.fatal = true;
    return result;
  }

  // Columns: the explicit mapping first, then every column an alias names (a field may have several,
  // e.g. Totara's courseshortname and courseidnumber: the first non-empty one on a row counts).
  const index = new Map<CompletionField, number[]>();
  const keys = header.fields.map(headerKey);
  const taken = new Set<number>();
  const syntaxIssues = issues.length;
  const use = (f: CompletionField, at: number) => {
    index.set(
      f,
      [...(index.get(f) ?? []), at].sort((a, b) => a - b),
    );
    taken.add(at);
  };
  for (const [h, f] of opts.mapping ?? new Map<string, CompletionField>()) {
    const at = keys.indexOf(headerKey(h));
    if (at === -1)
      issues.push({
        file,
        line: header.line,
        field: h,
        reason: `the mapping names a column "${shortValue(h)}" the file does not have`,
      });
    else use(f, at);
  }
  for (const field of COMPLETION_FIELDS)
    for (const alias of ALIASES[field]) {
      const at = keys.indexOf(alias);
      if (at !== -1 && !taken.has(at)) use(field, at);
    }
  result.columns = [...index]
    .flatMap(([field, ats]) => ats.map((at) => ({ at, field })))
    .sort((a, b) => a.at - b.at)
    .map(({ at, field }) => ({ header: header.fields[at]!, field }));
  const missing: string[] = [];
  if (!index.has('employeeId') && !index.has('email')) missing.push('person column (employee id or email)');
  if (!index.has('courseCode') && !index.has('courseName'))
    missing.push('course column (course code or name)');
  if (!index.has('date')) missing.push('completion date column');
  if (missing.length || issues.length > syntaxIssues) {
    for (const m of missing)
      issues.push({
        file,
        line: header.line,
        reason: `no ${m} in the header (${shortValue(header.fields.join(', '))}); name it with --mapping "Header=field"`,
      });
    result.fatal = true;
    return result;
  }

  const cell = (r: RawRecord, f: CompletionField): string => {
    for (const at of index.get(f) ?? []) {
      const v = (r.fields[at] ?? '').trim();
      if (v) return v;
    }
    return '';
  };
  for (const r of recs.slice(1)) {
    if (r.fields.every((f) => !f.trim())) continue;
    result.dataRows++;
    // A cut or short row would otherwise read as "no date, so not completed" and vanish without a word.
    const misfit = fieldCountProblem(r.fields, header.fields.length);
    if (misfit) {
      issues.push({ file, line: r.line, reason: misfit });
      continue;
    }
    // Bytes that are not UTF-8 (a Windows-1252 export) became U+FFFD: reported here rather than as
    // "no person with employee id 'E1002\uFFFD'" or a course name stored mangled.
    const read = [...new Set([...index.values()].flat())].sort((a, b) => a - b);
    const bad = notUtf8Record(
      notUtf8,
      r.line,
      r.endLine,
      read.map((at) => r.fields[at] ?? ''),
    );
    if (bad) {
      const mangled = read.filter((at) => r.fields[at]?.includes('\uFFFD'));
      issues.push({
        file,
        line: bad.line,
        reason: `${mangled.map((at) => `'${shortValue(header.fields[at] ?? '')}'`).join(', ')} ${notUtf8Text(bad.notUtf8)}`,
      });
      continue;
    }
    // A NUL would otherwise reach the store as U+FFFD in a course name.
    const control = controlInRecord(r.fields, read, r.line);
    if (control) {
      issues.push({
        file,
        line: control.line,
        reason: `'${shortValue(header.fields[control.at] ?? '')}' ${control.reason}`,
      });
      continue;
    }
    const problems: string[] = [];
    const status = headerKey(cell(r, 'status'));
    if (status && NOT_COMPLETED.has(status)) {
      result.notCompleted++;
      continue;
    }
    if (status && !PASSED.has(status) && !FAILED.has(status))
      problems.push(
        `status '${shortValue(cell(r, 'status'))}' is not a completion status this importer knows`,
      );
    const employeeId = cell(r, 'employeeId') || null;
    const email = cell(r, 'email') || null;
    if (!employeeId && !email) problems.push('no employee id or email');
    const courseCode = cell(r, 'courseCode') || null;
    const courseName = cell(r, 'courseName') || null;
    if (!courseCode && !courseName) problems.push('no course code or name');
    const rawDate = cell(r, 'date');
    let completedOn = '';
    if (!rawDate) {
      // An export listing enrolments without a status: no date means not completed.
      if (!status) {
        result.notCompleted++;
        continue;
      }
      problems.push('no completion date');
    } else {
      const d = parseCompletionDate(rawDate, format);
      if ('reason' in d) problems.push(d.reason);
      else completedOn = d.date;
    }
    const s = parseScore(cell(r, 'score'));
    if ('reason' in s) problems.push(s.reason);
    if (problems.length) {
      for (const reason of problems) issues.push({ file, line: r.line, reason });
      continue;
    }
    result.rows.push({
      line: r.line,
      employeeId,
      email,
      courseCode,
      courseName,
      completedOn,
      passed: !FAILED.has(status),
      score: 'score' in s ? s.score : null,
    });
  }
  return result;
}
