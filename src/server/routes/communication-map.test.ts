/**
 * `GET /api/v1/communications/map` on SQLite and PostgreSQL after the real HL7 capture was imported:
 * the two HL7 senders and the engine (no segments: private addresses outside every segment are zone
 * `unknown`), the query checked (400), sites resolved (404), sessions required (401), and the policy's
 * verdict once a policy proposed from the same traffic is approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { importCaptureFile } from '../../../test/import-capture.js';
import type { CommunicationMap } from '../../monitor/communication-map.js';

describe.each(DIALECTS)('communication map API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await importCaptureFile(
      h.ctx.vdb,
      new URL('../../../test/fixtures/captures/04-hl7-mllp.pcap', import.meta.url).pathname,
    );
  });
  afterAll(async () => h?.close());

  it('answers the HL7 traffic as one edge, by zone and by device class', async () => {
    const res = await h.as('clinical-engineer').get('/api/v1/communications/map');
    expect(res.status, await res.clone().text()).toBe(200);
    const sut = (await res.json()) as CommunicationMap;
    expect(sut).toMatchObject({ groupBy: 'zone', siteId: null, policyId: null, truncated: false });
    expect(sut.nodes).toEqual([
      { id: 'zone:unknown', label: 'unknown', kind: 'zone', devices: 3, addresses: 3 },
    ]);
    expect(sut.edges).toHaveLength(1);
    const [edge] = sut.edges;
    expect(edge).toMatchObject({
      from: 'zone:unknown',
      to: 'zone:unknown',
      protocols: ['hl7'],
      ports: [2575],
      flows: 2,
    });
    expect(edge!.bytes).toBeGreaterThan(0);
    expect(edge!.lastSeen).toMatch(/^2026-11-28T/);
    expect('allowedByPolicy' in edge!).toBe(false);

    const byClass = (await (
      await h.as('auditor').get('/api/v1/communications/map?groupBy=deviceClass&limit=10')
    ).json()) as CommunicationMap;
    expect(byClass.groupBy).toBe('deviceClass');
    expect(byClass.nodes.map((n) => n.kind)).toEqual(['deviceClass']);
  });

  it('checks the query and the site, and needs a session', async () => {
    expect((await h.anonymous.get('/api/v1/communications/map')).status).toBe(401);
    expect((await h.as('auditor').get('/api/v1/communications/map?groupBy=vendor')).status).toBe(400);
    expect((await h.as('auditor').get('/api/v1/communications/map?since=yesterday')).status).toBe(400);
    expect((await h.as('auditor').get('/api/v1/communications/map?limit=0')).status).toBe(400);
    expect((await h.as('auditor').get('/api/v1/communications/map?site=Nowhere')).status).toBe(404);
    const later = await h.as('auditor').get('/api/v1/communications/map?since=2099-01-01T00:00:00Z');
    expect(await later.json()).toMatchObject({ nodes: [], edges: [], totalEdges: 0 });
  });

  it("marks edges with the approved policy's verdict", async () => {
    const draft = (await (await h.as('security-officer').post('/api/v1/policy/propose', {})).json()) as {
      id: string;
    };
    expect((await h.as('security-officer').post(`/api/v1/policy/${draft.id}/approve`)).status).toBe(200);
    const sut = (await (await h.as('auditor').get('/api/v1/communications/map')).json()) as CommunicationMap;
    expect(sut.policyId).toBe(draft.id);
    expect(sut.edges[0]).toMatchObject({ allowedByPolicy: true, blockedFlows: 0 });
  });
});
