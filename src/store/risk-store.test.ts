/**
 * `queueDevices` on every dialect: the work queue reads each device once, for its risk context, its
 * site (who may see its items) and its label, so its naming facts must be those `deviceLabelRows` gives
 * (IP addresses newest first, the newest host name and MAC), with the device's model, manufacturer,
 * versions, criticality, ePHI and site beside them; ids of no device are left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { addDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from './database.js';
import { deviceLabelRows } from './device-store.js';
import { queueDevices } from './risk-store.js';

describe.each(DIALECTS)('queue devices on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    const add = async (key: string, attrs: Record<string, unknown>) => {
      ids[key] = (await addDevice(vdb, cliActor, attrs)).id;
    };
    await add('pump', {
      assetTag: 'PUMP-1',
      manufacturer: 'Baxter',
      model: 'Sigma Spectrum',
      firmwareVersion: '8.0',
      deviceClass: 'infusion-pump',
      criticality: 'life-sustaining',
      ephi: true,
      site: 'North',
      ips: ['10.0.0.9', '10.0.0.10'],
      hostnames: ['pump-1'],
    });
    await add('monitor', {
      manufacturer: 'GE Healthcare',
      model: 'Carescape B450',
      softwareVersion: '2.1',
      site: 'South',
      serialNumber: 'CB-0042',
      ips: ['fe80::1', '10.1.0.5'],
    });
    await add('bare', { macs: ['00:11:22:33:44:55'] });
    // A newer address of the pump: newest first, whatever its text order.
    await vdb.db
      .insertInto('device_identifiers')
      .values({
        id: 'newer-ip',
        device_id: ids['pump']!,
        kind: 'ip',
        value: '10.0.0.200',
        source: 'test',
        first_seen: '2099-01-01T00:00:00.000Z',
        last_seen: '2099-01-01T00:00:00.000Z',
      })
      .execute();
  });
  afterAll(async () => vdb?.close());

  it('reads each device once with its risk facts and the naming facts deviceLabelRows gives', async () => {
    const wanted = [ids['pump']!, ids['monitor']!, 'no-such-device', ids['bare']!, ids['pump']!];
    const rows = await queueDevices(vdb, wanted);
    expect(rows.map((r) => r.id).sort()).toEqual([ids['pump']!, ids['monitor']!, ids['bare']!].sort());
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const l of await deviceLabelRows(vdb, wanted)) {
      const r = byId.get(l.id)!;
      expect({
        id: r.id,
        asset_tag: r.asset_tag,
        device_class: r.device_class,
        manufacturer_name: r.manufacturer || null,
        model_name: r.model || null,
        hostname: r.hostname,
        ips: r.ips,
        mac: r.mac,
      }).toEqual(l);
    }
    const pump = byId.get(ids['pump']!)!;
    expect(pump).toMatchObject({
      asset_tag: 'PUMP-1',
      manufacturer: 'Baxter',
      model: 'Sigma Spectrum',
      firmware_version: '8.0',
      software_version: null,
      criticality: 'life-sustaining',
      ephi: 1,
      hostname: 'pump-1',
    });
    expect(pump.ips[0]).toBe('10.0.0.200');
    expect([...pump.ips].sort()).toEqual(['10.0.0.10', '10.0.0.200', '10.0.0.9']);
    expect(pump.site_id).not.toBeNull();
    expect(byId.get(ids['monitor']!)!.site_id).not.toBe(pump.site_id);
    expect(byId.get(ids['bare']!)).toMatchObject({ ips: [], hostname: null, mac: '00:11:22:33:44:55' });
    expect(await queueDevices(vdb, [])).toEqual([]);
  });
});
