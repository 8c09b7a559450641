/**
 * Manufacturer relations over the API on the CMMS fixture's inventory (test/fixtures/cmms/hospital-export.csv):
 * contacts, feed links, documents, requests, MDS2 import as a request body (a workbook built with exceljs in
 * the published layout) and show, coverage; who may read and write.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';
import { buildMds2Workbook, sampleAnswers } from '../../program/mds2/mds2-test-workbook.js';

const fixture = new URL('../../../test/fixtures/cmms/hospital-export.csv', import.meta.url);

async function body<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe.each(DIALECTS)('manufacturer routes on %s', (dialect) => {
  let h: ApiHarness;
  let token: string;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await importCmmsCsv(h.ctx.vdb, cliActor, {
      file: 'hospital-export.csv',
      input: await readFile(fixture, 'utf8'),
    });
    ({ token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'mds2-uploader',
      owner: 'test-security-officer',
      permissions: ['program:read', 'program:write'],
    }));
  });
  afterAll(async () => h?.close());

  const upload = (path: string, bytes: Uint8Array) =>
    h.app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });

  it('lists and updates manufacturers; a clinical engineer reads but does not write', async () => {
    const list = await body<{ items: { name: string; activeDevices: number }[] }>(
      await h.as('clinical-engineer').get('/api/v1/manufacturers?withDevices=true'),
      200,
    );
    expect(list.items.find((m) => m.name === 'Philips')?.activeDevices).toBe(4);
    expect(
      (await h.as('clinical-engineer').patch('/api/v1/manufacturers/Philips', { notes: 'x' })).status,
    ).toBe(403);
    const m = await body<{ psirt: { email: string } }>(
      await h
        .as('security-officer')
        .patch('/api/v1/manufacturers/Philips', { psirtEmail: 'productsecurity@philips.com' }),
      200,
    );
    expect(m.psirt.email).toBe('productsecurity@philips.com');
    const bad = await body<{ detail?: string; title: string }>(
      await h.as('security-officer').patch('/api/v1/manufacturers/Philips', { psirtEmail: 'nope' }),
      400,
    );
    expect(bad.title).toBe('Invalid input');
    expect((await h.as('auditor').get('/api/v1/manufacturers/Nobody')).status).toBe(404);
  });

  it('refuses a feed link body with a field it does not take, naming it', async () => {
    const res = await h
      .as('security-officer')
      .post('/api/v1/manufacturers/Philips/feeds', { feed: 'Philips CSAF', unlink: true });
    expect(await body(res, 400)).toMatchObject({ issues: [{ field: 'unlink', reason: 'unknown field' }] });
  });

  it('imports an MDS2 workbook sent as the body and shows it per model', async () => {
    const xlsx = await buildMds2Workbook({
      answers: sampleAnswers({
        'DOC-1': ['Philips'],
        'DOC-3': ['IntelliVue MX450'],
        'CONN-2': ['Yes', 'TCP 443 HTTPS, 24105 (Data Export); UDP 24005'],
      }),
    });
    const r = await body<{ forms: { modelId: string; created: boolean; services: { port: number }[] }[] }>(
      await upload('/api/v1/mds2/import?fileName=mx450-mds2.xlsx', xlsx),
      200,
    );
    expect(r.forms).toHaveLength(1);
    expect(r.forms[0]!.services.map((s) => s.port)).toEqual([443, 24105, 24005]);
    const again = await body<{ forms: { created: boolean }[] }>(
      await upload(`/api/v1/models/${r.forms[0]!.modelId}/mds2/import`, xlsx),
      200,
    );
    expect(again.forms[0]!.created).toBe(false);
    const shown = await body<{
      model: string;
      current: { fileName: string; capabilities: { tls: boolean } };
    }>(await h.as('auditor').get(`/api/v1/models/${r.forms[0]!.modelId}/mds2`), 200);
    expect(shown).toMatchObject({
      model: 'IntelliVue MX450',
      current: { fileName: 'mx450-mds2.xlsx', capabilities: { tls: true } },
    });

    const bad = await buildMds2Workbook({
      answers: sampleAnswers({ 'DOC-3': ['IntelliVue MX450'], 'MLDP-1': ['Maybe'] }),
    });
    const problem = await body<{ detail: string }>(
      await upload('/api/v1/mds2/import?fileName=bad.xlsx', bad),
      400,
    );
    expect(problem.detail).toMatch(
      /^MDS2 sheet 'MDS2' row \d+: answer 'Maybe' for MLDP-1 is not Yes\/No\/N\/A$/,
    );
    expect((await upload('/api/v1/mds2/import', new Uint8Array())).status).toBe(400);
  });

  it('records documents and requests, and reports coverage', async () => {
    const officer = h.as('security-officer');
    const doc = {
      model: 'IntelliVue MX450',
      kind: 'sbom',
      title: 'SBOM',
      sha256: 'b'.repeat(64),
      documentDate: '2026-01-01',
    };
    expect((await officer.post('/api/v1/documents', doc)).status).toBe(201);
    expect((await officer.post('/api/v1/documents', doc)).status).toBe(200);
    const docs = await body<{ documents: { kind: string }[] }>(
      await officer.get('/api/v1/documents?model=IntelliVue%20MX450'),
      200,
    );
    expect(docs.documents.map((d) => d.kind).sort()).toEqual(['mds2', 'sbom']);

    const req = await body<{ id: string; status: string }>(
      await officer.post('/api/v1/manufacturer-requests', {
        manufacturer: 'Philips',
        kind: 'mds2',
        subject: 'Send the current MDS2 for the MX40',
        models: ['IntelliVue MX40 Patient Worn Monitor'],
        requestedDate: '2026-01-02',
        dueDate: '2026-02-01',
      }),
      201,
    );
    const overdue = await body<{ items: { id: string }[] }>(
      await officer.get('/api/v1/manufacturer-requests?overdue=true'),
      200,
    );
    expect(overdue.items.map((r) => r.id)).toEqual([req.id]);
    const answered = await body<{ status: string; answer: string }>(
      await officer.post(`/api/v1/manufacturer-requests/${req.id}/answer`, {
        answer: 'Sent',
        answeredDate: '2026-01-20',
      }),
      200,
    );
    expect(answered).toMatchObject({ status: 'answered', answer: 'Sent' });
    expect((await officer.request('POST', `/api/v1/manufacturer-requests/${req.id}/close`)).status).toBe(200);
    expect((await h.as('clinical-engineer').post('/api/v1/manufacturer-requests', {})).status).toBe(403);

    const cov = await body<{ items: { name: string; psirtContact: boolean; modelsWithoutMds2: number }[] }>(
      await h.as('auditor').get('/api/v1/manufacturers/coverage'),
      200,
    );
    expect(cov.items.find((c) => c.name === 'Philips')).toMatchObject({
      psirtContact: true,
      modelsWithoutMds2: 3,
    });
  });

  it('counts, for a caller limited to a site, only the devices at its site', async () => {
    // North Clinic has the CMMS export's two Welch Allyn monitors; Philips' four devices are elsewhere.
    const { token: clinic } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-clinic-reader',
      owner: 'test-auditor',
      permissions: ['program:read'],
      sites: ['North Clinic'],
    });
    const get = async <T>(path: string) =>
      body<T>(await h.app.request(path, { headers: { authorization: `Bearer ${clinic}` } }), 200);
    type Counted = { items: { name: string; activeDevices: number }[] };

    const inUse = await get<Counted>('/api/v1/manufacturers?withDevices=true');
    expect(inUse.items.map((m) => [m.name, m.activeDevices])).toEqual([['Welch Allyn', 2]]);
    const all = await get<Counted>('/api/v1/manufacturers');
    expect(all.items.find((m) => m.name === 'Philips')?.activeDevices).toBe(0);
    const cov = await get<Counted>('/api/v1/manufacturers/coverage');
    expect(cov.items.map((m) => [m.name, m.activeDevices])).toEqual([['Welch Allyn', 2]]);
    const philips = await get<{ activeDevices: number; models: { activeDevices: number }[] }>(
      '/api/v1/manufacturers/Philips',
    );
    expect(philips.activeDevices).toBe(0);
    expect(philips.models.map((m) => m.activeDevices).filter((n) => n > 0)).toEqual([]);

    // Unlimited, the same routes count every site.
    const org = await body<Counted>(await h.as('auditor').get('/api/v1/manufacturers/coverage'), 200);
    expect(org.items.find((m) => m.name === 'Philips')?.activeDevices).toBe(4);
    expect(org.items.length).toBeGreaterThan(1);
  });

  it("shows a caller limited to a site only its site's requests and those of no site", async () => {
    const officer = h.as('security-officer');
    const ask = async (manufacturer: string, subject: string, models?: string[]) =>
      (
        await body<{ id: string }>(
          await officer.post('/api/v1/manufacturer-requests', {
            manufacturer,
            kind: 'vulnerability-question',
            subject,
            ...(models ? { models } : {}),
          }),
          201,
        )
      ).id;
    // North Clinic has the Connex Spot Monitors; Philips' MX450 is at St. Vigil Medical Center only.
    const northModel = await ask('Welch Allyn', 'Is the CSM affected by the BLE advisory?', [
      'Connex Spot Monitor (CSM)',
    ]);
    const otherSite = await ask('Philips', 'Is the MX450 at the ICU affected?', ['IntelliVue MX450']);
    const noSite = await ask('Welch Allyn', 'Who is our account manager?');
    const { token: clinic } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-clinic-requests',
      owner: 'test-auditor',
      permissions: ['program:read'],
      sites: ['North Clinic'],
    });
    const north = h.withToken(clinic);
    const ids = (list: { items: { id: string }[] }) =>
      list.items.map((r) => r.id).filter((id) => [northModel, otherSite, noSite].includes(id));

    const seen = await body<{ items: { id: string }[] }>(
      await north.get('/api/v1/manufacturer-requests'),
      200,
    );
    expect(ids(seen).sort()).toEqual([northModel, noSite].sort());
    expect((await north.get(`/api/v1/manufacturer-requests/${otherSite}`)).status).toBe(404);
    expect((await north.get(`/api/v1/manufacturer-requests/${northModel}`)).status).toBe(200);
    expect((await north.get(`/api/v1/manufacturer-requests/${noSite}`)).status).toBe(200);
    // The open requests a manufacturer shows are those the caller can list.
    type Open = { items: { name: string; openRequests: number }[] };
    const philips = (list: Open) => list.items.find((m) => m.name === 'Philips')?.openRequests;
    expect(philips(await body<Open>(await north.get('/api/v1/manufacturers'), 200))).toBe(0);
    expect(philips(await body<Open>(await officer.get('/api/v1/manufacturers'), 200))).toBeGreaterThan(0);
    // Unlimited, every request is listed.
    const all = await body<{ items: { id: string }[] }>(
      await officer.get('/api/v1/manufacturer-requests'),
      200,
    );
    expect(ids(all).sort()).toEqual([northModel, otherSite, noSite].sort());
  });

  it('lets a caller limited to a site read, but not change, the hospital-wide manufacturer records', async () => {
    const officer = h.as('security-officer');
    const req = await body<{ id: string }>(
      await officer.post('/api/v1/manufacturer-requests', {
        manufacturer: 'Philips',
        kind: 'patch-validation',
        subject: 'Is the March patch validated for the MX450?',
        models: ['IntelliVue MX450'],
      }),
      201,
    );
    const { token: clinic } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-clinic-program',
      owner: 'test-security-officer',
      permissions: ['program:read', 'program:write'],
      sites: ['North Clinic'],
    });
    const north = h.withToken(clinic);
    const before = await body<Record<string, unknown>>(
      await officer.get('/api/v1/manufacturers/Philips'),
      200,
    );
    const writes: [string, string, unknown][] = [
      ['PATCH', '/api/v1/manufacturers/Philips', { notes: 'North Clinic has its own account manager' }],
      ['POST', '/api/v1/manufacturers/Philips/feeds', { feed: 'kev' }],
      ['DELETE', '/api/v1/manufacturers/Philips/feeds/kev', undefined],
      ['PUT', '/api/v1/models/IntelliVue%20MX450/support', { endOfSupport: '2020-01-01' }],
      [
        'POST',
        '/api/v1/documents',
        { model: 'IntelliVue MX450', kind: 'mds2', title: 'MDS2', sha256: 'c'.repeat(64) },
      ],
      [
        'POST',
        '/api/v1/manufacturer-requests',
        { manufacturer: 'Philips', kind: 'sbom', subject: 'SBOM please' },
      ],
      ['POST', `/api/v1/manufacturer-requests/${req.id}/close`, {}],
      ['POST', `/api/v1/manufacturer-requests/${req.id}/answer`, { answer: 'No' }],
    ];
    for (const [method, path, payload] of writes) {
      const res = await north.request(method, path, payload);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/applies to every site/);
    }
    const xlsx = await buildMds2Workbook({
      answers: sampleAnswers({ 'DOC-1': ['Philips'], 'DOC-3': ['IntelliVue MX450'] }),
    });
    const mds2 = await h.app.request('/api/v1/mds2/import', {
      method: 'POST',
      headers: { authorization: `Bearer ${clinic}`, 'content-type': 'application/octet-stream' },
      body: xlsx,
    });
    expect(mds2.status).toBe(403);
    // Unchanged for every site; reading still works.
    expect(await body(await north.get('/api/v1/manufacturers/Philips'), 200)).toBeDefined();
    expect(await body(await officer.get('/api/v1/manufacturers/Philips'), 200)).toEqual(before);
    expect(
      await body<{ status: string }>(await officer.get(`/api/v1/manufacturer-requests/${req.id}`), 200),
    ).toMatchObject({ status: 'open' });
    const audit = await h.ctx.vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('actor', 'like', 'token:north-clinic-program%')
      .execute();
    expect(audit).toEqual([]);
  });

  it('declares program permissions in the OpenAPI document', async () => {
    const doc = await body<{ paths: Record<string, Record<string, { 'x-permission': string }>> }>(
      await h.anonymous.get('/api/docs'),
      200,
    );
    expect(doc.paths['/api/v1/mds2/import']!['post']!['x-permission']).toBe('program:write');
    expect(doc.paths['/api/v1/models/{id}/mds2']!['get']!['x-permission']).toBe('program:read');
    expect(doc.paths['/api/v1/manufacturers/coverage']!['get']!['x-permission']).toBe('program:read');
  });
});
