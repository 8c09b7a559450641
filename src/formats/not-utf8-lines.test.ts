/**
 * NotUtf8Lines against a plain reference: the bytes split at CRLF, LF and lone CR, each line checked on
 * its own by Node's fatal decoder; in any chunking of the bytes.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLeniently, NotUtf8Lines } from './not-utf8-lines.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const pieces = fc.constantFrom(
  ...['\n', '\r\n', '\r', '\uFEFF', '\uFFFD', 'é', '€', '😀', 'a', ',', '"'].map((s) => [...Buffer.from(s)]),
  [0xe9],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f],
  [0xed, 0xa0, 0x80],
  [0xff],
);
const bytes = fc.oneof(
  fc.array(pieces, { maxLength: 40 }).map((ps) => new Uint8Array(ps.flat())),
  fc.uint8Array({ maxLength: 60 }),
);
const withChunks = bytes.chain((b) =>
  fc.array(fc.nat(), { maxLength: 8 }).map((points) => {
    const at = [0, ...points.map((p) => p % (b.length + 1)).sort((x, y) => x - y), b.length];
    return { b, chunks: at.slice(1).map((end, i) => b.subarray(at[i], end)) };
  }),
);

/** The lines' bytes, a break being CRLF, LF or a lone CR. */
function lines(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x0a && b[i] !== 0x0d) continue;
    out.push(b.subarray(from, i));
    if (b[i] === 0x0d && b[i + 1] === 0x0a) i++;
    from = i + 1;
  }
  out.push(b.subarray(from));
  return out;
}

describe('NotUtf8Lines', () => {
  it('names, for each line, the byte where the fatal decoder stops, in any chunking', () => {
    fc.assert(
      fc.property(withChunks, ({ b, chunks }) => {
        const found = new NotUtf8Lines();
        for (const c of chunks) found.push(c);
        found.end();
        const ls = lines(b);
        ls.forEach((line, i) => {
          const n = found.firstIn(i + 1, i + 1);
          if (isUtf8(line)) {
            expect(n).toBeNull();
            return;
          }
          expect(n).not.toBeNull();
          expect(n!.line).toBe(i + 1);
          const { offset, byte } = n!.notUtf8;
          expect(byte).toBe(line[offset]);
          expect(isUtf8(line.subarray(0, offset))).toBe(true);
          expect(() => fatal.decode(line.subarray(0, offset + 4))).toThrow();
        });
        expect(found.firstIn(ls.length + 1, ls.length + 10)).toBeNull();
        expect(found.any).toBe(!isUtf8(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds nothing in a real export and the first bad line of a record', () => {
    // The real HR export fixture, and the same saved as Windows-1252 ("Tomás" on line 3 is 0xE1).
    const real = readFileSync(new URL('../../test/fixtures/program/hr-export.csv', import.meta.url));
    expect(decodeLeniently(real).notUtf8.any).toBe(false);
    const cp1252 = Buffer.from(real.toString('utf8').replace(/^\uFEFF/, ''), 'latin1');
    const { notUtf8 } = decodeLeniently(cp1252);
    const line3 = cp1252.toString('latin1').split(/\r?\n/)[2]!;
    expect(notUtf8.firstIn(2, 4)).toEqual({ line: 3, notUtf8: { offset: line3.indexOf('á'), byte: 0xe1 } });
  });
});
