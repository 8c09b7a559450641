/**
 * The inventory filters the dashboard added to GET /devices and /devices/export: `vulnerable` (has an
 * affected or needs-review match, or none) and `osEndOfSupportBefore` (the OS's end of support is known
 * and on or before a day); GET /devices/summary, the overview's counts; and GET /queue?deviceId=, the
 * device page's risk decisions. Vulnerabilities come from the real CISA advisory ICSMA-21-308-01
 * (test/fixtures/advisories/csaf): Philips Tasy EMR HTML5 `<= 3.06.1803`, so TASY-1 (3.06.1700) is
 * affected and TASY-4 (no version) needs review. The Windows end-of-support days are Microsoft's
 * published ones (Windows 7: 2020-01-14; Windows 10 IoT Enterprise LTSC 2019: 2029-01-09).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';

const csaf = readFileSync(
  new URL('../../../test/fixtures/advisories/csaf/icsma-21-308-01.json', import.meta.url),
  'utf8',
);

describe.each(DIALECTS)('device list filters for the dashboard (%s)', (dialect) => {
  let h: ApiHarness;

  const tags = async (query: string) => {
    const res = await h.as('auditor').get(`/api/v1/devices?${query}`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const page = JSON.parse(text) as { items: { assetTag: string }[]; total: number };
    expect(page.total).toBe(page.items.length);
    return page.items.map((d) => d.assetTag);
  };

  beforeAll(async () => {
    h = await apiHarness(dialect);
    const eng = h.as('clinical-engineer');
    for (const d of [
      { assetTag: 'TASY-1', manufacturer: 'Philips', model: 'Tasy EMR HTML5', softwareVersion: '3.06.1700' },
      { assetTag: 'TASY-4', manufacturer: 'Philips', model: 'Tasy EMR HTML5' },
      { assetTag: 'WS-WIN7', model: 'Optima MR360', os: 'Windows 7', osEndOfSupport: '2020-01-14' },
      { assetTag: 'WS-WIN10', os: 'Windows 10 IoT Enterprise', osEndOfSupport: '2029-01-09' },
      { assetTag: 'PUMP-1', manufacturer: 'Baxter', model: 'Sigma Spectrum' },
    ]) {
      const res = await eng.post('/api/v1/devices', d);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const imported = await h
      .as('security-officer')
      .request('POST', '/api/v1/advisories/import?fileName=icsma-21-308-01.json', csaf, {
        'content-type': 'application/octet-stream',
      });
    expect(imported.status, await imported.clone().text()).toBe(200);
  });
  afterAll(() => h?.close());

  it('vulnerable=yes lists devices with an affected or needs-review match; no lists the rest', async () => {
    expect(await tags('vulnerable=yes')).toEqual(['TASY-1', 'TASY-4']);
    expect(await tags('vulnerable=no')).toEqual(['PUMP-1', 'WS-WIN10', 'WS-WIN7']);
    expect(await tags('vulnerable=yes&sort=assetTag&order=desc')).toEqual(['TASY-4', 'TASY-1']);
  });

  it('osEndOfSupportBefore keeps devices whose OS support ended by that day (unknown ends are out)', async () => {
    expect(await tags('osEndOfSupportBefore=2026-11-29')).toEqual(['WS-WIN7']);
    expect(await tags('osEndOfSupportBefore=2029-01-09')).toEqual(['WS-WIN10', 'WS-WIN7']);
    expect(await tags('osEndOfSupportBefore=2020-01-13')).toEqual([]);
    expect(await tags('osEndOfSupportBefore=2030-01-01&vulnerable=no&q=win7')).toEqual(['WS-WIN7']);
  });

  it('refuses a bad day or flag, naming the field', async () => {
    for (const q of ['osEndOfSupportBefore=2026-13-01', 'osEndOfSupportBefore=soon', 'vulnerable=maybe']) {
      const res = await h.as('auditor').get(`/api/v1/devices?${q}`);
      expect(res.status, q).toBe(400);
      const problem = (await res.json()) as { issues: { field: string }[] };
      expect(problem.issues.map((i) => i.field).join(' '), q).toMatch(/osEndOfSupportBefore|vulnerable/);
    }
  });

  it('GET /devices/summary counts the same way the list filters, and takes the filters too', async () => {
    const get = async (q: string) => {
      const res = await h.as('auditor').get(`/api/v1/devices/summary${q}`);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return JSON.parse(text) as Record<string, number | Record<string, number>>;
    };
    const all = await get('');
    expect(all).toMatchObject({ total: 5, ephi: 0, vulnerable: 2, osEndOfSupportPassed: 1 });
    const byClass = all['byClass'] as Record<string, number>;
    expect(Object.values(byClass).reduce((a, b) => a + b, 0)).toBe(5);
    for (const [deviceClass, n] of Object.entries(byClass))
      expect((await tags(`deviceClass=${deviceClass}`)).length, deviceClass).toBe(n);
    expect(all['byCriticality']).toEqual({});
    // None of the five has a criticality: criticality=none lists them all (the overview's "not set").
    expect((await tags('criticality=none')).length).toBe(5);
    expect(await tags('criticality=life-sustaining')).toEqual([]);
    expect(await get('?q=tasy')).toMatchObject({ total: 2, vulnerable: 2, osEndOfSupportPassed: 0 });
    expect((await h.anonymous.get('/api/v1/devices/summary')).status).toBe(401);
  });

  it("GET /queue?deviceId= lists one device's items with their ranks in the whole queue", async () => {
    const read = async (path: string) => {
      const res = await h.as('auditor').get(path);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return JSON.parse(text) as { items: { rank: number; assetTag: string; cve: string }[]; total: number };
    };
    const device = (await (await h.as('auditor').get('/api/v1/devices/TASY-4')).json()) as { id: string };
    const all = await read('/api/v1/queue');
    const one = await read(`/api/v1/queue?deviceId=${device.id}`);
    expect(one.total).toBe(2);
    expect(one.items.map((i) => `${i.assetTag} ${i.cve}`).sort()).toEqual([
      'TASY-4 CVE-2021-39375',
      'TASY-4 CVE-2021-39376',
    ]);
    expect(one.items).toEqual(all.items.filter((i) => i.assetTag === 'TASY-4'));
    expect((await read('/api/v1/queue?deviceId=no-such-device')).items).toEqual([]);
  });

  it('the CSV export takes the same filters', async () => {
    const res = await h.as('auditor').get('/api/v1/devices/export?vulnerable=yes');
    expect(res.status).toBe(200);
    const lines = (await res.text()).split(/\r?\n/).filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['TASY-1', 'TASY-4']);
  });
});
