/**
 * @module Reading an HR export of people (CSV): header names as HR systems spell them (Employee ID,
 * First Name / Last Name or Name, Work Email, Job Title, Department, Location, Manager Email,
 * Network Access, Hire Date, Termination Date), one record per row with its line number, and every
 * problem as `{ file, line, field, reason }`. Pure: the file's bytes (or text) in, records out.
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

export interface PersonCsvRecord {
  line: number;
  employeeId: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  jobRole: string | null;
  site: string | null;
  department: string | null;
  /** Email or employee id of the manager. */
  manager: string | null;
  /** null when the file has no such column: the stored value is then left alone. */
  networkAccess: boolean | null;
  activeFrom: string | null;
  leftOn: string | null;
}

type Column =
  | 'employeeId'
  | 'name'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'phone'
  | 'jobRole'
  | 'site'
  | 'department'
  | 'manager'
  | 'networkAccess'
  | 'activeFrom'
  | 'leftOn';

/** Header spellings (lower-cased, spaces/underscores/dashes removed) → column. */
const HEADERS: Record<string, Column> = {
  employeeid: 'employeeId',
  empid: 'employeeId',
  employeenumber: 'employeeId',
  personnelnumber: 'employeeId',
  workerid: 'employeeId',
  name: 'name',
  fullname: 'name',
  displayname: 'name',
  employeename: 'name',
  firstname: 'firstName',
  givenname: 'firstName',
  lastname: 'lastName',
  surname: 'lastName',
  familyname: 'lastName',
  email: 'email',
  emailaddress: 'email',
  workemail: 'email',
  phone: 'phone',
  workphone: 'phone',
  phonenumber: 'phone',
  telephone: 'phone',
  jobrole: 'jobRole',
  jobtitle: 'jobRole',
  title: 'jobRole',
  role: 'jobRole',
  position: 'jobRole',
  site: 'site',
  location: 'site',
  worklocation: 'site',
  campus: 'site',
  department: 'department',
  dept: 'department',
  costcenter: 'department',
  manager: 'manager',
  manageremail: 'manager',
  managerid: 'manager',
  manageremployeeid: 'manager',
  supervisor: 'manager',
  supervisoremail: 'manager',
  networkaccess: 'networkAccess',
  hasnetworkaccess: 'networkAccess',
  startdate: 'activeFrom',
  hiredate: 'activeFrom',
  activefrom: 'activeFrom',
  enddate: 'leftOn',
  terminationdate: 'leftOn',
  lefton: 'leftOn',
  leftdate: 'leftOn',
};

const headerKey = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]+/g, '');

const YES = new Set(['yes', 'y', 'true', '1', 'x']);
const NO = new Set(['no', 'n', 'false', '0', '']);
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** ISO dates and US-style M/D/YYYY (what most HR exports write) as YYYY-MM-DD. */
export function csvDate(v: string): string | undefined {
  const s = v.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(s);
  let y: number;
  let mo: number;
  let d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
    if (!m) return undefined;
    [mo, d, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  return date.toISOString().slice(0, 10);
}

export interface PeopleCsvResult {
  records: PersonCsvRecord[];
  issues: InputIssue[];
  /** Header names not understood (ignored). */
  ignoredColumns: string[];
  /**
   * Employee ids and emails of the rows left out for a problem: the importer still checks the good rows'
   * managers, and a manager whose own row has a problem is that row's problem, not "found nowhere".
   */
  rejectedKeys: string[];
}

/**
 * `input` is the file's bytes as read, so that a byte that is not UTF-8 is told from a U+FFFD the file
 * really holds; text given as a string is taken as it is. A record longer than `maxRecordChars` (default
 * MAX_CSV_RECORD_CHARS) stops the reading.
 */
export function parsePeopleCsv(
  input: string | Uint8Array,
  file: string,
  maxRecordChars = MAX_CSV_RECORD_CHARS,
): PeopleCsvResult {
  const issues: InputIssue[] = [];
  const fileIssue = (issue: InputIssue): PeopleCsvResult => ({
    records: [],
    issues: [issue],
    ignoredColumns: [],
    rejectedKeys: [],
  });
  let text: string;
  let notUtf8: NotUtf8Lines | null = null;
  if (typeof input === 'string') text = input;
  else {
    // Excel's "Unicode Text" save: decoded as UTF-8 it would be a header of NULs.
    const utf16 = utf16Of(input);
    if (utf16) return fileIssue({ file, reason: utf16Csv(utf16) });
    ({ text, notUtf8 } = decodeLeniently(input));
  }
  let rows: { record: string[]; info: { lines: number } }[];
  let lastEnd = 0;
  try {
    // Line breaks made one kind first, as the byte scan counts them (CRLF, LF or a lone CR is one break):
    // csv-parse counts a CRLF inside a quoted cell as two lines, and the two numberings would part.
    rows = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: maxRecordChars,
      // Where the last record ended, so a record too long is named by the line it starts on.
      on_record: (rec: string[], ctx: { lines: number }) => {
        lastEnd = ctx.lines;
        return rec;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    if (isRecordTooLong(err)) return fileIssue({ file, ...tooLongRecord(err, lastEnd, maxRecordChars) });
    return {
      records: [],
      issues: [
        {
          file,
          ...(err.lines ? { line: err.lines } : {}),
          reason: `malformed CSV: ${shortValue(err.message, 200)}`,
        },
      ],
      ignoredColumns: [],
      rejectedKeys: [],
    };
  }
  const header = rows[0];
  if (!header)
    return {
      records: [],
      issues: [{ file, reason: 'the file is empty' }],
      ignoredColumns: [],
      rejectedKeys: [],
    };
  const columns = new Map<Column, number>();
  const ignoredColumns: string[] = [];
  header.record.forEach((h, i) => {
    const c = HEADERS[headerKey(h)];
    if (!c) {
      if (h.trim()) ignoredColumns.push(h.trim());
      return;
    }
    if (columns.has(c))
      issues.push({ file, line: header.info.lines, field: h, reason: `a second ${c} column` });
    else columns.set(c, i);
  });
  if (!columns.has('name') && !(columns.has('firstName') || columns.has('lastName')))
    issues.push({ file, line: header.info.lines, reason: 'no Name (or First Name / Last Name) column' });
  if (!columns.has('email') && !columns.has('employeeId'))
    issues.push({
      file,
      line: header.info.lines,
      reason: 'no Email or Employee ID column: people could not be matched on re-import',
    });
  if (issues.length) return { records: [], issues, ignoredColumns, rejectedKeys: [] };

  const records: PersonCsvRecord[] = [];
  const rejectedKeys: string[] = [];
  for (const row of rows.slice(1)) {
    const fields = row.record;
    // The line a record starts on: its last line minus the line breaks inside its fields.
    const line = row.info.lines - fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    const get = (c: Column) => {
      const i = columns.get(c);
      const v = i === undefined ? '' : (fields[i] ?? '').trim().replace(/\s+/g, ' ');
      return v || null;
    };
    const bad = (field: string, reason: string) => issues.push({ file, line, field, reason });
    // A cut last line or a short row would otherwise read its missing cells as empty: no termination date
    // (the person made active again), network access "no".
    const misfit = fieldCountProblem(fields, header.record.length);
    if (misfit) {
      issues.push({ file, line, reason: misfit });
      rejectedKeys.push(...[get('employeeId'), get('email')].filter((k): k is string => Boolean(k)));
      continue;
    }
    // The bytes were decoded leniently: a byte that is not UTF-8 (a Windows-1252 export) became U+FFFD,
    // which would otherwise replace a stored name or email with a mangled one.
    const read = [...columns];
    const notUtf8Bytes = notUtf8Record(
      notUtf8,
      line,
      row.info.lines,
      read.map(([, i]) => fields[i] ?? ''),
    );
    if (notUtf8Bytes) {
      const field = read
        .filter(([, i]) => fields[i]?.includes('\uFFFD'))
        .map(([c]) => c)
        .join(', ');
      issues.push({ file, line: notUtf8Bytes.line, field, reason: notUtf8Text(notUtf8Bytes.notUtf8) });
      rejectedKeys.push(...[get('employeeId'), get('email')].filter((k): k is string => Boolean(k)));
      continue;
    }
    // A NUL would otherwise reach the store as U+FFFD in a name or job role.
    const control = controlInRecord(
      fields,
      read.map(([, i]) => i),
      line,
    );
    if (control) {
      const field = read.find(([, i]) => i === control.at)![0];
      issues.push({ file, line: control.line, field, reason: control.reason });
      rejectedKeys.push(...[get('employeeId'), get('email')].filter((k): k is string => Boolean(k)));
      continue;
    }
    const before = issues.length;
    const name = get('name') ?? ([get('firstName'), get('lastName')].filter(Boolean).join(' ') || null);
    if (!name) bad('name', 'no name');
    else if (name.length > 200) bad('name', 'longer than 200 characters');
    const email = get('email');
    if (email && (!EMAIL.test(email) || email.length > 254))
      bad('email', `"${shortValue(email)}" is not an email address`);
    const employeeId = get('employeeId');
    if (employeeId && employeeId.length > 64) bad('employeeId', 'longer than 64 characters');
    if (!email && !employeeId) bad('email', 'neither an email nor an employee id to match the person on');
    let networkAccess: boolean | null = null;
    if (columns.has('networkAccess')) {
      const raw = (get('networkAccess') ?? '').toLowerCase();
      if (YES.has(raw)) networkAccess = true;
      else if (NO.has(raw)) networkAccess = false;
      else bad('networkAccess', `"${shortValue(raw)}" is not yes or no`);
    }
    const date = (c: 'activeFrom' | 'leftOn') => {
      const raw = get(c);
      if (!raw) return null;
      const d = csvDate(raw);
      if (!d) bad(c, `"${shortValue(raw)}" is not a date (YYYY-MM-DD or M/D/YYYY)`);
      return d ?? null;
    };
    const activeFrom = date('activeFrom');
    const leftOn = date('leftOn');
    const long = (c: Column, max: number) => {
      const v = get(c);
      if (v && v.length > max) bad(c, `longer than ${max} characters`);
      return v;
    };
    const rec: PersonCsvRecord = {
      line,
      employeeId,
      name: name ?? '',
      email,
      phone: long('phone', 50),
      jobRole: long('jobRole', 200),
      site: long('site', 200),
      department: long('department', 200),
      manager: long('manager', 254),
      networkAccess,
      activeFrom,
      leftOn,
    };
    if (rec.department && !rec.site) bad('site', 'a department needs the site it belongs to');
    if (issues.length === before) records.push(rec);
    else rejectedKeys.push(...[employeeId, email].filter((k): k is string => Boolean(k)));
  }
  return { records, issues, ignoredColumns, rejectedKeys };
}
