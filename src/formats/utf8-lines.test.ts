/**
 * The line splitter against Node itself: for random bytes cut into random chunks, the lines are those of
 * `Buffer.toString().split('\n')` (without the empty one after a final newline), and a line's `notUtf8`
 * is set exactly when Node's fatal TextDecoder refuses the line's bytes, naming the byte where it stops.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Utf8Line, Utf8LineSplitter, utf8Lines } from './utf8-lines.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Bytes that make lines and break characters often: newlines, CR, a BOM, a real U+FFFD, the pieces of
// multi-byte characters, and Windows-1252 é (0xE9).
const pieces = fc.constantFrom(
  ...['\n', '\r\n', '\uFEFF', '\uFFFD', 'é', '€', '😀', 'a', ',', ' '].map((s) => [...Buffer.from(s)]),
  [0xe9],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xff],
);
const pieced = fc.array(pieces, { maxLength: 40 }).map((ps) => new Uint8Array(ps.flat()));
const bytes = fc.oneof(pieced, fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ min: 0x0a, max: 0x0a }));

/** `b` cut at the given points (sorted, deduplicated), empty chunks included. */
const cut = (b: Uint8Array, points: number[]): Uint8Array[] => {
  const at = [0, ...points.map((p) => p % (b.length + 1)).sort((x, y) => x - y), b.length];
  return at.slice(1).map((end, i) => b.subarray(at[i], end));
};
const withChunks = bytes.chain((b) =>
  fc.array(fc.nat(), { maxLength: 8 }).map((points) => ({ b, chunks: cut(b, points) })),
);

const splitAll = (chunks: Uint8Array[]): Utf8Line[] => {
  const s = new Utf8LineSplitter();
  return [...chunks.flatMap((c) => [...s.push(c)]), ...s.end()];
};

/** The lines' bytes: split at 0x0A, without the empty line after a final newline. */
const byteLines = (b: Uint8Array): Uint8Array[] => {
  const out: Uint8Array[] = [];
  let from = 0;
  for (let nl = b.indexOf(0x0a); nl !== -1; nl = b.indexOf(0x0a, from)) {
    out.push(b.subarray(from, nl));
    from = nl + 1;
  }
  if (from < b.length) out.push(b.subarray(from));
  return out;
};

describe('Utf8LineSplitter', () => {
  it('gives the lines Node decodes, in any chunking', () => {
    fc.assert(
      fc.property(withChunks, ({ b, chunks }) => {
        const expected = Buffer.from(b).toString('utf8').split('\n');
        if (expected.at(-1) === '') expected.pop();
        expect(splitAll(chunks).map((l) => l.text)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('sets notUtf8 exactly when the fatal decoder refuses the line, at the byte where it stops', () => {
    fc.assert(
      fc.property(withChunks, ({ b, chunks }) => {
        const lines = splitAll(chunks);
        const raw = byteLines(b);
        expect(lines).toHaveLength(raw.length);
        lines.forEach(({ notUtf8 }, i) => {
          const line = raw[i]!;
          if (notUtf8 === null) {
            expect(() => fatal.decode(line)).not.toThrow();
            return;
          }
          expect(() => fatal.decode(line)).toThrow();
          expect(notUtf8.byte).toBe(line[notUtf8.offset]);
          // Everything before the named byte decodes; the character starting there does not (a
          // character is at most four bytes, so the error shows within them or at the line's end).
          expect(isUtf8(line.subarray(0, notUtf8.offset))).toBe(true);
          expect(() => fatal.decode(line.subarray(0, notUtf8.offset + 4))).toThrow();
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('does not keep a chunk the caller reuses for the next one', () => {
    const buf = Buffer.from('ab');
    const s = new Utf8LineSplitter();
    const out = [...s.push(buf)];
    buf.write('cd');
    out.push(...s.push(Buffer.from('\n')), ...s.end());
    expect(out).toEqual([{ text: 'ab', notUtf8: null }]);
  });

  it('reads a real EPSS file byte by byte as in one chunk', async () => {
    // The sample of the EPSS reader's tests (first lines of a real FIRST daily file).
    const real = readFileSync(
      new URL('../../test/fixtures/feeds/epss/epss_scores-sample.csv', import.meta.url),
    );
    async function* oneByteAtATime() {
      for (let i = 0; i < real.length; i++) yield real.subarray(i, i + 1);
    }
    const lines: Utf8Line[] = [];
    for await (const l of utf8Lines(oneByteAtATime())) lines.push(l);
    expect(lines.map((l) => l.text)).toEqual(real.toString('utf8').replace(/\n$/, '').split('\n'));
    expect(lines.every((l) => l.notUtf8 === null)).toBe(true);
  });
});
