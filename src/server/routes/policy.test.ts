/**
 * The policy API: permissions per role (policy:read to show, simulate, export; policy:write to propose,
 * save and approve), a draft proposed from stored communications of a real capture, approved, then
 * simulated and exported as nftables text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { importCaptureFile } from '../../../test/import-capture.js';

describe.each(DIALECTS)('policy API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await importCaptureFile(
      h.ctx.vdb,
      new URL('../../../test/fixtures/captures/04-hl7-mllp.pcap', import.meta.url).pathname,
    );
  });
  afterAll(async () => h?.close());

  it('proposes, approves, simulates and exports', async () => {
    const none = await h.as('auditor').get('/api/v1/policy');
    expect(none.status).toBe(200);
    expect(await none.json()).toMatchObject({ approved: null, versions: [] });
    expect((await h.as('clinical-engineer').post('/api/v1/policy/propose', {})).status).toBe(403);

    const proposed = await h.as('security-officer').post('/api/v1/policy/propose', { name: 'hl7' });
    expect(proposed.status, await proposed.clone().text()).toBe(201);
    const draft = (await proposed.json()) as { id: string; state: string; flows: number; ruleCount: number };
    expect(draft.state).toBe('draft');
    // HL7 over MLLP only: nothing link-local, mDNS or LLMNR to leave out, and the answer says so.
    expect(draft).toMatchObject({ refused: 0, linkLocal: 0, mdns: 0, llmnr: 0 });
    expect(draft.flows).toBeGreaterThan(0);
    expect(draft.ruleCount).toBeGreaterThan(0);

    expect((await h.as('auditor').post(`/api/v1/policy/${draft.id}/approve`)).status).toBe(403);
    const approved = await h.as('security-officer').post(`/api/v1/policy/${draft.id}/approve`);
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { state: string }).state).toBe('approved');
    expect((await h.as('security-officer').post(`/api/v1/policy/${draft.id}/approve`)).status).toBe(409);

    const sim = await h.as('clinical-engineer').post('/api/v1/policy/simulate', {});
    expect(sim.status).toBe(200);
    expect(await sim.json()).toMatchObject({ blocked: 0 });

    const nft = await h.as('auditor').get('/api/v1/policy/export?format=nftables');
    expect(nft.status).toBe(200);
    expect(nft.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await nft.text()).toMatch(/tcp dport 2575 accept/);
    const bad = await h.as('auditor').get('/api/v1/policy/export?format=pf');
    expect(bad.status).toBe(400);

    const shown = (await (await h.as('auditor').get('/api/v1/policy')).json()) as {
      approved: { id: string };
    };
    expect(shown.approved.id).toBe(draft.id);
  });

  it('saves a hand-written draft and answers 400 with the bad fields', async () => {
    const bad = await h.as('admin').post('/api/v1/policy', { rules: [{ id: 'x' }] });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { issues: { field: string }[] };
    expect(body.issues.map((i) => i.field)).toContain('rules.0.from');
  });
});
