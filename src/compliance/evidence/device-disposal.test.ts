/**
 * Evidence `device-disposal` and control §164.310(d)(1), built through the inventory's own services:
 * retired devices that held ePHI without a sanitization record make it not met, some with one partial,
 * all with one met; a retired device of unknown ePHI handling without a record keeps it partial; an
 * inventory with nothing retired meets it and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { addDevice, retireDevice } from '../../inventory/inventory-service.js';
import { recordSanitization } from '../../inventory/sanitization-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { complianceReport } from '../compliance-service.js';
import { collectDeviceDisposal } from './device-disposal.js';

const NOW = new Date('2026-12-15T00:00:00Z');

describe.each(DIALECTS)('device disposal evidence on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());

  const collect = () => collectDeviceDisposal({ h: vdb, now: NOW, siteIds: undefined });
  const sanitize = (ref: string, performedOn: string) =>
    recordSanitization(vdb, cliActor, ref, { method: 'destroy', performedOn, performedBy: 'J. Ortiz' });

  it('is met when no device is retired, and says so', async () => {
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1', ephi: true, site: 'North' });
    const e = await collect();
    expect(e).toMatchObject({ status: 'met', asOf: null, gaps: [] });
    expect(e.reason).toBe('no device is retired, so none awaits sanitization');
    expect(e.figures).toMatchObject({ retiredDevices: 0, retiredEphi: 0, sanitizationRecords: 0 });
  });

  it('is not met when no retired ePHI device has a record, and names each', async () => {
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-2', ephi: true, site: 'North' });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-3', ephi: false, site: 'North' });
    for (const t of ['PUMP-1', 'PUMP-2', 'PUMP-3']) await retireDevice(vdb, cliActor, t);
    const e = await collect();
    expect(e.status).toBe('not-met');
    expect(e.reason).toBe('none of 2 retired devices that held ePHI has a sanitization record');
    expect(e.gaps).toEqual([
      'PUMP-1: retired, held ePHI, no sanitization record',
      'PUMP-2: retired, held ePHI, no sanitization record',
    ]);
    expect(e.figures).toMatchObject({ retiredDevices: 3, retiredEphi: 2, retiredEphiSanitized: 0 });
    const report = await complianceReport(vdb, cliActor, { frameworks: ['hipaa'] }, NOW);
    const control = report.controls.find((c) => c.id === 'hipaa-164.310-d-1')!;
    expect(control).toMatchObject({ ref: '§164.310(d)(1)', group: 'physical' });
    expect(control.evidence).toEqual(['device-disposal', 'asset-inventory']);
    expect(control.reason).toContain('none of 2 retired devices that held ePHI');
  });

  it('is partial when some have one, and dated by the newest record', async () => {
    await sanitize('PUMP-1', '2026-10-01');
    const e = await collect();
    expect(e).toMatchObject({ status: 'partial', asOf: '2026-10-01T00:00:00.000Z', ageDays: 75 });
    expect(e.reason).toBe('1 of 2 retired devices that held ePHI has no sanitization record');
    expect(e.gaps).toEqual(['PUMP-2: retired, held ePHI, no sanitization record']);
  });

  it('stays partial while a retired device of unknown ePHI handling has none', async () => {
    await sanitize('PUMP-2', '2026-10-02');
    await addDevice(vdb, cliActor, { assetTag: 'MON-9', site: 'North' });
    await retireDevice(vdb, cliActor, 'MON-9');
    const e = await collect();
    expect(e.status).toBe('partial');
    expect(e.reason).toBe(
      '1 retired device whose ePHI handling is unknown has no sanitization record; all 2 that held ePHI have one',
    );
    expect(e.gaps).toEqual(['MON-9: retired, ePHI handling unknown, no sanitization record']);
  });

  it('is met when every retired device that held ePHI or may have has a record', async () => {
    await sanitize('MON-9', '2026-10-03');
    const e = await collect();
    expect(e).toMatchObject({ status: 'met', gaps: [], asOf: '2026-10-03T00:00:00.000Z' });
    expect(e.reason).toBe(
      'every retired device that held ePHI or may have (3 of 4 retired) has a sanitization record',
    );
    expect(e.figures).toMatchObject({
      retiredDevices: 4,
      retiredEphi: 2,
      retiredEphiSanitized: 2,
      retiredEphiUnknown: 1,
      retiredEphiUnknownSanitized: 1,
      sanitizationRecords: 3,
      lastSanitization: '2026-10-03',
    });
    const report = await complianceReport(vdb, cliActor, { frameworks: ['hipaa', 'nist-csf'] }, NOW);
    expect(report.evidence.find((x) => x.kind === 'device-disposal')?.status).toBe('met');
    expect(report.controls.find((c) => c.id === 'csf-ID.AM')!.evidence).toContain('device-disposal');
  });
});
