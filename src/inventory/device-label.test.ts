import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import type { VigilDatabase } from '../store/database.js';
import { getDevice } from '../store/device-store.js';
import { deviceLabel, deviceLabels, labelIn, storedDeviceLabel } from './device-label.js';
import { addDevice, listDevices, updateDevice } from './inventory-service.js';
import { observeDevice } from './observation.js';

const row = (over: Partial<Parameters<typeof deviceLabel>[0]> = {}) => ({
  id: '01a22a72-f496-7006-9fae-3c9e9d4772da',
  asset_tag: null,
  device_class: 'unknown',
  manufacturer_name: null,
  model_name: null,
  hostname: null,
  ips: [],
  mac: null,
  ...over,
});

describe('deviceLabel', () => {
  it('prefers the asset tag, then make and model or class with the newest name or address', () => {
    expect(deviceLabel(row({ asset_tag: 'CT-3', manufacturer_name: 'GE', ips: ['10.20.0.21'] }))).toBe(
      'CT-3',
    );
    expect(
      deviceLabel(
        row({ manufacturer_name: 'GE Medical Systems', model_name: 'RHAPSODE', ips: ['10.20.0.21'] }),
      ),
    ).toBe('GE Medical Systems RHAPSODE (10.20.0.21)');
    expect(deviceLabel(row({ device_class: 'pacs', hostname: 'pacs1', ips: ['10.20.0.10'] }))).toBe(
      'pacs (pacs1)',
    );
    expect(deviceLabel(row({ model_name: 'el250', mac: '00:0f:82:ec:60:23' }))).toBe(
      'el250 (00:0f:82:ec:60:23)',
    );
    expect(deviceLabel(row({ ips: ['10.30.0.42'] }))).toBe('10.30.0.42');
    expect(deviceLabel(row({ device_class: 'infusion-pump' }))).toBe('infusion-pump');
    expect(deviceLabel(row())).toBe('device 01a22a72');
  });
});

describe.each(DIALECTS)('device labels on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());

  it('names passively discovered devices by what the capture showed, and by asset tag once one is given', async () => {
    await importCaptureFile(
      vdb,
      join(import.meta.dirname, '../../test/fixtures/captures/dicom-ct-store.pcap'),
    );
    const { items } = await listDevices(vdb, cliActor, {});
    const ct = items.find((d) => d.model === 'RHAPSODE')!;
    const pacs = items.find((d) => d.deviceClass === 'pacs')!;
    let labels = await deviceLabels(vdb, [ct.id, pacs.id, ct.id, 'no-such-device']);
    expect(Object.fromEntries(labels)).toEqual({
      [ct.id]: 'GE Medical Systems RHAPSODE (10.20.0.21)',
      [pacs.id]: 'pacs (10.20.0.10)',
    });
    await updateDevice(vdb, cliActor, ct.id, { assetTag: 'CT-RAD-3' });
    const pump = await addDevice(vdb, cliActor, {
      macs: ['00:09:fb:01:02:03'],
      deviceClass: 'infusion-pump',
    });
    labels = await deviceLabels(vdb, [ct.id, pump.id]);
    expect(labels.get(ct.id)).toBe('CT-RAD-3');
    expect(labels.get(pump.id)).toBe('infusion-pump (00:09:fb:01:02:03)');
    // An IPv4 address seen earlier names the device before IPv6 seen later; link-local fe80:: comes last.
    const sight = async (seenAt: string, mac: string, ips: string[]) => {
      const r = await observeDevice(vdb, cliActor, {
        source: 'capture',
        sourceRef: 'ward.pcap',
        seenAt,
        macs: [mac],
        ips,
        facts: { manufacturer: 'Siemens', model: 'Prisma_fit' },
      });
      if (r.outcome === 'conflict') throw new Error(r.reason);
      return r.deviceId;
    };
    const mr = await sight('2026-11-28T10:00:00.000Z', '02:00:5e:20:00:22', ['10.20.0.22']);
    await sight('2026-11-28T11:00:00.000Z', '02:00:5e:20:00:22', ['fe80::5eff:fe20:22', 'fd00:20::22']);
    const v6 = await sight('2026-11-28T11:00:00.000Z', '02:00:5e:20:00:23', [
      'fe80::5eff:fe20:23',
      'fd00:20::23',
    ]);
    labels = await deviceLabels(vdb, [mr, v6]);
    expect(labels.get(mr)).toBe('Siemens Prisma_fit (10.20.0.22)');
    expect(labels.get(v6)).toBe('Siemens Prisma_fit (fd00:20::23)');
    // A device read whole is labelled the same as through deviceLabels.
    for (const id of [mr, v6, pacs.id, ct.id])
      expect(storedDeviceLabel((await getDevice(vdb, id))!)).toBe((await deviceLabels(vdb, [id])).get(id));
    // A device gone since it was listed: "device" and the start of its id.
    expect(labelIn(labels, 'no-such-device')).toBe('device no-such-');
  });
});
