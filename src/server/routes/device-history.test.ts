/**
 * The device page's API additions for the dashboard's admin and device pages: GET /devices/{id}/history
 * (the device's audit trail, scoped and permission-filtered), the VEX statement behind each matched
 * vulnerability in GET /devices/{id}, GET /roles and the configuration in GET /system. Vulnerabilities
 * come from CISA's ICSMA-21-308-01 (test/fixtures/advisories/csaf): Philips Tasy EMR HTML5
 * `<= 3.06.1803`, so TASY-1 (3.06.1700) is affected by CVE-2021-39375 and CVE-2021-39376.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, type Client } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { ROLES } from '../../accounts/permissions.js';

const csaf = readFileSync(
  new URL('../../../test/fixtures/advisories/csaf/icsma-21-308-01.json', import.meta.url),
  'utf8',
);

interface HistoryPage {
  deviceId: string;
  items: {
    seq: number;
    action: string;
    about: string;
    targetType: string;
    summary: Record<string, unknown>;
  }[];
  nextBeforeSeq: number | null;
}

async function body<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe.each(DIALECTS)('device history, VEX per match, roles and settings (%s)', (dialect) => {
  let h: ApiHarness;
  let tasy: string;
  let dup: string;
  let pump: string;

  const history = async (client: Client, ref: string, query = '') =>
    body<HistoryPage>(await client.get(`/api/v1/devices/${ref}/history${query}`));

  beforeAll(async () => {
    h = await apiHarness(dialect);
    const eng = h.as('clinical-engineer');
    const add = async (d: Record<string, unknown>) =>
      (await body<{ id: string }>(await eng.post('/api/v1/devices', d), 201)).id;
    tasy = await add({
      assetTag: 'TASY-1',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1700',
      site: 'North Clinic',
    });
    dup = await add({ serialNumber: 'TASY-SN-0001', site: 'North Clinic' });
    pump = await add({ assetTag: 'PUMP-9', manufacturer: 'Baxter', model: 'Sigma Spectrum', site: 'South' });
    await body(await eng.patch(`/api/v1/devices/${tasy}`, { room: 'B-204' }));
    await body(await eng.patch(`/api/v1/devices/${pump}`, { room: 'C-1' }));
    await body(
      await h
        .as('security-officer')
        .request('POST', '/api/v1/advisories/import?fileName=icsma-21-308-01.json', csaf, {
          'content-type': 'application/octet-stream',
        }),
    );
    await body(
      await h.as('security-officer').post('/api/v1/vex', {
        vulnerability: 'CVE-2021-39376',
        status: 'not-affected',
        justification: 'vulnerable_code_not_in_execute_path',
        statement: 'The HTML5 module is not deployed at North Clinic',
        device: tasy,
      }),
      201,
    );
    await body(
      await h.as('security-officer').post('/api/v1/tasks', { device: tasy, vulnerability: 'CVE-2021-39375' }),
      201,
    );
    await body(await eng.post(`/api/v1/devices/${dup}/merge`, { into: tasy }));
  });
  afterAll(() => h?.close());

  it('GET /devices/{id} names the VEX statement that set a match status, and null where none applies', async () => {
    const d = await body<{
      vulnerabilities: { vulnerability: string; status: string; vex: Record<string, unknown> | null }[];
    }>(await h.as('auditor').get('/api/v1/devices/TASY-1'));
    const byCve = new Map(d.vulnerabilities.map((v) => [v.vulnerability, v]));
    expect(byCve.get('CVE-2021-39375')).toMatchObject({ status: 'affected', vex: null });
    expect(byCve.get('CVE-2021-39376')).toMatchObject({
      status: 'not-affected',
      vex: {
        status: 'not-affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impactStatement: 'The HTML5 module is not deployed at North Clinic',
        origin: 'hospital',
        author: 'test-security-officer',
        product: 'device TASY-1', // named as people know it (the statement keeps the device id apart)
      },
    });
  });

  it('lists the device’s own changes and its task, newest first, with the merged duplicate’s history', async () => {
    const page = await history(h.as('auditor'), 'TASY-1', '?limit=100');
    expect(page.deviceId).toBe(tasy);
    const seqs = page.items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const actions = page.items.map((e) => `${e.about} ${e.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'device device.create',
        'device device.update',
        'device device.merge',
        'task tasks.create',
      ]),
    );
    // TASY-1's create and the duplicate's create (it was merged in): two creations.
    expect(actions.filter((a) => a === 'device device.create')).toHaveLength(2);
    expect(page.items[0]!.action).toBe('device.merge');
    // Nothing about the other device, and no client address or hash chain.
    expect(JSON.stringify(page)).not.toContain(pump);
    expect(Object.keys(page.items[0]!)).not.toContain('ip');
    expect(Object.keys(page.items[0]!)).not.toContain('hash');
    const task = page.items.find((e) => e.action === 'tasks.create')!;
    expect(task).toMatchObject({ targetType: 'task', summary: { deviceId: tasy } });
    expect(page.nextBeforeSeq).toBeNull();
  });

  it('the merged duplicate’s own page shows its merge', async () => {
    const page = await history(h.as('auditor'), dup);
    expect(page.items.map((e) => e.action)).toEqual(['device.merge', 'device.create']);
    expect(page.items[0]!.summary).toMatchObject({ source: dup, into: tasy });
  });

  it('pages by sequence number without gaps or repeats', async () => {
    const all = (await history(h.as('auditor'), tasy, '?limit=100')).items.map((e) => e.seq);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: number[] = [];
    let query = '?limit=2';
    for (;;) {
      const page = await history(h.as('auditor'), tasy, query);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.seq));
      if (page.nextBeforeSeq === null) break;
      query = `?limit=2&beforeSeq=${page.nextBeforeSeq}`;
    }
    expect(seen).toEqual(all);
  });

  it('leaves out what the caller may not read, and devices outside its sites do not exist', async () => {
    const created = await body<{ token: string }>(
      await h.as('admin').post('/api/v1/tokens', {
        name: 'history-devices-only',
        permissions: ['devices:read'],
        sites: ['North Clinic'],
      }),
      201,
    );
    const token = h.withToken(created.token);
    const page = await history(token, tasy, '?limit=100');
    expect(page.items.length).toBeGreaterThan(0);
    expect(new Set(page.items.map((e) => e.about))).toEqual(new Set(['device']));
    expect((await token.get(`/api/v1/devices/${pump}/history`)).status).toBe(404);
    expect((await h.as('auditor').get('/api/v1/devices/NO-SUCH-TAG/history')).status).toBe(404);
    expect((await h.as('auditor').get(`/api/v1/devices/${tasy}/history?limit=0`)).status).toBe(400);
  });

  it('GET /roles lists every role with its permissions as permissions.ts defines them', async () => {
    const r = await body<{
      roles: { name: string; permissions: string[] }[];
      permissions: { name: string; description: string }[];
    }>(await h.as('auditor').get('/api/v1/roles'));
    expect(r.roles.map((x) => x.name)).toEqual(Object.keys(ROLES));
    expect(r.roles.find((x) => x.name === 'clinical-engineer')!.permissions).toEqual([
      ...ROLES['clinical-engineer'].permissions,
    ]);
    expect(r.permissions.find((p) => p.name === 'users:write')!.description).toMatch(/roles/);
    expect((await h.as('clinical-engineer').get('/api/v1/roles')).status).toBe(403);
  });

  it('GET /system lists the configuration, says where it is changed and never sends a credential', async () => {
    const sys = await body<{
      configuration: { key: string; env: string; value: unknown; set: boolean; secret: boolean }[];
      configurationSource: string;
    }>(await h.as('clinical-engineer').get('/api/v1/system'));
    const byKey = new Map(sys.configuration.map((o) => [o.key, o]));
    expect(byKey.get('port')).toMatchObject({ env: 'VIGIL_PORT', value: 7400, set: true, secret: false });
    expect(byKey.get('slaImmediateHours')?.set).toBe(true);
    expect(byKey.get('smtpPassword')).toMatchObject({ secret: true, value: null });
    expect(sys.configurationSource).toMatch(/VIGIL_CONFIG/);
  });
});
