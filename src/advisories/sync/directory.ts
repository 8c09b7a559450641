/**
 * @module Directory-based distribution: `index.txt` (every document path) and `changes.csv` (path, last
 * change; newest first) → sync entries, with the hash/signature files next to each document.
 * @see CSAF 2.0 §7.1.13–§7.1.15 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7114-requirement-14-directory-listings
 */
import { parse } from 'csv-parse/sync';
import { MAX_CSV_RECORD_CHARS } from '../../formats/csv-row.js';
import { conventionalCompanions, type FeedEntry } from './entry.js';
import { isHttpUrl } from './fetcher.js';

export interface ListingEntry {
  /** Path relative to the directory URL, as written in the listing. */
  path: string;
  updated: string | null;
}

export interface ListingParseResult {
  entries: ListingEntry[];
  /** Lines that were not usable (1-based line numbers), with why; never their text, which is the server's. */
  skipped: { line: number; reason: string }[];
}

/** Only relative `.json` paths without `..`, backslashes or schemes: a listing must not point elsewhere. */
export function checkRelativePath(path: string): string | null {
  if (path.length === 0) return 'empty path';
  if (!path.toLowerCase().endsWith('.json')) return 'not a .json path';
  if (path.startsWith('/') || path.includes('\\') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return 'not relative';
  if (path.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) return 'path traversal';
  return null;
}

export function parseIndexTxt(text: string): ListingParseResult {
  const entries: ListingEntry[] = [];
  const skipped: ListingParseResult['skipped'] = [];
  let line = 0;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    line++;
    const path = raw.trim();
    if (path === '') continue;
    const problem = checkRelativePath(path);
    if (problem) skipped.push({ line, reason: problem });
    else entries.push({ path, updated: null });
  }
  return { entries, skipped };
}

/** Accepts both the spec's quoted form (`"2024/x.json","2024-…Z"`) and CISA's unquoted one. */
export function parseChangesCsv(text: string): ListingParseResult {
  const entries: ListingEntry[] = [];
  const skipped: ListingParseResult['skipped'] = [];
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), {
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
      // A row is a path and a timestamp: a provider's megabytes-long line is refused in a moment.
      max_record_size: MAX_CSV_RECORD_CHARS,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    // csv-parse's message may quote a field ("value is …"): only its code and line are kept.
    const e = err as { code?: string; lines?: number };
    return {
      entries,
      skipped: [{ line: e.lines ?? 0, reason: `unreadable changes.csv (${e.code ?? 'CSV error'})` }],
    };
  }
  for (const { record: row, info } of rows) {
    const line = info.lines;
    const [path, timestamp] = row;
    if (path === undefined || timestamp === undefined) {
      skipped.push({ line, reason: 'expected path,timestamp' });
      continue;
    }
    const problem = checkRelativePath(path);
    if (problem) {
      skipped.push({ line, reason: problem });
      continue;
    }
    if (Number.isNaN(Date.parse(timestamp))) {
      skipped.push({ line, reason: 'bad timestamp' });
      continue;
    }
    entries.push({ path, updated: timestamp });
  }
  return { entries, skipped };
}

/** Keeps the first (newest, since changes.csv is newest first) row per path. */
export function dedupeListing(entries: readonly ListingEntry[]): ListingEntry[] {
  const seen = new Map<string, ListingEntry>();
  for (const e of entries) {
    const prev = seen.get(e.path);
    if (
      !prev ||
      (e.updated !== null && prev.updated !== null && Date.parse(e.updated) > Date.parse(prev.updated))
    ) {
      seen.set(e.path, e);
    }
  }
  return [...seen.values()];
}

/**
 * CISA's listings are written relative to their repository root (`csaf_files/OT/white/2024/x.json`) rather than
 * to the directory (`2024/x.json`). When a path starts with the trailing segments of the directory URL's path,
 * those segments are dropped so both styles resolve to the same document.
 */
export function stripDirectoryPrefix(directoryPath: string, entryPath: string): string {
  const dirSegs = directoryPath.split('/').filter((s) => s !== '');
  const segs = entryPath.split('/');
  for (let k = Math.min(dirSegs.length, segs.length - 1); k > 0; k--) {
    if (dirSegs.slice(-k).join('/') === segs.slice(0, k).join('/')) return segs.slice(k).join('/');
  }
  return entryPath;
}

/** Turns listing rows into absolute entries under `directoryUrl` (which should end with `/`). */
export function directoryEntries(directoryUrl: string, listing: readonly ListingEntry[]): FeedEntry[] {
  const base = directoryUrl.endsWith('/') ? directoryUrl : `${directoryUrl}/`;
  const basePath = new URL(base).pathname;
  const out: FeedEntry[] = [];
  for (const item of dedupeListing(listing)) {
    const url = new URL(stripDirectoryPrefix(basePath, item.path), base).href;
    if (!isHttpUrl(url) || !url.startsWith(base)) continue;
    out.push({ url, updated: item.updated, ...conventionalCompanions(url) });
  }
  return out;
}
