/**
 * The MDS2 workbook reader: layouts (sheet names, column orders, title blocks, a "Note #" column into a
 * notes sheet, rich text and formula cells), answers, clear errors; and property tests that random cell
 * contents, in real workbooks written by exceljs and in sheets fed directly, never throw anything but a
 * VigilError. Workbooks are built with exceljs (test/fixtures/mds2/PROVENANCE.md says why).
 */
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../errors.js';
import { buildMds2Workbook, FORM_QUESTIONS, sampleAnswers } from './mds2-test-workbook.js';
import { parseAnswer, readMds2Workbook, readSheets, releaseDateOf } from './mds2-workbook.js';

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
