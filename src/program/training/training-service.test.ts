/**
 * Training on both dialects: courses and assignment rules, completions by hand and from a learning
 * system's CSV (test/fixtures/training, see PROVENANCE.md), idempotent and re-runnable imports, due and
 * overdue statuses, compliance figures with a department below target, and reminders.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { buildTrainingScenario } from '../../../test/training-scenario.js';
import type { Actor } from '../../accounts/actor.js';
import { listAudit } from '../../audit/audit-log.js';
import type { VigilDatabase } from '../../store/database.js';
import { importCompletions, listCompletions, recordCompletion } from './completions-service.js';
import { getTrainingCompliance, setComplianceTarget, trainingCompliance } from './compliance.js';
import { addCourse, getCourse, listCourses, updateCourse } from './courses-service.js';
import { trainingReminders } from './reminders.js';
import { trainingStatus } from './status.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/training/${name}`, import.meta.url), 'utf8');
const JUNE = new Date('2026-06-01T12:00:00Z');
const auditor: Actor = { ...cliActor, kind: 'user', name: 'auditor', permissions: new Set(['program:read']) };

describe.each(DIALECTS)('training on %s', (dialect) => {
  let vdb: VigilDatabase;

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await buildTrainingScenario(vdb, cliActor);
  });
  afterAll(async () => vdb?.close());

  it('adds courses with defaults, resolves rule names to ids and refuses duplicates and bad rules', async () => {
    const sec = await getCourse(vdb, cliActor, 'sec-101');
    expect(sec).toMatchObject({
      code: 'SEC-101',
      recurrenceMonths: 12,
      graceDays: 30,
      target: null,
      assignment: [{ networkAccess: true }],
      active: true,
    });
    await expect(addCourse(vdb, cliActor, { code: 'sec-101', name: 'Again' })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(
      addCourse(vdb, cliActor, { code: 'X-1', name: 'X', assignment: [{ department: 'Nowhere' }] }),
    ).rejects.toMatchObject({ code: 'invalid_input', issues: [{ field: 'assignment.0.department' }] });
    await expect(
      addCourse(vdb, cliActor, { code: 'X-2', name: 'X', assignment: [{}] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(addCourse(vdb, auditor, { code: 'X-3', name: 'X' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const icu = await addCourse(vdb, cliActor, {
      code: 'ICU-300',
      name: 'ICU Pump Handling',
      recurrenceMonths: null,
      assignment: [{ jobRole: 'nurse', department: 'ICU', site: 'North Campus' }],
      active: false,
    });
    expect(icu.assignment).toEqual([
      {
        jobRole: 'nurse',
        departmentId: expect.any(String),
        department: 'ICU',
        siteId: expect.any(String),
        site: 'North Campus',
      },
    ]);
    expect((await listCourses(vdb, auditor)).map((c) => c.code)).toEqual(['MED-200', 'SEC-101']);
    expect((await listCourses(vdb, auditor, { all: true })).map((c) => c.code)).toContain('ICU-300');
  });

  it('imports a learning-system export: unknown people and courses skipped, valid rows kept, idempotent', async () => {
    const first = await importCompletions(vdb, cliActor, {
      file: 'lms-transcript-us.csv',
      text: fixture('lms-transcript-us.csv'),
      dateFormat: 'mdy',
    });
    expect(first).toMatchObject({
      rows: 7,
      completions: 4,
      added: 4,
      alreadyRecorded: 0,
      notCompleted: 1,
      errors: [],
      skipped: [
        {
          file: 'lms-transcript-us.csv',
          line: 6,
          reason: "no person with employee id 'E9999' or email 'nobody@example-hospital.org'",
        },
        { file: 'lms-transcript-us.csv', line: 8, reason: "no course 'SEC-999' / 'Phishing Refresher'" },
      ],
    });
    const again = await importCompletions(vdb, cliActor, {
      file: 'lms-transcript-us.csv',
      text: fixture('lms-transcript-us.csv'),
      dateFormat: 'mdy',
    });
    expect(again).toMatchObject({ completions: 4, added: 0, alreadyRecorded: 4 });
    const ana = await listCompletions(vdb, auditor, { person: 'E1001' });
    expect(
      ana.items.map((c) => [c.courseCode, c.completedOn, c.passed, c.score, c.source, c.sourceRef]),
    ).toEqual([
      ['SEC-101', '2026-03-14', true, 92, 'import', 'lms-transcript-us.csv line 2'],
      ['MED-200', '2026-01-31', true, null, 'import', 'lms-transcript-us.csv line 7'],
    ]);
    const dana = await listCompletions(vdb, auditor, { person: 'dana.smith@example-hospital.org' });
    expect(dana.items).toEqual([
      expect.objectContaining({ courseCode: 'SEC-101', passed: false, score: 55 }),
    ]);
    const audit = await listAudit(vdb, { action: 'training.import' });
    expect(JSON.stringify(audit)).toContain('"added":4');
  });

  it('a re-run after an interrupted import (truncated download) adds only what is missing; a dry run stores nothing', async () => {
    const text = fixture('lms-transcript-us.csv');
    const lines = text.split('\r\n');
    const head = [
      ...lines.slice(0, 1),
      'E1003,Chen Li,chen.li@example-hospital.org,ICU-300,x,5/2/2026,Completed,',
    ];
    const dry = await importCompletions(vdb, cliActor, {
      file: 'part.csv',
      text: head.join('\r\n'),
      dateFormat: 'mdy',
      dryRun: true,
    });
    expect(dry).toMatchObject({ dryRun: true, added: 1 });
    expect((await listCompletions(vdb, auditor, { person: 'E1003' })).total).toBe(0);
    // The same line again, and then the whole file with it: the first run's row is not stored twice.
    expect(
      await importCompletions(vdb, cliActor, {
        file: 'part.csv',
        text: head.join('\r\n'),
        dateFormat: 'mdy',
      }),
    ).toMatchObject({ added: 1 });
    const whole = await importCompletions(vdb, cliActor, {
      file: 'whole.csv',
      text: [...head, ...lines.slice(1)].join('\r\n'),
      dateFormat: 'mdy',
    });
    expect(whole).toMatchObject({ completions: 5, added: 0, alreadyRecorded: 5 });
  });

  it('reports bad rows by line and keeps the good ones', async () => {
    const r = await importCompletions(vdb, cliActor, {
      file: 'bad-rows.csv',
      text: fixture('bad-rows.csv'),
      dateFormat: 'dmy',
    });
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [3, expect.stringMatching(/'2026-03-14' is not in the dmy format/)],
      [4, 'no employee id or email'],
      [5, 'no course code or name'],
      [6, "status 'Maybe' is not a completion status this importer knows"],
      [7, "completion date '31/02/2026' is not a date"],
      [8, "score '150' is not a number from 0 to 100"],
    ]);
    expect(r).toMatchObject({ completions: 2, added: 1, alreadyRecorded: 1 });
    await expect(
      importCompletions(vdb, cliActor, { file: 'x.csv', text: 'a,b\n1,2\n' }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: 'Cannot import x.csv' });
    await expect(
      importCompletions(vdb, cliActor, { file: 'x.csv', text: 'a\n', mapping: ['nonsense'] }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('records a completion by hand once; the same day again changes nothing', async () => {
    const first = await recordCompletion(vdb, cliActor, {
      person: 'E1000',
      course: 'SEC-101',
      date: '2025-06-15',
      score: 97,
    });
    expect(first).toMatchObject({
      created: true,
      completion: {
        person: 'Maya Patel',
        courseCode: 'SEC-101',
        completedOn: '2025-06-15',
        passed: true,
        source: 'manual',
      },
    });
    const again = await recordCompletion(vdb, cliActor, {
      person: 'maya.patel@example-hospital.org',
      course: 'Cybersecurity Awareness',
      date: '2025-06-15',
    });
    expect(again).toMatchObject({ created: false, completion: { id: first.completion.id } });
    await expect(
      recordCompletion(vdb, cliActor, { person: 'E1000', course: 'SEC-101', date: '2025-02-30' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      recordCompletion(vdb, cliActor, { person: 'E1000', course: 'SEC-101', date: '2099-01-01' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      recordCompletion(vdb, cliActor, { person: 'nobody', course: 'SEC-101', date: '2025-01-01' }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('computes who must take what and each pair’s state on a day', async () => {
    const { today, items } = await trainingStatus(vdb, auditor, {}, JUNE);
    expect(today).toBe('2026-06-01');
    const pairs = items.map((i) => [i.employeeId, i.courseCode, i.state, i.dueOn, i.overdue]);
    expect(pairs).toEqual([
      // Overdue first, by due date: never completed (start 2025-01-01 + 30 grace days), a leap-day
      // completion due on 28 February, never completed with 60 grace days.
      ['E1003', 'SEC-101', 'never-completed', '2025-01-31', true],
      ['E1002', 'SEC-101', 'overdue', '2025-02-28', true],
      ['E1004', 'MED-200', 'never-completed', '2025-03-02', true],
      ['E1000', 'SEC-101', 'due-soon', '2026-06-15', false],
      ['E1001', 'SEC-101', 'current', '2027-03-14', false],
    ]);
    // Dana is required to take MED-200 (by her account's role and her job role), not SEC-101 (no network
    // access); Ed has left; ICU-300 is inactive.
    expect(items.some((i) => i.employeeId === 'E1005' || i.courseCode === 'ICU-300')).toBe(false);
    await expect(trainingStatus(vdb, auditor, { person: 'nobody' }, JUNE)).rejects.toMatchObject({
      code: 'not_found',
    });
    const overdue = await trainingStatus(vdb, auditor, { overdue: true }, JUNE);
    expect(overdue.items).toHaveLength(3);
    const mine = await trainingStatus(vdb, auditor, { person: 'E1000' }, new Date('2026-06-16T00:00:00Z'));
    expect(mine.items).toEqual([expect.objectContaining({ state: 'overdue', daysLeft: -1 })]);
    // As of a past day, completions recorded for later days do not count yet: E1001 passed SEC-101 on
    // 2026-03-01 and 2026-03-14, so on 2026-03-01 the first is the last one, and the day before, none.
    const onFirst = await trainingStatus(vdb, auditor, { person: 'E1001' }, new Date('2026-03-01T12:00:00Z'));
    expect(onFirst.items).toEqual([
      expect.objectContaining({ lastCompleted: '2026-03-01', dueOn: '2027-03-01' }),
    ]);
    const before = await trainingStatus(vdb, auditor, { person: 'E1001' }, new Date('2026-02-28T12:00:00Z'));
    expect(before.items).toEqual([expect.objectContaining({ courseCode: 'SEC-101', lastCompleted: null })]);
    expect(before.items[0]!.state).toBe('never-completed');
  });

  it('figures compliance per site and department against the target; a department falls below it', async () => {
    await setComplianceTarget(vdb, cliActor, { target: 0.6 });
    const c = await trainingCompliance(vdb, JUNE);
    expect(c.target).toBe(0.6);
    expect(c.overall).toEqual({
      scope: 'organization',
      siteId: null,
      siteName: null,
      department: null,
      required: 5,
      current: 2,
      overdue: 3,
      rate: 0.4,
      belowTarget: true,
    });
    expect(c.bySite.map((f) => [f.siteName, f.required, f.current, f.rate, f.belowTarget])).toEqual([
      ['North Campus', 4, 2, 0.5, true],
      ['South Campus', 1, 0, 0, true],
    ]);
    expect(
      c.byDepartment.map((f) => [f.siteName, f.department, f.required, f.current, f.overdue, f.belowTarget]),
    ).toEqual([
      ['North Campus', 'ICU', 3, 2, 1, false],
      ['North Campus', 'Radiology', 1, 0, 1, true],
      ['South Campus', 'Clinical Engineering', 1, 0, 1, true],
    ]);
    expect(c.byDepartment[0]!.rate).toBeCloseTo(2 / 3);
    // A course's own target binds too: ICU meets 60% but not SEC-101's 70%.
    await updateCourse(vdb, cliActor, 'SEC-101', { target: 0.7 });
    const strict = await trainingCompliance(vdb, JUNE);
    expect(strict.byDepartment.find((f) => f.department === 'ICU')!.belowTarget).toBe(true);
    await updateCourse(vdb, cliActor, 'SEC-101', { target: null });
    const limited: Actor = { ...auditor, siteIds: [c.bySite[1]!.siteId!] };
    const forSouth = await getTrainingCompliance(vdb, limited, JUNE);
    expect(forSouth.bySite.map((f) => f.siteName)).toEqual(['South Campus']);
    await expect(setComplianceTarget(vdb, cliActor, { target: 95 })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });

  it('counts a scope where nothing is required as fully compliant', async () => {
    const empty = await freshDatabase(dialect);
    try {
      const c = await trainingCompliance(empty, JUNE);
      expect(c).toEqual({
        target: 0.95,
        overall: expect.objectContaining({ required: 0, current: 0, rate: 1, belowTarget: false }),
        bySite: [],
        byDepartment: [],
      });
    } finally {
      await empty.close();
    }
  });

  it('reminds people due soon or overdue, and managers of their reports’ overdue training', async () => {
    const { reminders } = await trainingReminders(vdb, auditor, JUNE);
    expect(
      reminders.map((r) => [r.kind, r.recipient.name, r.items.map((i) => `${i.employeeId}:${i.courseCode}`)]),
    ).toEqual([
      ['manager', 'Maya Patel', ['E1002:SEC-101']],
      ['trainee', 'Ben Okafor', ['E1002:SEC-101']],
      ['trainee', 'Chen Li', ['E1003:SEC-101']],
      ['trainee', 'Dana Smith', ['E1004:MED-200']],
      ['trainee', 'Maya Patel', ['E1000:SEC-101']],
    ]);
    const ben = reminders.find((r) => r.kind === 'trainee' && r.recipient.name === 'Ben Okafor')!;
    expect(ben).toMatchObject({
      recipient: { email: 'ben.okafor@example-hospital.org' },
      key: expect.stringMatching(/^training-reminder:trainee:.+:2026-06-01$/),
      subject: 'Security training overdue: 1 course',
    });
    expect(ben.body).toContain(
      'Cybersecurity Awareness [SEC-101]: overdue since 2025-02-28 (458 days); last completed 2024-02-29',
    );
    expect(reminders[0]!.subject).toBe('Overdue security training in your team: 1 person');
  });

  it('changes assignment rules: a course for ICU nurses only', async () => {
    await updateCourse(vdb, cliActor, 'ICU-300', { active: true });
    const { items } = await trainingStatus(vdb, auditor, { course: 'ICU-300' }, JUNE);
    expect(items.map((i) => i.employeeId).sort()).toEqual(['E1001', 'E1002']);
    expect(items.every((i) => i.state === 'never-completed')).toBe(true);
    await updateCourse(vdb, cliActor, 'ICU-300', { active: false });
  });
});

describe.each(DIALECTS)('training retakes on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await buildTrainingScenario(vdb, cliActor);
  });
  afterAll(async () => vdb?.close());

  const HEAD = 'Employee ID,Course Code,Completion Date,Status,Score\n';
  const onDay = async (person: string, day: string) =>
    (await listCompletions(vdb, cliActor, { person })).items.filter((c) => c.completedOn === day);

  it('keeps a pass over a failure of the same day, in either order within a file; a re-import changes nothing', async () => {
    const text =
      `${HEAD}E1003,SEC-101,2026-05-20,Failed,40\nE1003,SEC-101,2026-05-20,Passed,95\n` +
      'E1002,SEC-101,2026-05-20,Passed,96\nE1002,SEC-101,2026-05-20,Failed,41\n';
    const first = await importCompletions(vdb, cliActor, { file: 'retake.csv', text });
    expect(first).toMatchObject({ completions: 2, added: 2, superseded: 0, duplicatesInFile: 2 });
    expect(await onDay('E1003', '2026-05-20')).toEqual([
      expect.objectContaining({ passed: true, score: 95 }),
    ]);
    expect(await onDay('E1002', '2026-05-20')).toEqual([
      expect.objectContaining({ passed: true, score: 96 }),
    ]);
    const { items } = await trainingStatus(vdb, auditor, { person: 'E1003' }, JUNE);
    expect(items).toEqual([expect.objectContaining({ courseCode: 'SEC-101', state: 'current' })]);
    const again = await importCompletions(vdb, cliActor, { file: 'retake.csv', text });
    expect(again).toMatchObject({ added: 0, superseded: 0, alreadyRecorded: 2 });
  });

  it('a pass imported or recorded later replaces a recorded failure of that day, audited with what it was', async () => {
    await importCompletions(vdb, cliActor, {
      file: 'a.csv',
      text: `${HEAD}E1004,MED-200,2026-05-21,Failed,40\n`,
    });
    const later = `${HEAD}E1004,MED-200,2026-05-21,Passed,95\n`;
    expect(await importCompletions(vdb, cliActor, { file: 'b.csv', text: later })).toMatchObject({
      added: 0,
      superseded: 1,
      alreadyRecorded: 0,
    });
    expect(await onDay('E1004', '2026-05-21')).toEqual([
      expect.objectContaining({ passed: true, score: 95, sourceRef: 'b.csv line 2' }),
    ]);
    expect(await importCompletions(vdb, cliActor, { file: 'b.csv', text: later })).toMatchObject({
      superseded: 0,
      alreadyRecorded: 1,
    });
    // A failure after the pass changes nothing: the person was trained that day.
    const failAgain = await importCompletions(vdb, cliActor, {
      file: 'a.csv',
      text: `${HEAD}E1004,MED-200,2026-05-21,Failed,40\n`,
    });
    expect(failAgain).toMatchObject({ added: 0, superseded: 0, alreadyRecorded: 1 });

    const failed = await recordCompletion(vdb, cliActor, {
      person: 'E1000',
      course: 'SEC-101',
      date: '2026-05-22',
      passed: false,
      score: 40,
    });
    expect(failed.created).toBe(true);
    const passed = await recordCompletion(vdb, cliActor, {
      person: 'E1000',
      course: 'SEC-101',
      date: '2026-05-22',
      score: 95,
    });
    expect(passed).toMatchObject({
      created: true,
      superseded: true,
      completion: { id: failed.completion.id, passed: true, score: 95 },
    });
    const replaced = await listAudit(vdb, { action: 'training.completion.supersede' });
    expect(replaced).toHaveLength(2);
    expect(replaced.map((e) => e.summary['before'])).toEqual([
      expect.objectContaining({ passed: false, score: 40, source: 'manual' }),
      expect.objectContaining({ passed: false, score: 40, source: 'import', sourceRef: 'a.csv line 2' }),
    ]);
  });
});
