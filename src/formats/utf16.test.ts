/**
 * The UTF-16 detector against Node's own encoders: text encoded as UTF-16 (either byte order, with or
 * without a byte order mark) is named as such, and no UTF-8 text without a NUL ever is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf16Of, utf16Reason } from './utf16.js';

const le = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le'));
const be = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le').swap16());
const withBom = (b: Uint8Array, first: number, second: number) => Uint8Array.from([first, second, ...b]);
/** Text as CSV and JSON exports hold it: printable ASCII and line breaks. */
const asciiText = fc.string({
  unit: fc.constantFrom(...'abcXYZ019,;:"{}[] \t\r\n-_.@'.split('')),
  minLength: 2,
  maxLength: 200,
});

describe('utf16Of', () => {
  it('names the byte order and the byte order mark', () => {
    expect(utf16Of(withBom(le('a,b'), 0xff, 0xfe))).toEqual({ endian: 'little', bom: true });
    expect(utf16Of(withBom(be('a,b'), 0xfe, 0xff))).toEqual({ endian: 'big', bom: true });
    expect(utf16Of(le('{"csaf_version"'))).toEqual({ endian: 'little', bom: false });
    expect(utf16Of(be('{"csaf_version"'))).toEqual({ endian: 'big', bom: false });
    expect(utf16Reason({ endian: 'little', bom: true })).toBe(
      'is UTF-16 (little-endian, with a byte order mark); save it as UTF-8',
    );
  });

  it('leaves alone what is not UTF-16: UTF-8 with its BOM, a pcap magic, a NUL in a CSV, one character', () => {
    expect(utf16Of(new Uint8Array(Buffer.from('\uFEFFAsset Tag,MAC\r\n', 'utf8')))).toBeNull();
    expect(utf16Of(Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0))).toBeNull();
    expect(utf16Of(new Uint8Array(Buffer.from('Site,Room\nSt. Vigil \0Center,3\n')))).toBeNull();
    expect(utf16Of(le('a'))).toBeNull();
    expect(utf16Of(new Uint8Array(0))).toBeNull();
  });

  it('finds mostly-ASCII text in either byte order, with or without a mark (property)', () => {
    fc.assert(
      fc.property(asciiText, (s) => {
        expect(utf16Of(le(s))).toEqual({ endian: 'little', bom: false });
        expect(utf16Of(be(s))).toEqual({ endian: 'big', bom: false });
        expect(utf16Of(withBom(le(s), 0xff, 0xfe))).toEqual({ endian: 'little', bom: true });
      }),
    );
  });

  it('never takes UTF-8 text without a NUL for UTF-16 (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }).filter((s) => !s.includes('\0')),
        (s) => {
          expect(utf16Of(new Uint8Array(Buffer.from(s, 'utf8')))).toBeNull();
        },
      ),
    );
  });
});
