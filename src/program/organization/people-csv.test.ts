import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvDate, parsePeopleCsv } from './people-csv.js';

const fixtureUrl = (name: string) => new URL(`../../../test/fixtures/program/${name}`, import.meta.url);
const fixture = (name: string) => readFileSync(fixtureUrl(name), 'utf8');

describe('parsePeopleCsv on an HR export', () => {
  it('reads every person with the line it starts on', () => {
    const r = parsePeopleCsv(fixture('hr-export.csv'), 'hr-export.csv');
    expect(r.issues).toEqual([]);
    expect(r.ignoredColumns).toEqual(['Cost Center Code']);
    expect(r.records.map((p) => [p.line, p.employeeId])).toEqual([
      [2, 'E1001'],
      [3, 'E1002'],
      [4, 'E1003'],
      [5, 'E1004'],
      [6, 'E1005'],
      [7, 'E2001'],
      [8, 'E2002'],
      [10, 'E2003'],
    ]);
    const robert = r.records[3]!;
    expect(robert).toMatchObject({
      name: 'Robert Smith, Jr.',
      jobRole: 'Nurse, Charge',
      department: 'Intensive Care',
      site: 'North Campus',
      manager: 'E1005',
      networkAccess: true,
      activeFrom: '2018-02-01',
      leftOn: '2026-06-30',
    });
    expect(r.records[0]!.activeFrom).toBe('2019-03-01');
    expect(r.records[6]!.jobRole).toBe('Imaging Manager (acting)');
    expect(r.records[7]!.networkAccess).toBe(false);
    expect(r.records[7]!.phone).toBeNull();
  });

  it('names the line and field of every bad row and keeps the good one', () => {
    const r = parsePeopleCsv(fixture('bad-rows.csv'), 'bad-rows.csv');
    expect(r.records.map((p) => p.line)).toEqual([2, 7, 9]);
    expect(r.issues.map((i) => [i.line, i.field])).toEqual([
      [3, 'email'],
      [4, 'name'],
      [4, 'email'],
      [5, 'networkAccess'],
      [6, 'activeFrom'],
      [8, 'site'],
    ]);
    expect(r.issues.every((i) => i.file === 'bad-rows.csv')).toBe(true);
  });

  it('reports a last row cut short by a truncated copy instead of reading its missing cells as empty', () => {
    const whole = fixture('hr-export.csv');
    // The file ends without a newline: a copy cut after "Patient Transporter," still parses as a row, whose
    // missing cells would read as network access "no" and no termination date.
    const cut = whole.slice(0, whole.indexOf('Patient Services'));
    const r = parsePeopleCsv(cut, 'cut.csv');
    expect(r.issues).toEqual([{ file: 'cut.csv', line: 10, reason: 'has 7 fields, the header has 13' }]);
    expect(r.records.map((p) => p.employeeId)).toEqual([
      'E1001',
      'E1002',
      'E1003',
      'E1004',
      'E1005',
      'E2001',
      'E2002',
    ]);
  });

  it('reports a short row with its line, and keeps its keys so the rows it manages are not blamed', () => {
    const lines = fixture('hr-export.csv').split('\n');
    // E1005 (line 6) manages lines 4 and 5; its row keeps only id, name and email.
    lines[5] = lines[5]!.split(',').slice(0, 4).join(',');
    const r = parsePeopleCsv(lines.join('\n'), 'short.csv');
    expect(r.issues).toEqual([{ file: 'short.csv', line: 6, reason: 'has 4 fields, the header has 13' }]);
    expect(r.records.map((p) => p.employeeId)).not.toContain('E1005');
    expect(r.records).toHaveLength(7);
    expect(r.rejectedKeys).toEqual(['E1005', 'fatima.haddad@hospital.example']);
  });

  it('refuses a file without a name or key column, and an unclosed quote with its line', () => {
    expect(parsePeopleCsv('Job Title,Department\nNurse,ICU\n', 'x.csv').issues.map((i) => i.reason)).toEqual([
      'no Name (or First Name / Last Name) column',
      'no Email or Employee ID column: people could not be matched on re-import',
    ]);
    const r = parsePeopleCsv('Name,Email\nA,a@x.example\n"B,b@x.example\n', 'q.csv');
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ file: 'q.csv', line: 3 });
    expect(parsePeopleCsv('', 'e.csv').issues[0]!.reason).toBe('the file is empty');
  });

  it('reads dates as HR systems write them, and refuses impossible ones', () => {
    expect(csvDate('2024-02-29')).toBe('2024-02-29');
    expect(csvDate('2/29/2024')).toBe('2024-02-29');
    expect(csvDate('2023-02-29')).toBeUndefined();
    expect(csvDate('13/1/2024')).toBeUndefined();
    expect(csvDate('2024-01-02T08:00:00Z')).toBe('2024-01-02');
  });
});

describe('parsePeopleCsv on damaged exports', () => {
  it('refuses a record longer than the limit by its line', () => {
    const r = parsePeopleCsv(`Employee ID,Name,Email\nE1,Ann Lee,${'a'.repeat(80)}@x.org\n`, 'p.csv', 50);
    expect(r.records).toEqual([]);
    expect(r.issues).toEqual([
      {
        file: 'p.csv',
        line: 2,
        reason:
          "longer than 50 characters: no export's row comes near that (a row with long notes is a few KB); is this a CSV export, and is every quoted field closed?",
      },
    ]);
  });

  it('names a UTF-16 export without a byte order mark as UTF-16', () => {
    const r = parsePeopleCsv(readFileSync(fixtureUrl('hr-export.utf16le.csv')), 'hr.csv');
    expect(r.records).toEqual([]);
    expect(r.issues).toEqual([
      {
        file: 'hr.csv',
        reason:
          'the file is UTF-16 (little-endian, without a byte order mark); save it as UTF-8 (Excel: CSV UTF-8)',
      },
    ]);
  });

  it('refuses a row whose job title holds a NUL rather than store it as U+FFFD', () => {
    const r = parsePeopleCsv(readFileSync(fixtureUrl('nul-in-job-title.csv')), 'nul-in-job-title.csv');
    expect(r.issues).toEqual([
      {
        file: 'nul-in-job-title.csv',
        line: 3,
        field: 'jobRole',
        reason: 'holds a control character (U+0000) at byte offset 7 of the value; a CSV export holds none',
      },
    ]);
    expect(r.rejectedKeys).toEqual(['E1002', 'tomas.reyes@hospital.example']);
  });

  it('quotes a rejected value of a million characters in at most ~100 of them', () => {
    const email = `${'a'.repeat(1_000_000)}@`;
    const r = parsePeopleCsv(`Employee ID,Name,Email\nE1,Ann Lee,${email}\n`, 'p.csv');
    expect(r.issues).toEqual([
      { file: 'p.csv', line: 2, field: 'email', reason: `"${'a'.repeat(99)}…" is not an email address` },
    ]);
  });
});

describe('parsePeopleCsv properties', () => {
  const field = fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((s) => s.trim() === s && !/\s\s|[\r\n]/.test(s));
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

  it('gives back what a CSV writer wrote, whatever the quoting', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.stringMatching(/^E[0-9]{1,6}$/),
            name: field,
            role: field,
          }),
          { minLength: 1, maxLength: 20, selector: (p: { id: string }) => p.id },
        ),
        (people) => {
          const text = [
            'Employee ID,Name,Job Title',
            ...people.map((p) => [p.id, p.name, p.role].map(quote).join(',')),
          ].join('\r\n');
          const r = parsePeopleCsv(text, 'p.csv');
          expect(r.issues).toEqual([]);
          expect(r.records.map((x) => [x.employeeId, x.name, x.jobRole])).toEqual(
            people.map((p) => [p.id, p.name, p.role]),
          );
          expect(r.records.map((x) => x.line)).toEqual(people.map((_, i) => i + 2));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never throws: any text gives records or line-numbered issues', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (tail) => {
        const r = parsePeopleCsv(`Name,Email\n${tail}`, 'f.csv');
        for (const i of r.issues) expect(i.file).toBe('f.csv');
        for (const rec of r.records) expect(rec.line).toBeGreaterThanOrEqual(2);
      }),
      { numRuns: 300 },
    );
  });
});
