import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bareHtmlStart } from './bare-html.js';
import { loadFollow } from './network-test-fixtures.js';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** The server's bytes of a connection of bare-html.pcap (socat serving pages without a status line). */
const serverBytes = (stream: number) =>
  concat(
    ...loadFollow(`http/bare-html-stream${stream}.follow.txt`)
      .filter((s) => s.direction === 'server')
      .map((s) => s.bytes),
  );
const PAGE = serverBytes(0);

describe('bareHtmlStart on the recorded answers (bare-html.pcap)', () => {
  it('the page is HTML from its first segment on; the plain-text answer is not', () => {
    expect(bareHtmlStart(PAGE)).toBe('html');
    // Stream 1's first segment holds `<HTML>\r\n` only.
    expect(bareHtmlStart(loadFollow('http/bare-html-stream1.follow.txt')[1]!.bytes)).toBe('html');
    expect(bareHtmlStart(serverBytes(2))).toBe('not-html');
  });

  it('waits while every byte could still begin a document, and decides once one cannot', () => {
    for (let n = 0; n < '<HTML>'.length; n++) expect(bareHtmlStart(PAGE.subarray(0, n))).toBe('need-more');
    expect(bareHtmlStart(Uint8Array.of(0xef, 0xbb, 0xbf, 0x20))).toBe('need-more');
    expect(bareHtmlStart(Uint8Array.of(0xef, 0xbb))).toBe('need-more');
    expect(bareHtmlStart(Uint8Array.of(0xef, 0x3c))).toBe('not-html');
  });

  it('takes the three starts in any case after a BOM and white space, only as whole tag names', () => {
    for (const s of [
      '<html>',
      '<HTML lang="en">',
      '<!DOCTYPE html>',
      '<!doctype HTML PUBLIC "-//W3C//DTD',
      '<head>',
      '<Html/>',
    ])
      expect(bareHtmlStart(bytes(s)), s).toBe('html');
    expect(bareHtmlStart(concat(Uint8Array.of(0xef, 0xbb, 0xbf), bytes(' \r\n\t<html>')))).toBe('html');
    for (const s of [
      '<header>',
      '<htmlx>',
      '<!doctype xml>',
      '<body>',
      'ready\r\n',
      'HTTP/1.0 200 OK',
      '<?xml ?>',
      'x<html>',
    ])
      expect(bareHtmlStart(bytes(s)), s).toBe('not-html');
  });
});

describe('bareHtmlStart properties', () => {
  const start = fc.constantFrom('<html', '<!doctype html', '<head');
  const randomCase = (s: string, flips: boolean[]) =>
    [...s].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join('');
  const space = fc
    .array(fc.constantFrom(' ', '\t', '\r', '\n', '\f'), { maxLength: 5 })
    .map((a) => a.join(''));
  const delimiter = fc.constantFrom(' ', '>', '/', '\n');
  const tail = fc.uint8Array({ maxLength: 40 });

  it('any case, BOM or not, leading white space, a delimiter and any tail: html', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        space,
        start,
        fc.array(fc.boolean(), { minLength: 1 }),
        delimiter,
        tail,
        (bom, ws, s, flips, d, t) => {
          const b = concat(
            bom ? Uint8Array.of(0xef, 0xbb, 0xbf) : new Uint8Array(),
            bytes(ws + randomCase(s, flips) + d),
            t,
          );
          expect(bareHtmlStart(b)).toBe('html');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a decision never changes as bytes arrive: every prefix of a decided input says need-more or the same', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 30 }),
      fc.tuple(space, start, delimiter, tail).map(([w, s, d, t]) => concat(bytes(w + s + d), t)),
      fc.tuple(start, fc.string({ maxLength: 4 })).map(([s, x]) => bytes(s + x)),
    );
    fc.assert(
      fc.property(input, (b) => {
        const whole = bareHtmlStart(b);
        for (let n = 0; n <= b.length; n++) {
          const part = bareHtmlStart(b.subarray(0, n));
          if (part !== 'need-more') expect(part).toBe(whole);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('bytes whose first non-space byte is not `<` are never HTML', () => {
    fc.assert(
      fc.property(space, fc.uint8Array({ minLength: 1, maxLength: 30 }), (ws, b) => {
        fc.pre(b[0] !== 0x3c && b[0] !== 0xef && ![0x20, 0x09, 0x0a, 0x0c, 0x0d].includes(b[0]!));
        expect(bareHtmlStart(concat(bytes(ws), b))).toBe('not-html');
      }),
      { numRuns: 2000 },
    );
  });
});
