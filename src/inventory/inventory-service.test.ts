import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, DEVICE_JSON_FIELDS } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { VigilError } from '../errors.js';
import type { VigilDatabase } from '../store/database.js';
import { upsertFacts } from '../store/device-store.js';
import { newId } from '../store/ids.js';
import { findSite } from '../store/site-store.js';
import {
  addDevice,
  confirmDevice,
  ignoreDevice,
  listDevices,
  mergeDevices,
  retireDevice,
  showDevice,
  streamDevices,
  updateDevice,
} from './inventory-service.js';

async function rejects(p: Promise<unknown>, code: string): Promise<VigilError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VigilError);
  expect((e as VigilError).code).toBe(code);
  return e as VigilError;
}

const pump = {
  assetTag: 'BME-10042',
  serialNumber: '8015-123456',
  manufacturer: 'Becton, Dickinson and Company (BD)',
  model: 'Alaris PC Unit',
  modelNumber: '8015',
  deviceClass: 'infusion-pump',
  macs: ['00-0A-0B-0C-0D-01'],
  ips: ['10.20.1.15'],
  hostnames: ['ALARIS-10042'],
  firmwareVersion: '12.1.2',
  criticality: 'life-sustaining',
  ephi: true,
  site: 'Main Campus',
  department: 'ICU',
};

describe.each(DIALECTS)('inventory service on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('adds a device and shows it in the Device JSON contract, with facts', async () => {
    const d = await addDevice(vdb, cliActor, pump);
    expect(Object.keys(d).slice(0, DEVICE_JSON_FIELDS.length)).toEqual(DEVICE_JSON_FIELDS);
    expect(d).toMatchObject({
      assetTag: 'BME-10042',
      manufacturer: 'Becton, Dickinson and Company (BD)',
      model: 'Alaris PC Unit',
      modelNumber: '8015',
      deviceClass: 'infusion-pump',
      macs: ['00:0a:0b:0c:0d:01'],
      ips: ['10.20.1.15'],
      hostnames: ['alaris-10042'],
      criticality: 'life-sustaining',
      ephi: true,
      site: 'Main Campus',
      state: 'active',
      udi: null,
      lastSeen: null,
      mergedInto: null,
      conflicts: [],
    });
    expect(d.facts.find((f) => f.field === 'firmwareVersion')).toMatchObject({
      value: '12.1.2',
      source: 'manual',
      sourceRef: 'cli:test',
    });
    const shown = await showDevice(vdb, cliActor, '00:0A:0B:0C:0D:01');
    expect(shown.id).toBe(d.id);
    expect((await showDevice(vdb, cliActor, 'bme-10042')).id).toBe(d.id);
    expect((await showDevice(vdb, cliActor, '8015-123456')).id).toBe(d.id);
    const audit = await listAudit(vdb, { action: 'device.create' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      targetId: d.id,
      summary: { after: { assetTag: 'BME-10042', firmwareVersion: '12.1.2' } },
    });
  });

  it('finds a device by an address or host name it was seen with, when no stronger key names it', async () => {
    const d = await addDevice(vdb, cliActor, { ...pump, ips: ['10.20.1.15', '2001:DB8:0:0::15'] });
    expect((await showDevice(vdb, cliActor, '10.20.1.15')).id).toBe(d.id);
    expect((await showDevice(vdb, cliActor, ' alaris-10042. ')).id).toBe(d.id);
    expect((await showDevice(vdb, cliActor, '2001:db8::15')).id).toBe(d.id);
    await rejects(showDevice(vdb, cliActor, '10.20.1.16'), 'not_found');
    // An asset tag, serial, UDI or MAC outranks a name: this one is another device's host name.
    const tagged = await addDevice(vdb, cliActor, { assetTag: 'ALARIS-10042' });
    expect((await showDevice(vdb, cliActor, 'alaris-10042')).id).toBe(tagged.id);
    // An address two devices were seen with names neither.
    const other = await addDevice(vdb, cliActor, { assetTag: 'BME-2', ips: ['10.20.1.15'] });
    const e = await rejects(showDevice(vdb, cliActor, '10.20.1.15'), 'conflict');
    expect(e.message).toContain(d.id);
    expect(e.message).toContain(other.id);
    // Mutations resolve the same way.
    expect((await updateDevice(vdb, cliActor, '2001:db8::15', { room: 'ICU-4' })).id).toBe(d.id);
  });

  it('refuses duplicates, devices without a strong key, and bad values', async () => {
    await addDevice(vdb, cliActor, pump);
    await rejects(addDevice(vdb, cliActor, { assetTag: 'bme-10042' }), 'conflict');
    await rejects(addDevice(vdb, cliActor, { macs: ['000a.0b0c.0d01'] }), 'conflict');
    await rejects(addDevice(vdb, cliActor, { hostnames: ['x'] }), 'invalid_input');
    const e = await rejects(
      addDevice(vdb, cliActor, { assetTag: 'X', macs: ['nope'], deviceClass: 'Monitor', color: 'red' }),
      'invalid_input',
    );
    expect(e.issues).toEqual(
      expect.arrayContaining([
        { field: 'macs.0', reason: '"nope" is not a MAC address' },
        { field: 'deviceClass', reason: expect.stringMatching(/did you mean patient-monitor/) },
        { reason: 'unknown field: color' },
      ]),
    );
  });

  it('updates with an audited before/after, and a no-op writes nothing', async () => {
    const d = await addDevice(vdb, cliActor, pump);
    const u = await updateDevice(vdb, cliActor, d.id, {
      firmwareVersion: '12.1.3',
      room: '4-112',
      ips: ['10.20.1.16'],
    });
    expect(u).toMatchObject({ firmwareVersion: '12.1.3', room: '4-112', ips: ['10.20.1.16'] });
    const [entry] = await listAudit(vdb, { action: 'device.update' });
    expect(entry!.summary).toEqual({
      before: { firmwareVersion: '12.1.2', room: null, ips: ['10.20.1.15'] },
      after: { firmwareVersion: '12.1.3', room: '4-112', ips: ['10.20.1.16'] },
    });
    const again = await updateDevice(vdb, cliActor, d.id, { firmwareVersion: '12.1.3' });
    expect(again.updatedAt).toBe(u.updatedAt);
    expect(await listAudit(vdb, { action: 'device.update' })).toHaveLength(1);
    const cleared = await updateDevice(vdb, cliActor, d.id, {
      room: null,
      manufacturer: 'Baxter',
      model: 'Sigma Spectrum',
    });
    expect(cleared).toMatchObject({
      room: null,
      manufacturer: 'Baxter',
      model: 'Sigma Spectrum',
      modelNumber: '8015',
    });
  });

  it('refuses an update that takes another device’s identity', async () => {
    const a = await addDevice(vdb, cliActor, pump);
    const b = await addDevice(vdb, cliActor, { assetTag: 'BME-2', macs: ['00:0a:0b:0c:0d:02'] });
    await rejects(updateDevice(vdb, cliActor, b.id, { assetTag: 'BME-10042' }), 'conflict');
    await rejects(
      updateDevice(vdb, cliActor, b.id, { macs: ['00:0a:0b:0c:0d:02', '00:0a:0b:0c:0d:01'] }),
      'conflict',
    );
    await rejects(updateDevice(vdb, cliActor, b.id, { assetTag: null, macs: [] }), 'invalid_input');
    // Renaming one's own asset tag (case) is fine.
    expect((await updateDevice(vdb, cliActor, a.id, { assetTag: 'bme-10042' })).assetTag).toBe('bme-10042');
  });

  it('retires, ignores and confirms, each audited once', async () => {
    const d = await addDevice(vdb, cliActor, pump);
    expect((await retireDevice(vdb, cliActor, d.id, 'sent back to vendor')).state).toBe('retired');
    expect((await retireDevice(vdb, cliActor, d.id)).state).toBe('retired');
    expect((await confirmDevice(vdb, cliActor, d.id)).state).toBe('active');
    expect((await ignoreDevice(vdb, cliActor, d.id)).state).toBe('ignored');
    const actions = (await listAudit(vdb, {})).map((a) => a.action).reverse();
    expect(actions).toEqual(['device.create', 'device.retire', 'device.confirm', 'device.ignore']);
    expect((await listAudit(vdb, { action: 'device.retire' }))[0]!.summary).toEqual({
      before: { state: 'active' },
      after: { state: 'retired' },
      reason: 'sent back to vendor',
    });
    expect(await verifyAuditChain(vdb)).toMatchObject({ ok: true, entries: 4 });
  });

  it('merges a duplicate into a record', async () => {
    const into = await addDevice(vdb, cliActor, {
      assetTag: 'BME-7',
      macs: ['00:0a:0b:0c:0d:07'],
      department: 'ICU',
    });
    const dup = await addDevice(vdb, cliActor, {
      serialNumber: 'SN-7',
      manufacturer: 'Philips',
      model: 'IntelliVue MX40',
      macs: ['00:0a:0b:0c:0d:08'],
      ips: ['10.0.0.8'],
      department: 'NICU',
    });
    const merged = await mergeDevices(vdb, cliActor, dup.id, 'BME-7');
    expect(merged).toMatchObject({
      id: into.id,
      serialNumber: 'SN-7',
      manufacturer: 'Philips',
      model: 'IntelliVue MX40',
      department: 'ICU',
      macs: expect.arrayContaining(['00:0a:0b:0c:0d:07', '00:0a:0b:0c:0d:08']),
      ips: ['10.0.0.8'],
    });
    const old = await showDevice(vdb, cliActor, dup.id);
    expect(old).toMatchObject({ state: 'merged', mergedInto: into.id, macs: [] });
    expect((await showDevice(vdb, cliActor, 'SN-7')).id).toBe(into.id);
    const list = await listDevices(vdb, cliActor, {});
    expect(list.total).toBe(1);
    await rejects(mergeDevices(vdb, cliActor, dup.id, into.id), 'conflict');
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      source: dup.id,
      into: into.id,
      identifiersMoved: 2,
    });

    // A duplicate with its own asset tag: the record it went into keeps its tag, so the duplicate's
    // (the one on the unit's sticker) no longer names a live device; the error says where it went.
    const tagged = await addDevice(vdb, cliActor, { assetTag: 'OLD-7', macs: ['00:0a:0b:0c:0d:09'] });
    await mergeDevices(vdb, cliActor, tagged.id, into.id);
    await expect(showDevice(vdb, cliActor, 'old-7')).rejects.toMatchObject({
      code: 'not_found',
      message: `Device "old-7" was merged into ${into.id} (a duplicate); use that device`,
    });
    await expect(showDevice(vdb, cliActor, 'NO-SUCH-TAG')).rejects.toMatchObject({
      code: 'not_found',
      message: 'Device "NO-SUCH-TAG" not found',
    });
  });

  it('shows declared versus observed conflicts without overwriting', async () => {
    const d = await addDevice(vdb, cliActor, pump);
    const now = new Date().toISOString();
    await upsertFacts(vdb, [
      {
        id: newId(),
        device_id: d.id,
        field: 'firmwareVersion',
        value: '12.3.0',
        source: 'capture',
        source_ref: 'ward3.pcapng#1042',
        first_seen: now,
        last_seen: now,
        confidence: null,
      },
    ]);
    const shown = await showDevice(vdb, cliActor, d.id);
    expect(shown.firmwareVersion).toBe('12.1.2');
    expect(shown.conflicts).toEqual([
      {
        field: 'firmwareVersion',
        declared: [expect.objectContaining({ source: 'manual', value: '12.1.2' })],
        observed: [
          expect.objectContaining({ source: 'capture', value: '12.3.0', sourceRef: 'ward3.pcapng#1042' }),
        ],
      },
    ]);
  });

  it('lists with filters, sorting, paging and totals', async () => {
    await addDevice(vdb, cliActor, pump);
    await addDevice(vdb, cliActor, {
      assetTag: 'BME-20001',
      manufacturer: 'Philips',
      model: 'IntelliVue MX40',
      deviceClass: 'patient-monitor',
      criticality: 'life-supporting',
      ephi: false,
      macs: ['00:0a:0b:0c:0d:10'],
      ips: ['10.30.0.5'],
      site: 'North Clinic',
    });
    await addDevice(vdb, cliActor, {
      assetTag: 'BME-30001',
      manufacturer: 'GE Healthcare',
      model: 'CARESCAPE B650',
      deviceClass: 'patient-monitor',
      criticality: 'diagnostic',
    });
    const tags = async (q: Record<string, unknown>, paging?: { page?: number; pageSize?: number }) =>
      (await listDevices(vdb, cliActor, q, paging)).items.map((d) => d.assetTag);
    expect(await tags({})).toEqual(['BME-10042', 'BME-20001', 'BME-30001']);
    expect(await tags({ site: 'north clinic' })).toEqual(['BME-20001']);
    expect(await tags({ deviceClass: 'patient-monitor', sort: 'assetTag', order: 'desc' })).toEqual([
      'BME-30001',
      'BME-20001',
    ]);
    expect(await tags({ manufacturer: 'philips' })).toEqual(['BME-20001']);
    expect(await tags({ manufacturer: 'dickinson' })).toEqual(['BME-10042']);
    expect(await tags({ model: 'carescape' })).toEqual(['BME-30001']);
    expect(await tags({ criticality: 'diagnostic' })).toEqual(['BME-30001']);
    expect(await tags({ ephi: false })).toEqual(['BME-20001']);
    expect(await tags({ ephi: 'yes' })).toEqual(['BME-10042']);
    expect(await tags({ q: '10.30' })).toEqual(['BME-20001']);
    expect(await tags({ q: '0d:01' })).toEqual(['BME-10042']);
    expect(await tags({ q: '100%' })).toEqual([]);
    expect(await tags({ sort: 'criticality' })).toEqual(['BME-10042', 'BME-20001', 'BME-30001']);
    expect(await tags({ sort: 'manufacturer' })).toEqual(['BME-10042', 'BME-30001', 'BME-20001']);
    expect(await tags({ sort: 'site', order: 'asc' })).toEqual(['BME-10042', 'BME-20001', 'BME-30001']);
    expect(await tags({ sort: 'site', order: 'desc' })).toEqual(['BME-20001', 'BME-10042', 'BME-30001']);
    expect(await tags({ seenSince: '2020-01-01' })).toEqual([]);
    expect(await tags({ state: 'retired' })).toEqual([]);
    const page2 = await listDevices(vdb, cliActor, {}, { page: 2, pageSize: 2 });
    expect(page2).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(page2.items.map((d) => d.assetTag)).toEqual(['BME-30001']);
    await rejects(listDevices(vdb, cliActor, { deviceClass: 'toaster' }), 'invalid_input');
    await rejects(listDevices(vdb, cliActor, { sort: 'colour' }), 'invalid_input');
  });

  it('streams every device with keyset paging, in sort order, for every sort', async () => {
    for (let i = 0; i < 23; i++) {
      await addDevice(vdb, cliActor, {
        assetTag: i % 5 === 0 ? null : `T-${String(i).padStart(3, '0')}`,
        macs: [`00:00:00:00:01:${i.toString(16).padStart(2, '0')}`],
        criticality: (['diagnostic', 'life-sustaining', null] as const)[i % 3],
        department: i % 2 ? 'ICU' : null,
      });
    }
    for (const sort of ['assetTag', 'criticality', 'department', 'createdAt', 'lastSeen'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const all: string[] = [];
        for await (const d of streamDevices(vdb, cliActor, { sort, order }, { batchSize: 4 })) all.push(d.id);
        expect(all, `${sort} ${order}`).toHaveLength(23);
        expect(new Set(all).size).toBe(23);
        const paged = (await listDevices(vdb, cliActor, { sort, order }, { pageSize: 500 })).items.map(
          (d) => d.id,
        );
        expect(all, `${sort} ${order} keyset = offset order`).toEqual(paged);
      }
    }
    let n = 0;
    for await (const _ of streamDevices(vdb, cliActor, {}, { limit: 7, batchSize: 3 })) n++;
    expect(n).toBe(7);
  });

  it('keeps a site-limited actor to its sites', async () => {
    await addDevice(vdb, cliActor, pump);
    const other = await addDevice(vdb, cliActor, { assetTag: 'BME-2', site: 'North Clinic' });
    await addDevice(vdb, cliActor, { assetTag: 'BME-3' });
    const north = (await findSite(vdb, 'North Clinic'))!;
    const limited: Actor = {
      kind: 'token',
      id: 't',
      name: 'token:t',
      permissions: permissionsOf('clinical-engineer'),
      siteIds: [north.id],
    };
    const list = await listDevices(vdb, limited, {});
    expect(list.items.map((d) => d.assetTag)).toEqual(['BME-2']);
    expect(list.total).toBe(1);
    await rejects(showDevice(vdb, limited, 'BME-10042'), 'not_found');
    expect((await showDevice(vdb, limited, 'BME-2')).id).toBe(other.id);
    await rejects(addDevice(vdb, limited, { assetTag: 'BME-9', site: 'Main Campus' }), 'forbidden');
    await rejects(addDevice(vdb, limited, { assetTag: 'BME-9' }), 'forbidden');
    await rejects(updateDevice(vdb, limited, 'BME-2', { site: 'Main Campus' }), 'forbidden');
    expect((await addDevice(vdb, limited, { assetTag: 'BME-9', site: 'north clinic' })).site).toBe(
      'North Clinic',
    );
    const auditor: Actor = { kind: 'user', id: 'u', name: 'auditor', permissions: permissionsOf('auditor') };
    await rejects(addDevice(vdb, auditor, { assetTag: 'X' }), 'forbidden');
  });
});
