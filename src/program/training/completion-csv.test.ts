import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPLETION_FIELDS,
  DATE_FORMATS,
  parseCompletionCsv,
  parseCompletionDate,
  parseCompletionMapping,
} from './completion-csv.js';

const fixtureBytes = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/training/${name}`, import.meta.url));
const fixture = (name: string) => fixtureBytes(name).toString('utf8');

describe('parseCompletionCsv on real and documented layouts', () => {
  it("reads Totara's course completion upload layout (real fixture from Totara's test suite)", () => {
    const r = parseCompletionCsv(fixture('totara-course_completion_2.csv'), { file: 'totara.csv' });
    expect(r.fatal).toBe(false);
    expect(r.issues).toEqual([]);
    expect(r.columns).toEqual([
      { header: 'username', field: 'employeeId' },
      { header: 'courseshortname', field: 'courseCode' },
      { header: 'courseidnumber', field: 'courseCode' },
      { header: 'completiondate', field: 'date' },
      { header: 'grade', field: 'score' },
    ]);
    expect(r.rows).toEqual([
      {
        line: 2,
        employeeId: 'learner1',
        email: null,
        courseCode: 'C1',
        courseName: null,
        completedOn: '2015-01-01',
        passed: true,
        score: 100,
      },
      expect.objectContaining({ line: 3, courseCode: 'thisisevidence' }),
    ]);
  });

  it('reads old Mac CR-only line endings with the same lines (as Totara tests with course_completion_CR_line_endings.csv)', () => {
    const text = fixture('totara-course_completion_2.csv').replace(/\n/g, '\r');
    const r = parseCompletionCsv(text, { file: 'cr.csv' });
    expect(r.issues).toEqual([]);
    expect(r.rows.map((x) => [x.line, x.courseCode])).toEqual([
      [2, 'C1'],
      [3, 'thisisevidence'],
    ]);
  });

  it('takes the first non-empty of several course code columns (Totara shortname, then idnumber)', () => {
    const r = parseCompletionCsv(fixture('totara-course_mismatch_fields_1.csv'), { file: 'm.csv' });
    expect(r.issues).toEqual([]);
    expect(r.rows).toHaveLength(12);
    expect(r.rows.map((x) => x.courseCode)).toEqual([
      'c1',
      'CP101',
      'CP101',
      'cp101',
      'CP101',
      'cp101',
      'cp101',
      'C1',
      'CP102',
      'cp102',
      'c2',
      'CP102',
    ]);
    expect(r.rows[0]).toMatchObject({ line: 2, employeeId: 'learner01', score: 10 });
  });

  it('reads a US transcript export (BOM, CRLF, quoted commas, m/d/yyyy with times, statuses, % scores)', () => {
    const r = parseCompletionCsv(fixture('lms-transcript-us.csv'), { file: 't.csv', dateFormat: 'mdy' });
    expect(r.issues).toEqual([]);
    expect(r.dataRows).toBe(7);
    expect(r.notCompleted).toBe(1);
    expect(r.rows.map((x) => [x.line, x.employeeId, x.courseCode, x.completedOn, x.passed, x.score])).toEqual(
      [
        [2, 'E1001', 'SEC-101', '2026-03-14', true, 92],
        [3, 'E1002', 'SEC-101', '2024-02-29', true, 88],
        [5, 'E1004', 'SEC-101', '2025-12-31', false, 55],
        [6, 'E9999', 'SEC-101', '2026-01-15', true, 90],
        [7, 'E1001', 'MED-200', '2026-01-31', true, null],
        [8, null, 'SEC-999', '2026-01-02', true, 80],
      ],
    );
    expect(r.rows[5]!.email).toBe('dana.smith@example-hospital.org');
    expect(r.rows[0]!.courseName).toBe('Cybersecurity Awareness 2026');
  });

  it('does not guess m/d against d/m: ISO by default refuses slashed dates and says which option to give', () => {
    const r = parseCompletionCsv(fixture('lms-transcript-us.csv'), { file: 't.csv' });
    expect(r.rows).toEqual([]);
    expect(r.issues[0]).toEqual({
      file: 't.csv',
      line: 2,
      reason: expect.stringMatching(
        /'3\/14\/2026 9:12 AM' is not in the iso format .*--date-format mdy or dmy/,
      ),
    });
  });

  it('reports each bad row with file, line and reason and keeps the good rows', () => {
    const r = parseCompletionCsv(fixture('bad-rows.csv'), { file: 'bad-rows.csv', dateFormat: 'dmy' });
    expect(r.fatal).toBe(false);
    expect(r.rows.map((x) => [x.line, x.completedOn])).toEqual([
      [2, '2026-03-14'],
      [9, '2026-03-01'],
    ]);
    expect(r.issues).toEqual([
      {
        file: 'bad-rows.csv',
        line: 3,
        reason: expect.stringMatching(
          /^completion date '2026-03-14' is not in the dmy format.*--date-format iso/,
        ),
      },
      { file: 'bad-rows.csv', line: 4, reason: 'no employee id or email' },
      { file: 'bad-rows.csv', line: 5, reason: 'no course code or name' },
      {
        file: 'bad-rows.csv',
        line: 6,
        reason: "status 'Maybe' is not a completion status this importer knows",
      },
      { file: 'bad-rows.csv', line: 7, reason: "completion date '31/02/2026' is not a date" },
      { file: 'bad-rows.csv', line: 8, reason: "score '150' is not a number from 0 to 100" },
    ]);
  });

  it('is fatal when the header lacks a person, course or date column, naming what is missing', () => {
    const r = parseCompletionCsv('Name,Module,When\nAna,SEC,2026-01-01\n', { file: 'x.csv' });
    expect(r.fatal).toBe(true);
    expect(r.issues.map((i) => i.reason)).toEqual([
      expect.stringMatching(/^no person column/),
      expect.stringMatching(/^no course column/),
      expect.stringMatching(/^no completion date column/),
    ]);
    expect(parseCompletionCsv('', { file: 'empty.csv' }).issues).toEqual([
      { file: 'empty.csv', line: 1, reason: 'the file has no header row' },
    ]);
  });

  it('uses an explicit mapping for headers it does not know', () => {
    const { mapping, issues } = parseCompletionMapping([
      'Learner=employeeId',
      'Module=courseName',
      'Finished On=date',
    ]);
    expect(issues).toEqual([]);
    const r = parseCompletionCsv('Learner,Module,Finished On\nE1,Awareness,2026-02-01T10:00:00Z\n', {
      file: 'm.csv',
      mapping,
    });
    expect(r.rows).toEqual([
      expect.objectContaining({ employeeId: 'E1', courseName: 'Awareness', completedOn: '2026-02-01' }),
    ]);
    expect(parseCompletionMapping(['Learner=nobody', 'x']).issues).toHaveLength(2);
    const missing = parseCompletionCsv('A,B\n', { file: 'm.csv', mapping: new Map([['Nope', 'date']]) });
    expect(missing.fatal).toBe(true);
    expect(missing.issues[0]).toMatchObject({ line: 1, field: 'Nope' });
  });

  it('reports an unclosed quote with its line and still returns the rows before it', () => {
    const r = parseCompletionCsv(
      'email,course code,completion date\na@x.org,SEC,2026-01-01\nb@x.org,"SEC,2026-01-02\n',
      {
        file: 'q.csv',
      },
    );
    expect(r.rows.map((x) => x.line)).toEqual([2]);
    expect(r.issues).toEqual([
      { file: 'q.csv', line: 3, reason: expect.stringMatching(/never closed|malformed/) },
    ]);
  });
});

describe('parseCompletionCsv on damaged copies of the fixtures', () => {
  it('reports a last row cut short by a truncated file instead of counting it as not completed', () => {
    const whole = fixture('totara-course_completion_2.csv');
    // The file ends without a newline, so a copy cut mid-row still parses as a row: "learner1,thisisev".
    const cut = whole.slice(0, whole.indexOf('thisisevidence') + 'thisisev'.length);
    const r = parseCompletionCsv(cut, { file: 'cut.csv' });
    expect(r.fatal).toBe(false);
    expect(r.rows.map((x) => x.line)).toEqual([2]);
    expect(r.notCompleted).toBe(0);
    expect(r.dataRows).toBe(2);
    expect(r.issues).toEqual([{ file: 'cut.csv', line: 3, reason: 'has 2 fields, the header has 5' }]);
  });

  it('reports a short row (E1004,Dana) with its line and keeps the other rows', () => {
    const text = fixture('lms-transcript-us.csv').replace(/^E1004,Dana[^\r]*/m, 'E1004,Dana');
    const r = parseCompletionCsv(text, { file: 't.csv', dateFormat: 'mdy' });
    expect(r.issues).toEqual([{ file: 't.csv', line: 5, reason: 'has 2 fields, the header has 8' }]);
    expect(r.rows.map((x) => x.line)).toEqual([2, 3, 6, 7, 8]);
    expect(r.notCompleted).toBe(1);
  });

  it('reports a cell with bytes that are not UTF-8 (a Windows-1252 save) and skips only that row', () => {
    const bytes = fixtureBytes('lms-transcript-us.csv');
    // "E1002" followed by 0xE9 (é in Windows-1252), given as bytes as the CLI and the API read the file.
    const at = bytes.indexOf('E1002') + 'E1002'.length;
    const damaged = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xe9]), bytes.subarray(at)]);
    const r = parseCompletionCsv(damaged, { file: 't.csv', dateFormat: 'mdy' });
    expect(r.issues).toEqual([
      {
        file: 't.csv',
        line: 3,
        reason:
          "'Employee ID' is not valid UTF-8 text (byte 0xE9 at offset 5 of the line; save the export as UTF-8)",
      },
    ]);
    expect(r.rows.map((x) => x.line)).toEqual([2, 5, 6, 7, 8]);
  });

  it('names a Windows-1252 "Café" by its line and offset, and keeps a U+FFFD the export really holds', () => {
    const bytes = fixtureBytes('lms-transcript-us.csv');
    const title = 'Cybersecurity Awareness 2026';
    const line3 = bytes.indexOf('\nE1002') + 1;
    const at = bytes.indexOf(title, line3);
    const edited = (to: Buffer) =>
      Buffer.concat([bytes.subarray(0, at), to, bytes.subarray(at + title.length)]);
    // The LMS had itself replaced a character it could not write (valid UTF-8 EF BF BD): kept.
    const real = parseCompletionCsv(edited(Buffer.from('Caf\uFFFD Awareness')), {
      file: 't.csv',
      dateFormat: 'mdy',
    });
    expect(real.issues).toEqual([]);
    expect(real.rows.find((x) => x.line === 3)!.courseName).toBe('Caf\uFFFD Awareness');
    // The same title saved as Windows-1252: refused for line 3, with the byte's offset in the line.
    const cp1252 = parseCompletionCsv(edited(Buffer.from('Café Awareness', 'latin1')), {
      file: 't.csv',
      dateFormat: 'mdy',
    });
    expect(cp1252.issues).toEqual([
      {
        file: 't.csv',
        line: 3,
        reason: `'Course Title' is not valid UTF-8 text (byte 0xE9 at offset ${at - line3 + 3} of the line; save the export as UTF-8)`,
      },
    ]);
    expect(cp1252.rows.map((x) => x.line)).toEqual([2, 5, 6, 7, 8]);
  });
});

describe('parseCompletionCsv on a NUL and on long values', () => {
  it('refuses a record longer than the limit by its line, and nothing of the file', () => {
    const r = parseCompletionCsv(
      `Employee ID,Course Code,Completion Date\nE1,C1,2026-01-02\nE2,${'C'.repeat(80)},2026-01-02\n`,
      { file: 't.csv', maxRecordChars: 50 },
    );
    expect(r.fatal).toBe(true);
    expect(r.rows).toEqual([]);
    expect(r.issues).toEqual([
      {
        file: 't.csv',
        line: 3,
        reason:
          "longer than 50 characters: no export's row comes near that (a row with long notes is a few KB); is this a CSV export, and is every quoted field closed?",
      },
    ]);
  });

  it('names a UTF-16 export (iconv of the real Totara fixture) as UTF-16', () => {
    const r = parseCompletionCsv(fixtureBytes('totara-course_completion_2.utf16.csv'), { file: 't.csv' });
    expect(r.fatal).toBe(true);
    expect(r.issues).toEqual([
      {
        file: 't.csv',
        reason:
          'the file is UTF-16 (little-endian, with a byte order mark); save it as UTF-8 (Excel: CSV UTF-8)',
      },
    ]);
  });

  it('refuses a line whose course title holds a NUL, and keeps the others', () => {
    const r = parseCompletionCsv(fixtureBytes('nul-in-course-title.csv'), {
      file: 't.csv',
      dateFormat: 'mdy',
    });
    expect(r.issues).toEqual([
      {
        file: 't.csv',
        line: 3,
        reason:
          "'Course Title' holds a control character (U+0000) at byte offset 14 of the value; a CSV export holds none",
      },
    ]);
    expect(r.rows.map((x) => x.line)).toEqual([2, 5, 6, 7, 8]);
  });

  it('quotes a rejected value of a million characters in at most ~100 of them', () => {
    const status = 'z'.repeat(1_000_000);
    const r = parseCompletionCsv(
      `Employee ID,Course Code,Completion Date,Status\nE1,C1,2026-01-02,${status}\n`,
      {
        file: 't.csv',
      },
    );
    expect(r.issues).toEqual([
      {
        file: 't.csv',
        line: 2,
        reason: `status '${'z'.repeat(99)}…' is not a completion status this importer knows`,
      },
    ]);
  });
});

describe('parseCompletionDate', () => {
  it('reads each declared format and rejects impossible days', () => {
    expect(parseCompletionDate('2024-02-29', 'iso')).toEqual({ date: '2024-02-29' });
    expect(parseCompletionDate('2025-02-29', 'iso')).toEqual({
      reason: "completion date '2025-02-29' is not a date",
    });
    expect(parseCompletionDate('03/04/2026', 'mdy')).toEqual({ date: '2026-03-04' });
    expect(parseCompletionDate('03/04/2026', 'dmy')).toEqual({ date: '2026-04-03' });
    expect(parseCompletionDate('12/31/2025, 11:59 PM', 'mdy')).toEqual({ date: '2025-12-31' });
    expect(parseCompletionDate('31.12.2025', 'dmy')).toEqual({ date: '2025-12-31' });
    expect(parseCompletionDate('13/01/2026', 'mdy')).toEqual({
      reason: "completion date '13/01/2026' is not a date",
    });
  });
});

describe('parseCompletionCsv properties', () => {
  const cellArb = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '2026-01-31',
      '1/31/2026',
      '31/01/2026',
      'Completed',
      'failed',
      '"',
      '""',
      ',',
      '\n',
      '\r\n',
      '99%',
    ),
  );
  const header = 'Employee ID,Email,Course Code,Completion Date,Status,Score';

  it('never throws on arbitrary text and every issue has the file and a line within the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc
            .array(fc.array(cellArb, { maxLength: 7 }), { maxLength: 12 })
            .map((rows) => [header, ...rows.map((r) => r.join(','))].join('\n')),
        ),
        fc.constantFrom(...DATE_FORMATS),
        (text, dateFormat) => {
          const r = parseCompletionCsv(text, { file: 'p.csv', dateFormat });
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const i of r.issues) {
            expect(i.file).toBe('p.csv');
            expect(i.line).toBeGreaterThanOrEqual(1);
            expect(i.line).toBeLessThanOrEqual(lines + 1);
          }
          for (const row of r.rows) {
            expect(row.completedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            expect(row.employeeId ?? row.email).toBeTruthy();
            expect(row.courseCode ?? row.courseName).toBeTruthy();
          }
          expect(r.rows.length + r.notCompleted).toBeLessThanOrEqual(r.dataRows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads back every well-formed row it is given, on the line it was written', () => {
    const rowArb = fc.record({
      id: fc.stringMatching(/^[A-Z][0-9]{3,6}$/),
      course: fc.stringMatching(/^[A-Z]{2,4}-[0-9]{2,3}$/),
      date: fc.date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      score: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 20 }), (rows) => {
        const text = [
          header,
          ...rows.map(
            (r) => `${r.id},,${r.course},${r.date.toISOString().slice(0, 10)},Completed,${r.score}`,
          ),
        ].join('\n');
        const out = parseCompletionCsv(text, { file: 'ok.csv' });
        expect(out.issues).toEqual([]);
        expect(out.rows.map((r) => [r.line, r.employeeId, r.courseCode, r.completedOn, r.score])).toEqual(
          rows.map((r, i) => [i + 2, r.id, r.course, r.date.toISOString().slice(0, 10), r.score]),
        );
      }),
    );
  });

  it('knows every field it documents', () => {
    expect(COMPLETION_FIELDS).toEqual([
      'employeeId',
      'email',
      'courseCode',
      'courseName',
      'date',
      'status',
      'score',
    ]);
  });
});
