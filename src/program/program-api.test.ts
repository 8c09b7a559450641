/**
 * People, departments, officers and notifications over the real HTTP API: permissions per role, the
 * JSON shapes docs/program.md promises, CSV import as a request body, and an account reading only its
 * own notifications.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { createApiToken } from '../accounts/api-tokens.js';
import { runNotifications } from './notifications/run-notifications.js';

const HR = readFileSync(new URL('../../test/fixtures/program/hr-export.csv', import.meta.url), 'utf8');

const PERSON_FIELDS = [
  'id',
  'employeeId',
  'name',
  'email',
  'phone',
  'jobRole',
  'departmentId',
  'department',
  'siteId',
  'site',
  'managerId',
  'manager',
  'networkAccess',
  'userId',
  'username',
  'active',
  'activeFrom',
  'leftOn',
  'createdAt',
  'updatedAt',
];

describe.each(DIALECTS)('program API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  it('imports people from a CSV body and lists, shows and changes them', async () => {
    const officer = h.as('security-officer');
    const dry = await officer.request('POST', '/api/v1/people/import?file=hr.csv&dryRun=true', HR, {
      'content-type': 'text/csv',
    });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ file: 'hr.csv', dryRun: true, created: 8 });
    const res = await officer.request('POST', '/api/v1/people/import?file=hr.csv', HR, {
      'content-type': 'text/csv',
    });
    expect(await res.json()).toMatchObject({ created: 8, deactivated: 1 });
    // ?fileName= (the training import's spelling) is accepted as an alias; both, differing, is a 400.
    const alias = await officer.request('POST', '/api/v1/people/import?fileName=hr2.csv&dryRun=true', HR, {
      'content-type': 'text/csv',
    });
    expect(alias.status).toBe(200);
    expect(await alias.json()).toMatchObject({ file: 'hr2.csv', dryRun: true });
    const both = await officer.request(
      'POST',
      '/api/v1/people/import?file=hr.csv&fileName=other.csv&dryRun=true',
      HR,
      { 'content-type': 'text/csv' },
    );
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ code: 'invalid_input', issues: [{ field: 'fileName' }] });
    const same = await officer.request(
      'POST',
      '/api/v1/people/import?file=hr.csv&fileName=hr.csv&dryRun=true',
      HR,
      { 'content-type': 'text/csv' },
    );
    expect(await same.json()).toMatchObject({ file: 'hr.csv' });

    const bad = await officer.request(
      'POST',
      '/api/v1/people/import?file=bad.csv',
      'Name,Email\nX,not-mail\n',
      {
        'content-type': 'text/csv',
      },
    );
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { issues: { file: string; line: number; field: string }[] };
    expect(problem.issues).toEqual([expect.objectContaining({ file: 'bad.csv', line: 2, field: 'email' })]);

    const list = (await (await h.as('auditor').get('/api/v1/people?site=North%20Campus')).json()) as {
      items: Record<string, unknown>[];
    };
    expect(list.items.map((p) => p['employeeId'])).toEqual(['E1003', 'E1005', 'E1001', 'E1002']);
    expect(Object.keys(list.items[0]!)).toEqual(PERSON_FIELDS);

    const shown = await h.as('clinical-engineer').get('/api/v1/people/E1002');
    expect(await shown.json()).toMatchObject({
      name: 'Tomás Reyes',
      manager: 'Grace Okafor',
      department: 'Biomedical Engineering',
    });
    expect(
      (await h.as('clinical-engineer').patch('/api/v1/people/E1002', { phone: '+1 555 0199' })).status,
    ).toBe(403);
    const changed = await officer.patch('/api/v1/people/E1002', { phone: '+1 555 0199', jobRole: null });
    expect(await changed.json()).toMatchObject({ phone: '+1 555 0199', jobRole: null });
    const left = await officer.post('/api/v1/people/E2003/deactivate', { leftOn: '2026-11-15' });
    expect(await left.json()).toMatchObject({ active: false, leftOn: '2026-11-15' });
    const added = await officer.post('/api/v1/people', {
      name: 'New Hire',
      email: 'new.hire@hospital.example',
      site: 'South Clinic',
    });
    expect(added.status).toBe(201);
    expect(
      (await officer.post('/api/v1/people', { name: 'New Hire', email: 'NEW.hire@hospital.example' })).status,
    ).toBe(409);

    const deps = (await (await officer.get('/api/v1/departments?site=South%20Clinic')).json()) as {
      items: { name: string; peopleCount: number }[];
    };
    expect(deps.items.map((d) => [d.name, d.peopleCount])).toEqual([
      ['Patient Services', 0],
      ['Radiology', 2],
    ]);
    expect(
      (await officer.post('/api/v1/departments', { site: 'South Clinic', name: 'Pharmacy' })).status,
    ).toBe(201);
  });

  it('designates officers and reports coverage with warnings', async () => {
    const officer = h.as('security-officer');
    const d = await officer.post('/api/v1/officers', {
      person: 'grace.okafor@hospital.example',
      from: '2026-01-01',
    });
    expect(d.status).toBe(201);
    const body = (await d.json()) as { id: string; role: string; siteId: string | null };
    expect(body).toMatchObject({ role: 'primary', siteId: null });
    const clash = await officer.post('/api/v1/officers', { person: 'E1005', from: '2026-02-01' });
    expect(clash.status).toBe(409);
    expect(
      (await officer.post('/api/v1/officers', { person: 'E2002', site: 'South Clinic', from: '2026-01-01' }))
        .status,
    ).toBe(201);
    const coverage = (await (await h.as('auditor').get('/api/v1/officers/coverage')).json()) as {
      organization: { primary: { name: string } | null };
      warnings: { code: string }[];
    };
    expect(coverage.organization.primary?.name).toBe('Grace Okafor');
    expect(coverage.warnings.map((w) => w.code)).toEqual(['no-officer-site']);
    const listed = (await (await officer.get('/api/v1/officers')).json()) as {
      officers: unknown[];
      warnings: unknown[];
    };
    expect(listed.officers).toHaveLength(2);
    expect(listed.warnings).toHaveLength(1);
    const priya = (listed.officers as { id: string; name: string }[]).find((o) => o.name === 'Priya Raman')!;
    const ended = await officer.post(`/api/v1/officers/${priya.id}/end`, {});
    expect(ended.status).toBe(200);
    expect(
      ((await (await officer.get('/api/v1/officers?all=true')).json()) as { officers: unknown[] }).officers,
    ).toHaveLength(2);
  });

  it('refuses unknown body fields with a 400 naming them, and takes the role the response shows', async () => {
    const officer = h.as('security-officer');
    const unknown = async (res: Response, field: string) => {
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'invalid_input',
        issues: [{ field, reason: 'unknown field' }],
      });
    };
    await unknown(
      await officer.post('/api/v1/people', { name: 'No Network', network_access: false }),
      'network_access',
    );
    await unknown(await officer.patch('/api/v1/people/E1001', { status: 'left' }), 'status');
    expect(await (await officer.get('/api/v1/people/E1001')).json()).toMatchObject({ active: true });
    await unknown(await officer.post('/api/v1/people/E1001/deactivate', { left: '2026-11-15' }), 'left');
    await unknown(
      await officer.post('/api/v1/departments', { site: 'South Clinic', name: 'Oncology', code: 'ONC' }),
      'code',
    );
    await unknown(
      await officer.post('/api/v1/officers', { person: 'E1003', from: '2026-01-01', deputyOf: 'E1001' }),
      'deputyOf',
    );
    // `role`, as in the response, designates a deputy (it used to be dropped: a primary was made).
    const deputy = await officer.post('/api/v1/officers', {
      person: 'E1003',
      from: '2026-01-01',
      role: 'deputy',
    });
    expect(deputy.status).toBe(201);
    const made = (await deputy.json()) as { id: string; role: string };
    expect(made.role).toBe('deputy');
    const both = await officer.post('/api/v1/officers', {
      person: 'E1001',
      from: '2026-01-01',
      role: 'primary',
      deputy: true,
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ issues: [{ field: 'role' }] });
    await unknown(await officer.post(`/api/v1/officers/${made.id}/end`, { when: '2026-12-01' }), 'when');
    await unknown(
      await officer.request('PUT', '/api/v1/training/target', { target: 0.9, scope: 'site' }),
      'scope',
    );
  });

  it('shows an account only its own notifications', async () => {
    const officer = h.as('security-officer');
    // The Vigil account test-clinical-engineer belongs to Grace Okafor, the organization's officer.
    const linked = await officer.patch('/api/v1/people/E1001', { user: 'test-clinical-engineer' });
    expect(linked.status).toBe(200);
    await runNotifications(h.ctx.vdb, { now: new Date() });
    const mine = (await (await h.as('clinical-engineer').get('/api/v1/notifications')).json()) as {
      items: { id: string; person: string; read: boolean }[];
      unread: number;
    };
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((n) => n.person === 'Grace Okafor')).toBe(true);
    // The kinds are a closed set: a misspelt one is a 400 naming it and the valid ones, not an empty list.
    const typo = await h.as('clinical-engineer').get('/api/v1/notifications?kind=officer-coverage,bogus');
    expect(typo.status).toBe(400);
    const problem = (await typo.json()) as { detail: string; issues: { field: string; reason: string }[] };
    expect(problem.detail).toMatch(/Unknown notification kind "bogus": one of act-immediate, .*digest/);
    expect(problem.issues).toEqual([
      { field: 'kind', reason: expect.stringMatching(/^"bogus" is not one of /) },
    ]);
    const byKind = (await (
      await h.as('clinical-engineer').get('/api/v1/notifications?kind=officer-coverage&kind=digest')
    ).json()) as { items: { kind: string }[] };
    expect(byKind.items.length).toBeGreaterThan(0);
    expect(byKind.items.every((n) => n.kind === 'officer-coverage')).toBe(true);
    const read = await h.as('clinical-engineer').post(`/api/v1/notifications/${mine.items[0]!.id}/read`);
    expect(await read.json()).toMatchObject({ read: true });
    // Another account cannot see or mark them.
    expect(
      ((await (await h.as('admin').get('/api/v1/notifications')).json()) as { items: unknown[] }).items,
    ).toEqual([]);
    expect((await h.as('admin').post(`/api/v1/notifications/${mine.items[0]!.id}/read`)).status).toBe(404);
    expect((await h.anonymous.get('/api/v1/notifications')).status).toBe(401);
    // A token acts for its owner: it reads the owner's notifications, no one else's.
    const { token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'pager bridge',
      owner: 'test-clinical-engineer',
      permissions: ['notifications:read'],
    });
    const viaToken = (await (await h.withToken(token).get('/api/v1/notifications')).json()) as {
      items: { person: string }[];
    };
    expect(viaToken.items.length).toBe(mine.items.length);
    expect(viaToken.items.every((n) => n.person === 'Grace Okafor')).toBe(true);
    const { token: other } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'auditor feed',
      owner: 'test-auditor',
      permissions: ['notifications:read'],
    });
    expect(
      ((await (await h.withToken(other).get('/api/v1/notifications')).json()) as { items: unknown[] }).items,
    ).toEqual([]);
  });
});
