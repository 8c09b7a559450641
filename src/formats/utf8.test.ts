/**
 * The two UTF-8 checks against Node's own decoder (WHATWG UTF-8, `fatal`), over random bytes and over
 * random text with bytes flipped: the first bad byte they name is where the fatal decoder stops.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstNotUtf8, utf8Prefix } from './utf8.js';

const lenient = new TextDecoder('utf-8');
const fatalStream = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b, { stream: true });

// Mostly-text inputs hit the interesting cases (a bad byte inside multi-byte characters) far more often
// than uniform random bytes.
const damagedText = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 3 }),
  )
  .map(([s, flips]) => {
    const b = new Uint8Array(Buffer.from(s, 'utf8'));
    for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
    return b;
  });
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), damagedText);

describe('UTF-8 checks', () => {
  it('utf8Prefix: whole input valid exactly when Node says so; a cut character is incomplete, not bad', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const { valid, incomplete } = utf8Prefix(b);
        expect(valid === b.length).toBe(isUtf8(b));
        expect(isUtf8(b.subarray(0, valid))).toBe(true);
        if (valid < b.length && !incomplete) {
          // A bad sequence starts right after the prefix (a character is at most 4 bytes).
          expect(() => fatalStream(b.subarray(0, valid + 4))).toThrow();
        }
        if (incomplete) {
          // What follows the valid prefix is the start of a character that the end cut off.
          expect(() => fatalStream(b.subarray(valid))).not.toThrow();
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('firstNotUtf8 names the byte where the fatal decoder stops, and keeps a real U+FFFD', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const bad = firstNotUtf8(b, lenient.decode(b));
        if (isUtf8(b)) expect(bad).toBeNull();
        else {
          expect(bad).not.toBeNull();
          expect(isUtf8(b.subarray(0, bad!.offset))).toBe(true);
          expect(bad!.byte).toBe(b[bad!.offset]);
        }
      }),
      { numRuns: 2000 },
    );
    const real = new Uint8Array(Buffer.from('ok \uFFFD ok', 'utf8'));
    expect(firstNotUtf8(real, lenient.decode(real))).toBeNull();
  });

  it('names the first bad byte in real text', () => {
    const b = new Uint8Array(Buffer.from('Philips IntelliVue \uFFFD MX450', 'utf8'));
    b[8] = 0xe9; // "Philips é" saved as Latin-1
    expect(firstNotUtf8(b, lenient.decode(b))).toEqual({ offset: 8, byte: 0xe9 });
    expect(utf8Prefix(b)).toEqual({ valid: 8, incomplete: false });
  });
});
