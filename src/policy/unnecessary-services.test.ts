/**
 * Unnecessary services. The acceptance case comes from a real capture: one legacy device that answers
 * DICOM on 104 and also exposes Telnet (23) and FTP (21) (test/fixtures/policy/legacy-dicom-telnet-ftp.pcap,
 * see PROVENANCE.md), imported through the real capture path; it gets exactly two unnecessary-service
 * findings, whether its needs are unknown or its model's manufacturer profile declares DICOM. The
 * needed-service sources (profile, MDS2, fleet majority) are checked on small hand-made fleets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { listAudit } from '../audit/audit-log.js';
import type { Evidence } from '../discovery/host-observation.js';
import { listFindings } from '../findings/findings-service.js';
import { updateDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { fixturePath } from './policy-test-fixtures.js';
import { riskyServiceOf } from './risky-services.js';
import {
  checkUnnecessaryServices,
  neededServices,
  type ObservedService,
  type ServiceDevice,
  unnecessaryServices,
} from './unnecessary-services.js';

const ev: Evidence = { source: 'scanner', file: 'scan.xml', summary: 'open' };
const svc = (port: number, protocol: string | null, transport: 'tcp' | 'udp' = 'tcp'): ObservedService => ({
  port,
  transport,
  protocol,
  version: null,
  encrypted: null,
  source: 'scanner',
  evidence: ev,
  firstSeen: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:00.000Z',
});
const dev = (
  id: string,
  modelId: string | null,
  services: ObservedService[],
  profile: ServiceDevice['profile'] = [],
) => ({
  id,
  modelId,
  profile,
  services,
});

describe('needed services and unnecessary ones (pure)', () => {
  it('takes the fleet majority when the model declares nothing', () => {
    const fleet = [
      dev('a', 'm', [svc(104, 'dicom'), svc(22, 'ssh')]),
      dev('b', 'm', [svc(104, 'dicom'), svc(22, 'ssh')]),
      dev('c', 'm', [svc(104, 'dicom'), svc(8080, 'http'), svc(5900, null)]),
    ];
    const needs = neededServices(fleet).get('m')!;
    expect(needs.source).toBe('fleet-majority');
    expect([...needs.needed].sort()).toEqual(['104/tcp', '22/tcp']);
    const found = unnecessaryServices(fleet);
    expect(found.map((f) => `${f.deviceId} ${f.subject} ${f.needSource} ${f.risky?.id ?? '-'}`)).toEqual([
      'c http:8080 fleet-majority http-admin',
      'c tcp:5900 fleet-majority vnc',
    ]);
  });

  it('prefers the manufacturer profile, then MDS2, and flags only risky services when needs are unknown', () => {
    const profiled = [dev('a', 'm', [svc(104, 'dicom'), svc(22, 'ssh')], [{ port: 104, transport: 'tcp' }])];
    expect(unnecessaryServices(profiled).map((f) => f.subject)).toEqual(['ssh:22']);
    expect(unnecessaryServices(profiled)[0]!.action).toMatch(
      /^Disable ssh:22 on the device; if the manufacturer/,
    );
    const mds2 = {
      servicesOf: (id: string) => (id === 'n' ? [{ port: 22, transport: 'tcp' as const }] : undefined),
    };
    const declared = [dev('b', 'n', [svc(104, 'dicom'), svc(22, 'ssh')])];
    expect(neededServices(declared, mds2).get('n')!.source).toBe('mds2');
    expect(unnecessaryServices(declared, mds2).map((f) => f.subject)).toEqual(['dicom:104']);
    // One device of its model, no declaration: SSH is left alone, Telnet is not.
    const lone = [dev('c', 'o', [svc(22, 'ssh'), svc(23, 'telnet'), svc(161, 'snmp', 'udp')])];
    expect(unnecessaryServices(lone).map((f) => f.subject)).toEqual(['telnet:23']);
  });

  it('knows the risky services by protocol, port and version', () => {
    expect(riskyServiceOf({ port: 2323, transport: 'tcp', protocol: 'telnet' })?.id).toBe('telnet');
    expect(riskyServiceOf({ port: 23, transport: 'tcp', protocol: 'ssh' })).toBeUndefined();
    expect(riskyServiceOf({ port: 445, transport: 'tcp', protocol: 'smb', version: 'NT LM 0.12' })?.id).toBe(
      'smbv1',
    );
    expect(
      riskyServiceOf({ port: 445, transport: 'tcp', protocol: 'smb', version: '3.1.1' }),
    ).toBeUndefined();
    expect(riskyServiceOf({ port: 161, transport: 'udp', protocol: 'snmp', version: 'v2c' })?.id).toBe(
      'snmp-v1-v2c',
    );
    expect(riskyServiceOf({ port: 161, transport: 'udp', protocol: 'snmp', version: 'v3' })).toBeUndefined();
    expect(riskyServiceOf({ port: 80, transport: 'tcp', protocol: 'http', encrypted: true })).toBeUndefined();
    expect(riskyServiceOf({ port: 5555, transport: 'tcp', protocol: null })?.id).toBe('adb');
  });

  it('knows plain MQTT by its port or by the dissector, and leaves MQTT over TLS alone', () => {
    expect(riskyServiceOf({ port: 1883, transport: 'tcp', protocol: null })?.id).toBe('mqtt');
    expect(riskyServiceOf({ port: 1884, transport: 'tcp', protocol: 'mqtt', encrypted: false })?.id).toBe(
      'mqtt',
    );
    // nmap's secure-mqtt on 8883, and TLS seen on 1883, are encrypted.
    expect(
      riskyServiceOf({ port: 8883, transport: 'tcp', protocol: 'mqtt', encrypted: true }),
    ).toBeUndefined();
    expect(
      riskyServiceOf({ port: 8883, transport: 'tcp', protocol: 'tls', encrypted: true }),
    ).toBeUndefined();
    expect(
      riskyServiceOf({ port: 1883, transport: 'tcp', protocol: 'tls', encrypted: true }),
    ).toBeUndefined();
  });
});

describe.each(DIALECTS)('vigil services check of a real MQTT broker on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterAll(async () => vdb?.close());

  it('reports the mosquitto broker listening on 1883/tcp as risky plain MQTT', async () => {
    vdb = await freshDatabase(dialect);
    // Recorded by test/fixtures/dissect/mqtt/make-mqtt-capture.sh: broker 10.77.0.1, anonymous clients allowed.
    await importCaptureFile(
      vdb,
      new URL('../../test/fixtures/dissect/mqtt/mosquitto-veth.pcap', import.meta.url).pathname,
    );
    const r = await checkUnnecessaryServices(vdb, cliActor);
    expect(r.items.map((i) => `${i.subject} ${i.needSource} ${i.risk}`)).toEqual(['mqtt:1883 unknown mqtt']);
    expect(r.items[0]!.deviceLabel).toMatch(/10\.77\.0\.1\b/);
    expect(r.items[0]!.action).toMatch(/^Use MQTT over TLS \(8883\/tcp\)/);
    const [f] = await listFindings(vdb, cliActor, { type: 'unnecessary-service' });
    expect(f?.evidence).toMatchObject({ source: 'capture', file: 'mosquitto-veth.pcap' });
    expect(f?.details).toMatchObject({ port: 1883, transport: 'tcp', protocol: 'mqtt', risk: 'mqtt' });
  });
});

describe.each(DIALECTS)('vigil services check on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importCaptureFile(vdb, fixturePath('legacy-dicom-telnet-ftp.pcap'));
  });
  afterAll(async () => vdb?.close());

  const unnecessary = async () =>
    (await listFindings(vdb, cliActor, { type: 'unnecessary-service' }))
      .map((f) => `${f.subject} ${f.state} ${f.occurrences}`)
      .sort();

  it('gives the device exposing Telnet and FTP beside DICOM two unnecessary-service findings', async () => {
    // The capture shows the one device listening on DICOM, FTP and Telnet.
    const services = await vdb.db
      .selectFrom('device_services as s')
      .innerJoin('device_identifiers as i', 'i.device_id', 's.device_id')
      .select(['s.port', 's.protocol'])
      .where('i.kind', '=', 'ip')
      .where('i.value', '=', '10.20.0.40')
      .orderBy('s.port')
      .execute();
    expect(services.map((x) => `${x.port} ${x.protocol}`)).toEqual(['21 ftp', '23 telnet', '104 dicom']);
    const r = await checkUnnecessaryServices(vdb, cliActor);
    expect(r.items.map((i) => `${i.subject} ${i.needSource} ${i.risk}`).sort()).toEqual([
      'ftp:21 unknown ftp',
      'telnet:23 unknown telnet',
    ]);
    // No asset tag yet: the device is named by what the capture showed (a DICOM archive) and its address.
    expect(new Set(r.items.map((i) => i.deviceLabel))).toEqual(new Set(['pacs (10.20.0.40)']));
    expect(r.findings).toEqual({ created: 2, updated: 0, reopened: 0 });
    expect(await unnecessary()).toEqual(['ftp:21 open 1', 'telnet:23 open 1']);
    const f = (await listFindings(vdb, cliActor, { type: 'unnecessary-service' })).find(
      (x) => x.subject === 'telnet:23',
    )!;
    expect(f.evidence.file).toBe('legacy-dicom-telnet-ftp.pcap');
    expect(f.evidence.source).toBe('capture');
    expect(f.details).toMatchObject({ port: 23, transport: 'tcp', protocol: 'telnet', risk: 'telnet' });
    expect(String(f.details['action'])).toMatch(/Disable Telnet/);
    const audit = await listAudit(vdb, { action: 'services.check' });
    expect(audit).toHaveLength(1);
  });

  it('with a manufacturer profile that declares DICOM: still exactly Telnet and FTP, counted again, not duplicated', async () => {
    const ip = await vdb.db
      .selectFrom('device_identifiers')
      .select('device_id')
      .where('kind', '=', 'ip')
      .where('value', '=', '10.20.0.40')
      .executeTakeFirstOrThrow();
    await updateDevice(vdb, cliActor, ip.device_id, {
      manufacturer: 'Spacelabs Medical',
      model: 'Legacy Gateway 90',
    });
    // The profile as a manufacturer would declare it (the store keeps it as JSON on the model).
    await vdb.db
      .updateTable('device_models')
      .set({ default_services: JSON.stringify([{ port: 104, protocol: 'tcp', service: 'dicom' }]) })
      .execute();
    const r = await checkUnnecessaryServices(vdb, cliActor);
    expect(r.items.map((i) => `${i.subject} ${i.needSource}`).sort()).toEqual([
      'ftp:21 manufacturer-profile',
      'telnet:23 manufacturer-profile',
    ]);
    expect(r.items[0]?.deviceLabel).toBe('Spacelabs Medical Legacy Gateway 90 (10.20.0.40)');
    expect(r.findings).toEqual({ created: 0, updated: 2, reopened: 0 });
    expect(await unnecessary()).toEqual(['ftp:21 open 1', 'telnet:23 open 1']);
  });
});
