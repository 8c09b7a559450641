import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latin1, latin1ViaBuffer } from './byte-cursor.js';

/** ISO-8859-1 by definition: code point = byte value. */
const oneCharPerByte = (bytes: Uint8Array, start: number, end: number): string =>
  Array.from(bytes.subarray(start, end), (b) => String.fromCodePoint(b)).join('');

describe('latin1', () => {
  it('maps every byte to the code point of the same value, 0x80–0x9F included (not windows-1252)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = latin1(all);
    expect(text).toHaveLength(256);
    expect(text.charCodeAt(0x80)).toBe(0x80); // windows-1252 would give U+20AC
    expect(text.charCodeAt(0x9f)).toBe(0x9f);
    expect(text).toBe(oneCharPerByte(all, 0, 256));
  });

  it('reads a range of a view into a larger buffer, short and long alike', () => {
    const backing = new TextEncoder().encode('xxxxGET /index.html HTTP/1.1\r\nHost: pacs\r\n\r\nyyyy');
    const view = backing.subarray(4, backing.length - 4);
    expect(latin1(view, 0, 3)).toBe('GET');
    expect(latin1(view, 4, 15)).toBe('/index.html');
    expect(latin1(view)).toBe('GET /index.html HTTP/1.1\r\nHost: pacs\r\n\r\n');
    expect(latin1(view, 5, 5)).toBe('');
  });

  it('agrees with the definition on any bytes and range, either side of the short-text cut-off', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), fc.nat(), fc.nat(), (raw, offset, a, b) => {
        const bytes = new Uint8Array(raw.length + offset);
        bytes.set(raw, offset);
        const view = bytes.subarray(offset);
        const start = view.length === 0 ? 0 : a % (view.length + 1);
        const end = start + (view.length - start === 0 ? 0 : b % (view.length - start + 1));
        expect(latin1(view, start, end)).toBe(oneCharPerByte(view, start, end));
        // The fallback, should Node drop its undocumented latin1Slice.
        expect(latin1ViaBuffer.call(view, start, end)).toBe(oneCharPerByte(view, start, end));
      }),
    );
  });
});
