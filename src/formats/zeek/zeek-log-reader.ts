/**
 * @module Reads a Zeek log line by line, in either format (TSV with its `#` header, or JSON objects), into
 * typed records. The caller hands over lines (a whole file, or lines as a followed file grows); each line
 * that cannot be read becomes one issue naming the file and line and is skipped, and logs Vigil does not
 * use (`files`, `weird`, `known_hosts` …) are counted per path, not reported as errors. Pure; never throws.
 */
import type { InputIssue } from '../../errors.js';
import { plural } from '../../format-count.js';
import { type NotUtf8, notUtf8LineReason } from '../utf8.js';
import { parseJsonRow } from './zeek-json.js';
import { isZeekLogPath, toZeekRecord, type ZeekRecord } from './zeek-records.js';
import { applyHeaderLine, defaultTsvHeader, parseTsvRow, type ZeekTsvHeader } from './zeek-tsv.js';

/** After this many issues in one file the rest are only counted (a file of garbage stays one screen). */
export const MAX_ISSUES_PER_FILE = 200;

export interface ZeekLogLine {
  record: ZeekRecord;
  /** 1-based line in the file. */
  line: number;
}

/** `conn.log`, `conn.09:00:00-10:00:00.log.gz`, `conn.json`, `conn_20240101.log` → `conn`. */
export function logPathFromFileName(file: string): string | null {
  const base = file.replace(/^.*[/\\]/, '');
  const m = /^([a-z][a-z0-9_]*?)(?:[._-]\d|\.(?:log|json|ndjson)\b|$)/i.exec(base);
  return m ? m[1]!.toLowerCase() : null;
}

export class ZeekLogReader {
  readonly issues: InputIssue[] = [];
  /** Issues beyond MAX_ISSUES_PER_FILE, counted only. */
  moreIssues = 0;
  /** Lines of logs Vigil does not read, by log path. */
  readonly skipped = new Map<string, number>();
  /** Which format the data lines were in (`mixed` when both were seen). */
  format: 'tsv' | 'json' | 'mixed' | null = null;
  records = 0;
  private header: ZeekTsvHeader = defaultTsvHeader();
  private readonly pathFromName: string | null;
  /**
   * Set from a header line that is not UTF-8 until the next log starts (`#separator`): its issue, and how
   * many TSV data lines under it were not read.
   */
  private damagedHeader: { issue: InputIssue | null; reason: string; lines: number } | null = null;

  constructor(readonly file: string) {
    this.pathFromName = logPathFromFileName(file);
  }

  /** The record on this line, or null (header, blank, skipped or bad line). */
  line(raw: string, lineNo: number): ZeekLogLine | null {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.length === 0) return null;
    if (text.startsWith('#')) {
      if (text.startsWith('#separator') && !text.startsWith('#separator ')) {
        this.issue(lineNo, 'malformed #separator header');
        return null;
      }
      // A header starts a new log: the writer's defaults hold until it says otherwise.
      if (text.startsWith('#separator ')) {
        this.header = defaultTsvHeader();
        this.damagedHeader = null;
      }
      applyHeaderLine(this.header, text);
      return null;
    }
    let path: string | null;
    let fields: Record<string, unknown>;
    if (text.startsWith('{')) {
      this.saw('json');
      const row = parseJsonRow(text);
      if ('error' in row) return this.issue(lineNo, row.error);
      path = row.path ?? this.pathFromName;
      fields = row.fields;
    } else {
      this.saw('tsv');
      if (this.damagedHeader) return this.underDamagedHeader(this.damagedHeader);
      if (!this.header.fields) return this.issue(lineNo, 'data line before any #fields header');
      path = this.header.path ?? this.pathFromName;
      if (path !== null && !isZeekLogPath(path)) return this.skip(path);
      const row = parseTsvRow(this.header, text);
      if ('error' in row) return this.issue(lineNo, row.error);
      fields = row.fields;
    }
    if (path === null)
      return this.issue(lineNo, 'no #path header, `_path` field or log name in the file name');
    if (!isZeekLogPath(path)) return this.skip(path);
    const r = toZeekRecord(path, fields as never);
    if ('error' in r) return this.issue(lineNo, r.error);
    this.records++;
    return { record: r.record, line: lineNo };
  }

  /**
   * A line the caller found not to be UTF-8 (`text` is its lenient decoding, never stored). A data line is
   * one issue and skipped. A header line (`#fields`, `#types`, `#path`, the separators) decides how every
   * data line under it reads: it is one issue naming it, and the log's TSV data lines up to the next log
   * (`#separator`) are not read, rather than read against a header with U+FFFD in a field name or each
   * reported as "data line before any #fields header". `#open`/`#close` only hold a time.
   */
  notUtf8Line(text: string, lineNo: number, bad: NotUtf8): null {
    const why = notUtf8LineReason(bad);
    if (!text.startsWith('#') || /^#(open|close)\b/.test(text)) return this.issue(lineNo, why);
    const directive = /^#[a-z_]+/.exec(text)?.[0];
    if (directive === '#separator') this.header = defaultTsvHeader();
    const reason = `the ${directive ?? '#'} header line is ${why}: the log's data lines under it are not read`;
    const listed = this.issues.length;
    this.issue(lineNo, reason);
    this.damagedHeader = {
      issue: this.issues.length > listed ? this.issues.at(-1)! : null,
      reason,
      lines: 0,
    };
    return null;
  }

  private underDamagedHeader(d: NonNullable<ZeekLogReader['damagedHeader']>): null {
    d.lines++;
    // The count lands in the header's issue itself: one issue, however many lines it cost.
    if (d.issue) d.issue.reason = `${d.reason} (${plural(d.lines, 'line')})`;
    return null;
  }

  private saw(format: 'tsv' | 'json'): void {
    if (this.format === null) this.format = format;
    else if (this.format !== format) this.format = 'mixed';
  }

  private skip(path: string): null {
    this.skipped.set(path, (this.skipped.get(path) ?? 0) + 1);
    return null;
  }

  /** Reports a line that cannot be read. */
  issue(line: number, reason: string): null {
    if (this.issues.length < MAX_ISSUES_PER_FILE) this.issues.push({ file: this.file, line, reason });
    else this.moreIssues++;
    return null;
  }
}

export interface ZeekLogRead {
  lines: ZeekLogLine[];
  issues: InputIssue[];
  skipped: Record<string, number>;
  format: ZeekLogReader['format'];
}

/** A whole log held in memory (tests, small files). */
export function readZeekLog(text: string, file: string): ZeekLogRead {
  const reader = new ZeekLogReader(file);
  const lines: ZeekLogLine[] = [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  all.forEach((l, i) => {
    const r = reader.line(l, i + 1);
    if (r) lines.push(r);
  });
  const issues = [...reader.issues];
  if (reader.moreIssues) issues.push({ file, reason: `${reader.moreIssues} further bad lines not listed` });
  return { lines, issues, skipped: Object.fromEntries(reader.skipped), format: reader.format };
}

/** A Zeek log, by its first bytes: a `#separator` header, or a JSON object with `ts` and `uid`/`id.orig_h`/`_path`. */
export function looksLikeZeekLog(head: string): boolean {
  const t = head.replace(/^\uFEFF/, '');
  if (t.startsWith('#separator ')) return true;
  const first = t.slice(0, t.indexOf('\n') >= 0 ? t.indexOf('\n') : undefined).trim();
  if (!first.startsWith('{')) return false;
  return (
    /"ts"\s*:/.test(first) && /"(uid|id\.orig_h|_path)"\s*:/.test(first) && !/"event_type"\s*:/.test(first)
  );
}
