/**
 * @module What every CSV importer (CMMS devices, HR people, training completions) says about a data row
 * the same way: a row whose field count does not match the header (a truncated last line, a short row),
 * a record whose bytes are not UTF-8 (or a file in UTF-16), and a record too long to be a row of any
 * export. Pure.
 */
import { plural } from '../format-count.js';
import type { NotUtf8Lines } from './not-utf8-lines.js';
import { describeNotUtf8, type NotUtf8 } from './utf8.js';
import { type Utf16, utf16Reason } from './utf16.js';

/** The reason for a whole CSV file in UTF-16 (Excel's "Unicode Text"), with the save option that fixes it. */
export const utf16Csv = (u: Utf16): string => `the file ${utf16Reason(u)} (Excel: CSV UTF-8)`;

/** Reason for a cell on a line whose bytes are not UTF-8, naming the line's first bad byte. */
export const notUtf8Text = (n: NotUtf8): string =>
  `is not valid UTF-8 text (${describeNotUtf8(n)} of the line; save the export as UTF-8)`;

/**
 * C0 controls other than tab, the line breaks and vertical tab: no export puts them in a cell (a NUL
 * from a broken export or a binary file), and the store would keep a NUL as U+FFFD (PostgreSQL's text
 * cannot hold it). A vertical tab is how FileMaker exports a line break inside a cell, so a CMMS kept in
 * FileMaker writes one in every multi-line note: it is kept (printed escaped, as any control character).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding those characters is the point
const CONTROL = /[\u0000-\u0008\u000c\u000e-\u001f]/;

/** A cell's first control character, with its byte offset in the cell's UTF-8 text, or null. */
export function controlCharacter(cell: string): { codePoint: number; index: number; offset: number } | null {
  const m = CONTROL.exec(cell);
  if (!m) return null;
  return {
    codePoint: cell.charCodeAt(m.index),
    index: m.index,
    offset: Buffer.byteLength(cell.slice(0, m.index)),
  };
}

/**
 * The first cell of `cells` (those the importer stores, by position in the record) that holds a control
 * character, its line (a quoted cell can span lines from `line` on) and the reason; null when none does.
 */
export function controlInRecord(
  fields: readonly string[],
  read: readonly number[],
  line: number,
): { at: number; line: number; reason: string } | null {
  for (const at of [...read].sort((a, b) => a - b)) {
    const cell = fields[at] ?? '';
    const c = controlCharacter(cell);
    if (!c) continue;
    let breaks = 0;
    for (const f of [...fields.slice(0, at), cell.slice(0, c.index)]) breaks += f.split('\n').length - 1;
    const code = c.codePoint.toString(16).toUpperCase().padStart(4, '0');
    return {
      at,
      line: line + breaks,
      reason: `holds a control character (U+${code}) at byte offset ${c.offset} of the value; a CSV export holds none`,
    };
  }
  return null;
}

/**
 * Where a record (lines `from`–`to`) is refused for bytes that are not UTF-8: the first such byte of its
 * lines, when one of `cells` (those the importer stores) holds U+FFFD, the lenient decoding of such a
 * byte; null when none does. A U+FFFD in a file whose bytes are all UTF-8 is a character it really holds
 * (an export that already replaced something) and is kept; a bad byte only in a column the importer
 * ignores costs nothing, as it did. `notUtf8` is null for text given as a string, which holds no bytes.
 */
export function notUtf8Record(
  notUtf8: NotUtf8Lines | null,
  from: number,
  to: number,
  cells: readonly string[],
): { line: number; notUtf8: NotUtf8 } | null {
  if (!notUtf8?.any || !cells.some((c) => c.includes('\uFFFD'))) return null;
  // Should the parser's line numbers and the byte scan's ever disagree (a line break inside a quoted
  // cell counted differently), a U+FFFD in a file that has bad bytes is not taken for a real one: the
  // record is refused with the file's first bad byte rather than stored mangled.
  return notUtf8.firstIn(from, to) ?? notUtf8.first();
}

/**
 * Why a row does not fit the header, or null when it does. Fewer fields than the header is a cut or short
 * row, never a row of empty cells; extra fields count only when they hold something (some exports end each
 * row with a comma).
 */
export function fieldCountProblem(fields: readonly string[], headerFields: number): string | null {
  if (fields.length >= headerFields && fields.slice(headerFields).every((f) => f.trim() === '')) return null;
  return `has ${plural(fields.length, 'field')}, the header has ${headerFields}`;
}

/**
 * The longest CSV record (one row, all its fields) an importer of user files reads: csv-parse's
 * `max_record_size`, which counts a record's characters. A CMMS row with long maintenance notes is a few
 * KB, an HR or training row well under one, a KEV row about two: 1 MiB is hundreds of times any real row,
 * and csv-parse reads it in well under a second. Without a limit, a file that is no export (or a 64 MB
 * header line) keeps csv-parse busy for a minute before anything can be said about it.
 */
export const MAX_CSV_RECORD_CHARS = 1024 * 1024;

/** Whether a csv-parse error is its `max_record_size` being exceeded. */
export const isRecordTooLong = (err: unknown): boolean =>
  (err as { code?: unknown } | null)?.code === 'CSV_MAX_RECORD_SIZE';

const sizeText = (chars: number): string =>
  chars >= 1024 * 1024 && chars % (1024 * 1024) === 0
    ? `${chars / (1024 * 1024)} MiB`
    : plural(chars, 'character');

/**
 * The reason for a record over `max` characters: `from` is the line it starts on (the issue's own line,
 * so not repeated here), `to` the line the parser had reached (further on when a quoted field runs over
 * line breaks, as one left open does).
 */
export function recordTooLong(from: number, to: number, max: number): string {
  const what = to > from ? `the record runs on to line ${to} and is longer than` : 'longer than';
  return `${what} ${sizeText(max)}: no export's row comes near that (a row with long notes is a few KB); is this a CSV export, and is every quoted field closed?`;
}

/**
 * A csv-parse `max_record_size` error as an issue: the record starts on the line after `lastEnd` (where
 * the last good record ended) and runs to the line the parser had reached (`err.lines`), at least its own.
 */
export function tooLongRecord(err: unknown, lastEnd: number, max: number): { line: number; reason: string } {
  const reached = (err as { lines?: unknown } | null)?.lines;
  const from = lastEnd + 1;
  const to = typeof reached === 'number' ? Math.max(reached, from) : from;
  return { line: from, reason: recordTooLong(from, to, max) };
}
