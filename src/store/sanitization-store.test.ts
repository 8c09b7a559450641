/**
 * Sanitization records in the store on every dialect: a record reads back as written; each retired
 * device says whether it held ePHI (its own flag first, else its model's "stores ePHI") and how many
 * records it has, counting those of a duplicate merged into it; site scope limits both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { addDevice, mergeDevices, retireDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from './database.js';
import {
  insertSanitization,
  retiredDeviceDisposals,
  type SanitizationRow,
  sanitizationFigures,
  sanitizationsOf,
} from './sanitization-store.js';

describe.each(DIALECTS)('device sanitization store on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};
  const row = (id: string, deviceId: string, performedOn: string): SanitizationRow => ({
    id,
    device_id: deviceId,
    method: 'purge',
    performed_on: performedOn,
    performed_by: 'J. Ortiz',
    reference: id === 's1' ? 'CERT-0042' : null,
    recorded_by: 'cli:test',
    created_at: `${performedOn}T12:00:00.000Z`,
  });

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    const add = async (tag: string, attrs: Record<string, unknown>) => {
      ids[tag] = (await addDevice(vdb, cliActor, { assetTag: tag, ...attrs })).id;
    };
    await add('PUMP-1', { ephi: true, site: 'North' });
    await add('PUMP-2', { ephi: false, site: 'North' });
    // No flag of its own; its model says it stores ePHI.
    await add('CT-1', { manufacturer: 'Acme', model: 'Scan 9', site: 'South' });
    await add('MON-1', { site: 'South' });
    await add('DUP-1', { serialNumber: 'SN-DUP', site: 'North' });
    await vdb.db.updateTable('device_models').set({ ephi_stores: 1 }).execute();
    for (const t of ['PUMP-1', 'PUMP-2', 'CT-1', 'MON-1']) await retireDevice(vdb, cliActor, t);
    await insertSanitization(vdb, row('s1', ids['PUMP-1']!, '2026-10-01'));
    await insertSanitization(vdb, row('s2', ids['PUMP-1']!, '2026-11-02'));
    // A record made on a duplicate, which is then merged into CT-1.
    await insertSanitization(vdb, row('s3', ids['DUP-1']!, '2026-09-15'));
    await mergeDevices(vdb, cliActor, 'SN-DUP', 'CT-1');
  });
  afterAll(async () => vdb?.close());

  it('reads records back as written, newest first, with those of merged duplicates', async () => {
    expect(await sanitizationsOf(vdb, ids['PUMP-1']!)).toEqual([
      row('s2', ids['PUMP-1']!, '2026-11-02'),
      row('s1', ids['PUMP-1']!, '2026-10-01'),
    ]);
    expect((await sanitizationsOf(vdb, ids['CT-1']!)).map((s) => s.id)).toEqual(['s3']);
    expect(await sanitizationsOf(vdb, ids['MON-1']!)).toEqual([]);
  });

  it('lists retired devices with their ePHI handling and records', async () => {
    const byId = new Map((await retiredDeviceDisposals(vdb, undefined)).map((d) => [d.deviceId, d]));
    expect(byId.size).toBe(4);
    expect(byId.get(ids['PUMP-1']!)).toEqual({
      deviceId: ids['PUMP-1'],
      ephi: true,
      records: 2,
      lastPerformedOn: '2026-11-02',
    });
    expect(byId.get(ids['PUMP-2']!)).toMatchObject({ ephi: false, records: 0, lastPerformedOn: null });
    expect(byId.get(ids['CT-1']!)).toMatchObject({ ephi: true, records: 1, lastPerformedOn: '2026-09-15' });
    expect(byId.get(ids['MON-1']!)).toMatchObject({ ephi: null, records: 0 });
    expect(await sanitizationFigures(vdb, undefined)).toEqual({ records: 3, lastPerformedOn: '2026-11-02' });
  });

  it('limits both to the sites given', async () => {
    const south = (await vdb.db.selectFrom('sites').select('id').where('name', '=', 'South').execute())[0]!
      .id;
    expect((await retiredDeviceDisposals(vdb, [south])).map((d) => d.deviceId).sort()).toEqual(
      [ids['CT-1']!, ids['MON-1']!].sort(),
    );
    expect(await sanitizationFigures(vdb, [south])).toEqual({ records: 1, lastPerformedOn: '2026-09-15' });
    expect(await retiredDeviceDisposals(vdb, [])).toEqual([]);
  });
});
