import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { addDevice, mergeDevices, showDevice, updateDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { MAX_HINTS_PER_DEVICE } from '../store/fingerprint-store.js';
import { applySourceResult } from './apply-source-result.js';
import type { Evidence, HostObservation } from './host-observation.js';

const HL7 = join(import.meta.dirname, '../../test/fixtures/captures/04-hl7-mllp.pcap');
const DHCP = join(import.meta.dirname, '../../test/fixtures/captures/01-dhcp-dns-mdns.pcap');

const ev = (summary: string): Evidence => ({
  source: 'capture',
  file: 'ward.pcap',
  connection: '10.20.0.10:40000 → 10.30.0.5:2575/tcp',
  packet: 7,
  time: '2026-11-20T10:00:00.000Z',
  summary,
});

/** A host with an OS guess at the given confidence (a TTL, a banner …). */
function host(os: string, confidence: number): HostObservation {
  return {
    macs: ['02:00:5e:20:00:10'],
    ips: ['10.20.0.10'],
    hostnames: [],
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-20T10:05:00.000Z',
    services: [],
    protocols: [],
    identity: { os: { value: os, confidence, evidence: ev(`guess ${os}`) } },
    hints: [],
  };
}

const apply = (vdb: VigilDatabase, h: HostObservation) =>
  applySourceResult(vdb, cliActor, { hosts: [h], findings: [] }, { kind: 'capture', file: 'ward.pcap' });

describe.each(DIALECTS)('fingerprint evidence and identity suggestions on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('keeps what a capture only hints at (a medical maker’s MAC prefix) for the person triaging the device', async () => {
    vdb = await freshDatabase(dialect);
    // 04-hl7-mllp.pcap: the ORU sender 10.30.0.41 has a MAC of Philips Medical Systems - Cardiac and
    // Monitoring Systems (IEEE MA-L 00-09-5C); HL7 alone names no maker.
    await importCaptureFile(vdb, HL7);
    const monitor = await showDevice(vdb, cliActor, '10.30.0.41');
    expect(monitor.manufacturer).toBeNull();
    expect(monitor.deviceClass).toBe('unknown');
    expect(monitor.suggestions.map((s) => [s.field, s.value, s.confidence])).toEqual([
      ['deviceClass', 'patient-monitor', 0.4],
      ['manufacturer', 'Philips', 0.4],
    ]);
    expect(monitor.suggestions[1]).toMatchObject({
      source: 'capture',
      sourceRef: '04-hl7-mllp.pcap',
      evidence: {
        summary: expect.stringMatching(/^oui\.vendor "Philips Medical Systems.*rule oui-medical-philips/),
      },
    });
    // The same capture again changes nothing; a declared value makes the suggestion moot.
    await importCaptureFile(vdb, HL7);
    expect((await showDevice(vdb, cliActor, '10.30.0.41')).suggestions).toEqual(monitor.suggestions);
    await updateDevice(vdb, cliActor, monitor.id, { deviceClass: 'patient-monitor' });
    const triaged = await showDevice(vdb, cliActor, monitor.id);
    expect(triaged.deviceClass).toBe('patient-monitor');
    expect(triaged.suggestions.map((s) => s.field)).toEqual(['manufacturer']);
  });

  it('keeps the most confident suggestion per field and drops it once a source makes the field a fact', async () => {
    vdb = await freshDatabase(dialect);
    await apply(vdb, host('Linux', 0.3));
    await apply(vdb, host('VxWorks', 0.2));
    const rows = () =>
      vdb.db.selectFrom('device_suggestions').select(['field', 'value', 'confidence']).execute();
    expect(await rows()).toEqual([{ field: 'os', value: 'Linux', confidence: 0.3 }]);
    await apply(vdb, host('Windows', 0.5));
    expect(await rows()).toEqual([{ field: 'os', value: 'Windows', confidence: 0.5 }]);
    await apply(vdb, host('Windows', 0.9));
    expect((await showDevice(vdb, cliActor, '10.20.0.10')).os).toBe('Windows');
    expect(await rows()).toEqual([]);
  });

  it('shows a merged duplicate’s suggestions on the device it was merged into', async () => {
    vdb = await freshDatabase(dialect);
    await apply(vdb, host('Linux', 0.3));
    const seen = await showDevice(vdb, cliActor, '10.20.0.10');
    const record = await addDevice(vdb, cliActor, { assetTag: 'BME-77' });
    await mergeDevices(vdb, cliActor, seen.id, record.id);
    expect((await showDevice(vdb, cliActor, 'BME-77')).suggestions).toMatchObject([
      { field: 'os', value: 'Linux', confidence: 0.3 },
    ]);
  });

  it('keeps what a device said about itself, each with the packet that first showed it', async () => {
    vdb = await freshDatabase(dialect);
    // 01-dhcp-dns-mdns.pcap: the CT console's DHCPDISCOVER is packet 1 (udhcpc with a vendor class).
    await importCaptureFile(vdb, DHCP);
    const ct = await showDevice(vdb, cliActor, '10.20.0.21');
    expect(ct.hints.map((x) => [x.kind, x.value])).toEqual([
      ['dhcp.hostname', 'CT-RHAPSODE-01'],
      ['dhcp.leasedAddress', '10.20.0.21'],
      ['dhcp.paramList', '1,28,3,15,6,12,42'],
      ['dhcp.vendorClass', 'GE Healthcare CT Console'],
      ['oui.vendor', 'GE Healthcare'],
    ]);
    expect(ct.hints[3]).toMatchObject({
      source: 'capture',
      sourceRef: '01-dhcp-dns-mdns.pcap',
      evidence: { packet: 1, connection: expect.stringContaining('0.0.0.0:68') },
    });
    const pump = await showDevice(vdb, cliActor, '10.20.0.60');
    expect(pump.hints.filter((x) => x.kind === 'mdns.txt').map((x) => x.value)).toEqual([
      'fw=8.01.01',
      'model=SIGMA-SPECTRUM',
    ]);
    // The same capture again adds no row and moves no time.
    const count = async () => (await vdb.db.selectFrom('device_hints').select('kind').execute()).length;
    const before = await count();
    await importCaptureFile(vdb, DHCP);
    expect(await count()).toBe(before);
    expect((await showDevice(vdb, cliActor, '10.20.0.21')).hints).toEqual(ct.hints);
  });

  it('moves a hint’s first sighting back when an older capture comes later, and caps hints per device', async () => {
    vdb = await freshDatabase(dialect);
    const at = (time: string, values: string[]): HostObservation => ({
      ...host('Linux', 0.3),
      hints: values.map((value) => ({
        kind: 'http.userAgent',
        value,
        evidence: { ...ev(`UA ${time}`), time },
      })),
    });
    await apply(vdb, at('2026-11-21T00:00:00.000Z', ['curl/8.5.0']));
    await apply(vdb, at('2026-11-20T00:00:00.000Z', ['curl/8.5.0']));
    await apply(vdb, at('2026-11-19T12:00:00.000Z', [])); // says nothing: changes nothing
    const [hint] = (await showDevice(vdb, cliActor, '10.20.0.10')).hints.filter(
      (x) => x.kind === 'http.userAgent',
    );
    expect(hint).toMatchObject({
      firstSeen: '2026-11-20T00:00:00.000Z',
      lastSeen: '2026-11-21T00:00:00.000Z',
      evidence: { summary: 'UA 2026-11-20T00:00:00.000Z' },
    });
    // A browser's every User-Agent: the first ones are kept, up to the cap; known ones still update.
    const many = Array.from(
      { length: MAX_HINTS_PER_DEVICE + 50 },
      (_, i) => `agent/${String(i).padStart(3, '0')}`,
    );
    await apply(vdb, at('2026-11-22T00:00:00.000Z', many));
    await apply(vdb, at('2026-11-23T00:00:00.000Z', ['curl/8.5.0', 'agent/249']));
    const hints = (await showDevice(vdb, cliActor, '10.20.0.10')).hints;
    expect(hints).toHaveLength(MAX_HINTS_PER_DEVICE);
    expect(hints.find((x) => x.value === 'curl/8.5.0')?.lastSeen).toBe('2026-11-23T00:00:00.000Z');
    expect(hints.some((x) => x.value === 'agent/249')).toBe(false);
  });
});
