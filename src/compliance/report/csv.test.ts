/**
 * CSV cells: RFC 4180 quoting that csv-parse reads back unchanged, and spreadsheet formulas defused.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, unguardFormula } from '../../formats/csv-cell.js';
import { toCsv } from './csv.js';

describe('CSV', () => {
  it('quotes and defuses', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe('-1');
    expect(csvCell('-1+A1')).toBe("'-1+A1");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('round-trips any text through csv-parse (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string(), { minLength: 2, maxLength: 2 }), { maxLength: 5 }),
        (rows) => {
          const text = toCsv(['a', 'b'], rows);
          const back = parse(text, { columns: false, relax_column_count: false }) as string[][];
          expect(back.slice(1).map((r) => r.map(unguardFormula))).toEqual(rows);
        },
      ),
    );
  });
});
