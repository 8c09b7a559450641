/**
 * The queue and override API: permissions per role (risk:read to read, risk:write to override), the
 * override audited and shown in the queue. Devices come from the real Philips Tasy advisory
 * ICSMA-21-308-01 (`<= 3.06.1803`, CVE-2021-39375/39376, CVSS 3.1 8.8, vendor fix).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';

const fixture = (path: string) =>
  readFileSync(new URL(`../../../test/fixtures/${path}`, import.meta.url), 'utf8');

describe.each(DIALECTS)('risk API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    const eng = h.as('clinical-engineer');
    const res = await eng.post('/api/v1/devices', {
      assetTag: 'TASY-1',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1700',
      criticality: 'diagnostic',
      ephi: true,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const up = await eng.request(
      'POST',
      '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
      fixture('advisories/csaf/icsma-21-308-01.json'),
      { 'content-type': 'application/octet-stream' },
    );
    expect(up.status, await up.clone().text()).toBeLessThan(300);
  });
  afterAll(async () => h?.close());

  it('serves the queue to risk:read and refuses overrides without risk:write', async () => {
    const res = await h.as('clinical-engineer').get('/api/v1/queue');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as {
      items: { assetTag: string; deviceLabel: string; cve: string; decision: string }[];
    };
    expect(items.map((i) => `${i.assetTag} ${i.cve} ${i.decision}`)).toEqual([
      // No KEV/EPSS/SSVC note → none; no address → controlled; PR:L → not automatable; diagnostic → low.
      'TASY-1 CVE-2021-39375 defer',
      'TASY-1 CVE-2021-39376 defer',
    ]);
    // The device as people know it: its asset tag.
    expect(items.map((i) => i.deviceLabel)).toEqual(['TASY-1', 'TASY-1']);
    const denied = await h.as('clinical-engineer').post('/api/v1/risk/overrides', {
      scope: 'device',
      device: 'TASY-1',
      point: 'E',
      value: 'active',
      reason: 'exploit seen in our honeypot',
      expiresAt: '2099-01-01',
    });
    expect(denied.status).toBe(403);
  });

  it('filters the queue by decision and counts the items of each group per decision', async () => {
    const ce = h.as('clinical-engineer');
    const total = async (q: string) => {
      const res = await ce.get(`/api/v1/queue?${q}`);
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as { total: number; items: { rank: number }[] }).total;
    };
    expect(await total('decision=defer')).toBe(2);
    expect(await total('decision=immediate,out-of-cycle,scheduled')).toBe(0);
    expect((await ce.get('/api/v1/queue?decision=soon')).status).toBe(400);
    const groups = (await (await ce.get('/api/v1/queue/groups')).json()) as {
      items: { decision: string; items: number; byDecision: Record<string, number> }[];
    };
    expect(groups.items).toMatchObject([
      {
        decision: 'defer',
        items: 2,
        byDecision: { immediate: 0, 'out-of-cycle': 0, scheduled: 0, defer: 2 },
      },
    ]);
    const none = (await (await ce.get('/api/v1/queue/groups?decision=scheduled')).json()) as {
      items: unknown[];
    };
    expect(none.items).toEqual([]);
  });

  it('records an override (audited) and applies it in the queue', async () => {
    const so = h.as('security-officer');
    const bad = await so.post('/api/v1/risk/overrides', {
      scope: 'device',
      device: 'TASY-1',
      point: 'E',
      value: 'sometimes',
      reason: 'x',
      expiresAt: '2099-01-01',
    });
    expect(bad.status).toBe(400);
    const soon = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const ok = await so.post('/api/v1/risk/overrides', {
      scope: 'model',
      device: 'TASY-1',
      point: 'E',
      value: 'active',
      reason: 'exploit seen in our honeypot',
      expiresAt: soon,
    });
    expect(ok.status, await ok.clone().text()).toBe(201);
    const list = (await (await h.as('auditor').get('/api/v1/risk/overrides')).json()) as {
      items: { point: string; value: string; scope: string }[];
    };
    expect(list.items).toMatchObject([{ point: 'E', value: 'active', scope: 'model' }]);
    const { items } = (await (await h.as('auditor').get('/api/v1/queue?limit=1')).json()) as {
      items: { decision: string; evidence: { point: string; source: string }[] }[];
    };
    expect(items).toHaveLength(1);
    // E active, exposure controlled (unknown), automatable no (UI:R), HI low → Scheduled (table row A C N L).
    expect(items[0]?.evidence.find((e) => e.point === 'exploitation')?.source).toBe('override');
    expect(items[0]?.decision).toBe('scheduled');
    const audit = (await (await h.as('auditor').get('/api/v1/audit?action=risk.override')).json()) as {
      items?: unknown[];
    };
    expect(JSON.stringify(audit)).toContain('risk.override');
  });
});
