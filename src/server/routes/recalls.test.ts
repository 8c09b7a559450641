/**
 * The recalls API: permissions per role (recalls:read to list, show, list matches and parse a UDI;
 * recalls:write to match and decide), on real openFDA samples (test/fixtures/recalls) and devices
 * created here.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { importRecallFiles } from '../../recalls/recall-import.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures/recalls');
const LABEL = 'Kinetic Concepts, Inc RotoProne (rotoprone-icu-2)';

describe.each(DIALECTS)('recalls API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await importRecallFiles(h.ctx.vdb, cliActor, {
      files: [join(FIX, 'device-recall-sample.json'), join(FIX, 'device-enforcement-sample.json')],
    });
    // No asset tag (as a device found on the network has none): matches name it by make, model and address.
    await addDevice(h.ctx.vdb, cliActor, {
      serialNumber: 'RRFK00050',
      hostnames: ['rotoprone-icu-2'],
      manufacturer: 'Kinetic Concepts, Inc',
      model: 'RotoProne',
      modelNumber: '209500',
    });
  });
  afterAll(async () => h?.close());

  it('lists, shows, matches and decides, each with its permission', async () => {
    const list = await h.as('auditor').get('/api/v1/recalls?source=recall&limit=2');
    expect(list.status, await list.clone().text()).toBe(200);
    const page = (await list.json()) as { items: { recallNumber: string }[]; total: number; limit: number };
    expect(page).toMatchObject({ total: 5, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect((await h.anonymous.get('/api/v1/recalls')).status).toBe(401);

    const show = await h.as('auditor').get('/api/v1/recalls/Z-0520-06');
    expect(show.status).toBe(200);
    expect(await show.json()).toMatchObject({
      recallNumber: 'Z-0520-06',
      recallingFirm: 'Kinetic Concepts, Inc',
      matches: [],
    });
    expect((await h.as('auditor').get('/api/v1/recalls/nope')).status).toBe(404);

    expect((await h.as('auditor').post('/api/v1/recalls/match', {})).status).toBe(403);
    const run = await h.as('clinical-engineer').post('/api/v1/recalls/match', {});
    expect(run.status, await run.clone().text()).toBe(200);
    expect(await run.json()).toMatchObject({ added: 1, byState: { matched: 1 } });

    const ms = await h.as('auditor').get('/api/v1/recalls/matches?state=matched');
    const items = (
      (await ms.json()) as {
        items: { id: string; assetTag: string | null; deviceLabel: string; basis: string }[];
      }
    ).items;
    expect(items).toMatchObject([{ assetTag: null, deviceLabel: LABEL, basis: 'firm-model' }]);
    const shown = await h.as('auditor').get('/api/v1/recalls/Z-0520-06');
    expect(((await shown.json()) as { matches: { deviceLabel: string }[] }).matches).toMatchObject([
      { deviceLabel: LABEL },
    ]);
    expect((await h.as('auditor').get('/api/v1/recalls/matches?state=bogus')).status).toBe(400);

    const reject = await h
      .as('clinical-engineer')
      .post(`/api/v1/recalls/matches/${items[0]!.id}/decision`, { decision: 'reject', reason: 'sold 2024' });
    expect(reject.status).toBe(200);
    expect(await reject.json()).toMatchObject({
      deviceLabel: LABEL,
      state: 'rejected',
      decisionReason: 'sold 2024',
    });
    const bad = await h
      .as('clinical-engineer')
      .post(`/api/v1/recalls/matches/${items[0]!.id}/decision`, { decision: 'maybe' });
    expect(bad.status).toBe(400);
  });

  it('parses a UDI or says where it is wrong', async () => {
    const ok = await h
      .as('auditor')
      .post('/api/v1/udi/parse', { udi: '(01)00643169007222(17)160128(21)BLC200461H' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      issuer: 'GS1',
      di: '00643169007222',
      serial: 'BLC200461H',
      expiry: '2016-01-28',
    });
    const bad = await h.as('auditor').post('/api/v1/udi/parse', { udi: '(01)00643169007223' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('bad GTIN check digit 3 (expected 2)');
  });
});
