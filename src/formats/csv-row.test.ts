import { describe, expect, it } from 'vitest';
import { controlCharacter, fieldCountProblem, notUtf8Record } from './csv-row.js';
import { decodeLeniently } from './not-utf8-lines.js';

describe('notUtf8Record', () => {
  // "José" in Windows-1252 on line 3 (0xE9 at offset 6 of the line); "Zoë" as real UTF-8 on line 2.
  const bytes = Buffer.concat([
    Buffer.from('id,name\nE1,Zo\u00eb\nE2,Jos', 'utf8'),
    Buffer.from([0xe9]),
    Buffer.from('\nE3,Ann\uFFFD\n', 'utf8'),
  ]);
  const { notUtf8 } = decodeLeniently(bytes);

  it("names the first bad byte of the record's lines when a stored cell holds U+FFFD", () => {
    expect(notUtf8Record(notUtf8, 3, 3, ['E2', 'Jos\uFFFD'])).toEqual({
      line: 3,
      notUtf8: { offset: 6, byte: 0xe9 },
    });
    // A bad byte only in a column the importer does not store costs nothing.
    expect(notUtf8Record(notUtf8, 3, 3, ['E2'])).toBeNull();
    expect(notUtf8Record(notUtf8, 2, 2, ['E1', 'Zo\u00eb'])).toBeNull();
  });

  it('keeps a real U+FFFD of a file whose bytes are all UTF-8, and text given as a string', () => {
    const clean = decodeLeniently(Buffer.from('id,name\nE3,Ann\uFFFD\n', 'utf8')).notUtf8;
    expect(notUtf8Record(clean, 2, 2, ['E3', 'Ann\uFFFD'])).toBeNull();
    expect(notUtf8Record(null, 2, 2, ['E3', 'Ann\uFFFD'])).toBeNull();
  });

  it('refuses a U+FFFD whose line the byte scan does not place, in a file with bad bytes', () => {
    // Line numbers that disagree with the scan's (a parser counting a quoted line break differently)
    // must not let a mangled cell through: the file's first bad byte is named instead.
    expect(notUtf8Record(notUtf8, 5, 5, ['E2', 'Jos\uFFFD'])).toEqual({
      line: 3,
      notUtf8: { offset: 6, byte: 0xe9 },
    });
  });
});

describe('fieldCountProblem', () => {
  it('a short row is a problem, trailing empty extras are not', () => {
    expect(fieldCountProblem(['a'], 3)).toMatch(/has 1 field/);
    expect(fieldCountProblem(['a', 'b', 'c', ''], 3)).toBeNull();
  });
});

describe('controlCharacter', () => {
  it('finds a NUL or another C0 control, with its byte offset in the cell', () => {
    expect(controlCharacter('St. Vigil \u0000Center')).toEqual({ codePoint: 0, index: 10, offset: 10 });
    expect(controlCharacter('Zürich\u001b[2J')).toEqual({ codePoint: 0x1b, index: 6, offset: 7 });
    expect(controlCharacter('form\u000cfeed')?.codePoint).toBe(0x0c);
  });

  it('keeps tab, line breaks and the vertical tab FileMaker writes for a line break in a cell', () => {
    expect(controlCharacter('a\tb\r\nc\nd')).toBeNull();
    expect(controlCharacter('Replaced battery\u000bCalibrated 2026-11-02')).toBeNull();
  });
});
