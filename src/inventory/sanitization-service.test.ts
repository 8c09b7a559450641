/**
 * Recording a device sanitization: validated at the boundary (method, date, who), for a device the actor
 * may see, not on a merged duplicate, with devices:write, and one audit entry per record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { listAudit } from '../audit/audit-log.js';
import type { VigilDatabase } from '../store/database.js';
import { addDevice, mergeDevices, retireDevice } from './inventory-service.js';
import { listSanitizations, recordSanitization } from './sanitization-service.js';

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

describe.each(DIALECTS)('recording device sanitization on %s', (dialect) => {
  let vdb: VigilDatabase;
  let pumpId: string;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    pumpId = (await addDevice(vdb, cliActor, { assetTag: 'PUMP-1', ephi: true, site: 'North' })).id;
    await addDevice(vdb, cliActor, { serialNumber: 'SN-DUP', site: 'North' });
    await retireDevice(vdb, cliActor, 'PUMP-1');
  });
  afterAll(async () => vdb?.close());

  const valid = { method: 'purge', performedOn: '2026-10-01', performedBy: 'J. Ortiz' };

  it('refuses a bad method, date, person or field, naming each', async () => {
    const err = await recordSanitization(vdb, cliActor, 'PUMP-1', {
      method: 'shred',
      performedOn: '2026-13-01',
      performedBy: '  ',
      colour: 'red',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_input', message: 'Invalid sanitization' });
    expect((err as { issues: unknown[] }).issues).toEqual(
      expect.arrayContaining([
        { field: 'method', reason: 'clear, purge or destroy (NIST SP 800-88)' },
        { field: 'performedOn', reason: 'a date as YYYY-MM-DD' },
        { field: 'performedBy', reason: 'must not be empty' },
        { reason: 'unknown field: colour' },
      ]),
    );
    await expect(
      recordSanitization(vdb, cliActor, 'PUMP-1', { ...valid, performedOn: inDays(2) }),
    ).rejects.toMatchObject({ issues: [{ field: 'performedOn', reason: 'must not be in the future' }] });
    await expect(recordSanitization(vdb, cliActor, 'PUMP-1', { method: 'purge' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(await listSanitizations(vdb, cliActor, 'PUMP-1')).toEqual([]);
  });

  it('refuses an unknown device, a device outside the actor sites, and an actor without devices:write', async () => {
    await expect(recordSanitization(vdb, cliActor, 'NOPE-9', valid)).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('NOPE-9'),
    });
    const elsewhere: Actor = { ...cliActor, siteIds: ['no-such-site'] };
    await expect(recordSanitization(vdb, elsewhere, 'PUMP-1', valid)).rejects.toMatchObject({
      code: 'not_found',
    });
    const reader: Actor = { ...cliActor, permissions: new Set(['devices:read']) };
    await expect(recordSanitization(vdb, reader, 'PUMP-1', valid)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('records it (method in any case, today allowed), audited, and lists it', async () => {
    const s = await recordSanitization(vdb, cliActor, 'pump-1', {
      method: ' Destroy ',
      performedOn: today(),
      performedBy: ' J.  Ortiz (Biomed) ',
      reference: 'CERT-0042',
    });
    expect(s).toMatchObject({
      deviceId: pumpId,
      method: 'destroy',
      performedOn: today(),
      performedBy: 'J. Ortiz (Biomed)',
      reference: 'CERT-0042',
      recordedBy: 'cli:test',
    });
    const [audit] = await listAudit(vdb, { action: 'device.sanitize' });
    expect(audit).toMatchObject({
      actor: 'cli:test',
      targetType: 'device',
      targetId: pumpId,
      summary: {
        sanitization: s.id,
        method: 'destroy',
        performedOn: today(),
        performedBy: 'J. Ortiz (Biomed)',
        hasReference: true,
        state: 'retired',
      },
    });
    expect(await listSanitizations(vdb, cliActor, pumpId)).toEqual([s]);
  });

  it('refuses a merged duplicate and points at the device it became', async () => {
    const dupId = (
      await vdb.db.selectFrom('devices').select('id').where('serial_number', '=', 'SN-DUP').execute()
    )[0]!.id;
    await mergeDevices(vdb, cliActor, 'SN-DUP', 'PUMP-1');
    await expect(recordSanitization(vdb, cliActor, dupId, valid)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`merged into ${pumpId}`),
    });
    expect(await listAudit(vdb, { action: 'device.sanitize' })).toHaveLength(1);
  });
});
