/**
 * @module Where the bytes of a text file (a CSV export) are not UTF-8: the first bad byte of each line,
 * found from the bytes as they stream in, for an importer that decodes leniently and must tell a byte
 * that is not UTF-8 (now U+FFFD in its text) from a U+FFFD the file really holds. Lines are counted as
 * an editor and the CSV readers count them: a break is CRLF, LF or a lone CR (a "CSV (Macintosh)" save).
 * The offset is the bad byte's place in its line's bytes. Pure.
 */
import { isUtf8 } from 'node:buffer';
import { type NotUtf8, utf8Prefix } from './utf8.js';

const CR = 0x0d;
const LF = 0x0a;

export class NotUtf8Lines {
  /** Line number → its first byte that is not UTF-8. */
  private readonly byLine = new Map<number, NotUtf8>();
  private line = 1;
  /** Offset in the whole input of the current line's first byte, and of the next byte to count. */
  private lineStart = 0;
  private at = 0;
  private afterCr = false;
  /** The start of a character cut off by the end of the last chunk, checked with the next. */
  private carry: Uint8Array = new Uint8Array(0);

  /** Feeds the next chunk of the file's bytes. */
  push(chunk: Uint8Array): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const base = this.at;
    let end = data.length;
    // Usually the whole chunk is UTF-8, but for a character the chunk's end may cut: only the bytes from
    // that character's start are then checked here, and only line breaks are counted.
    let from = data.length;
    while (from > 0 && data.length - from < 3 && (data[from - 1]! & 0xc0) === 0x80) from--;
    if (from > 0 && data[from - 1]! >= 0xc0) from--;
    if (!isUtf8(data.subarray(0, from))) from = 0;
    for (let i = from; i < data.length; ) {
      const { valid, incomplete } = utf8Prefix(data.subarray(i));
      if (i + valid === data.length) break;
      if (incomplete) {
        end = i + valid;
        break;
      }
      this.bad(data, base, i + valid);
      i += valid + 1;
    }
    this.count(data, base, end);
    this.carry = Uint8Array.from(data.subarray(end));
  }

  /** The end of the file: a character it cuts off is a bad byte. */
  end(): void {
    if (!this.carry.length) return;
    const data = this.carry;
    this.carry = new Uint8Array(0);
    this.bad(data, this.at, 0);
    this.count(data, this.at, data.length);
  }

  /** Whether any line was not UTF-8. */
  get any(): boolean {
    return this.byLine.size > 0;
  }

  /** The file's first line that holds a byte that is not UTF-8, and that byte. */
  first(): { line: number; notUtf8: NotUtf8 } | null {
    // Lines are recorded in the order they are read.
    for (const [line, notUtf8] of this.byLine) return { line, notUtf8 };
    return null;
  }

  /** The first line in `from`–`to` (a record's lines) that holds a byte that is not UTF-8, and that byte. */
  firstIn(from: number, to: number): { line: number; notUtf8: NotUtf8 } | null {
    if (this.byLine.size === 0) return null;
    for (let line = from; line <= to; line++) {
      const n = this.byLine.get(line);
      if (n) return { line, notUtf8: n };
    }
    return null;
  }

  /** Records the bad byte at `data[i]` (whose first byte is at `base` in the input) for its line. */
  private bad(data: Uint8Array, base: number, i: number): void {
    this.count(data, base, i);
    if (!this.byLine.has(this.line))
      this.byLine.set(this.line, { offset: base + i - this.lineStart, byte: data[i]! });
  }

  /** Counts the line breaks of `data` from where counting stopped up to `data[upTo]` (excluded). */
  private count(data: Uint8Array, base: number, upTo: number): void {
    // Searching only up to `upTo`, and each kind of break again only once passed, keeps the counting
    // linear however often it stops at a bad byte.
    const part = data.subarray(0, upTo);
    let lf = -2;
    let cr = -2;
    for (let i = this.at - base; i < upTo; ) {
      if (lf !== -1 && lf < i) lf = part.indexOf(LF, i);
      if (cr !== -1 && cr < i) cr = part.indexOf(CR, i);
      const next = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (next === -1) {
        this.afterCr = false;
        break;
      }
      if (next > i) this.afterCr = false;
      if (next === lf) {
        // The LF of a CRLF ends the line the CR already ended.
        if (!this.afterCr) this.line++;
        this.afterCr = false;
      } else {
        this.line++;
        this.afterCr = true;
      }
      this.lineStart = base + next + 1;
      i = next + 1;
    }
    this.at = base + upTo;
  }
}

/** A whole file's bytes decoded leniently (a BOM dropped), with where they are not UTF-8. */
export function decodeLeniently(bytes: Uint8Array): { text: string; notUtf8: NotUtf8Lines } {
  const notUtf8 = new NotUtf8Lines();
  notUtf8.push(bytes);
  notUtf8.end();
  return { text: new TextDecoder('utf-8').decode(bytes), notUtf8 };
}
