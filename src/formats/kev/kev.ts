/**
 * @module CISA Known Exploited Vulnerabilities catalog reader. Validates the header and each entry
 * against the fields CISA's JSON schema marks required; a bad entry is an issue and is skipped, the
 * rest of the catalog stands. A `count` that disagrees with the entries read is reported, because it
 * is how a truncated download shows.
 * @see https://www.cisa.gov/known-exploited-vulnerabilities-catalog
 * @see https://github.com/cisagov/kev-data (known_exploited_vulnerabilities_schema.json)
 */

import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { InputIssue, KevCatalog, KevEntry } from '../../advisories/records.js';
import { plural } from '../../format-count.js';
import { isRecordTooLong, MAX_CSV_RECORD_CHARS, recordTooLong } from '../csv-row.js';
import { CWE_PATTERN, normalizeCveId, parseEach, zodIssues } from '../read-result.js';

const Header = z.looseObject({
  title: z.string().optional(),
  catalogVersion: z.string(),
  dateReleased: z.string(),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()),
});

/** Required per the schema: cveID … dueDate. `dueDate` is accepted missing (older entries lacked it). */
const Entry = z.looseObject({
  cveID: z.string(),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date'),
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date')
    .nullish(),
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string()).optional(),
});

/** `rejected`: rows of a CSV that were skipped (unreadable, or not a valid entry). */
type KevRead = { catalog: KevCatalog | null; issues: InputIssue[]; rejected?: number };

/** The catalog entry of one valid schema entry, or an issue when its CVE id is not one. */
function toEntry(
  e: z.infer<typeof Entry>,
  file: string,
  where: string,
  issues: InputIssue[],
): KevEntry | null {
  const cve = normalizeCveId(e.cveID);
  if (cve === null) {
    issues.push({ file, where: `${where}.cveID`, message: `not a CVE id: ${JSON.stringify(e.cveID)}` });
    return null;
  }
  return {
    cve,
    vendor: e.vendorProject,
    product: e.product,
    name: e.vulnerabilityName,
    dateAdded: e.dateAdded,
    dueDate: e.dueDate ?? null,
    shortDescription: e.shortDescription,
    requiredAction: e.requiredAction,
    knownRansomwareCampaignUse: e.knownRansomwareCampaignUse ?? 'Unknown',
    notes: e.notes ?? '',
    cwes: (e.cwes ?? []).filter((c) => CWE_PATTERN.test(c)),
  };
}

/** The CSV's columns, as CISA publishes them beside the JSON (`known_exploited_vulnerabilities.csv`). */
const CSV_COLUMNS = [
  'cveID',
  'vendorProject',
  'product',
  'vulnerabilityName',
  'dateAdded',
  'shortDescription',
  'requiredAction',
  'dueDate',
  'knownRansomwareCampaignUse',
  'notes',
  'cwes',
] as const;

/** Whether a text is the KEV catalog as CSV: its header row. */
export const isKevCsv = (text: string) => /^\uFEFF?"?cveID"?,"?vendorProject"?,/.test(text);

type CsvRow = { record: Record<string, string>; info: { lines: number } };
const CSV_OPTIONS = {
  columns: true,
  info: true,
  skip_empty_lines: true,
  relax_column_count: true,
  max_record_size: MAX_CSV_RECORD_CHARS,
} as const;

/**
 * The rows of a CSV whose parse failed, one physical line at a time: a line that opens a quoted field
 * takes the following lines while the quote stays open (a real multi-line field); a line that still
 * cannot be read is reported by its line number and skipped. Null when the header itself is unreadable.
 */
function readCsvByLine(text: string, file: string): { rows: CsvRow[]; issues: InputIssue[] } | null {
  const lines = text.split(/\r?\n/);
  const header = lines[0] ?? '';
  try {
    parse(`${header}\n`, CSV_OPTIONS);
  } catch {
    return null;
  }
  const rows: CsvRow[] = [];
  const issues: InputIssue[] = [];
  let i = 1;
  while (i < lines.length) {
    if (lines[i]!.trim() === '') {
      i++;
      continue;
    }
    let end = i;
    let read: CsvRow[] | undefined;
    let error: Error | undefined;
    for (;;) {
      try {
        read = parse(`${header}\n${lines.slice(i, end + 1).join('\n')}`, CSV_OPTIONS) as CsvRow[];
        error = undefined;
        break;
      } catch (err) {
        error = err as Error;
        if ((err as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED' || end + 1 >= lines.length) break;
        end++;
      }
    }
    if (read?.length === 1) {
      rows.push({ record: read[0]!.record, info: { lines: i + 1 } });
      i = end + 1;
    } else {
      issues.push({
        file,
        where: `line ${i + 1}`,
        message: `not readable as CSV: ${error?.message ?? 'not one row'}`,
      });
      i++;
    }
  }
  return { rows, issues };
}

/**
 * The KEV catalog as CSV, as CISA's website offers it for download. The CSV has no header fields: its
 * version and release date are taken from its newest `dateAdded` (CISA releases the catalog the day it
 * adds entries) and the summary says so. Each row is checked like a JSON entry; a bad row is an issue
 * naming its line, and skipped.
 */
export function readKevCsv(text: string, file: string): KevRead {
  const issues: InputIssue[] = [];
  let rows: CsvRow[];
  let unreadable = 0;
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), CSV_OPTIONS) as CsvRow[];
  } catch (err) {
    // A line no catalog row comes near (CISA's longest are about 2 KB): not the KEV CSV, and reading it
    // again line by line would only take longer to say so.
    if (isRecordTooLong(err)) {
      const line = (err as { lines?: number }).lines ?? 1;
      return {
        catalog: null,
        issues: [{ file, where: `line ${line}`, message: recordTooLong(line, line, MAX_CSV_RECORD_CHARS) }],
      };
    }
    // One broken row (a truncated quoted field) must not cost the whole catalog: read row by row,
    // reporting the unreadable ones by their own line and keeping the rest.
    const byLine = readCsvByLine(text.replace(/^\uFEFF/, ''), file);
    if (!byLine) {
      const line = (err as { lines?: number }).lines;
      return {
        catalog: null,
        issues: [
          {
            file,
            where: line ? `line ${line}` : 'line 1',
            message: `not readable as CSV: ${(err as Error).message}`,
          },
        ],
      };
    }
    rows = byLine.rows;
    issues.push(...byLine.issues);
    unreadable = byLine.issues.length;
  }
  const header = Object.keys(rows[0]?.record ?? {});
  const missing = CSV_COLUMNS.slice(0, 7).filter((c) => rows.length > 0 && !header.includes(c));
  if (rows.length === 0 || missing.length) {
    return {
      catalog: null,
      issues: [
        {
          file,
          where: 'line 1',
          message: rows.length === 0 ? 'no KEV entries' : `not the KEV CSV: no column ${missing.join(', ')}`,
        },
      ],
    };
  }
  const entries: KevEntry[] = [];
  for (const { record, info } of rows) {
    const where = `line ${info.lines}`;
    const r = Entry.safeParse({
      ...record,
      dueDate: record['dueDate'] || null,
      cwes: (record['cwes'] ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    });
    if (!r.success) {
      for (const i of r.error.issues)
        issues.push({ file, where: `${where}, column ${String(i.path[0] ?? '?')}`, message: i.message });
      continue;
    }
    const entry = toEntry(r.data, file, where, issues);
    if (entry) entries.push(entry);
  }
  const newest =
    entries
      .map((e) => e.dateAdded)
      .sort()
      .at(-1) ?? '';
  return {
    catalog: {
      title: 'CISA Catalog of Known Exploited Vulnerabilities (CSV)',
      catalogVersion: newest.replaceAll('-', '.'),
      dateReleased: newest,
      entries,
    },
    issues,
    rejected: unreadable + rows.length - entries.length,
  };
}

export function readKev(json: unknown, file: string): KevRead {
  const issues: InputIssue[] = [];
  const h = Header.safeParse(json);
  if (!h.success) {
    issues.push(...zodIssues(h.error, file, '$'));
    return { catalog: null, issues };
  }
  const entries: KevEntry[] = [];
  for (const { value: e, path } of parseEach(
    h.data.vulnerabilities,
    Entry,
    file,
    '$.vulnerabilities',
    issues,
  )) {
    const entry = toEntry(e, file, path, issues);
    if (entry) entries.push(entry);
  }
  if (h.data.count !== h.data.vulnerabilities.length) {
    issues.push({
      file,
      where: '$.count',
      message: `count says ${h.data.count} but the file lists ${plural(h.data.vulnerabilities.length, 'vulnerability', 'vulnerabilities')}`,
    });
  }
  return {
    catalog: {
      title: h.data.title ?? '',
      catalogVersion: h.data.catalogVersion,
      dateReleased: h.data.dateReleased,
      entries,
    },
    issues,
  };
}
