import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import type { VigilDatabase } from '../store/database.js';
import { importCmmsCsv } from './cmms-import.js';
import { confirmDevice, listDevices, showDevice } from './inventory-service.js';
import { observeDevice } from './observation.js';

const capture = (seenAt: string, o: Partial<Parameters<typeof observeDevice>[2]>) => ({
  source: 'capture',
  sourceRef: 'ward3.pcapng#1042',
  seenAt,
  ...o,
});

describe.each(DIALECTS)('observations on %s', (dialect) => {
  let vdb: VigilDatabase;
  let pump: string;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
    const csv = readFileSync(new URL('../../test/fixtures/cmms/hospital-export.csv', import.meta.url));
    await importCmmsCsv(vdb, cliActor, { file: 'hospital-export.csv', input: csv });
    pump = (await showDevice(vdb, cliActor, 'BME-10001')).id;
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('a known device seen with other firmware: a conflict is shown, the declared value stays', async () => {
    const r = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T10:00:00.000Z', {
        macs: ['00:1B:5A:10:00:01'],
        ips: ['10.20.31.99'],
        facts: { firmwareVersion: '12.3.0' },
      }),
    );
    expect(r).toEqual({ outcome: 'updated', deviceId: pump });
    const d = await showDevice(vdb, cliActor, pump);
    expect(d).toMatchObject({
      firmwareVersion: '12.1.2',
      lastSeen: '2026-03-01T10:00:00.000Z',
      firstSeen: '2026-03-01T10:00:00.000Z',
    });
    // Newest first by when each was stated or seen: the CMMS export imported today is newer than March's capture.
    expect(d.ips).toEqual(['10.20.31.11', '10.20.31.99']);
    expect(d.identifiers.find((i) => i.value === '10.20.31.99')).toMatchObject({
      source: 'capture',
      firstSeen: '2026-03-01T10:00:00.000Z',
      lastSeen: '2026-03-01T10:00:00.000Z',
    });
    expect(d.conflicts).toEqual([
      {
        field: 'firmwareVersion',
        declared: [
          expect.objectContaining({ source: 'cmms', value: '12.1.2', sourceRef: 'hospital-export.csv:2' }),
        ],
        observed: [
          expect.objectContaining({ source: 'capture', value: '12.3.0', sourceRef: 'ward3.pcapng#1042' }),
        ],
      },
    ]);
    // Seen again with nothing new: times move, no audit entry.
    const again = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-02T10:00:00.000Z', {
        macs: ['00:1b:5a:10:00:01'],
        facts: { firmwareVersion: '12.3.0' },
      }),
    );
    expect(again).toEqual({ outcome: 'seen', deviceId: pump });
    expect((await showDevice(vdb, cliActor, pump)).lastSeen).toBe('2026-03-02T10:00:00.000Z');
    expect(await listAudit(vdb, { action: 'device.observe' })).toHaveLength(1);
    expect((await listDevices(vdb, cliActor, { seenSince: '2026-03-02' })).items.map((x) => x.id)).toEqual([
      pump,
    ]);
  });

  it('addresses carry the times they were seen, so captures imported out of order keep the current address first', async () => {
    const mac = '00:1b:5a:10:00:01';
    // Thursday's capture (the pump on its new DHCP lease) is imported first, Monday's after it.
    await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-05T18:00:00.000Z', {
        firstSeenAt: '2026-03-05T08:00:00.000Z',
        macs: [mac],
        ips: ['10.20.31.140'],
      }),
    );
    await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-02T18:00:00.000Z', {
        firstSeenAt: '2026-03-02T08:00:00.000Z',
        macs: [mac],
        ips: ['10.20.31.77'],
      }),
    );
    // The same address again in an older capture: its first-seen moves back, its last-seen stays.
    await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T18:00:00.000Z', {
        firstSeenAt: '2026-03-01T08:00:00.000Z',
        macs: [mac],
        ips: ['10.20.31.140'],
      }),
    );
    const d = await showDevice(vdb, cliActor, pump);
    const seen = d.identifiers.filter((i) => i.source === 'capture' && i.kind === 'ip');
    expect(seen.map((i) => [i.value, i.firstSeen, i.lastSeen])).toEqual([
      ['10.20.31.140', '2026-03-01T08:00:00.000Z', '2026-03-05T18:00:00.000Z'],
      ['10.20.31.77', '2026-03-02T08:00:00.000Z', '2026-03-02T18:00:00.000Z'],
    ]);
    expect(d.ips.indexOf('10.20.31.140')).toBeLessThan(d.ips.indexOf('10.20.31.77'));
    expect(d).toMatchObject({ firstSeen: '2026-03-01T08:00:00.000Z', lastSeen: '2026-03-05T18:00:00.000Z' });
  });

  it('an unknown device is staged, with suggestions from shared addresses, until someone confirms it', async () => {
    const r = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T10:00:00.000Z', {
        macs: ['00:50:56:aa:bb:cc'],
        ips: ['10.20.31.11'],
        facts: { os: 'Windows 7', deviceClass: 'workstation' },
      }),
    );
    expect(r).toEqual({ outcome: 'staged', deviceId: expect.any(String), suggestions: [pump] });
    if (r.outcome !== 'staged') return;
    expect(await showDevice(vdb, cliActor, r.deviceId)).toMatchObject({
      state: 'staged',
      os: 'Windows 7',
      deviceClass: 'medical-workstation',
      assetTag: null,
    });
    expect((await listDevices(vdb, cliActor, { state: 'staged' })).total).toBe(1);
    // Observed again with a manufacturer: fills the gap, still staged.
    await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T11:00:00.000Z', {
        macs: ['00:50:56:aa:bb:cc'],
        facts: { manufacturer: 'Philips', os: 'Windows 10' },
      }),
    );
    expect(await showDevice(vdb, cliActor, r.deviceId)).toMatchObject({
      state: 'staged',
      manufacturer: 'Philips',
      os: 'Windows 7',
    });
    expect((await confirmDevice(vdb, cliActor, r.deviceId)).state).toBe('active');
    expect((await listAudit(vdb, { action: 'device.stage' }))[0]!.summary).toMatchObject({
      suggestions: [pump],
    });
  });

  it('never merges on an address alone, and reports strong keys that disagree', async () => {
    const weak = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T10:00:00.000Z', { ips: ['10.20.31.11'] }),
    );
    expect(weak).toEqual({
      outcome: 'conflict',
      deviceIds: [pump],
      reason: 'only weak keys (IP, hostname) were seen',
    });
    const clash = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T10:00:00.000Z', {
        macs: ['00:1b:5a:10:00:01'],
        facts: { serialNumber: '12345679' },
      }),
    );
    expect(clash).toMatchObject({ outcome: 'conflict', deviceIds: expect.arrayContaining([pump]) });
    expect((await showDevice(vdb, cliActor, pump)).lastSeen).toBeNull();
    await expect(
      observeDevice(vdb, cliActor, {
        source: 'cmms',
        sourceRef: null,
        seenAt: '2026-01-01T00:00:00.000Z',
        macs: ['00:1b:5a:10:00:01'],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
  it('a round-robin name does not make two addresses one device; the same address is the same host again', async () => {
    // NTP_sync.pcap (Zeek test traces): us.pool.ntp.org answered from 15 addresses, all behind a router.
    const pool = (ip: string) =>
      capture('2026-03-01T10:00:00.000Z', { ips: [ip], hostnames: ['us.pool.ntp.org'], weakOnly: 'stage' });
    const a = await observeDevice(vdb, cliActor, pool('209.132.176.4'));
    const b = await observeDevice(vdb, cliActor, pool('216.27.185.42'));
    expect(a).toMatchObject({ outcome: 'staged' });
    expect(b).toMatchObject({ outcome: 'staged', suggestions: [a.outcome === 'staged' ? a.deviceId : ''] });
    // The first server seen again, with its name: the device that holds its address.
    const again = await observeDevice(vdb, cliActor, pool('209.132.176.4'));
    expect(again).toMatchObject({ deviceId: a.outcome === 'staged' ? a.deviceId : '' });
    expect((await showDevice(vdb, cliActor, '209.132.176.4')).ips).toEqual(['209.132.176.4']);
    expect((await showDevice(vdb, cliActor, '216.27.185.42')).ips).toEqual(['216.27.185.42']);
  });

  it("a MAC joins the address-only device its own source run staged, never another run's or a shared address", async () => {
    const ip = '10.20.0.40';
    const staged = async (at: string, addr = ip) => {
      const r = await observeDevice(vdb, cliActor, capture(at, { ips: [addr], weakOnly: 'stage' }));
      if (r.outcome !== 'staged') throw new Error(r.outcome);
      return r.deviceId;
    };
    const withMac = (mac: string, sameHostAs?: string) =>
      observeDevice(
        vdb,
        cliActor,
        capture('2026-03-01T11:00:00.000Z', {
          macs: [mac],
          ips: [ip],
          ...(sameHostAs ? { sameHostAs } : {}),
        }),
      );
    // Last week's record of the address, not this run's: today's MAC device is another device (DHCP).
    const lastWeek = await staged('2026-02-22T10:00:00.000Z');
    const other = await withMac('00:a0:aa:5b:00:41');
    expect(other).toMatchObject({ outcome: 'staged', suggestions: [lastWeek] });
    expect((await showDevice(vdb, cliActor, lastWeek)).macs).toEqual([]);

    // The run's own record, but the address names two records now: not this rule's to settle.
    const shared = await withMac('00:a0:aa:5b:00:42', lastWeek);
    expect(shared).toMatchObject({ outcome: 'staged' });

    // Alone on its address and still without a strong key: the MAC is added to it, and audited.
    const host = '10.20.0.41';
    const own = await staged('2026-03-01T10:00:00.000Z', host);
    const joined = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T11:00:00.000Z', { macs: ['00:A0:AA:5B:00:43'], ips: [host], sameHostAs: own }),
    );
    expect(joined).toEqual({ outcome: 'updated', deviceId: own });
    expect((await showDevice(vdb, cliActor, own)).macs).toEqual(['00:a0:aa:5b:00:43']);
    const audit = (await listAudit(vdb, { action: 'device.observe' })).find((e) => e.targetId === own);
    expect(JSON.stringify(audit?.summary)).toMatch(/address-only device this source run staged/);
    // Once it has a MAC, another MAC at that address is another device again.
    const next = await observeDevice(
      vdb,
      cliActor,
      capture('2026-03-01T12:00:00.000Z', { macs: ['00:a0:aa:5b:00:44'], ips: [host], sameHostAs: own }),
    );
    expect(next).toMatchObject({ outcome: 'staged', suggestions: [own] });
  });

  it('a software version nobody declared follows the latest sighting; what the device is keeps the fact it rests on', async () => {
    const mac = '00:09:5c:41:00:41';
    const seen = (at: string, facts: Record<string, string>) =>
      observeDevice(
        vdb,
        cliActor,
        capture(at, { macs: [mac], facts, sourceRef: `${at.slice(0, 10)}.pcap#1` }),
      );
    const r = await seen('2026-03-01T10:00:00.000Z', {
      os: 'Windows',
      osVersion: '10',
      model: 'IntelliVue MX450',
      softwareVersion: '3.06.1800',
      deviceClass: 'patient-monitor',
    });
    if (r.outcome !== 'staged') throw new Error(r.outcome);
    const id = r.deviceId;
    const factOf = async (field: string) =>
      (await showDevice(vdb, cliActor, id)).facts.filter((f) => f.field === field);

    // The update was installed: a later capture shows the new version, which becomes the device's.
    expect(
      await seen('2026-03-08T10:00:00.000Z', {
        os: 'Linux',
        osVersion: 'Debian 12',
        softwareVersion: '3.06.1804',
      }),
    ).toEqual({
      outcome: 'updated',
      deviceId: id,
    });
    expect(await showDevice(vdb, cliActor, id)).toMatchObject({
      softwareVersion: '3.06.1804',
      os: 'Windows',
      osVersion: '10',
      deviceClass: 'patient-monitor',
    });
    expect(await factOf('softwareVersion')).toEqual([
      expect.objectContaining({
        value: '3.06.1804',
        sourceRef: '2026-03-08.pcap#1',
        firstSeen: '2026-03-08T10:00:00.000Z',
      }),
    ]);
    // The OS shown is still explained by the capture that saw it (not replaced by the later, different one).
    expect(await factOf('os')).toEqual([
      expect.objectContaining({ value: 'Windows', sourceRef: '2026-03-01.pcap#1' }),
    ]);
    expect(await factOf('osVersion')).toEqual([
      expect.objectContaining({ value: '10', sourceRef: '2026-03-01.pcap#1' }),
    ]);
    const audit = await listAudit(vdb, { action: 'device.observe' });
    expect(audit.at(-1)!.summary).toMatchObject({
      before: { softwareVersion: '3.06.1800' },
      after: { softwareVersion: '3.06.1804' },
      facts: ['softwareVersion'],
    });

    // An older capture imported late changes neither the record nor the fact.
    await seen('2026-03-04T10:00:00.000Z', { softwareVersion: '3.06.1802' });
    expect((await showDevice(vdb, cliActor, id)).softwareVersion).toBe('3.06.1804');
    expect(await factOf('softwareVersion')).toEqual([
      expect.objectContaining({ value: '3.06.1804', lastSeen: '2026-03-08T10:00:00.000Z' }),
    ]);
    // The OS version keeps its first value, as the OS does (another source's grain is no upgrade); a
    // software version of another model is no newer version of this one.
    await seen('2026-03-10T10:00:00.000Z', { os: 'windows', osVersion: '10/11' });
    await seen('2026-03-11T10:00:00.000Z', { model: 'IntelliVue MX40', softwareVersion: 'B.06' });
    expect(await showDevice(vdb, cliActor, id)).toMatchObject({
      osVersion: '10',
      softwareVersion: '3.06.1804',
    });
    // An older sighting of the same value widens when it was seen.
    await seen('2026-03-07T10:00:00.000Z', { softwareVersion: '3.06.1804' });
    expect(await factOf('softwareVersion')).toEqual([
      expect.objectContaining({
        value: '3.06.1804',
        sourceRef: '2026-03-08.pcap#1',
        firstSeen: '2026-03-07T10:00:00.000Z',
        lastSeen: '2026-03-08T10:00:00.000Z',
      }),
    ]);
    // The same model spelt another way (case, spacing) is the same model to the catalogue: followed.
    await seen('2026-03-12T10:00:00.000Z', { model: 'INTELLIVUE  MX450', softwareVersion: '3.06.1810' });
    expect((await showDevice(vdb, cliActor, id)).softwareVersion).toBe('3.06.1810');
  });

  it('a declared version is never replaced by a later sighting', async () => {
    for (const at of ['2026-03-01T10:00:00.000Z', '2026-03-09T10:00:00.000Z'])
      await observeDevice(
        vdb,
        cliActor,
        capture(at, { macs: ['00:1B:5A:10:00:01'], facts: { firmwareVersion: `12.3.${at.slice(8, 10)}` } }),
      );
    const d = await showDevice(vdb, cliActor, pump);
    expect(d.firmwareVersion).toBe('12.1.2');
    expect(d.conflicts[0]!.observed).toEqual([expect.objectContaining({ value: '12.3.09' })]);
  });
});
