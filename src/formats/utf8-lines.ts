/**
 * @module Splitting a byte stream into lines, decoded leniently and fast, each with the first byte that is
 * not UTF-8 when it has one: the one splitter of the whole-file readers (EPSS CSV, Zeek and Suricata logs
 * read by `readLogLines`). Pure: bytes in, lines out. A line is what lies between two 0x0A bytes; a last
 * line without a newline is a line, but the empty "line" after a final newline is not (`a\nb\n` is two
 * lines). A `\r` before the newline and a byte-order mark at the start stay in the text: what they mean
 * is the reader's to decide, and offsets within a line count every byte of it.
 */
import { firstNotUtf8, type NotUtf8 } from './utf8.js';

/** One line: its text decoded leniently, and its first byte that is not UTF-8 (offset within the line). */
export interface Utf8Line {
  /** A byte that is not UTF-8 is U+FFFD here; a reader must not store it when `notUtf8` is set. */
  text: string;
  notUtf8: NotUtf8 | null;
}

/**
 * Feed it chunks with `push`, then `end`. The complete lines of a chunk are decoded together, in one call
 * (0x0A is never part of a multi-byte character and a bad byte never becomes one, so they decode alike
 * alone or in context and split alike in bytes and in text); only a block whose text holds U+FFFD is
 * split in bytes too, to find which line has a bad byte and where.
 */
export class Utf8LineSplitter {
  // Each call decodes whole lines, so nothing carries over between calls; `ignoreBOM` keeps a byte-order
  // mark as text so that text and bytes stay aligned.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /**
   * The bytes after the last line break so far, kept as their chunks: a long line spanning many chunks is
   * joined once, when its end comes, not copied again with every chunk.
   */
  private pending: Uint8Array[] = [];

  *push(chunk: Uint8Array): Generator<Utf8Line> {
    const lastNl = chunk.lastIndexOf(0x0a);
    // Copied: a caller may reuse its buffer for the next chunk.
    if (lastNl === -1) {
      if (chunk.length) this.pending.push(Uint8Array.from(chunk));
      return;
    }
    const head = chunk.subarray(0, lastNl);
    yield* this.split(this.pending.length ? Buffer.concat([...this.pending, head]) : head);
    this.pending = lastNl + 1 < chunk.length ? [Uint8Array.from(chunk.subarray(lastNl + 1))] : [];
  }

  /** The last line, when the bytes do not end with a newline. */
  *end(): Generator<Utf8Line> {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    if (rest.length) yield* this.split(rest);
  }

  /** The lines of `block`, which holds whole lines (no newline after the last). */
  private *split(block: Uint8Array): Generator<Utf8Line> {
    const text = this.decoder.decode(block);
    const parts = text.split('\n');
    if (!text.includes('\uFFFD')) {
      for (const t of parts) yield { text: t, notUtf8: null };
      return;
    }
    let from = 0;
    for (const t of parts) {
      const nl = block.indexOf(0x0a, from);
      const end = nl === -1 ? block.length : nl;
      yield { text: t, notUtf8: firstNotUtf8(block.subarray(from, end), t) };
      from = end + 1;
    }
  }
}

/** The lines of a byte stream (see `Utf8LineSplitter`). */
export async function* utf8Lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Utf8Line> {
  const splitter = new Utf8LineSplitter();
  for await (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}
