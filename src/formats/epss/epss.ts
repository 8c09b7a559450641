/**
 * @module FIRST EPSS daily CSV reader, gzip or plain, streaming (the full file has ~300k rows). The
 * first line is a comment `#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000`, then the
 * header `cve,epss,percentile`, then one row per CVE. Gzip is recognised by its magic bytes, not the
 * file name. A bad row is an issue naming its line and is skipped; a corrupt gzip stream ends the read
 * with an issue, keeping the rows before it. A line that is not UTF-8 is an issue naming its line and the
 * bad byte: a row is skipped, the model line or header refuses the file.
 * @see https://www.first.org/epss/data_stats
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { EpssScore, EpssSnapshot, InputIssue } from '../../advisories/records.js';
import { normalizeCveId } from '../read-result.js';
import { describeNotUtf8 } from '../utf8.js';
import { utf8Lines } from '../utf8-lines.js';

export type ByteSource = AsyncIterable<Uint8Array> | Uint8Array;

/** Issues past this many are summarised: a wrong file must not produce 300k messages. */
const MAX_ISSUES = 100;

async function* chunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) yield source;
  else yield* source;
}

/** Yields the decompressed bytes when the stream starts with the gzip magic (1f 8b), else the bytes. */
async function* maybeGunzip(source: ByteSource): AsyncGenerator<Uint8Array> {
  const it = chunks(source)[Symbol.asyncIterator]();
  // Chunks may be as small as one byte: gather enough to see the two magic bytes.
  let head: Uint8Array = new Uint8Array(0);
  let done = false;
  while (head.length < 2) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    head = concat(head, next.value);
  }
  const rest = async function* () {
    yield head;
    if (done) return;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    yield* Readable.from(rest()).pipe(gunzip) as AsyncIterable<Uint8Array>;
  } else yield* rest();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000` → its two values. */
function readComment(line: string, snapshot: EpssSnapshot): void {
  for (const part of line.replace(/^#/, '').split(',')) {
    const i = part.indexOf(':');
    if (i < 0) continue;
    const key = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (key === 'model_version') snapshot.modelVersion = value;
    else if (key === 'score_date') snapshot.scoreDate = value;
  }
}

function probability(text: string | undefined): number | null {
  if (text === undefined || !/^\s*(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 0 && n <= 1 ? n : null;
}

export async function readEpss(
  source: ByteSource,
  file: string,
): Promise<{ snapshot: EpssSnapshot; issues: InputIssue[] }> {
  const snapshot: EpssSnapshot = { modelVersion: null, scoreDate: null, scores: [] };
  const issues: InputIssue[] = [];
  let dropped = 0;
  const issue = (where: string, message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ file, where, message });
    else dropped++;
  };
  let columns: { cve: number; epss: number; percentile: number } | null = null;
  let lineNo = 0;
  try {
    for await (const { text: raw, notUtf8 } of utf8Lines(maybeGunzip(source))) {
      lineNo++;
      const line = (lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r$/, '');
      if (notUtf8) {
        issue(`line ${lineNo}`, `not valid UTF-8 (${describeNotUtf8(notUtf8)} of the line)`);
        // The model line's version and date are stored with every score, and the header decides which
        // column is which: damaged, the file is refused rather than stored with U+FFFD or guessed at. A
        // damaged row is only that row's loss.
        if (columns === null || line.startsWith('#')) {
          snapshot.scores = [];
          break;
        }
        continue;
      }
      if (line.trim() === '') continue;
      if (line.startsWith('#')) {
        readComment(line, snapshot);
        continue;
      }
      const cells = line.split(',');
      if (columns === null) {
        const names = cells.map((c) => c.trim().toLowerCase());
        const cve = names.indexOf('cve');
        const epss = names.indexOf('epss');
        const percentile = names.indexOf('percentile');
        if (cve < 0 || epss < 0 || percentile < 0) {
          issue(`line ${lineNo}`, 'expected the header cve,epss,percentile');
          // Without a header nothing after it can be read with confidence.
          break;
        }
        columns = { cve, epss, percentile };
        continue;
      }
      const id = normalizeCveId(cells[columns.cve] ?? '');
      const epss = probability(cells[columns.epss]);
      const percentile = probability(cells[columns.percentile]);
      if (id === null) issue(`line ${lineNo}`, `not a CVE id: ${JSON.stringify(cells[columns.cve] ?? '')}`);
      else if (epss === null)
        issue(`line ${lineNo}`, `epss is not a probability: ${JSON.stringify(cells[columns.epss] ?? '')}`);
      else if (percentile === null) {
        issue(
          `line ${lineNo}`,
          `percentile is not between 0 and 1: ${JSON.stringify(cells[columns.percentile] ?? '')}`,
        );
      } else snapshot.scores.push({ cve: id, epss, percentile } satisfies EpssScore);
    }
  } catch (err) {
    // zlib errors (corrupt or truncated gzip) are input problems; anything else is not ours to hide.
    if (!(err instanceof Error && 'code' in err && String(err.code).startsWith('Z_'))) throw err;
    issue(`line ${lineNo + 1}`, `gzip stream unreadable (${err.message}); rows before it are kept`);
  }
  if (columns === null && issues.length === 0) issue(`line ${lineNo}`, 'no cve,epss,percentile header found');
  if (dropped > 0) issues.push({ file, where: 'file', message: `${dropped} further problems not listed` });
  return { snapshot, issues };
}
