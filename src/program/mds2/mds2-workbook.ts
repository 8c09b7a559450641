/**
 * @module Reads a filled MDS2 form (ANSI/NEMA HN 1-2019, an Excel workbook) into question-id → answer
 * items. Tolerant of layout: any sheet, any column order; the header row is found by its "Question ID"
 * cell, with the question text, the "Yes/No/N/A" answer column and the notes (a notes column, or a
 * "Note #" column pointing into a notes sheet) beside it. Strict about content: an answer that is not
 * Yes/No/N/A/See note is an error naming sheet, row and cell, and nothing is returned on any error.
 * Every XML part must be the UTF-8 (or UTF-16) it declares, checked from the bytes (workbook-parts.ts).
 * No I/O beyond the bytes given; exceljs is loaded on first use.
 */
import { type InputIssue, invalidInput, VigilError } from '../../errors.js';
import { type Mds2AnswerValue, type Mds2Form, type Mds2Item, TEXT_QUESTIONS } from './mds2-form.js';
import { checkWorkbookText } from './workbook-parts.js';

/** Rows looked at for the header; real forms have a title block of a dozen rows above it. */
const HEADER_SCAN_ROWS = 60;
/** More rows than any form has (the 2019 form has about 240 questions). */
const MAX_ROWS = 5_000;
const MAX_ISSUES = 50;
const QUESTION_ID = /^([A-Z]{2,5})-(\d{1,3}(?:\.\d{1,3}){0,4})$/;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The text of an exceljs cell value: strings, numbers, dates, rich text, formulas (their result), links. */
export function cellText(v: unknown, depth = 0): string {
  if (v === null || v === undefined || depth > 3) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['richText']))
      return o['richText'].map((r) => cellText((r as { text?: unknown } | null)?.text, depth + 1)).join('');
    if ('formula' in o || 'sharedFormula' in o) return cellText(o['result'], depth + 1);
    if ('text' in o) return cellText(o['text'], depth + 1);
  }
  return '';
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * "Yes", "No", "N/A", "See note", with whatever follows ("Yes, LDAP" → yes + note "LDAP").
 * Returns undefined for anything else.
 */
export function parseAnswer(raw: string): { answer: Mds2AnswerValue; rest: string } | undefined {
  const s = norm(raw);
  if (s === '' || /^_+$/.test(s)) return { answer: null, rest: '' };
  const m = /^(yes|no|n\s*\/\s*a|na|not applicable|see\s+notes?)(?![\p{L}\p{N}])[\s,;:.\-–)]*(.*)$/isu.exec(
    s,
  );
  if (!m) return undefined;
  const word = m[1]!.toLowerCase().replace(/\s+/g, '');
  const answer: Mds2AnswerValue =
    word === 'yes' ? 'yes' : word === 'no' ? 'no' : word.startsWith('see') ? 'see-note' : 'n/a';
  return { answer, rest: (m[2] ?? '').trim() };
}

/** An ISO date (YYYY-MM-DD) from what DOC-7 holds, or null when it does not read as a date. */
export function releaseDateOf(text: string | null): string | null {
  if (!text) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso) return Number.isNaN(Date.parse(`${iso[0]}T00:00:00Z`)) ? null : iso[0];
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (us) {
    const d = `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`;
    return Number.isNaN(Date.parse(`${d}T00:00:00Z`)) ? null : d;
  }
  const t = Date.parse(`${text.trim()} UTC`);
  return Number.isNaN(t) ? null : new Date(t).toISOString().slice(0, 10);
}

interface SheetLike {
  name: string;
  rowCount: number;
  getRow(n: number): { getCell(c: number): { value: unknown }; cellCount: number };
}

interface Header {
  row: number;
  id: number;
  question: number | undefined;
  answer: number | undefined;
  note: number | undefined;
  noteRef: number | undefined;
}

const columnName = (c: number): string => {
  let s = '';
  for (let n = c; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
};

function findHeader(ws: SheetLike): Header | undefined {
  const last = Math.min(ws.rowCount, HEADER_SCAN_ROWS);
  for (let r = 1; r <= last; r++) {
    const row = ws.getRow(r);
    const texts: string[] = [];
    for (let c = 1; c <= Math.min(row.cellCount, 40); c++)
      texts[c] = norm(cellText(row.getCell(c).value)).toLowerCase();
    const id = texts.findIndex((t) => t !== undefined && /^question\s*id\b|^question\s*#$|^id\s*#?$/.test(t));
    if (id < 1) continue;
    const taken = new Set<number>([id]);
    const find = (re: RegExp, not?: RegExp) => {
      const i = texts.findIndex((t, c) => !taken.has(c) && t !== undefined && re.test(t) && !not?.test(t));
      if (i < 1) return undefined;
      taken.add(i);
      return i;
    };
    // The answer column first: its header ("Yes/No/N/A or See Note") also says "note".
    const answer = find(/yes\s*\/\s*no|answer|response/);
    const noteRef = find(/^note\s*(#|no\.?|number|ref)/);
    const note = find(/note|comment|explanation|detail/);
    return { row: r, id, question: find(/question|description/, /\bid\b/), answer, note, noteRef };
  }
  return undefined;
}

function countQuestions(ws: SheetLike, h: Header): number {
  let n = 0;
  for (let r = h.row + 1; r <= Math.min(ws.rowCount, MAX_ROWS); r++)
    if (QUESTION_ID.test(norm(cellText(ws.getRow(r).getCell(h.id).value)).toUpperCase())) n++;
  return n;
}

/** Notes kept in a sheet of their own ("Notes": number, text), as some forms have them. */
function notesTable(sheets: readonly SheetLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const ws of sheets) {
    if (!/note/i.test(ws.name)) continue;
    for (let r = 1; r <= Math.min(ws.rowCount, MAX_ROWS); r++) {
      const row = ws.getRow(r);
      const ref = /^(?:note\s*#?\s*)?(\d{1,4})[.):]?$/i.exec(norm(cellText(row.getCell(1).value)));
      const text = norm(cellText(row.getCell(2).value));
      if (ref && text) out.set(ref[1]!, clip(text, 4000));
    }
  }
  return out;
}

/** Reads the form from the workbook's bytes; `file` names it in errors. */
export async function readMds2Workbook(data: Uint8Array, file: string): Promise<Mds2Form> {
  // Before exceljs, which would read a byte that is not UTF-8 as U+FFFD without a word.
  const bytes = await checkWorkbookText(data, file);
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never);
  } catch (e) {
    throw invalidInput(`${file} is not an Excel workbook (.xlsx) that can be read`, [
      { file, reason: `not a readable .xlsx workbook: ${clip(String((e as Error)?.message ?? e), 200)}` },
    ]);
  }
  try {
    return readSheets(wb.worksheets as unknown as SheetLike[], file);
  } catch (e) {
    if (e instanceof VigilError) throw e;
    // A workbook exceljs could open but not walk: still the file's fault, said plainly.
    throw invalidInput(`${file}: the MDS2 workbook could not be read`, [
      { file, reason: clip(String((e as Error)?.message ?? e), 200) },
    ]);
  }
}

/** The sheet-walking half, separate so tests can feed it sheets directly. */
export function readSheets(sheets: readonly SheetLike[], file: string): Mds2Form {
  let best: { ws: SheetLike; header: Header; count: number } | undefined;
  for (const ws of sheets) {
    const header = findHeader(ws);
    if (!header) continue;
    const count = countQuestions(ws, header);
    if (!best || count > best.count) best = { ws, header, count };
  }
  if (!best) {
    throw invalidInput(
      `${file}: no sheet has a header row with a "Question ID" column (sheets: ${sheets.map((s) => `'${s.name}'`).join(', ') || 'none'})`,
      [{ file, reason: 'no "Question ID" header row in the first 60 rows of any sheet' }],
    );
  }
  const { ws, header } = best;
  const where = (r: number, c?: number) =>
    `MDS2 sheet '${ws.name}' row ${r}${c ? ` (cell ${columnName(c)}${r})` : ''}`;
  if (!header.answer) {
    throw invalidInput(`${where(header.row)}: the header has no Yes/No/N/A answer column`, [
      {
        file,
        line: header.row,
        field: `sheet '${ws.name}'`,
        reason: 'no answer column ("Yes/No/N/A", "Answer") in the header row',
      },
    ]);
  }
  if (best.count === 0) {
    throw invalidInput(`${where(header.row)}: no MDS2 question ids (DOC-1, AUTH-1 …) below the header`, [
      { file, line: header.row, field: `sheet '${ws.name}'`, reason: 'no question ids below the header row' },
    ]);
  }
  const notes = header.noteRef ? notesTable(sheets) : new Map<string, string>();
  const issues: InputIssue[] = [];
  const items: Mds2Item[] = [];
  const seen = new Map<string, number>();
  for (let r = header.row + 1; r <= Math.min(ws.rowCount, MAX_ROWS) && issues.length < MAX_ISSUES; r++) {
    const row = ws.getRow(r);
    const questionId = norm(cellText(row.getCell(header.id).value)).toUpperCase();
    const m = QUESTION_ID.exec(questionId);
    if (!m) continue;
    const issue = (c: number, reason: string) =>
      issues.push({ file, line: r, field: `sheet '${ws.name}' cell ${columnName(c)}${r}`, reason });
    const first = seen.get(questionId);
    if (first !== undefined) {
      issue(header.id, `${questionId} appears twice (rows ${first} and ${r})`);
      continue;
    }
    seen.set(questionId, r);
    const question = header.question
      ? clip(norm(cellText(row.getCell(header.question).value)), 2000) || null
      : null;
    const raw = clip(norm(cellText(row.getCell(header.answer).value)), 2000);
    const notesOut: string[] = [];
    if (header.note) {
      const n = norm(cellText(row.getCell(header.note).value));
      if (n) notesOut.push(n);
    }
    if (header.noteRef) {
      const ref = norm(cellText(row.getCell(header.noteRef).value));
      for (const k of ref.match(/\d{1,4}/g) ?? []) notesOut.push(notes.get(k) ?? `Note ${k}`);
    }
    let answer: Mds2AnswerValue;
    if (TEXT_QUESTIONS.has(questionId)) answer = raw ? 'text' : null;
    else {
      const parsed = parseAnswer(raw);
      if (!parsed) {
        issue(header.answer, `answer '${clip(raw, 60)}' for ${questionId} is not Yes/No/N/A`);
        continue;
      }
      answer = parsed.answer;
      if (parsed.rest) notesOut.unshift(parsed.rest);
    }
    items.push({
      questionId,
      section: m[1]!,
      question,
      answer,
      value: raw || null,
      note: notesOut.length ? clip(notesOut.join('\n'), 4000) : null,
      row: r,
    });
  }
  if (issues.length) {
    const firstIssue = issues[0]!;
    throw invalidInput(
      `MDS2 sheet '${ws.name}' row ${firstIssue.line}: ${firstIssue.reason}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
      issues,
    );
  }
  const text = (id: string) => items.find((i) => i.questionId === id)?.value ?? null;
  return {
    sheet: ws.name,
    headerRow: header.row,
    items,
    manufacturer: text('DOC-1'),
    description: text('DOC-2'),
    model: text('DOC-3'),
    formId: text('DOC-4'),
    releaseDate: releaseDateOf(text('DOC-7')),
  };
}
