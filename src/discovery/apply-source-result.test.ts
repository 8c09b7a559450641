import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { listAudit } from '../audit/audit-log.js';
import { importCmmsCsv } from '../inventory/cmms-import.js';
import { showDevice, updateDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { applySourceResult } from './apply-source-result.js';
import type { Evidence, HostObservation, SourceResult } from './host-observation.js';
import { parseNmapXml } from './nmap-xml.js';

// Hosts as the shared captures' README describes the simulated LAN (pacs, ct, legacy).
const ev = (summary: string, packet = 1): Evidence => ({
  source: 'capture',
  file: '02-dicom-cleartext.pcap',
  connection: '10.20.0.21:40000 → 10.20.0.10:104/tcp',
  packet,
  time: '2026-11-20T10:00:00.000Z',
  summary,
});

function pacs(): HostObservation {
  return {
    macs: ['02:00:5e:20:00:10'],
    ips: ['10.20.0.10'],
    hostnames: [],
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-20T10:05:00.000Z',
    services: [
      {
        port: 104,
        transport: 'tcp',
        protocol: 'dicom',
        product: 'dcmtk',
        version: '3.6.7',
        encrypted: false,
        evidence: ev('A-ASSOCIATE-AC from PACS_MAIN'),
      },
    ],
    protocols: ['dicom'],
    dicom: {
      aeTitles: ['PACS_MAIN'],
      implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
      implementationVersionName: 'OFFIS_DCMTK_367',
      sopClasses: ['1.2.840.10008.5.1.4.1.1.2'],
      roles: ['pacs'],
    },
    identity: {
      deviceClass: { value: 'pacs', confidence: 0.8, evidence: ev('accepts CT Image Storage as SCP') },
      os: { value: 'Linux', confidence: 0.3, evidence: ev('TTL 64') },
    },
    hints: [],
  };
}

function ct(): HostObservation {
  return {
    macs: ['44:4b:5d:c7:21:01'],
    ips: ['10.20.0.21'],
    hostnames: ['ct-rhapsode-01'],
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-20T10:01:00.000Z',
    services: [],
    protocols: ['dicom', 'dhcp'],
    dicom: {
      aeTitles: ['CT_RHAPSODE01'],
      implementationClassUid: null,
      implementationVersionName: 'OFFIS_DCMTK_367',
      sopClasses: ['1.2.840.10008.5.1.4.1.1.2'],
      roles: ['modality'],
    },
    identity: {
      deviceClass: { value: 'imaging-ct', confidence: 0.9, evidence: ev('proposes CT Image Storage as SCU') },
    },
    hints: [],
  };
}

const phiFinding = (packet: number) => ({
  type: 'cleartext-phi' as const,
  host: { ip: '10.20.0.10' },
  subject: 'dicom:104',
  evidence: ev('C-STORE with Patient Name, Patient ID in cleartext', packet),
  details: { protocol: 'dicom', port: 104, tags: ['(0010,0010)', '(0010,0020)'] },
});

describe.each(DIALECTS)('applying a source result on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  const result = (): SourceResult => ({ hosts: [pacs(), ct()], findings: [phiFinding(10), phiFinding(40)] });

  it('stages new devices with their services, protocol details and de-duplicated findings', async () => {
    vdb = await freshDatabase(dialect);
    const r = await applySourceResult(vdb, cliActor, result(), {
      kind: 'capture',
      file: '02-dicom-cleartext.pcap',
    });
    expect(r.devices).toEqual({ staged: 2, updated: 0, seen: 0 });
    expect(r.findings).toMatchObject({ created: 1, updated: 0, unresolved: 0 });
    const device = await showDevice(vdb, cliActor, '02:00:5e:20:00:10');
    expect(device.state).toBe('staged');
    expect(device.deviceClass).toBe('pacs');
    // Below the confidence threshold, the OS guess stays out of the device's facts.
    expect(device.os).toBeNull();
    const services = await vdb.db.selectFrom('device_services').selectAll().execute();
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ port: 104, transport: 'tcp', protocol: 'dicom', encrypted: 0 });
    const finding = await vdb.db.selectFrom('findings').selectAll().executeTakeFirstOrThrow();
    expect(finding).toMatchObject({ type: 'cleartext-phi', severity: 'high', occurrences: 2, state: 'open' });
    expect(JSON.parse(finding.evidence)).toMatchObject({ packet: 10 });
    expect(JSON.parse(finding.last_evidence)).toMatchObject({ packet: 40 });
    const [audit] = await listAudit(vdb, { action: 'capture.import' });
    expect(audit?.summary).toMatchObject({ file: '02-dicom-cleartext.pcap', staged: 2 });
  });

  it("keeps a service's version with its product: a TLS version does not join a scanner's product", async () => {
    // The real capture saw TLS 1.0/1.2/1.3 handshakes on 10.20.0.30's ports; nmap -sV named the product
    // (OpenSSL s_server) with no version. Either order gives the scanner's product without a version.
    const capture = join(import.meta.dirname, '../../test/fixtures/captures/06-http-tls.pcapng');
    const nmap = join(import.meta.dirname, '../../test/fixtures/nmap/sgh-medical-lan.xml');
    const scan = async () =>
      applySourceResult(vdb, cliActor, parseNmapXml(readFileSync(nmap), { file: 'sgh-medical-lan.xml' }), {
        kind: 'nmap',
        file: 'sgh-medical-lan.xml',
      });
    const service = async (port: number) => {
      const { id } = await showDevice(vdb, cliActor, '10.20.0.30');
      return vdb.db
        .selectFrom('device_services')
        .select(['protocol', 'product', 'version', 'encrypted'])
        .where('device_id', '=', id)
        .where('port', '=', port)
        .executeTakeFirstOrThrow();
    };
    const scanned = { product: 'OpenSSL s_server -www httpd', version: null, encrypted: 1 };

    vdb = await freshDatabase(dialect);
    await importCaptureFile(vdb, capture);
    // Seen by the capture alone, a TLS service's version is the version its handshake negotiated.
    expect(await service(4433)).toEqual({ protocol: 'tls', product: null, version: 'TLS 1.0', encrypted: 1 });
    await scan();
    expect(await service(4433)).toEqual({ protocol: 'http', ...scanned });
    expect(await service(443)).toEqual({ protocol: 'http', ...scanned });
    await importCaptureFile(vdb, capture);
    expect(await service(4433)).toMatchObject(scanned);
    await vdb.close();

    vdb = await freshDatabase(dialect);
    await scan();
    await importCaptureFile(vdb, capture);
    expect(await service(4433)).toMatchObject(scanned);
    expect(await service(8443)).toMatchObject(scanned);
  });

  it("keeps a banner's version when a scanner names the same product more precisely without one", async () => {
    vdb = await freshDatabase(dialect);
    const web = (product: string, version: string | null): SourceResult => ({
      hosts: [
        {
          ...pacs(),
          services: [
            {
              port: 80,
              transport: 'tcp',
              protocol: 'http',
              product,
              version,
              encrypted: false,
              evidence: ev('HTTP'),
            },
          ],
        },
      ],
      findings: [],
    });
    const version = async () =>
      await vdb.db.selectFrom('device_services').select(['product', 'version']).executeTakeFirstOrThrow();
    await applySourceResult(vdb, cliActor, web('Apache', '2.4.41'), { kind: 'capture', file: 'a.pcap' });
    await applySourceResult(vdb, cliActor, web('Apache httpd', null), { kind: 'nmap', file: 'scan.xml' });
    expect(await version()).toEqual({ product: 'Apache httpd', version: '2.4.41' });
    // Another product outright brings its own version, here none.
    await applySourceResult(vdb, cliActor, web('nginx', null), { kind: 'nmap', file: 'scan2.xml' });
    expect(await version()).toEqual({ product: 'nginx', version: null });
  });

  it('counts each device once, however many of its hosts (IPv4, IPv6) the capture saw', async () => {
    // The real DHCP/DNS/mDNS capture: 23 hosts, several of them one device's IPv4 and IPv6 sides.
    vdb = await freshDatabase(dialect);
    const file = join(import.meta.dirname, '../../test/fixtures/captures/01-dhcp-dns-mdns.pcap');
    const first = await importCaptureFile(vdb, file);
    const devices = (await vdb.db.selectFrom('devices').select('id').execute()).map((d) => d.id);
    expect(first.hosts).toBe(23);
    expect(first.hosts).toBeGreaterThan(devices.length);
    expect([...first.deviceIds].sort()).toEqual([...devices].sort());
    // Every device is new: none was "updated" by its own second host.
    expect(first.devices).toEqual({ staged: devices.length, updated: 0, seen: 0 });
    const again = await importCaptureFile(vdb, file);
    expect(again.devices).toEqual({ staged: 0, updated: 0, seen: devices.length });
    expect(new Set(again.deviceIds).size).toBe(again.deviceIds.length);
  });

  it('re-applying the same file duplicates nothing', async () => {
    vdb = await freshDatabase(dialect);
    await applySourceResult(vdb, cliActor, result(), { kind: 'capture', file: 'a.pcap' });
    const again = await applySourceResult(vdb, cliActor, result(), { kind: 'capture', file: 'a.pcap' });
    expect(again.devices).toEqual({ staged: 0, updated: 0, seen: 2 });
    expect(again.findings).toMatchObject({ created: 0, updated: 1 });
    const count = async (t: 'devices' | 'device_services' | 'device_protocols' | 'findings') =>
      (await vdb.db.selectFrom(t).select('id').execute()).length;
    expect([
      await count('devices'),
      await count('device_services'),
      await count('device_protocols'),
      await count('findings'),
    ]).toEqual([2, 1, 3, 1]);
    const dicom = await vdb.db
      .selectFrom('device_protocols')
      .selectAll()
      .where('protocol', '=', 'dicom')
      .execute();
    expect(dicom.map((p) => JSON.parse(p.details).aeTitles).sort()).toEqual([
      ['CT_RHAPSODE01'],
      ['PACS_MAIN'],
    ]);
  });

  it('re-opens a resolved finding seen again and raises severity for a life-critical device', async () => {
    vdb = await freshDatabase(dialect);
    await importCmmsCsv(vdb, cliActor, {
      file: 'cmms.csv',
      input:
        'asset_tag,mac,manufacturer,model,device_class,criticality,ephi\nPACS-1,02:00:5E:20:00:10,OFFIS,storescp,pacs,life-supporting,yes\n',
    });
    await applySourceResult(vdb, cliActor, result(), { kind: 'capture', file: 'a.pcap' });
    const device = await showDevice(vdb, cliActor, 'PACS-1');
    expect(device.state).toBe('active');
    const finding = await vdb.db.selectFrom('findings').selectAll().executeTakeFirstOrThrow();
    expect(finding.severity).toBe('critical');
    expect(finding.device_id).toBe(device.id);
    await vdb.db.updateTable('findings').set({ state: 'resolved' }).execute();
    const again = await applySourceResult(vdb, cliActor, result(), { kind: 'capture', file: 'b.pcap' });
    expect(again.findings.reopened).toBe(1);
    expect((await vdb.db.selectFrom('findings').select('state').executeTakeFirstOrThrow()).state).toBe(
      'open',
    );
  });

  it('stages a host seen only by IP once, and counts findings about unknown hosts', async () => {
    vdb = await freshDatabase(dialect);
    const ipOnly: HostObservation = { ...pacs(), macs: [], ips: ['10.99.0.7'] };
    const r1 = await applySourceResult(
      vdb,
      cliActor,
      { hosts: [ipOnly], findings: [{ ...phiFinding(1), host: { ip: '10.1.1.1' } }] },
      { kind: 'nmap', file: 'scan.xml' },
    );
    expect(r1.devices.staged).toBe(1);
    expect(r1.findings.unresolved).toBe(1);
    const r2 = await applySourceResult(
      vdb,
      cliActor,
      { hosts: [ipOnly], findings: [] },
      { kind: 'nmap', file: 'scan.xml' },
    );
    expect(r2.devices.staged).toBe(0);
    expect(r2.unresolved).toEqual([]);
    expect((await vdb.db.selectFrom('devices').select('id').execute()).length).toBe(1);
  });
});

describe.each(DIALECTS)('the OS across imports, by confidence, on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  // One workstation seen by an nmap OS scan and by a capture of its DHCP requests.
  const workstation = (
    os: string,
    confidence: number,
    evidence: Evidence,
    seen = '2026-11-20T10:00:00.000Z',
  ): SourceResult => ({
    hosts: [
      {
        macs: ['02:00:5e:20:00:50'],
        ips: ['10.20.0.50'],
        hostnames: [],
        firstSeen: seen,
        lastSeen: seen,
        services: [],
        protocols: [],
        identity: { os: { value: os, confidence, evidence } },
        hints: [],
      },
    ],
    findings: [],
  });
  const scanEv: Evidence = {
    source: 'scanner',
    file: 'os-scan.xml',
    time: '2026-11-20T09:00:00.000Z',
    summary: 'nmap -O: OS match "Linux 5.0 - 5.14" at 98% accuracy',
  };
  const dhcpEv: Evidence = { ...ev('DHCP vendor class "MSFT 5.0"'), file: 'dhcp.pcap' };
  const nmap = (os = 'Linux', confidence = 0.98) =>
    applySourceResult(vdb, cliActor, workstation(os, confidence, scanEv), {
      kind: 'nmap',
      file: 'os-scan.xml',
    });
  const capture = (os = 'Windows', confidence = 0.75, seen?: string) =>
    applySourceResult(vdb, cliActor, workstation(os, confidence, dhcpEv, seen), {
      kind: 'capture',
      file: 'dhcp.pcap',
    });
  const os = async () => (await showDevice(vdb, cliActor, '02:00:5e:20:00:50')).os;
  const facts = async () =>
    (await vdb.db.selectFrom('device_facts').select(['field', 'value', 'source', 'confidence']).execute())
      .filter((f) => f.field === 'os')
      .sort((a, b) => a.source.localeCompare(b.source));

  it('nmap OS detection, then a DHCP guess: the weaker later guess does not replace it', async () => {
    vdb = await freshDatabase(dialect);
    await nmap();
    await capture();
    expect(await os()).toBe('Linux');
    expect(await facts()).toEqual([
      { field: 'os', value: 'Windows', source: 'capture', confidence: 0.75 },
      { field: 'os', value: 'Linux', source: 'scanner', confidence: 0.98 },
    ]);
  });

  it('a DHCP guess, then nmap OS detection: the stronger later value replaces it, audited', async () => {
    vdb = await freshDatabase(dialect);
    await capture();
    expect(await os()).toBe('Windows');
    await nmap();
    expect(await os()).toBe('Linux');
    expect(await facts()).toEqual([
      { field: 'os', value: 'Windows', source: 'capture', confidence: 0.75 },
      { field: 'os', value: 'Linux', source: 'scanner', confidence: 0.98 },
    ]);
    const [audit] = await listAudit(vdb, { action: 'device.observe' });
    expect(audit?.summary).toMatchObject({
      source: 'scanner',
      before: { os: 'Windows' },
      after: { os: 'Linux' },
    });
  });

  it("the OS version follows confidence too, only with the device's OS and never to a coarser grain", async () => {
    vdb = await freshDatabase(dialect);
    // One workstation's OS and version as each source names them, each with its own confidence.
    const seenAs = (
      kind: 'capture' | 'nmap',
      seen: string,
      os: [string, number],
      osVersion: [string, number],
    ) => {
      const evidence = kind === 'nmap' ? scanEv : dhcpEv;
      const r = workstation(os[0], os[1], evidence, seen);
      r.hosts[0]!.identity.osVersion = { value: osVersion[0], confidence: osVersion[1], evidence };
      return applySourceResult(vdb, cliActor, r, { kind, file: evidence.file });
    };
    const shown = async () => {
      const d = await showDevice(vdb, cliActor, '02:00:5e:20:00:50');
      return `${d.os} ${d.osVersion}`;
    };
    await seenAs('capture', '2026-11-20T10:00:00.000Z', ['Windows', 0.75], ['10', 0.75]);
    expect(await shown()).toBe('Windows 10');
    // As sure, and finer: the build replaces the bare major version.
    await seenAs('capture', '2026-11-21T10:00:00.000Z', ['Windows', 0.75], ['10.0.19045', 0.75]);
    expect(await shown()).toBe('Windows 10.0.19045');
    // As sure, but coarser: "10" does not replace "10.0.19045", and the fact shown stays explained.
    await seenAs('capture', '2026-11-22T10:00:00.000Z', ['Windows', 0.75], ['10', 0.75]);
    expect(await shown()).toBe('Windows 10.0.19045');
    expect(
      (await showDevice(vdb, cliActor, '02:00:5e:20:00:50')).facts
        .filter((f) => f.field === 'osVersion')
        .map((f) => [f.source, f.value, f.confidence]),
    ).toEqual([['capture', '10.0.19045', 0.75]]);
    // nmap replaces the OS, and its version comes with it.
    await seenAs('nmap', '2026-11-23T10:00:00.000Z', ['Linux', 0.98], ['5.X', 0.98]);
    expect(await shown()).toBe('Linux 5.X');
    const [audit] = await listAudit(vdb, { action: 'device.observe' });
    expect(audit?.summary).toMatchObject({
      before: { os: 'Windows', osVersion: '10.0.19045' },
      after: { os: 'Linux', osVersion: '5.X' },
    });
    // A surer version of another OS family, whose OS does not replace the device's, stays out.
    await seenAs('capture', '2026-11-24T10:00:00.000Z', ['Windows', 0.75], ['11', 0.99]);
    expect(await shown()).toBe('Linux 5.X');
  });

  it('an OS fact stored before confidences were (0029) is not replaced by a guess, only by a sure scan', async () => {
    vdb = await freshDatabase(dialect);
    await nmap();
    // As an installation upgraded to 0029 holds it: the scan's fact without a confidence.
    await vdb.db.updateTable('device_facts').set({ confidence: null }).execute();
    await capture();
    expect(await os()).toBe('Linux');
    await nmap('FreeBSD', 0.95);
    expect(await os()).toBe('FreeBSD');
  });

  it('a replaced OS takes its version along: the new one, or none, never the old OS version', async () => {
    vdb = await freshDatabase(dialect);
    const seenAs = (
      kind: 'capture' | 'nmap',
      seen: string,
      os: [string, number],
      osVersion?: [string, number],
    ) => {
      const evidence = kind === 'nmap' ? scanEv : dhcpEv;
      const r = workstation(os[0], os[1], evidence, seen);
      if (osVersion)
        r.hosts[0]!.identity.osVersion = { value: osVersion[0], confidence: osVersion[1], evidence };
      return applySourceResult(vdb, cliActor, r, { kind, file: evidence.file });
    };
    const shown = async () => {
      const d = await showDevice(vdb, cliActor, '02:00:5e:20:00:50');
      return `${d.os} ${d.osVersion}`;
    };
    await seenAs('capture', '2026-11-20T10:00:00.000Z', ['Windows', 0.75], ['10.0.19045', 0.75]);
    // As sure, later, another OS with a coarser version: the OS is replaced, and its version with it.
    await seenAs('capture', '2026-11-21T10:00:00.000Z', ['Linux', 0.75], ['5', 0.75]);
    expect(await shown()).toBe('Linux 5');
    // nmap names another OS without a version: no version is shown rather than Linux's.
    await seenAs('nmap', '2026-11-22T10:00:00.000Z', ['FreeBSD', 0.98]);
    expect(await shown()).toBe('FreeBSD null');
  });

  it('within one source too, and an equal confidence replaces; a declared OS never moves', async () => {
    vdb = await freshDatabase(dialect);
    // An SSH banner's Linux, then a later capture's DHCP guess: the capture's fact keeps the banner's.
    await capture('Linux', 0.8);
    await capture('Windows', 0.75, '2026-11-21T10:00:00.000Z');
    expect(await os()).toBe('Linux');
    expect(await facts()).toEqual([{ field: 'os', value: 'Linux', source: 'capture', confidence: 0.8 }]);
    // An older capture imported late does not turn the record back, however sure it is.
    await capture('Windows', 0.9, '2026-11-19T10:00:00.000Z');
    expect(await os()).toBe('Linux');
    // As sure as the value shown: the later one wins.
    await capture('Windows', 0.8, '2026-11-22T10:00:00.000Z');
    expect(await os()).toBe('Windows');
    expect(await facts()).toEqual([{ field: 'os', value: 'Windows', source: 'capture', confidence: 0.8 }]);
    const { id } = await showDevice(vdb, cliActor, '02:00:5e:20:00:50');
    await updateDevice(vdb, cliActor, id, { os: 'Windows Embedded' });
    await nmap('Linux', 1);
    expect(await os()).toBe('Windows Embedded');
  });
});
