/**
 * /api/v1/training on both dialects: permissions (program:read to look, program:write to change),
 * courses, completions by hand and by CSV body (test/fixtures/training, see PROVENANCE.md), status,
 * compliance, the target and reminders.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { buildTrainingScenario } from '../../../test/training-scenario.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/training/${name}`, import.meta.url), 'utf8');
const CSV = { 'content-type': 'text/csv' };

describe.each(DIALECTS)('training API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await buildTrainingScenario(h.ctx.vdb, cliActor);
  });
  afterAll(async () => h?.close());

  const body = async <T = Record<string, unknown>>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };

  it('lets readers look and only writers change courses', async () => {
    const list = await body<{ code: string }[]>(
      await h.as('clinical-engineer').get('/api/v1/training/courses'),
      200,
    );
    expect(list.map((c) => c.code)).toEqual(['MED-200', 'SEC-101']);
    expect(
      (await h.as('clinical-engineer').post('/api/v1/training/courses', { code: 'A', name: 'A' })).status,
    ).toBe(403);
    expect((await h.anonymous.get('/api/v1/training/courses')).status).toBe(401);
    const added = await body<{ code: string; recurrenceMonths: number | null; assignment: unknown[] }>(
      await h.as('security-officer').post('/api/v1/training/courses', {
        code: 'PHISH-1',
        name: 'Phishing Basics',
        recurrenceMonths: null,
        assignment: [{ site: 'North Campus' }],
      }),
      201,
    );
    expect(added).toMatchObject({
      code: 'PHISH-1',
      recurrenceMonths: null,
      assignment: [{ site: 'North Campus' }],
    });
    const changed = await body<{ active: boolean }>(
      await h.as('security-officer').patch('/api/v1/training/courses/phish-1', { active: false }),
      200,
    );
    expect(changed.active).toBe(false);
    const bad = await body<{ code: string; issues: { field: string }[] }>(
      await h
        .as('security-officer')
        .post('/api/v1/training/courses', { code: 'X', name: 'X', graceDays: -1 }),
      400,
    );
    expect(bad.issues[0]!.field).toBe('graceDays');
    expect((await h.as('auditor').get('/api/v1/training/courses/Cybersecurity%20Awareness')).status).toBe(
      200,
    );
    expect((await h.as('auditor').get('/api/v1/training/courses/nope')).status).toBe(404);
  });

  it('refuses a Windows-1252 row of a CSV body by line and offset, and keeps a real U+FFFD', async () => {
    // The /import paths skip the API's UTF-8 body check: the importer gets the body's bytes and decides.
    const so = h.as('security-officer');
    const url = '/api/v1/training/import?fileName=t.csv&dateFormat=mdy&dryRun=true';
    // Without its BOM, which Windows-1252 cannot write.
    const csv = fixture('lms-transcript-us.csv').replace(/^\uFEFF/, '');
    const cp1252 = await body<{ errors: { line: number; reason: string }[] }>(
      await so.request('POST', url, Buffer.from(csv.replace('E1002', 'E1002 Café'), 'latin1'), CSV),
      200,
    );
    expect(cp1252.errors).toEqual([
      expect.objectContaining({
        line: 3,
        reason:
          "'Employee ID' is not valid UTF-8 text (byte 0xE9 at offset 9 of the line; save the export as UTF-8)",
      }),
    ]);
    const real = await body<{ errors: unknown[]; skipped: { line: number }[] }>(
      await so.request('POST', url, Buffer.from(csv.replace('E1002', 'E1002\uFFFD'), 'utf8'), CSV),
      200,
    );
    expect(real.errors).toEqual([]);
    // Read as the text it is: the row's person is still found, by the email beside the id.
    expect(real.skipped.map((s) => s.line)).toEqual([6, 8]);
  });

  it('imports a CSV body idempotently and reports skipped rows with their line', async () => {
    const so = h.as('security-officer');
    const url = '/api/v1/training/import?fileName=lms-transcript-us.csv&dateFormat=mdy';
    const first = await body<{ added: number; skipped: { line: number }[]; errors: unknown[] }>(
      await so.request('POST', url, fixture('lms-transcript-us.csv'), CSV),
      200,
    );
    expect(first).toMatchObject({ added: 4, errors: [] });
    expect(first.skipped.map((s) => s.line)).toEqual([6, 8]);
    const again = await body(await so.request('POST', url, fixture('lms-transcript-us.csv'), CSV), 200);
    expect(again).toMatchObject({ added: 0, alreadyRecorded: 4 });
    const notCsv = await body<{ issues: { field: string }[] }>(
      await so.request('POST', url, 'x', { 'content-type': 'application/json' }),
      400,
    );
    expect(notCsv.issues[0]!.field).toBe('content-type');
    const mapped = await body(
      await so.request(
        'POST',
        '/api/v1/training/import?fileName=m.csv&mapping=Learner%3DemployeeId&mapping=Module%3DcourseCode&mapping=Finished%3Ddate',
        'Learner,Module,Finished\nE1003,SEC-101,2026-05-20\n',
        CSV,
      ),
      200,
    );
    expect(mapped).toMatchObject({ added: 1 });
    // ?file= (the people import's spelling) is an alias of ?fileName=; both, differing, is a 400.
    const alias = await body<{ file: string }>(
      await so.request(
        'POST',
        '/api/v1/training/import?file=lms-transcript-us.csv&dateFormat=mdy&dryRun=true',
        fixture('lms-transcript-us.csv'),
        CSV,
      ),
      200,
    );
    expect(alias.file).toBe('lms-transcript-us.csv');
    const unnamed = await body<{ file: string }>(
      await so.request(
        'POST',
        '/api/v1/training/import?dateFormat=mdy&dryRun=true',
        fixture('lms-transcript-us.csv'),
        CSV,
      ),
      200,
    );
    expect(unnamed.file).toBe('upload.csv');
    const both = await body<{ code: string; issues: { field: string }[] }>(
      await so.request(
        'POST',
        '/api/v1/training/import?fileName=a.csv&file=b.csv&dryRun=true',
        fixture('lms-transcript-us.csv'),
        CSV,
      ),
      400,
    );
    expect(both.code).toBe('invalid_input');
    expect(both.issues[0]!.field).toBe('file');
    expect((await h.as('auditor').request('POST', url, 'a', CSV)).status).toBe(403);
  });

  it('records a completion: 201 the first time, 200 with created false after', async () => {
    const so = h.as('security-officer');
    const input = { person: 'E1000', course: 'SEC-101', date: '2025-06-15', score: 97 };
    const first = await body<{ created: boolean; completion: { source: string } }>(
      await so.post('/api/v1/training/completions', input),
      201,
    );
    expect(first).toMatchObject({ created: true, completion: { source: 'api' } });
    expect(await body(await so.post('/api/v1/training/completions', input), 200)).toMatchObject({
      created: false,
    });
    const page = await body<{ total: number }>(
      await h.as('auditor').get('/api/v1/training/completions?person=E1000'),
      200,
    );
    expect(page.total).toBe(1);
  });

  it('answers status, compliance, target and reminders', async () => {
    const reader = h.as('clinical-engineer');
    const overdue = await body<{ today: string; items: { employeeId: string; state: string }[] }>(
      await reader.get('/api/v1/training/status?overdue=true&now=2026-06-01'),
      200,
    );
    expect(overdue.today).toBe('2026-06-01');
    expect(overdue.items.map((i) => [i.employeeId, i.state])).toEqual([
      ['E1002', 'overdue'],
      ['E1004', 'never-completed'],
    ]);
    const soon = await body<{ items: unknown[] }>(
      await reader.get('/api/v1/training/status?state=due-soon,current&now=2026-06-01'),
      200,
    );
    expect(soon.items).toHaveLength(3);
    expect(
      (await h.as('security-officer').request('PUT', '/api/v1/training/target', { target: 0.8 })).status,
    ).toBe(200);
    expect((await reader.request('PUT', '/api/v1/training/target', { target: 0.5 })).status).toBe(403);
    const c = await body<{
      target: number;
      overall: { required: number; current: number };
      byDepartment: { department: string; belowTarget: boolean }[];
    }>(await reader.get('/api/v1/training/compliance?now=2026-06-01'), 200);
    expect(c.target).toBe(0.8);
    expect(c.overall).toMatchObject({ required: 5, current: 3 });
    expect(c.byDepartment.map((f) => [f.department, f.belowTarget])).toEqual([
      ['ICU', true],
      ['Radiology', false],
      ['Clinical Engineering', true],
    ]);
    const r = await body<{ reminders: { kind: string; recipient: { name: string } }[] }>(
      await reader.get('/api/v1/training/reminders?now=2026-06-01'),
      200,
    );
    expect(r.reminders.map((x) => `${x.kind}:${x.recipient.name}`)).toEqual([
      'manager:Maya Patel',
      'trainee:Ben Okafor',
      'trainee:Dana Smith',
      'trainee:Maya Patel',
    ]);
    expect((await reader.get('/api/v1/training/compliance?now=yesterday')).status).toBe(400);
  });
});
