/**
 * @module Reads a CMMS device export (CSV) into validated device declarations, one per row, each with
 * its line number; pure (text in, rows and issues out, no database). Headers match the default column
 * names case-insensitively with spaces, underscores and dashes ignored, or through a mapping; unknown
 * columns are reported and ignored. Every problem is an issue `{file, line, field, reason}`: bad
 * quoting, a wrong number of fields, a value that does not parse, a row without any strong key, and a
 * row that names the same device as an earlier row. Format reference: docs/cmms-csv.md.
 * @see RFC 4180 Common Format and MIME Type for CSV Files
 */

import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { InputIssue } from '../errors.js';
import { unguardFormula } from '../formats/csv-cell.js';
import {
  controlInRecord,
  fieldCountProblem,
  isRecordTooLong,
  MAX_CSV_RECORD_CHARS,
  notUtf8Record,
  notUtf8Text,
  tooLongRecord,
  utf16Csv,
} from '../formats/csv-row.js';
import { NotUtf8Lines } from '../formats/not-utf8-lines.js';
import { shortValue } from '../formats/short-value.js';
import { type Utf16, utf16Of } from '../formats/utf16.js';
import type { DeviceAttributes } from './device.js';
import { DeviceAttributesSchema, zodIssues } from './device-input.js';
import {
  type CandidateKeys,
  candidateKeys,
  hasStrongKey,
  IdentityIndex,
  resolveIdentity,
} from './identity.js';

export const CMMS_COLUMNS = [
  'asset_tag',
  'serial_number',
  'udi',
  'manufacturer',
  'model',
  'model_number',
  'device_class',
  'mac',
  'ip',
  'hostname',
  'firmware_version',
  'software_version',
  'os',
  'os_version',
  'os_end_of_support',
  'site',
  'building',
  'floor',
  'room',
  'department',
  'owner',
  'criticality',
  'ephi',
  'status',
] as const;
export type CmmsColumn = (typeof CMMS_COLUMNS)[number];

/** Header spellings that are unmistakably one of the columns, beyond the names themselves. */
const HEADER_ALIASES: Record<string, CmmsColumn> = {
  assetnumber: 'asset_tag',
  serial: 'serial_number',
  serialno: 'serial_number',
  macaddress: 'mac',
  macaddresses: 'mac',
  ipaddress: 'ip',
  ipaddresses: 'ip',
  vendor: 'manufacturer',
  firmware: 'firmware_version',
  lifecyclestatus: 'status',
};

/** Column → field of DeviceAttributes. Multi-valued columns hold several values separated by `;`. */
const FIELD_OF: Record<CmmsColumn, keyof DeviceAttributes> = {
  asset_tag: 'assetTag',
  serial_number: 'serialNumber',
  udi: 'udi',
  manufacturer: 'manufacturer',
  model: 'model',
  model_number: 'modelNumber',
  device_class: 'deviceClass',
  mac: 'macs',
  ip: 'ips',
  hostname: 'hostnames',
  firmware_version: 'firmwareVersion',
  software_version: 'softwareVersion',
  os: 'os',
  os_version: 'osVersion',
  os_end_of_support: 'osEndOfSupport',
  site: 'site',
  building: 'building',
  floor: 'floor',
  room: 'room',
  department: 'department',
  owner: 'owner',
  criticality: 'criticality',
  ephi: 'ephi',
  status: 'lifecycleStatus',
};
const MULTI = new Set<CmmsColumn>(['mac', 'ip', 'hostname']);
const STRONG_COLUMNS: CmmsColumn[] = ['asset_tag', 'serial_number', 'udi', 'mac'];

/** Spreadsheet placeholders for "nothing here"; such a cell says nothing, like an empty one. */
const PLACEHOLDERS = new Set(['-', 'n/a', 'na', '#n/a', 'null']);

/** The one way headers are compared: lower case, without spaces, underscores and dashes. */
export function headerKey(header: string): string {
  return header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

const COLUMN_BY_KEY = new Map<string, CmmsColumn>([
  ...CMMS_COLUMNS.map((c) => [headerKey(c), c] as [string, CmmsColumn]),
  ...Object.entries(HEADER_ALIASES),
]);

export function isCmmsColumn(value: string): value is CmmsColumn {
  return (CMMS_COLUMNS as readonly string[]).includes(value);
}

/**
 * A header mapping: file header as the person wrote it (compared with the file's by `headerKey`, so errors
 * can quote it as written) → column, or `null` to ignore the column. Of two entries for one header, the
 * later wins.
 */
export type HeaderMapping = Map<string, CmmsColumn | null>;

const IGNORE_TARGETS = new Set(['-', 'ignore']);

/**
 * Builds a mapping from `Header=column` entries (`--map 'Asset #=asset_tag'`). The last `=` splits, so
 * headers may contain `=`; a target of `-` or `ignore` drops the column silently.
 */
export function parseHeaderMapping(
  entries: readonly string[],
  origin = '--map',
): { mapping: HeaderMapping; issues: InputIssue[] } {
  const mapping: HeaderMapping = new Map();
  const issues: InputIssue[] = [];
  for (const [i, entry] of entries.entries()) {
    const at = entry.lastIndexOf('=');
    const header = at > 0 ? entry.slice(0, at).trim() : '';
    const rawTarget =
      at > 0
        ? entry
            .slice(at + 1)
            .trim()
            .toLowerCase()
        : '';
    const target = IGNORE_TARGETS.has(rawTarget) ? rawTarget : rawTarget.replace(/[\s-]+/g, '_');
    const where = origin === '--map' ? { field: `--map ${entry}` } : { file: origin, line: i + 1 };
    if (!header || !target) {
      issues.push({ ...where, reason: `"${entry}" is not HEADER=column` });
      continue;
    }
    if (IGNORE_TARGETS.has(target)) mapping.set(header, null);
    else if (isCmmsColumn(target)) mapping.set(header, target);
    else
      issues.push({
        ...where,
        reason: `"${target}" is not a column; use one of ${CMMS_COLUMNS.join(', ')} or - to ignore`,
      });
  }
  return { mapping, issues };
}

/** A mapping file: a JSON object `{"Asset #": "asset_tag"}` or `Header=column` lines (`#` comments). */
export function parseMappingFile(
  text: string,
  file: string,
): { mapping: HeaderMapping; issues: InputIssue[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (e) {
      return { mapping: new Map(), issues: [{ file, reason: `not valid JSON: ${(e as Error).message}` }] };
    }
    if (
      typeof obj !== 'object' ||
      obj === null ||
      Array.isArray(obj) ||
      !Object.values(obj).every((v) => typeof v === 'string')
    ) {
      return {
        mapping: new Map(),
        issues: [{ file, reason: 'must be a JSON object of "header": "column" strings' }],
      };
    }
    return parseHeaderMapping(
      Object.entries(obj as Record<string, string>).map(([k, v]) => `${k}=${v}`),
      file,
    );
  }
  const lines = text.split(/\r?\n/);
  const entries: string[] = [];
  const lineNo: number[] = [];
  lines.forEach((l, i) => {
    if (l.trim() && !l.trim().startsWith('#')) {
      entries.push(l);
      lineNo.push(i + 1);
    }
  });
  const r = parseHeaderMapping(entries, file);
  // Point issues at the real lines of the file, comments and blank lines included.
  return {
    mapping: r.mapping,
    issues: r.issues.map((x) => (x.line !== undefined ? { ...x, line: lineNo[x.line - 1]! } : x)),
  };
}

export interface CmmsRow {
  line: number;
  attrs: DeviceAttributes;
  keys: CandidateKeys;
}

export interface CmmsHeaderColumn {
  header: string;
  column: CmmsColumn | null;
}

export interface CmmsParseResult {
  file: string;
  columns: CmmsHeaderColumn[];
  ignoredColumns: string[];
  /** Rows that passed every check, in file order. */
  rows: CmmsRow[];
  /** Data rows read (blank rows not counted; a stretch of lines broken by bad quoting counts as one). */
  rowCount: number;
  /** Row errors and file errors. */
  issues: InputIssue[];
  warnings: InputIssue[];
  /** Distinct lines with at least one issue. */
  rejectedLines: number[];
  /** A problem with the file as a whole (no header, no strong-key column, bad mapping): nothing is usable. */
  fatal: boolean;
}

export interface CmmsParseOptions {
  /** Name used in issues. */
  file: string;
  mapping?: HeaderMapping;
  /** The longest record read (default MAX_CSV_RECORD_CHARS); a longer one makes the file unusable. */
  maxRecordChars?: number;
}

export type CsvInput =
  | string
  | Uint8Array
  | AsyncIterable<string | Uint8Array>
  | Iterable<string | Uint8Array>;

/**
 * Text chunks with every line break as `\n`. The parser's line counter counts a CRLF inside a quoted
 * field twice; with one kind of break, its count matches what an editor shows. The UTF-8 decoder drops
 * a BOM and turns invalid bytes into U+FFFD; `notUtf8` is fed the bytes first, so it knows where they
 * were by the time the parser hands out the record that holds them. A file whose first bytes are UTF-16
 * yields nothing and is recorded in `seen.utf16`: decoded as UTF-8 it would read as a header of NULs.
 */
async function* normalisedText(
  input: CsvInput,
  notUtf8: NotUtf8Lines,
  seen: { utf16?: Utf16 },
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let carryCr = false;
  let first = true;
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  for await (const chunk of chunks) {
    // A string is text (a U+FFFD in it is a character); its bytes only keep the line count right.
    notUtf8.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (first && typeof chunk !== 'string' && chunk.length) {
      const utf16 = utf16Of(chunk);
      if (utf16) {
        seen.utf16 = utf16;
        return;
      }
    }
    let s = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && s.length) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    if (carryCr) s = `\r${s}`;
    carryCr = s.endsWith('\r');
    if (carryCr) s = s.slice(0, -1);
    if (s) yield s.replace(/\r\n?/g, '\n');
  }
  notUtf8.end();
  const tail = decoder.decode() + (carryCr ? '\n' : '');
  if (tail) yield tail.replace(/\r\n?/g, '\n');
}

interface RawRecord {
  line: number;
  endLine: number;
  fields: string[];
}

/**
 * Records with their first line, and syntax errors, from csv-parse in streaming mode. A record over
 * `maxRecordChars` ends the reading: it is reported with `fatal`, as the rest of the file is not read.
 */
async function* csvRecords(
  input: CsvInput,
  notUtf8: NotUtf8Lines,
  seen: { utf16?: Utf16 },
  maxRecordChars: number,
  onError: (issue: { line: number; reason: string; fatal?: boolean }) => void,
): AsyncGenerator<RawRecord> {
  let lastEnd = 0;
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: maxRecordChars,
    // Called while parsing, before the consumer sees the record: keeps `lastEnd` right for on_skip.
    on_record: (rec, ctx) => {
      lastEnd = ctx.lines;
      return rec;
    },
    on_skip: (err) => {
      if (!err) return undefined;
      // Skipped, the record would be read on to its end, the slow part of a 64 MB line: thrown instead,
      // which stops the parser.
      if (isRecordTooLong(err)) throw err;
      const at = typeof err['lines'] === 'number' ? err['lines'] : lastEnd + 1;
      if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
        onError({
          line: lastEnd + 1,
          reason: `a quoted field starting on or after this line is never closed, so lines ${lastEnd + 1}–${at} could not be read`,
        });
      } else {
        onError({
          line: at,
          reason: `malformed CSV: ${shortValue(err.message.replace(/ at line \d+/, ''), 200)}`,
        });
      }
      lastEnd = at;
      return undefined;
    },
  });
  const source = Readable.from(normalisedText(input, notUtf8, seen), { objectMode: false });
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const endLine = rec.info.lines;
      let breaks = 0;
      for (const f of rec.record)
        for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) breaks++;
      yield { line: endLine - breaks, endLine, fields: rec.record };
    }
  } catch (e) {
    if (!isRecordTooLong(e)) throw e;
    onError({ ...tooLongRecord(e, lastEnd, maxRecordChars), fatal: true });
  } finally {
    source.destroy();
  }
}

function columnsOf(
  header: string[],
  file: string,
  mapping: HeaderMapping,
): { columns: CmmsHeaderColumn[]; issues: InputIssue[]; warnings: InputIssue[] } {
  const issues: InputIssue[] = [];
  const warnings: InputIssue[] = [];
  const used = new Map<CmmsColumn, string>();
  const keysInFile = new Set(header.map(headerKey));
  const byKey = new Map<string, CmmsColumn | null>();
  for (const [source, column] of mapping) {
    byKey.set(headerKey(source), column);
    if (!keysInFile.has(headerKey(source)))
      issues.push({
        file,
        line: 1,
        field: source,
        reason: `the mapping names a column "${shortValue(source)}" that the file does not have`,
      });
  }
  const columns = header.map((raw) => {
    const h = raw.trim();
    const key = headerKey(h);
    if (!key) return { header: h, column: null };
    const column = byKey.has(key) ? byKey.get(key)! : (COLUMN_BY_KEY.get(key) ?? null);
    if (column === null) {
      if (!byKey.has(key)) {
        warnings.push({
          file,
          line: 1,
          field: shortValue(h),
          reason: `column "${shortValue(h)}" is not used (map it with --map '${shortValue(h)}=COLUMN' or ignore it with '${shortValue(h)}=-')`,
        });
      }
      return { header: h, column: null };
    }
    const previous = used.get(column);
    if (previous !== undefined)
      issues.push({
        file,
        line: 1,
        field: shortValue(h),
        reason: `both "${shortValue(previous)}" and "${shortValue(h)}" map to ${column}`,
      });
    used.set(column, h);
    return { header: h, column };
  });
  if (!STRONG_COLUMNS.some((c) => used.has(c)) && issues.length === 0) {
    issues.push({
      file,
      line: 1,
      reason: `no column gives an asset_tag, serial_number, udi or mac (the header has: ${shortValue(header.join(', '))}); map one with --map`,
    });
  }
  if (header.length === 1 && /[;\t|]/.test(header[0] ?? '')) {
    issues.splice(0, issues.length, {
      file,
      line: 1,
      reason:
        'the header is a single column containing ";", tab or "|": Vigil reads comma-separated files; export as CSV with commas',
    });
  }
  return { columns, issues, warnings };
}

/** Validates one row's cells into device attributes; issues name the file's own header. */
function rowOf(
  rec: RawRecord,
  columns: CmmsHeaderColumn[],
  file: string,
  notUtf8: NotUtf8Lines,
): { row?: CmmsRow; issues: InputIssue[] } {
  const { fields, line } = rec;
  const issues: InputIssue[] = [];
  const misfit = fieldCountProblem(fields, columns.length);
  if (misfit) return { issues: [{ file, line, reason: misfit }] };
  // Bytes that are not UTF-8 in a column read (a Windows-1252 export): refused rather than stored as U+FFFD.
  const read = columns.flatMap((c, i) => (c.column ? [i] : []));
  const bad = notUtf8Record(
    notUtf8,
    rec.line,
    rec.endLine,
    read.map((i) => fields[i] ?? ''),
  );
  if (bad) {
    const field = read
      .filter((i) => fields[i]?.includes('\uFFFD'))
      .map((i) => shortValue(columns[i]!.header))
      .join(', ');
    return { issues: [{ file, line: bad.line, field, reason: notUtf8Text(bad.notUtf8) }] };
  }
  // A NUL would otherwise reach the store as U+FFFD ("St. Vigil Medical \uFFFDCenter", a new site).
  const control = controlInRecord(fields, read, rec.line);
  if (control)
    return {
      issues: [
        { file, line: control.line, field: shortValue(columns[control.at]!.header), reason: control.reason },
      ],
    };
  const raw: Record<string, unknown> = {};
  const headerOf = new Map<string, string>();
  for (const [i, col] of columns.entries()) {
    if (!col.column) continue;
    let cell = (fields[i] ?? '').trim();
    // After the placeholder check: a guarded `'-` is a real "-" the export wrote, not an empty cell.
    if (PLACEHOLDERS.has(cell.toLowerCase())) cell = '';
    else cell = unguardFormula(cell);
    if (cell === '') continue;
    const field = FIELD_OF[col.column];
    headerOf.set(field, col.header);
    raw[field] = MULTI.has(col.column)
      ? cell
          .split(';')
          .map((s) => s.trim())
          .filter(Boolean)
      : cell;
  }
  const parsed = DeviceAttributesSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of zodIssues(parsed.error)) {
      const field = i.field?.split('.')[0] ?? '';
      issues.push({ file, line, field: headerOf.get(field) ?? field, reason: i.reason });
    }
  }
  if (issues.length || !parsed.success) return { issues };
  const attrs = parsed.data as DeviceAttributes;
  // "unknown" is the absence of a class, not a fact: declared, it would outrank every class fingerprinting
  // later observes (docs/inventory.md), so it says nothing, like an empty cell.
  if (attrs.deviceClass === 'unknown') delete attrs.deviceClass;
  const keys = candidateKeys(attrs);
  if (!hasStrongKey(keys)) {
    return {
      issues: [
        {
          file,
          line,
          reason:
            'has no asset_tag, serial_number, udi or mac; a row needs at least one to identify the device',
        },
      ],
    };
  }
  return { row: { line, attrs, keys }, issues };
}

/** C0 controls no CSV text holds (tab, line breaks and form feed aside): NUL, the zip/pcap header bytes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding those characters is the point
const BINARY_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/;

/** Parses a CMMS export. Never throws for bad content: every problem is an issue in the result. */
export async function parseCmmsCsv(input: CsvInput, opts: CmmsParseOptions): Promise<CmmsParseResult> {
  const { file } = opts;
  const result: CmmsParseResult = {
    file,
    columns: [],
    ignoredColumns: [],
    rows: [],
    rowCount: 0,
    issues: [],
    warnings: [],
    rejectedLines: [],
    fatal: false,
  };
  const syntax: InputIssue[] = [];
  // The issue that stopped the reading (a record too long): the first thing the import says.
  let stoppedAt: InputIssue | undefined;
  let header: string[] | undefined;
  // Rows seen so far, indexed as pseudo-devices `line N`, so a later row naming the same device is caught.
  const seen = new IdentityIndex();
  const onSyntaxError = (e: { line: number; reason: string; fatal?: boolean }) => {
    if (e.fatal) {
      result.fatal = true;
      stoppedAt = { file, line: e.line, reason: e.reason };
      return;
    }
    // csv-parse can report one broken line twice as it resynchronises; one issue per line is enough.
    if (!syntax.some((x) => x.line === e.line)) syntax.push({ file, line: e.line, reason: e.reason });
  };
  const notUtf8 = new NotUtf8Lines();
  const encoding: { utf16?: Utf16 } = {};
  const records = csvRecords(
    input,
    notUtf8,
    encoding,
    opts.maxRecordChars ?? MAX_CSV_RECORD_CHARS,
    onSyntaxError,
  );
  for await (const rec of records) {
    if (!header) {
      header = rec.fields;
      // A capture, a workbook (.xlsx is a zip) or another binary file given as the CSV: say so rather
      // than echo its bytes as "the header" (and the parser's complaints about them) to a terminal.
      const binary = header.join(',').match(BINARY_CONTROL);
      if (binary) {
        const code = binary[0].codePointAt(0)!.toString(16).padStart(4, '0');
        result.issues.push({
          file,
          line: rec.line,
          reason: `not a CSV text file: the header row holds binary data (control character U+${code.toUpperCase()}); is this a capture or an .xlsx workbook? Export the inventory as CSV (UTF-8)`,
        });
        result.fatal = true;
        return result;
      }
      const c = columnsOf(header, file, opts.mapping ?? new Map());
      result.columns = c.columns;
      result.ignoredColumns = c.columns
        .filter((x) => x.column === null && x.header !== '')
        .map((x) => x.header);
      result.warnings.push(...c.warnings);
      if (c.issues.length) {
        result.issues.push(...c.issues);
        result.fatal = true;
        break;
      }
      continue;
    }
    if (rec.fields.every((f) => f.trim() === '')) continue;
    result.rowCount++;
    const { row, issues } = rowOf(rec, result.columns, file, notUtf8);
    if (!row) {
      result.issues.push(...issues);
      continue;
    }
    const dup = resolveIdentity(row.keys, seen);
    if (dup.kind === 'match') {
      const labels = {
        assetTag: 'asset_tag',
        udi: 'udi',
        serialNumber: 'serial_number',
        mac: 'mac',
      } as const;
      result.issues.push({
        file,
        line: row.line,
        field: dup.matchedBy.map((k) => labels[k]).join(', '),
        reason: `names the same device as ${dup.deviceId} (duplicate ${dup.matchedBy.map((k) => labels[k]).join(', ')})`,
      });
      continue;
    }
    if (dup.kind === 'conflict') {
      result.issues.push({
        file,
        line: row.line,
        reason: `duplicate strong key within the file: ${dup.reason}`,
      });
      continue;
    }
    seen.add({ id: `line ${row.line}`, ...row.keys }, row.keys);
    result.rows.push(row);
  }
  if (encoding.utf16) {
    // An Excel "Unicode Text" save, or a CSV re-saved by Notepad as "Unicode".
    result.issues.push({ file, reason: utf16Csv(encoding.utf16) });
    result.fatal = true;
    return result;
  }
  if (!header) {
    if (syntax.length === 0 && !stoppedAt)
      result.issues.push({ file, reason: 'the file is empty (no header row)' });
    result.fatal = true;
  }
  result.issues.push(...syntax);
  // A line the CSV syntax broke is a row too (or the start of several that could not be told apart).
  result.rowCount += syntax.length;
  result.issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (stoppedAt) result.issues.unshift(stoppedAt);
  result.rejectedLines = [
    ...new Set(result.issues.filter((i) => i.line !== undefined && i.line > 1).map((i) => i.line!)),
  ];
  return result;
}
