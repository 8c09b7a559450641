/**
 * One CSV cell: a value from the network cannot become a formula in a spreadsheet, whichever list
 * separator the spreadsheet's locale splits on, and csv-parse reads every cell back to its value.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, unguardFormula } from './csv-cell.js';

/** What Excel in a `;` locale (de, fr, nl) makes of a line: split on `;` outside quotes. */
function semicolonCells(line: string): string[] {
  return parse(line, { delimiter: ';', relax_quotes: true })[0] as string[];
}
const FORMULA = /^[=+\-@\t\r]/;

describe('csvCell', () => {
  it('guards after every semicolon too, where a ; locale starts a cell', () => {
    // The values a review planted through a real DICOM C-STORE (Manufacturer, Model, Software Versions).
    for (const planted of ['Acme;=1+1', "Scan;=cmd|' /C calc'!A0", '1.0;@SUM(1+9)', 'x\t=1+1']) {
      const cell = csvCell(planted);
      const line = ['device-1', cell, 'ok'].join(',');
      // Split as a ; locale does: no cell starts a formula.
      expect(semicolonCells(line).filter((c) => FORMULA.test(c))).toEqual([]);
      // Read as the CSV it is and unguarded as the CMMS import does: the value again.
      expect((parse(line)[0] as string[]).map(unguardFormula)).toEqual(['device-1', planted, 'ok']);
    }
  });

  it('guards a formula lead, leaves plain numbers and plain text as they are', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-12')).toBe('-12');
    expect(csvCell('1.0;-12')).toBe('1.0;-12');
    expect(csvCell("a;'=x")).toBe("a;''=x");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell(3)).toBe('3');
    expect(csvCell(undefined)).toBe('');
  });

  it('reads back to the value through csv-parse and the import unguarding (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), (values) => {
        const line = values.map(csvCell).join(',');
        const back = parse(`${line}\n`, { relax_column_count: true })[0] as string[] | undefined;
        expect((back ?? ['']).map(unguardFormula)).toEqual(
          values.length === 1 && values[0] === '' ? [''] : values,
        );
      }),
    );
  });
});
