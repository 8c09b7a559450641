/**
 * @module `vigil advisories import PATH…`: CSAF 2.0 files and directories, NVD CVE JSON (API 2.0 pages,
 * feed files, single records), CVE 5 records, OSV records, the KEV catalog and EPSS scores (CSV, gzip
 * or not). The format is detected per file (`--format` overrides). Each file succeeds or fails on its
 * own and says why with its path and JSON path; a rejected CSAF document leaves nothing behind; the
 * matcher then re-runs for exactly the vulnerabilities that changed.
 */

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, VigilError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';
import { plural, pluralWord } from '../format-count.js';
import { validateCsaf } from '../formats/csaf/csaf-validate.js';
import { readCsafAdvisory } from '../formats/csaf/index.js';
import { readCve5 } from '../formats/cve5/cve5.js';
import { detectAdvisoryFormat } from '../formats/detect.js';
import { readEpss } from '../formats/epss/epss.js';
import { jsonSyntaxProblem } from '../formats/json-syntax.js';
import { isKevCsv, readKev, readKevCsv } from '../formats/kev/kev.js';
import { readNvd } from '../formats/nvd/nvd.js';
import { readOsv } from '../formats/osv/osv.js';
import { notUtf8Issue, type ReadResult, utf16Issue } from '../formats/read-result.js';
import { utf16Of } from '../formats/utf16.js';
import type { MatchRunReport } from '../matching/matcher.js';
import { readCappedFile } from '../read-capped-file.js';
import type { VigilDatabase } from '../store/database.js';
import { transaction } from '../store/transaction.js';
import {
  ensureFeedSource,
  markSourceSynced,
  sha256,
  writeCsafAdvisory,
  writeEpss,
  writeKev,
  writeVulnerabilityRecords,
} from './knowledge-writer.js';
import { beginAdvisoryWrites, matchAdvisoryWrites } from './pending-match.js';
import type { InputIssue, KevCatalog, VulnerabilityRecord } from './records.js';

export const ADVISORY_FORMATS = ['csaf', 'nvd', 'cve5', 'osv', 'kev', 'epss'] as const;
export type AdvisoryFormat = (typeof ADVISORY_FORMATS)[number];

export interface FileImportReport {
  file: string;
  format: AdvisoryFormat | null;
  status: 'imported' | 'updated' | 'unchanged' | 'older' | 'partial' | 'rejected';
  /** CSAF tracking id, record count, KEV catalog version … */
  summary: string;
  /** The advisory's tracking id (ICSMA-…) for a CSAF document that was stored. */
  advisoryId?: string;
  records: number;
  /** Records of a partial file that were skipped (a line-oriented file's bad lines or rows). */
  rejected?: number;
  issues: InputIssue[];
}

export interface AdvisoryImportReport {
  files: FileImportReport[];
  match: MatchRunReport | null;
}

/**
 * The largest advisory file read: a whole-year NVD feed is a few hundred MB, and a JSON text much past
 * 512 MB could not be parsed anyway (V8 strings stop at 2^29 characters). A CSAF document over 32 MiB is
 * refused by the standard's own limit.
 */
export const MAX_ADVISORY_FILE_BYTES = 512_000_000;
const IMPORTABLE = /\.(json|jsonl|csv|gz|txt)$/i;

/** Expands directories (recursively, sorted) into files that look importable. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => {
      throw invalidInput(`${p}: no such file or directory`);
    });
    if (s.isDirectory()) {
      const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const nested = entries
        .filter((e) => e.isDirectory() || (e.isFile() && IMPORTABLE.test(e.name) && !e.name.startsWith('.')))
        .map((e) => join(p, e.name));
      out.push(...(await collectFiles(nested)));
    } else out.push(p);
  }
  return out;
}

/** The file's bytes, gunzipped when it is gzip; a damaged gzip file is named as such, with zlib's reason. */
function plainBytes(bytes: Uint8Array, file: string): { raw: Uint8Array } | { issue: InputIssue } {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { raw: bytes };
  try {
    // Capped: 585 KB of gzip can inflate to 600 MB (and an upload of 256 MiB to hundreds of GB).
    return { raw: gunzipSync(bytes, { maxOutputLength: MAX_ADVISORY_FILE_BYTES }) };
  } catch (err) {
    const message =
      (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `the gzip file inflates to more than ${formatBytes(MAX_ADVISORY_FILE_BYTES)}, the limit for an advisory file`
        : `damaged gzip file: ${(err as Error).message}`;
    return { issue: { file, where: 'offset 0', message } };
  }
}

function parseJson(bytes: Uint8Array, file: string): { json: unknown } | { issue: InputIssue } {
  const plain = plainBytes(bytes, file);
  if ('issue' in plain) return plain;
  const raw = plain.raw;
  let text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const notText = notUtf8Issue(raw, text, file);
  if (notText) return { issue: notText };
  const bom = text.charCodeAt(0) === 0xfeff ? 3 : 0;
  if (bom) text = text.slice(1);
  try {
    return { json: JSON.parse(text) };
  } catch (err) {
    // A byte offset into the (inflated) file, and no excerpt: a fetched feed's body must not be echoed.
    const problem = jsonSyntaxProblem(text, err);
    return {
      issue: {
        file,
        where: problem.byte === null ? '$' : `offset ${bom + problem.byte}`,
        message: problem.reason,
      },
    };
  }
}

async function importKev(
  vdb: VigilDatabase,
  file: string,
  { catalog, issues, rejected }: { catalog: KevCatalog | null; issues: InputIssue[]; rejected?: number },
  sourceId: string | null,
  note: string,
): Promise<{ report: FileImportReport; vulnKeys: string[] }> {
  if (!catalog) return { report: reject(file, 'kev', issues), vulnKeys: [] };
  const n = await writeKev(vdb, catalog, sourceId ?? (await manualSource(vdb, 'kev')));
  return {
    report: {
      file,
      format: 'kev',
      status: issues.length ? 'partial' : 'imported',
      summary: `KEV catalog ${catalog.catalogVersion} (${catalog.dateReleased}): ${plural(n, 'entry', 'entries')}${note}`,
      records: n,
      ...(rejected ? { rejected } : {}),
      issues,
    },
    vulnKeys: [],
  };
}

/** `.jsonl`: one JSON record per line (how CVE 5 and NVD record sets are often kept). */
function readJsonLines(
  bytes: Uint8Array,
  file: string,
  reader: (json: unknown, file: string) => ReadResult<VulnerabilityRecord>,
): ReadResult<VulnerabilityRecord> & { rejected: number } {
  const plain = plainBytes(bytes, file);
  if ('issue' in plain) return { records: [], issues: [plain.issue], rejected: 0 };
  const raw = plain.raw;
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const notText = notUtf8Issue(raw, text, file);
  if (notText) return { records: [], issues: [notText], rejected: 0 };
  const out: ReadResult<VulnerabilityRecord> & { rejected: number } = {
    records: [],
    issues: [],
    rejected: 0,
  };
  let line = 0;
  for (const l of text.split('\n')) {
    line++;
    if (!l.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch (err) {
      // The reason names the byte within the line; V8's message would quote the line.
      out.issues.push({ file, where: `line ${line}`, message: jsonSyntaxProblem(l, err).reason });
      out.rejected++;
      continue;
    }
    const r = reader(json, file);
    if (r.records.length === 0) out.rejected++;
    out.records.push(...r.records);
    out.issues.push(...r.issues.map((i) => ({ ...i, where: `line ${line} ${i.where}` })));
  }
  return out;
}

export interface ImportOptions {
  format?: AdvisoryFormat;
  /** Run the matcher for what changed (default true). */
  match?: boolean;
  /** Feed source the documents came from (sync); manual imports get the per-kind source. */
  sourceId?: string | null;
  /** Known-noisy CSAF mandatory tests reported as warnings instead of rejecting (see docs). */
  onProgress?: (done: number, total: number, file: string) => void;
}

/** Imports one CSAF document already in memory (from a file, a sync or an upload). */
export async function importCsafBytes(
  vdb: VigilDatabase,
  bytes: Uint8Array,
  origin: string,
  sourceId: string | null,
): Promise<{ report: FileImportReport; vulnKeys: string[] }> {
  const parsed = parseJson(bytes, origin);
  if ('issue' in parsed) {
    return { report: reject(origin, 'csaf', [parsed.issue]), vulnKeys: [] };
  }
  const read = readCsafAdvisory(parsed.json, origin);
  if (!read.ok) {
    return {
      report: reject(
        origin,
        'csaf',
        read.issues.map((i) => ({ file: i.file, where: i.path, message: i.reason })),
      ),
      vulnKeys: [],
    };
  }
  const validation = await validateCsaf(parsed.json);
  if (!validation.ok) {
    return {
      report: reject(
        origin,
        'csaf',
        validation.errors.map((e) => ({
          file: origin,
          where: pointerToPath(e.path),
          message: `${e.message} (${e.test})`,
        })),
      ),
      vulnKeys: [],
    };
  }
  const outcome = await writeCsafAdvisory(vdb, read.advisory, { origin, sha256: sha256(bytes), sourceId });
  return {
    report: {
      file: origin,
      format: 'csaf',
      status: outcome.status,
      summary: `${outcome.advisoryId} version ${outcome.version}: ${plural(outcome.products, 'product')}, ${plural(outcome.vulnerabilities, 'vulnerability', 'vulnerabilities')}`,
      advisoryId: outcome.advisoryId,
      records: 1,
      issues: validation.warnings.map((w) => ({
        file: origin,
        where: pointerToPath(w.path),
        message: `warning: ${w.message} (${w.test})`,
      })),
    },
    vulnKeys: outcome.vulnKeys,
  };
}

/** The validator speaks JSON pointers (`/vulnerabilities/0/cve`); every other issue uses `$.vulnerabilities[0].cve`. */
export function pointerToPath(pointer: string): string {
  if (!pointer.startsWith('/')) return pointer || '$';
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, seg) =>
        /^\d+$/.test(seg)
          ? `${path}[${seg}]`
          : /^[A-Za-z_$][\w$]*$/.test(seg)
            ? `${path}.${seg}`
            : `${path}[${JSON.stringify(seg)}]`,
      '$',
    );
}

function reject(file: string, format: AdvisoryFormat | null, issues: InputIssue[]): FileImportReport {
  return { file, format, status: 'rejected', summary: issues[0]?.message ?? 'rejected', records: 0, issues };
}

/**
 * A file whose import threw. A refusal from reading it (too large, missing, a directory) says all in its
 * message, the summary; its issues are listed under it only where they add a place (the offset a device
 * ran over the limit at), not repeated at a JSON path the file never had. Anything else is a problem
 * with the document as a whole.
 */
function failed(file: string, format: AdvisoryFormat | null, err: unknown): FileImportReport {
  const message = (err as Error).message;
  if (!(err instanceof VigilError)) return reject(file, format, [{ file, where: '$', message }]);
  const issues = err.issues.flatMap((i): InputIssue[] => {
    const where =
      i.offset !== undefined ? `offset ${i.offset}` : i.line !== undefined ? `line ${i.line}` : i.field;
    return where ? [{ file: i.file ?? file, where, message: i.reason }] : [];
  });
  return { ...reject(file, format, issues), summary: message };
}

async function importFile(
  vdb: VigilDatabase,
  file: string,
  opts: ImportOptions,
): Promise<{ report: FileImportReport; vulnKeys: string[] }> {
  // Read once, capped (a FIFO such as <(zcat …) could not be read twice); too large is refused per file.
  const bytes = await readCappedFile(file, { what: 'an advisory file', maxBytes: MAX_ADVISORY_FILE_BYTES });
  const head = bytes.subarray(0, 64 * 1024);
  const format = opts.format ?? (detectAdvisoryFormat(head, file) as AdvisoryFormat | null);
  if (!format && head[0] === 0x1f && head[1] === 0x8b) {
    // Unreadable after inflating: say that the gzip file is damaged rather than that its format is unknown.
    const plain = plainBytes(bytes, file);
    if ('issue' in plain) return { report: reject(file, null, [plain.issue]), vulnKeys: [] };
  }
  // A CSAF document saved by a Windows editor as "Unicode": no format's keys show through its NULs.
  const utf16 = format ? null : utf16Of(head);
  if (utf16) return { report: reject(file, null, [utf16Issue(utf16, file)]), vulnKeys: [] };
  if (!format || !(ADVISORY_FORMATS as readonly string[]).includes(format)) {
    const what = format
      ? `a ${format} file: import it with vigil sbom import or vigil vex import`
      : 'not a recognised advisory format';
    return {
      report: reject(file, null, [
        { file, where: 'offset 0', message: `${what} (use --format to say which)` },
      ]),
      vulnKeys: [],
    };
  }
  return importBytes(vdb, bytes, file, format, opts.sourceId ?? null);
}

/**
 * Imports one file's bytes in a known format (from disk, a feed URL or an upload). `sourceId` null
 * records it under the manual source of its kind (`csaf-files`, `kev`, `epss`, `nvd`, `cve5`, `osv`).
 */
export async function importBytes(
  vdb: VigilDatabase,
  bytes: Uint8Array,
  file: string,
  format: AdvisoryFormat,
  sourceId: string | null,
): Promise<{ report: FileImportReport; vulnKeys: string[] }> {
  if (format === 'csaf')
    return importCsafBytes(vdb, bytes, file, sourceId ?? (await manualSource(vdb, 'csaf-files')));
  if (format === 'epss') {
    const { snapshot, issues } = await readEpss(bytes, file);
    const n = snapshot.scores.length
      ? await writeEpss(vdb, snapshot, sourceId ?? (await manualSource(vdb, 'epss')))
      : 0;
    return {
      report: {
        file,
        format,
        status: n === 0 ? 'rejected' : issues.length ? 'partial' : 'imported',
        summary: `${n} EPSS scores${snapshot.scoreDate ? ` of ${snapshot.scoreDate}` : ''}${snapshot.modelVersion ? ` (model ${snapshot.modelVersion})` : ''}`,
        records: n,
        issues,
      },
      vulnKeys: [],
    };
  }
  if (format === 'kev') {
    // CISA offers the catalog as JSON and as CSV; the content says which.
    const plain = plainBytes(bytes, file);
    if ('issue' in plain) return { report: reject(file, format, [plain.issue]), vulnKeys: [] };
    const text = Buffer.from(plain.raw.buffer, plain.raw.byteOffset, plain.raw.byteLength).toString('utf8');
    const notText = notUtf8Issue(plain.raw, text, file);
    if (notText) return { report: reject(file, format, [notText]), vulnKeys: [] };
    if (isKevCsv(text))
      return importKev(
        vdb,
        file,
        readKevCsv(text, file),
        sourceId,
        ' (CSV: version and release date from its newest dateAdded)',
      );
  }
  // Record sets are often kept one record per line, and gzipped (`.jsonl.gz`).
  const parsed = /\.jsonl(\.gz)?$/i.test(file) ? null : parseJson(bytes, file);
  if (parsed && 'issue' in parsed) return { report: reject(file, format, [parsed.issue]), vulnKeys: [] };
  if (format === 'kev') return importKev(vdb, file, readKev(parsed?.json, file), sourceId, '');
  const reader = format === 'nvd' ? readNvd : format === 'cve5' ? readCve5 : readOsv;
  const result = parsed ? reader(parsed.json, file) : readJsonLines(bytes, file, reader);
  if (result.records.length === 0) return { report: reject(file, format, result.issues), vulnKeys: [] };
  const keys = await writeVulnerabilityRecords(vdb, result.records, {
    origin: file,
    sourceId: sourceId ?? (await manualSource(vdb, format)),
  });
  return {
    report: {
      file,
      format,
      status: result.issues.length ? 'partial' : 'imported',
      summary: `${result.records.length} ${format.toUpperCase()} ${pluralWord(result.records.length, 'record')}`,
      records: result.records.length,
      ...('rejected' in result && typeof result.rejected === 'number' && result.rejected
        ? { rejected: result.rejected }
        : {}),
      issues: result.issues,
    },
    vulnKeys: keys,
  };
}

async function manualSource(vdb: VigilDatabase, kind: string): Promise<string> {
  return transaction(vdb, async (h) => {
    const s = await ensureFeedSource(h, kind);
    await markSourceSynced(h, s.id);
    return s.id;
  });
}

export async function importAdvisoryPaths(
  vdb: VigilDatabase,
  actor: Actor,
  paths: readonly string[],
  opts: ImportOptions = {},
): Promise<AdvisoryImportReport> {
  const files = await collectFiles(paths);
  const reports: FileImportReport[] = [];
  const changed = new Set<string>();
  // Before the first advisory is written: a run killed after it leaves the marker for the next.
  const writes = await beginAdvisoryWrites(vdb);
  for (const [i, file] of files.entries()) {
    opts.onProgress?.(i, files.length, file);
    try {
      const r = await importFile(vdb, file, opts);
      reports.push(r.report);
      for (const k of r.vulnKeys) changed.add(k);
    } catch (err) {
      // One broken file never stops the batch; what it wrote was in its own transaction.
      reports.push(failed(file, opts.format ?? null, err));
    }
  }
  await transaction(vdb, (h) =>
    appendAudit(h, {
      actor,
      action: 'advisories.import',
      target: { type: 'advisories' },
      summary: {
        files: reports.length,
        imported: reports.filter((r) => r.status === 'imported' || r.status === 'updated').length,
        partial: reports.filter((r) => r.status === 'partial').length,
        rejected: reports.filter((r) => r.status === 'rejected').length,
      },
    }),
  );
  const match = opts.match === false ? null : await matchAdvisoryWrites(vdb, actor, writes, changed);
  return { files: reports, match };
}
