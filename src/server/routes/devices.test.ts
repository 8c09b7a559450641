import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { DEVICE_JSON_FIELDS } from '../../../test/factories.js';
import { importCaptureFile } from '../../../test/import-capture.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { listAudit } from '../../audit/audit-log.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/cmms/${name}`, import.meta.url), 'utf8');
const CSV = { 'content-type': 'text/csv' };

describe.each(DIALECTS)('devices and sites API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  const body = async <T = Record<string, unknown>>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };

  it('imports a CMMS export: refused whole on bad rows, dry run, skip bad rows, then for real', async () => {
    const eng = h.as('clinical-engineer');
    const bad = await body<{ code: string; detail: string; issues: { line: number }[] }>(
      await eng.request('POST', '/api/v1/devices/import?fileName=bad-rows.csv', fixture('bad-rows.csv'), CSV),
      400,
    );
    expect(bad.code).toBe('invalid_input');
    // The advice is in the API's terms, not the CLI flag a caller of the API cannot pass.
    expect(bad.detail).toBe(
      'bad-rows.csv: 7 of 9 rows rejected; nothing was imported (fix them, or use skipBadRows=true to import the good rows)',
    );
    expect(bad.issues.map((i) => i.line)).toEqual([3, 4, 5, 6, 6, 7, 8, 9]);
    const dry = await body(
      await eng.request(
        'POST',
        '/api/v1/devices/import?fileName=bad-rows.csv&dryRun=true',
        fixture('bad-rows.csv'),
        CSV,
      ),
      200,
    );
    expect(dry).toMatchObject({ dryRun: true, created: 2, rejected: 7 });
    const wrongType = await eng.request('POST', '/api/v1/devices/import', fixture('hospital-export.csv'), {
      'content-type': 'application/json',
    });
    expect(wrongType.status).toBe(400);
    const mapped = await body(
      await eng.request(
        'POST',
        `/api/v1/devices/import?fileName=list.csv&dryRun=1&map=${encodeURIComponent('Equip #=asset_tag')}&map=${encodeURIComponent('Net MAC=mac')}`,
        fixture('biomed-equipment-list.csv'),
        CSV,
      ),
      200,
    );
    expect(mapped).toMatchObject({ created: 3 });
    const real = await body(
      await eng.request(
        'POST',
        '/api/v1/devices/import?fileName=hospital-export.csv',
        fixture('hospital-export.csv'),
        CSV,
      ),
      200,
    );
    expect(real).toMatchObject({
      file: 'hospital-export.csv',
      created: 27,
      updated: 0,
      unchanged: 0,
      rejected: 0,
    });
    const again = await body(
      await eng.request(
        'POST',
        '/api/v1/devices/import?fileName=hospital-export.csv',
        fixture('hospital-export.csv'),
        CSV,
      ),
      200,
    );
    expect(again).toMatchObject({ created: 0, unchanged: 27 });
    const audit = await listAudit(h.ctx.vdb, { action: 'devices.import' });
    expect(audit.map((a) => [a.actor, a.summary['created'], a.summary['unchanged']])).toEqual([
      ['test-clinical-engineer', 0, 27],
      ['test-clinical-engineer', 27, 0],
    ]);
    expect((await h.as('auditor').request('POST', '/api/v1/devices/import', 'x', CSV)).status).toBe(403);
  });

  it('lists with paging, filters and sorting', async () => {
    const auditor = h.as('auditor');
    const page = await body<{
      items: Record<string, unknown>[];
      total: number;
      page: number;
      pageSize: number;
    }>(await auditor.get('/api/v1/devices?pageSize=10&page=2&sort=assetTag&order=desc'), 200);
    expect(page).toMatchObject({ total: 27, page: 2, pageSize: 10 });
    expect(page.items).toHaveLength(10);
    expect(Object.keys(page.items[0]!)).toEqual(DEVICE_JSON_FIELDS);
    const monitors = await body<{ items: { assetTag: string }[]; total: number }>(
      await auditor.get('/api/v1/devices?deviceClass=patient-monitor&manufacturer=ge&ephi=yes&sort=assetTag'),
      200,
    );
    expect(monitors.items.map((d) => d.assetTag)).toEqual(['BME-21001', 'BME-21002']);
    const retired = await body<{ total: number }>(
      await auditor.get('/api/v1/devices?state=retired,ignored'),
      200,
    );
    expect(retired.total).toBe(2);
    const both = await body<{ total: number }>(
      await auditor.get('/api/v1/devices?state=retired&state=active'),
      200,
    );
    expect(both.total).toBe(27);
    expect((await auditor.get('/api/v1/devices?pageSize=501')).status).toBe(400);
    expect((await auditor.get('/api/v1/devices?sort=colour')).status).toBe(400);
    const synonym = await body<{ total: number }>(
      await auditor.get('/api/v1/devices?deviceClass=Syringe%20Pump'),
      200,
    );
    expect(synonym.total).toBe(11);
    const bad = await body<{ issues: { field: string }[] }>(
      await auditor.get('/api/v1/devices?deviceClass=monitor'),
      400,
    );
    expect(bad.issues[0]!.field).toBe('deviceClass');
  });

  it('shows, adds, updates, retires, confirms, ignores and merges', async () => {
    const eng = h.as('clinical-engineer');
    const shown = await body<{ id: string; facts: unknown[]; conflicts: unknown[] }>(
      await h.as('auditor').get('/api/v1/devices/00-1B-5A-30-00-01'),
      200,
    );
    expect(shown).toMatchObject({ assetTag: 'BME-30001', conflicts: [] });
    expect(shown.facts.length).toBeGreaterThan(10);
    expect((await h.as('auditor').get('/api/v1/devices/NOPE')).status).toBe(404);
    const created = await body<{ id: string }>(
      await eng.post('/api/v1/devices', {
        assetTag: 'API-1',
        macs: ['00:1b:5a:ff:00:01'],
        deviceClass: 'ventilator',
        ephi: false,
        site: 'North Clinic',
      }),
      201,
    );
    expect((await eng.post('/api/v1/devices', { assetTag: 'api-1' })).status).toBe(409);
    expect((await eng.post('/api/v1/devices', { assetTag: 'API-2', colour: 'red' })).status).toBe(400);
    expect((await h.as('auditor').post('/api/v1/devices', { assetTag: 'API-3' })).status).toBe(403);
    const patched = await body(
      await eng.patch(`/api/v1/devices/${created.id}`, { firmwareVersion: '3.0', room: null }),
      200,
    );
    expect(patched).toMatchObject({ firmwareVersion: '3.0', room: null });
    // A misspelt reason is refused, not dropped from the audit entry.
    expect((await eng.post(`/api/v1/devices/${created.id}/retire`, { reson: 'end of life' })).status).toBe(
      400,
    );
    expect(
      await body(await eng.post(`/api/v1/devices/${created.id}/retire`, { reason: 'end of life' }), 200),
    ).toMatchObject({ state: 'retired' });
    expect(await body(await eng.post(`/api/v1/devices/${created.id}/confirm`), 200)).toMatchObject({
      state: 'active',
    });
    expect(await body(await eng.post(`/api/v1/devices/${created.id}/ignore`), 200)).toMatchObject({
      state: 'ignored',
    });
    const dup = await body<{ id: string }>(
      await eng.post('/api/v1/devices', { serialNumber: 'API-SN', ips: ['10.9.9.9'] }),
      201,
    );
    const merged = await body(await eng.post(`/api/v1/devices/${dup.id}/merge`, { into: 'API-1' }), 200);
    expect(merged).toMatchObject({ id: created.id, serialNumber: 'API-SN', ips: ['10.9.9.9'] });
    expect(await body(await h.as('auditor').get(`/api/v1/devices/${dup.id}`), 200)).toMatchObject({
      state: 'merged',
      mergedInto: created.id,
    });
    const audit = await listAudit(h.ctx.vdb, { action: 'device.' });
    expect(audit.map((a) => a.action).reverse()).toEqual([
      'device.create',
      'device.update',
      'device.retire',
      'device.confirm',
      'device.ignore',
      'device.create',
      'device.merge',
    ]);
  });

  it('records sanitizations of a device: validated, devices:write only, audited, listed', async () => {
    const eng = h.as('clinical-engineer');
    const dev = await body<{ id: string }>(
      await eng.post('/api/v1/devices', { assetTag: 'SAN-1', ephi: true }),
      201,
    );
    await body(await eng.post(`/api/v1/devices/${dev.id}/retire`, { reason: 'end of life' }), 200);
    const url = `/api/v1/devices/${dev.id}/sanitizations`;
    const bad = await body<{ code: string; issues: { field: string; reason: string }[] }>(
      await eng.post(url, { method: 'shred', performedOn: 'yesterday', performedBy: 'J. Ortiz' }),
      400,
    );
    expect(bad.code).toBe('invalid_input');
    expect(bad.issues).toEqual([
      { field: 'method', reason: 'clear, purge or destroy (NIST SP 800-88)' },
      { field: 'performedOn', reason: 'a date as YYYY-MM-DD' },
    ]);
    // An unknown field is reported with the others, so the body is fixed in one go.
    const unknownToo = await body<{ issues: { field: string; reason: string }[] }>(
      await eng.post(url, { method: 'shred', performedOn: '2026-10-01', performedBy: 'x', colour: 'red' }),
      400,
    );
    expect(unknownToo.issues).toEqual([
      { field: 'method', reason: 'clear, purge or destroy (NIST SP 800-88)' },
      { reason: 'unknown field: colour' },
    ]);
    expect(
      (
        await eng.post('/api/v1/devices/NO-SUCH-TAG/sanitizations', {
          method: 'purge',
          performedOn: '2026-10-01',
          performedBy: 'x',
        })
      ).status,
    ).toBe(404);
    const input = {
      method: 'purge',
      performedOn: '2026-10-01',
      performedBy: 'J. Ortiz',
      reference: 'CERT-7',
    };
    expect((await h.as('auditor').post(url, input)).status).toBe(403);
    const made = await body<{ id: string }>(await eng.post(url, input), 201);
    expect(made).toMatchObject({ deviceId: dev.id, method: 'purge', reference: 'CERT-7' });
    expect(await body(await h.as('auditor').get('/api/v1/devices/SAN-1/sanitizations'), 200)).toEqual([made]);
    const audit = await listAudit(h.ctx.vdb, { action: 'device.sanitize' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ targetId: dev.id, summary: { sanitization: made.id, method: 'purge' } });
  });

  it('gives a discovered device its hints and suggestions, and the list marks suggested classes and makers', async () => {
    // 04-hl7-mllp.pcap: the ORU sender's MAC prefix is Philips Medical Systems - Cardiac and Monitoring.
    await importCaptureFile(
      h.ctx.vdb,
      fileURLToPath(new URL('../../../test/fixtures/captures/04-hl7-mllp.pcap', import.meta.url)),
    );
    const eng = h.as('clinical-engineer');
    const shown = await body<{
      id: string;
      hints: { kind: string; value: string }[];
      suggestions: { field: string; value: string }[];
      hl7: unknown;
    }>(await eng.request('GET', '/api/v1/devices/10.30.0.41'), 200);
    // Its ORU^R01 messages (frames 13, 26, 39) say MSH-12 2.5; the ACKs it receives name it as receiver
    // and are not counted (capture-analyzer.test.ts has the tshark command).
    expect(shown.hl7).toEqual({
      sendingApplications: ['MONITOR_GW'],
      sendingFacilities: ['ICU_EAST'],
      messageTypes: ['ORU^R01'],
      versions: ['2.5'],
      receivingApplications: [],
      receivingFacilities: [],
    });
    expect(shown.hints).toContainEqual(
      expect.objectContaining({
        kind: 'oui.vendor',
        value: expect.stringMatching(/^Philips Medical Systems/),
      }),
    );
    expect(shown.suggestions.map((x) => [x.field, x.value])).toEqual([
      ['deviceClass', 'patient-monitor'],
      ['manufacturer', 'Philips'],
    ]);
    const page = await body<{ items: { id: string }[]; suggested: Record<string, unknown> }>(
      await eng.request('GET', '/api/v1/devices?q=10.30.0.41'),
      200,
    );
    expect(page.items.map((d) => d.id)).toEqual([shown.id]);
    expect(page.suggested).toEqual({
      [shown.id]: {
        deviceClass: { value: 'patient-monitor', confidence: 0.4 },
        manufacturer: { value: 'Philips', confidence: 0.4 },
      },
    });
    // Adopted, the class is a fact and only the maker is still suggested.
    await body(
      await eng.request('PATCH', `/api/v1/devices/${shown.id}`, { deviceClass: 'patient-monitor' }),
      200,
    );
    const after = await body<{ suggested: Record<string, unknown> }>(
      await eng.request('GET', '/api/v1/devices?q=10.30.0.41'),
      200,
    );
    expect(after.suggested).toEqual({ [shown.id]: { manufacturer: { value: 'Philips', confidence: 0.4 } } });
  });

  it('exports CSV and JSON, streamed', async () => {
    const csv = await h.as('auditor').get('/api/v1/devices/export?format=csv&site=North%20Clinic');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="vigil-devices.csv"');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^asset_tag,serial_number,/);
    expect(lines).toHaveLength(1 + 3);
    const json = await body<{ assetTag: string }[]>(
      await h.as('auditor').get('/api/v1/devices/export?format=json&criticality=life-sustaining'),
      200,
    );
    expect(json.length).toBeGreaterThan(5);
    expect((await h.as('auditor').get('/api/v1/devices/export?deviceClass=toaster')).status).toBe(400);
  });

  it('keeps a site-limited token to its site', async () => {
    const north = await body<{ id: string }>(await h.as('auditor').get('/api/v1/sites/North%20Clinic'), 200);
    const { token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-reader',
      owner: 'test-clinical-engineer',
      permissions: ['devices:read', 'devices:write', 'sites:read'],
      sites: [north.id],
    });
    const t = h.withToken(token);
    const list = await body<{ items: { site: string }[]; total: number }>(
      await t.get('/api/v1/devices?pageSize=500'),
      200,
    );
    expect(list.total).toBe(3);
    expect(new Set(list.items.map((d) => d.site))).toEqual(new Set(['North Clinic']));
    expect((await t.get('/api/v1/devices/BME-30001')).status).toBe(404);
    expect(
      (await t.post('/api/v1/devices', { assetTag: 'T-1', site: 'St. Vigil Medical Center' })).status,
    ).toBe(403);
    expect(await body<{ name: string }[]>(await t.get('/api/v1/sites'), 200)).toEqual([
      expect.objectContaining({ name: 'North Clinic', deviceCount: 3 }),
    ]);
  });

  it('manages sites and segments', async () => {
    const officer = h.as('security-officer');
    const site = await body<{ id: string }>(
      await officer.post('/api/v1/sites', { name: 'East Wing Clinic', description: 'Dialysis' }),
      201,
    );
    expect((await officer.post('/api/v1/sites', { name: 'east wing clinic' })).status).toBe(409);
    expect((await h.as('clinical-engineer').post('/api/v1/sites', { name: 'X' })).status).toBe(403);
    const seg = await body(
      await officer.post(`/api/v1/sites/${site.id}/segments`, {
        name: 'Dialysis',
        cidrs: ['10.40.0.0/23'],
        vlan: 40,
        zone: 'clinical',
      }),
      201,
    );
    expect(seg).toMatchObject({ siteId: site.id, cidrs: ['10.40.0.0/23'], vlan: 40 });
    const bad = await body<{ issues: { field: string; reason: string }[] }>(
      await officer.post(`/api/v1/sites/${site.id}/segments`, { name: 'Bad', cidrs: ['10.40.0.1/23'] }),
      400,
    );
    expect(bad.issues).toEqual([
      { field: 'cidrs.0', reason: '"10.40.0.1/23" has host bits set; did you mean 10.40.0.0/23?' },
    ]);
    const detail = await body(await h.as('auditor').get('/api/v1/sites/East%20Wing%20Clinic'), 200);
    expect(detail).toMatchObject({
      name: 'East Wing Clinic',
      segments: [expect.objectContaining({ name: 'Dialysis' })],
    });
    const all = await body<{ name: string }[]>(await h.as('auditor').get('/api/v1/sites'), 200);
    expect(all.map((s) => s.name)).toEqual(['East Wing Clinic', 'North Clinic', 'St. Vigil Medical Center']);
  });

  it('documents every inventory route with its permission', async () => {
    const doc = await body<{ paths: Record<string, Record<string, { 'x-permission': string }>> }>(
      await h.anonymous.get('/api/docs'),
      200,
    );
    expect(doc.paths['/api/v1/devices']!['get']!['x-permission']).toBe('devices:read');
    expect(doc.paths['/api/v1/devices/import']!['post']!['x-permission']).toBe('devices:import');
    expect(doc.paths['/api/v1/sites/{id}/segments']!['post']!['x-permission']).toBe('sites:write');
  });
});
