/**
 * The MDS2 workbook reader: layouts (sheet names, column orders, title blocks, a "Note #" column into a
 * notes sheet, rich text and formula cells), answers, clear errors; and property tests that random cell
 * contents, in real workbooks written by exceljs and in sheets fed directly, never throw anything but a
 * VigilError. Workbooks are built with exceljs (test/fixtures/mds2/PROVENANCE.md says why).
 */
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../errors.js';
import {
  buildMds2Workbook,
  FORM_QUESTIONS,
  replaceBytes,
  rewritePart,
  sampleAnswers,
} from './mds2-test-workbook.js';
import { parseAnswer, readMds2Workbook, readSheets, releaseDateOf } from './mds2-workbook.js';
import { checkWorkbookText } from './workbook-parts.js';

const errorOf = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VigilError);
  return e as VigilError;
};

describe('readMds2Workbook', () => {
  it('reads the published layout', async () => {
    const form = await readMds2Workbook(await buildMds2Workbook({ answers: sampleAnswers() }), 'f.xlsx');
    expect(form).toMatchObject({
      sheet: 'MDS2',
      headerRow: 4,
      manufacturer: 'Spacelabs Medical',
      model: 'Legacy Gateway 90',
      formId: 'MDS2-LG90',
      releaseDate: '2025-06-01',
    });
    // Every question id is an item; DOC-5, left blank, has a null answer.
    expect(form.items).toHaveLength(FORM_QUESTIONS.length);
    expect(form.items.find((i) => i.questionId === 'DOC-5')).toMatchObject({ answer: null, value: null });
    expect(form.items.find((i) => i.questionId === 'MLDP-1')).toMatchObject({
      section: 'MLDP',
      answer: 'no',
      note: null,
    });
    expect(form.items.find((i) => i.questionId === 'CONN-2')).toMatchObject({
      answer: 'yes',
      note: 'TCP 104 DICOM',
    });
    expect(form.items.find((i) => i.questionId === 'DOC-1')).toMatchObject({
      answer: 'text',
      value: 'Spacelabs Medical',
    });
  });

  it('finds the header in any sheet and column order, and resolves "Note #" into a notes sheet', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Cover').getCell(1, 1).value = 'Cover page';
    const ws = wb.addWorksheet('Form 2019');
    ws.addRow(['MDS2']);
    ws.addRow([]);
    ws.addRow(['Note #', 'Answer', 'Question', 'Question ID']);
    ws.addRow([null, { richText: [{ text: 'Acme ' }, { text: 'Medical' }] }, 'Manufacturer Name', 'doc-1']);
    ws.addRow([null, 'Pump 3000', 'Device Model', 'DOC-3']);
    ws.addRow([null, { formula: 'TEXT(1,"0")', result: '2024-03-05' }, 'Document Release Date', 'DOC-7']);
    ws.addRow(['1', 'See Note', 'Does the manufacturer provide a list of network ports…?', 'CONN-2']);
    ws.addRow([null, 'n/a', 'Can the device encrypt data at rest?', 'STCF-1']);
    ws.addRow([null, '', 'Is the SBoM for this product available?', 'SBOM-1']);
    ws.addRow([null, 'Yes - LDAP', 'Federated credentials?', 'AUTH-1.1']);
    const notes = wb.addWorksheet('Notes');
    notes.addRow(['Note 1', 'UDP 161 SNMP, TCP 80 HTTP']);
    const form = await readMds2Workbook(Buffer.from(await wb.xlsx.writeBuffer()), 'g.xlsx');
    expect(form.sheet).toBe('Form 2019');
    expect(form.manufacturer).toBe('Acme Medical');
    expect(form.releaseDate).toBe('2024-03-05');
    expect(form.items.map((i) => `${i.questionId} ${i.answer} ${i.note}`)).toEqual([
      'DOC-1 text null',
      'DOC-3 text null',
      'DOC-7 text null',
      'CONN-2 see-note UDP 161 SNMP, TCP 80 HTTP',
      'STCF-1 n/a null',
      'SBOM-1 null null',
      'AUTH-1.1 yes LDAP',
    ]);
  });

  it('says clearly what is wrong', async () => {
    expect((await errorOf(readMds2Workbook(Buffer.from('not a zip at all'), 'x.xlsx'))).message).toMatch(
      /^x\.xlsx is not an Excel workbook/,
    );
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRow(['Nothing', 'here']);
    expect(
      (await errorOf(readMds2Workbook(Buffer.from(await wb.xlsx.writeBuffer()), 'y.xlsx'))).message,
    ).toMatch(/no sheet has a header row with a "Question ID" column \(sheets: 'Sheet1'\)/);
    const noAnswer = await buildMds2Workbook({
      answers: sampleAnswers(),
      header: ['Question ID', 'Question', 'Remarks'],
    });
    expect((await errorOf(readMds2Workbook(noAnswer, 'z.xlsx'))).message).toBe(
      "MDS2 sheet 'MDS2' row 4: the header has no Yes/No/N/A answer column",
    );
    const two = await buildMds2Workbook({
      answers: sampleAnswers({ 'AUTH-1': ['Maybe'], 'MLDP-1': ['Perhaps'] }),
    });
    const e = await errorOf(readMds2Workbook(two, 'w.xlsx'));
    expect(e.message).toMatch(
      /^MDS2 sheet 'MDS2' row \d+: answer 'Maybe' for AUTH-1 is not Yes\/No\/N\/A \(and 1 more\)$/,
    );
    expect(e.issues.map((i) => i.reason)).toEqual([
      "answer 'Maybe' for AUTH-1 is not Yes/No/N/A",
      "answer 'Perhaps' for MLDP-1 is not Yes/No/N/A",
    ]);
  });

  it('refuses a question id that appears twice', () => {
    const rows = [
      ['Question ID', 'Answer'],
      ['AUTH-1', 'Yes'],
      ['AUTH-1', 'No'],
    ];
    const e = (() => {
      try {
        readSheets([sheetOf('S', rows)], 'd.xlsx');
      } catch (x) {
        return x as VigilError;
      }
    })();
    expect(e?.message).toBe("MDS2 sheet 'S' row 3: AUTH-1 appears twice (rows 2 and 3)");
  });

  it('parses answers and release dates', () => {
    expect(parseAnswer('Yes')).toEqual({ answer: 'yes', rest: '' });
    expect(parseAnswer('No: No end-of-life components')).toEqual({
      answer: 'no',
      rest: 'No end-of-life components',
    });
    expect(parseAnswer('N/A')).toEqual({ answer: 'n/a', rest: '' });
    expect(parseAnswer('See Notes')).toEqual({ answer: 'see-note', rest: '' });
    expect(parseAnswer('Not applicable')).toEqual({ answer: 'n/a', rest: '' });
    expect(parseAnswer('____')).toEqual({ answer: null, rest: '' });
    expect(parseAnswer('Yesterday')).toBeUndefined();
    expect(parseAnswer('Maybe')).toBeUndefined();
    expect(releaseDateOf('2026-03-20')).toBe('2026-03-20');
    expect(releaseDateOf('03/20/2026')).toBe('2026-03-20');
    expect(releaseDateOf('20 March 2026')).toBe('2026-03-20');
    expect(releaseDateOf('Q1')).toBeNull();
  });

  it('random cell contents in written workbooks yield a form or a VigilError, nothing else', async () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('Yes', 'No', 'N/A', 'See note', '', 'Question ID', 'AUTH-1', 'DOC-7', 'Answer'),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2999-12-31') }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 12 }),
        fc.boolean(),
        async (rows, withHeader) => {
          const wb = new ExcelJS.Workbook();
          const ws = wb.addWorksheet('F');
          if (withHeader) ws.addRow(['Question ID', 'Question', 'Yes/No/N/A', 'Notes']);
          for (const r of rows) ws.addRow(r);
          try {
            const form = await readMds2Workbook(Buffer.from(await wb.xlsx.writeBuffer()), 'p.xlsx');
            expect(form.items.length).toBeGreaterThan(0);
          } catch (e) {
            expect(e).toBeInstanceOf(VigilError);
            expect((e as VigilError).code).toBe('invalid_input');
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('random cell values fed straight to the sheet reader never throw anything but a VigilError', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        'Yes',
        'no',
        'N/A',
        'DOC-1',
        'MLDP-1',
        'CONN-2',
        'Question ID',
        'Yes/No/N/A',
        'Note #',
        'Notes',
        '1',
      ),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.record({
        richText: fc.array(fc.record({ text: fc.oneof(fc.string(), fc.constant(null)) }), { maxLength: 3 }),
      }),
      fc.record({
        formula: fc.string(),
        result: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
      }),
      fc.record({ error: fc.constant('#REF!') }),
      fc.record({ text: fc.string(), hyperlink: fc.string() }),
      fc.date(),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string({ maxLength: 10 }),
            rows: fc.array(fc.array(value, { maxLength: 6 }), { maxLength: 15 }),
          }),
          {
            maxLength: 3,
          },
        ),
        (sheets) => {
          try {
            readSheets(
              sheets.map((s) => sheetOf(s.name, s.rows)),
              'q.xlsx',
            );
          } catch (e) {
            expect(e).toBeInstanceOf(VigilError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

/**
 * Bytes that are not UTF-8 in a workbook's XML parts. exceljs decodes every part leniently, so without the
 * check a Latin-1 "ü" (FC) in place of UTF-8 "ü" (C3 BC) became U+FFFD in the stored answer. The
 * workbooks are written by exceljs and one part is altered here, re-zipped with jszip
 * (test/fixtures/mds2/PROVENANCE.md says why no filled form is stored).
 */
describe('readMds2Workbook: the bytes of the XML parts', () => {
  const ZURICH = 'Spacelabs Medical, Zürich service desk';
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  const withContact = (contact: unknown) =>
    buildMds2Workbook({ answers: sampleAnswers({ 'DOC-5': [contact] }) });

  const partOf = async (xlsx: Uint8Array, name: string) =>
    Buffer.from(await (await JSZip.loadAsync(xlsx)).file(name)!.async('uint8array'));

  it('refuses a shared string that is not UTF-8, naming the part, the offset, the byte and the cell', async () => {
    const original = await withContact(ZURICH);
    const altered = await rewritePart(original, 'xl/sharedStrings.xml', (b) =>
      replaceBytes(b, utf8('ü'), latin1('ü')),
    );
    // The offset, found independently: where "Zü" sits in the original part, plus the "Z".
    const part = await partOf(original, 'xl/sharedStrings.xml');
    const offset = part.indexOf(utf8('Zü')) + 1;
    const e = await errorOf(readMds2Workbook(altered, 'lg90.xlsx'));
    expect(e.code).toBe('invalid_input');
    // DOC-5's answer is in column C of row 10 (title block, header, DOC section heading, DOC-1 … DOC-4).
    expect(e.message).toMatch(
      new RegExp(
        `^lg90\\.xlsx: xl/sharedStrings\\.xml is not valid UTF-8 \\(byte 0xFC at offset ${offset}\\), in shared string \\d+, the text of sheet 'MDS2' cell C10; save the workbook again from Excel$`,
      ),
    );
    expect(e.issues).toEqual([
      expect.objectContaining({ file: 'lg90.xlsx', field: 'xl/sharedStrings.xml', offset }),
    ]);
    // Unaltered, the same workbook reads, ü and all.
    const form = await readMds2Workbook(original, 'lg90.xlsx');
    expect(form.items.find((i) => i.questionId === 'DOC-5')?.value).toBe(ZURICH);
  });

  it('finds the cell after an empty, self-closed one', async () => {
    // Excel writes an empty styled cell as <c r="B10" s="1"/>: the cell after it is still C10.
    const original = await withContact(ZURICH);
    const emptied = await rewritePart(original, 'xl/worksheets/sheet1.xml', (b) =>
      Buffer.from(b.toString('utf8').replace(/<c r="B10"[^>]*>.*?<\/c>/, '<c r="B10" s="0"/>')),
    );
    const altered = await rewritePart(emptied, 'xl/sharedStrings.xml', (b) =>
      replaceBytes(b, utf8('ü'), latin1('ü')),
    );
    expect((await errorOf(readMds2Workbook(altered, 'e.xlsx'))).message).toMatch(
      /, the text of sheet 'MDS2' cell C10; /,
    );
  });

  it('refuses a cell text in the sheet itself that is not UTF-8, naming the cell', async () => {
    // A formula's cached text is written in the sheet part, not in the shared strings.
    const original = await withContact({ formula: 'CONCATENATE("Z","ürich")', result: 'Zürich' });
    const altered = await rewritePart(original, 'xl/worksheets/sheet1.xml', (b) =>
      replaceBytes(b, utf8('Zü'), latin1('Zü')),
    );
    const e = await errorOf(readMds2Workbook(altered, 'f.xlsx'));
    expect(e.message).toMatch(
      /^f\.xlsx: xl\/worksheets\/sheet1\.xml is not valid UTF-8 \(byte 0xFC at offset \d+\), in sheet 'MDS2' cell C10;/,
    );
    expect(e.issues[0]).toMatchObject({ field: 'xl/worksheets/sheet1.xml', offset: expect.any(Number) });
  });

  it('refuses a workbook whose parts unpack to more than the limit, before unpacking them', async () => {
    const xlsx = await withContact(ZURICH);
    let declared = 0;
    for (const f of Object.values((await JSZip.loadAsync(xlsx)).files))
      if (!f.dir)
        declared += (f as unknown as { _data: { uncompressedSize: number } })._data.uncompressedSize;
    expect(declared).toBeGreaterThan(1000);
    await expect(checkWorkbookText(xlsx, 'bomb.xlsx', declared - 1)).rejects.toThrow(
      `bomb.xlsx: the workbook unpacks to ${declared} bytes, more than the ${declared - 1}`,
    );
    await expect(checkWorkbookText(xlsx, 'form.xlsx', declared)).resolves.toBe(xlsx);
  });

  /** The workbook with a 2 MiB part of spaces whose zip headers claim it unpacks to 100 bytes. */
  const lyingWorkbook = async () => {
    const zip = await JSZip.loadAsync(await withContact(ZURICH));
    zip.file('xl/padding.xml', ' '.repeat(2 * 1024 * 1024));
    const bytes = Buffer.from(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const name = Buffer.from('xl/padding.xml');
    // Local file header (PK\x03\x04): size at 22; central directory header (PK\x01\x02): size at 24.
    for (const [signature, at, nameAt] of [
      [0x04034b50, 22, 30],
      [0x02014b50, 24, 46],
    ] as const)
      for (
        let i = bytes.indexOf(Buffer.from([0x50, 0x4b]));
        i !== -1;
        i = bytes.indexOf(Buffer.from([0x50, 0x4b]), i + 1)
      )
        if (
          bytes.readUInt32LE(i) === signature &&
          bytes.subarray(i + nameAt, i + nameAt + name.length).equals(name)
        )
          bytes.writeUInt32LE(100, i + at);
    return bytes;
  };

  it('stops unpacking a part that gives more than the limit, whatever sizes the zip claims', async () => {
    await expect(checkWorkbookText(await lyingWorkbook(), 'bomb.xlsx', 1024 * 1024)).rejects.toThrow(
      /^bomb\.xlsx: the workbook unpacks to more than \d+ bytes, more than the 1048576 an MDS2 form can need$/,
    );
  });

  it('refuses a part that does not unpack to the size it claims as an unreadable workbook', async () => {
    await expect(checkWorkbookText(await lyingWorkbook(), 'odd.xlsx')).rejects.toThrow(
      /^odd\.xlsx: not a readable \.xlsx workbook \(xl\/padding\.xml: /,
    );
  });

  it('keeps a U+FFFD the workbook really holds', async () => {
    const form = await readMds2Workbook(await withContact('Label reads \uFFFD as printed'), 'r.xlsx');
    expect(form.items.find((i) => i.questionId === 'DOC-5')?.value).toBe('Label reads \uFFFD as printed');
  });

  it('reads a part in UTF-16 (either byte order, with or without a byte order mark) as UTF-8 would be', async () => {
    const original = await withContact(ZURICH);
    const expected = await readMds2Workbook(original, 'u8.xlsx');
    const toUtf16 = (b: Buffer, order: 'le' | 'be', bom: boolean) => {
      const text = b.toString('utf8').replace('encoding="UTF-8"', 'encoding="UTF-16"');
      const le = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
      return order === 'le' ? le : le.swap16();
    };
    for (const [order, bom] of [
      ['le', true],
      ['be', true],
      ['le', false],
      ['be', false],
    ] as const) {
      const xlsx = await rewritePart(original, 'xl/sharedStrings.xml', (b) => toUtf16(b, order, bom));
      expect(await readMds2Workbook(xlsx, 'u16.xlsx')).toEqual(expected);
    }
    // A lone surrogate is not UTF-16: refused with its offset (BOM 2 bytes + 2 per code unit before it).
    let at = -1;
    const lone = await rewritePart(original, 'xl/sharedStrings.xml', (b) => {
      const u16 = toUtf16(b, 'le', true);
      at = u16.indexOf(Buffer.from('Zü', 'utf16le')) + 2;
      u16.writeUInt16LE(0xd800, at);
      return u16;
    });
    const e = await errorOf(readMds2Workbook(lone, 'lone.xlsx'));
    expect(e.message).toMatch(
      /^lone\.xlsx: xl\/sharedStrings\.xml is not valid UTF-16LE \(code unit 0xD800 at offset \d+, a lone surrogate\), in shared string \d+, the text of sheet 'MDS2' cell C10;/,
    );
    expect(e.issues[0]).toMatchObject({ field: 'xl/sharedStrings.xml', offset: at });
  });

  it('refuses a part that declares an encoding other than UTF-8 or UTF-16 and is not plain ASCII', async () => {
    const original = await withContact(ZURICH);
    const xlsx = await rewritePart(original, 'xl/sharedStrings.xml', (b) =>
      latin1(b.toString('utf8').replace('encoding="UTF-8"', 'encoding="windows-1252"')),
    );
    expect((await errorOf(readMds2Workbook(xlsx, 'w.xlsx'))).message).toBe(
      'w.xlsx: xl/sharedStrings.xml declares encoding "windows-1252"; the XML parts of a workbook must be UTF-8 or UTF-16; save the workbook again from Excel',
    );
    // docProps/app.xml is plain ASCII: read the same in any such encoding, so it is not refused.
    const ascii = await rewritePart(original, 'docProps/app.xml', (b) =>
      utf8(b.toString('utf8').replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')),
    );
    expect((await readMds2Workbook(ascii, 'a.xlsx')).items).toHaveLength(FORM_QUESTIONS.length);
  });

  it('any ASCII byte of any XML part replaced by a byte 0x80–0xFF is refused at that offset', async () => {
    const original = await withContact(ZURICH);
    const zip = await JSZip.loadAsync(original);
    const parts = await Promise.all(
      Object.values(zip.files)
        .filter((f) => !f.dir && /\.(xml|rels)$/.test(f.name))
        .map(async (f) => ({ name: f.name, bytes: Buffer.from(await f.async('uint8array')) })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...parts),
        fc.nat(),
        fc.integer({ min: 0x80, max: 0xff }),
        async (part, n, byte) => {
          // An ASCII byte is followed by ASCII or a lead byte, never a continuation byte: so whatever byte
          // replaces it, the first byte that is not UTF-8 is exactly there.
          const ascii = [...part.bytes.keys()].filter((i) => part.bytes[i]! < 0x80);
          const offset = ascii[n % ascii.length]!;
          const xlsx = await rewritePart(original, part.name, (b) => {
            const c = Buffer.from(b);
            c[offset] = byte;
            return c;
          });
          const e = await errorOf(readMds2Workbook(xlsx, 'p.xlsx'));
          expect(e.issues[0]).toMatchObject({ field: part.name, offset });
          expect(e.message).toContain(`byte 0x${byte.toString(16).toUpperCase()} at offset ${offset}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** A sheet as the reader sees it, from rows of cell values (row 1 first). */
function sheetOf(name: string, rows: unknown[][]) {
  return {
    name,
    rowCount: rows.length,
    getRow: (n: number) => ({
      cellCount: rows[n - 1]?.length ?? 0,
      getCell: (c: number) => ({ value: rows[n - 1]?.[c - 1] }),
    }),
  };
}
