/**
 * @module A streaming reader for openFDA's bulk download shape `{"meta": {…}, "results": [ {…}, … ]}`:
 * bytes in (any chunking), one result at a time out with its index and byte offset, so a 1 GB file
 * never becomes one string. Only the structure around the results is scanned byte by byte (JSON's
 * structural characters are ASCII, which never occur inside a UTF-8 multi-byte sequence); each result
 * is then decoded and parsed on its own, so a malformed one is reported and skipped, not fatal.
 * @see https://open.fda.gov/apis/downloads/ (the download files), RFC 8259 (JSON).
 */

import { invalidInput } from '../errors.js';
import { plural } from '../format-count.js';

export type ResultEvent =
  | { kind: 'meta'; meta: unknown }
  | { kind: 'result'; index: number; offset: number; value: unknown }
  /** A result that is not valid JSON: skipped, the rest goes on. */
  | { kind: 'bad'; index: number; offset: number; reason: string };

/** One result larger than this is refused (openFDA's largest are a few hundred kilobytes). */
const MAX_RESULT_BYTES = 32 * 1024 * 1024;

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const Q = 0x22;
const BS = 0x5c;

type Mode =
  | 'start'
  | 'key'
  | 'colon'
  | 'value'
  | 'after-value'
  | 'results-first'
  | 'results-next'
  | 'results-after'
  | 'done';

type Target = 'key' | 'top' | 'result';

/** The push-style scanner behind `readResults`: feed chunks, collect events, then `end()`. */
export class ResultsScanner {
  private mode: Mode = 'start';
  private key = '';
  private pos = 0;
  private index = 0;
  private sawResults = false;
  private parts: Uint8Array[] | null = null;
  private partBytes = 0;
  private valueStart = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private scalar = false;
  private target: Target = 'top';
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly file: string) {}

  /** Results seen so far (good and bad). */
  get count(): number {
    return this.index;
  }

  private fail(offset: number, reason: string): never {
    throw invalidInput(`${this.file}: ${reason} at byte ${offset}`, [{ file: this.file, offset, reason }]);
  }

  private finish(out: ResultEvent[]): void {
    const bytes = Buffer.concat(this.parts!, this.partBytes);
    this.parts = null;
    this.partBytes = 0;
    let value: unknown;
    try {
      value = JSON.parse(this.decoder.decode(bytes));
    } catch (e) {
      if (this.target === 'result') {
        out.push({ kind: 'bad', index: this.index++, offset: this.valueStart, reason: (e as Error).message });
        return;
      }
      this.fail(this.valueStart, `malformed JSON (${(e as Error).message})`);
    }
    if (this.target === 'key') this.key = String(value);
    else if (this.target === 'result')
      out.push({ kind: 'result', index: this.index++, offset: this.valueStart, value });
    else if (this.key === 'meta') out.push({ kind: 'meta', meta: value });
  }

  push(chunk: Uint8Array): ResultEvent[] {
    const out: ResultEvent[] = [];
    let i = 0;
    let captureFrom = this.parts ? 0 : -1;
    while (i < chunk.length) {
      const b = chunk[i]!;
      if (this.parts) {
        let ended = false;
        let endAt = i + 1;
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (b === BS) this.escape = true;
          else if (b === Q) {
            this.inString = false;
            if (this.depth === 0) ended = true;
          }
        } else if (this.scalar) {
          if (b === 0x2c || b === 0x5d || b === 0x7d || WS.has(b)) {
            ended = true;
            endAt = i; // the delimiter is not part of the value
          }
        } else if (b === Q) this.inString = true;
        else if (b === 0x7b || b === 0x5b) this.depth++;
        else if (b === 0x7d || b === 0x5d) {
          this.depth--;
          if (this.depth === 0) ended = true;
        }
        if (ended) {
          this.parts.push(chunk.subarray(captureFrom, endAt));
          this.partBytes += endAt - captureFrom;
          captureFrom = -1;
          const was = this.target;
          this.finish(out);
          this.mode = was === 'key' ? 'colon' : was === 'result' ? 'results-after' : 'after-value';
          i = endAt;
          continue;
        }
        if (this.partBytes + (i - captureFrom) > MAX_RESULT_BYTES)
          this.fail(this.valueStart, `one value is larger than ${MAX_RESULT_BYTES} bytes`);
        i++;
        continue;
      }
      if (WS.has(b)) {
        i++;
        continue;
      }
      const at = this.pos + i;
      let begin: Target | null = null;
      switch (this.mode) {
        case 'start':
          if (at === 0 && b === 0xef && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf) {
            i += 3; // UTF-8 byte-order mark
            continue;
          }
          if (b !== 0x7b)
            this.fail(at, 'expected "{" (an openFDA download file is one JSON object with "results")');
          this.mode = 'key';
          break;
        case 'key':
          if (b === 0x7d) this.mode = 'done';
          else if (b === Q) begin = 'key';
          else this.fail(at, 'expected a property name');
          break;
        case 'colon':
          if (b !== 0x3a) this.fail(at, 'expected ":"');
          this.mode = 'value';
          break;
        case 'value':
          if (this.key === 'results') {
            if (b !== 0x5b) this.fail(at, '"results" must be an array');
            this.sawResults = true;
            this.mode = 'results-first';
          } else begin = 'top';
          break;
        case 'after-value':
          if (b === 0x2c) this.mode = 'key';
          else if (b === 0x7d) this.mode = 'done';
          else this.fail(at, 'expected "," or "}"');
          break;
        case 'results-first':
        case 'results-next':
          if (b === 0x5d && this.mode === 'results-first') this.mode = 'after-value';
          else if (b === 0x2c || b === 0x5d) this.fail(at, 'expected a result');
          else begin = 'result';
          break;
        case 'results-after':
          if (b === 0x2c) this.mode = 'results-next';
          else if (b === 0x5d) this.mode = 'after-value';
          else this.fail(at, 'expected "," or "]" after a result');
          break;
        case 'done':
          this.fail(at, 'unexpected data after the end of the document');
      }
      if (begin) {
        this.target = begin;
        this.parts = [];
        this.partBytes = 0;
        this.valueStart = at;
        captureFrom = i;
        this.inString = b === Q;
        this.escape = false;
        this.depth = b === 0x7b || b === 0x5b ? 1 : 0;
        this.scalar = !this.inString && this.depth === 0;
      }
      i++;
    }
    if (this.parts && captureFrom >= 0) {
      this.parts.push(chunk.subarray(captureFrom));
      this.partBytes += chunk.length - captureFrom;
    }
    this.pos += chunk.length;
    return out;
  }

  /** Checks the document ended properly. */
  end(): void {
    if (this.mode !== 'done')
      this.fail(
        this.pos,
        `the file ends early${this.sawResults ? ` after ${plural(this.index, 'result')}` : ''} (truncated download?)`,
      );
    if (!this.sawResults) this.fail(0, 'no "results" array');
  }
}

/**
 * Reads the results of one file. `file` names it in errors. Throws `invalid_input` (with the byte
 * offset) only when the document's outer structure is broken; results already yielded stay valid.
 */
export async function* readResults(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<ResultEvent> {
  const scanner = new ResultsScanner(file);
  for await (const chunk of chunks) yield* scanner.push(chunk);
  scanner.end();
}
