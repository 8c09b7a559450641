/**
 * Passive discovery end to end on real captures (test/fixtures/captures, made with dcmtk, HL7 libraries,
 * curl, OpenSSL, telnet, vsftpd … on a simulated LAN; see PROVENANCE.md there): hosts, services, DICOM
 * and HL7 identity, findings with evidence, and that no patient value or password reaches the database.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importSource } from '../cli/commands/import.js';
import { listFindings } from '../findings/findings-service.js';
import { showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { analyzeCapture, isHostAddress, probeProtocol } from './capture-analyzer.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);

/** Values the captures carry in cleartext that Vigil must never store (fake patients, a real-looking password). */
const NEVER_STORED = [
  'HARTMANN',
  'ELENA',
  'MRN00482913',
  '19670314',
  '987-65-4321',
  'OKAFOR',
  'DANIEL',
  'CompressedSamples',
  'Spacelabs123',
  'ftp@example.com',
];

async function dump(vdb: VigilDatabase): Promise<string> {
  const tables = [
    'devices',
    'device_identifiers',
    'device_facts',
    'device_services',
    'device_protocols',
    'findings',
    'source_imports',
    'audit_log',
  ] as const;
  const parts: string[] = [];
  for (const t of tables) parts.push(JSON.stringify(await vdb.db.selectFrom(t).selectAll().execute()));
  return parts.join('\n');
}

describe('capture analyzer (no database)', () => {
  it('reads HL7 over MLLP: sender, receiver, message types, cleartext PHI with evidence', async () => {
    const r = await analyzeCapture(fixture('04-hl7-mllp.pcap'), { file: '04-hl7-mllp.pcap' });
    expect(r.stats).toMatchObject({ format: 'pcap', packets: 78 });
    const monitor = r.hosts.find((h) => h.ips.includes('10.30.0.41'))!;
    expect(monitor.macs).toEqual(['00:09:5c:41:00:41']);
    expect(monitor.hl7).toMatchObject({
      sendingApplications: ['MONITOR_GW'],
      sendingFacilities: ['ICU_EAST'],
      messageTypes: ['ORU^R01'],
    });
    const engine = r.hosts.find((h) => h.ips.includes('10.30.0.5'))!;
    expect(engine.services).toEqual([
      expect.objectContaining({ port: 2575, transport: 'tcp', protocol: 'hl7', encrypted: false }),
    ]);
    const phi = r.findings.filter((f) => f.type === 'cleartext-phi');
    expect(phi.map((f) => f.host.ip).sort()).toEqual(['10.30.0.41', '10.30.0.42']);
    const fromMonitor = phi.find((f) => f.host.ip === '10.30.0.41')!;
    expect(fromMonitor.subject).toBe('hl7:2575');
    expect(fromMonitor.occurrences).toBe(3);
    expect(fromMonitor.evidence.connection).toMatch(/^10\.30\.0\.41:\d+ → 10\.30\.0\.5:2575\/tcp$/);
    expect(fromMonitor.evidence.packet).toBeGreaterThan(0);
    expect(fromMonitor.details['segments']).toEqual(['PID']);
    for (const secret of NEVER_STORED) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('reads a DICOM C-STORE: AE titles, implementation, SOP class, modality attributes, patient tags present', async () => {
    const r = await analyzeCapture(fixture('dicom-ct-store.pcap'), { file: 'dicom-ct-store.pcap' });
    const ct = r.hosts.find((h) => h.ips.includes('10.20.0.21'))!;
    const pacs = r.hosts.find((h) => h.ips.includes('10.20.0.10'))!;
    expect(ct.dicom).toMatchObject({
      aeTitles: ['CT_RHAPSODE01'],
      implementationVersionName: 'OFFIS_DCMTK_367',
    });
    expect(ct.dicom?.sopClasses).toContain('1.2.840.10008.5.1.4.1.1.2'); // CT Image Storage
    expect(pacs.dicom?.aeTitles).toEqual(['PACS_MAIN']);
    expect(pacs.services).toEqual([
      expect.objectContaining({ port: 104, protocol: 'dicom', encrypted: false }),
    ]);
    expect(ct.identity.deviceClass?.value).toBe('imaging-ct');
    expect(ct.hints.filter((h) => h.kind.startsWith('dicom.')).map((h) => `${h.kind}=${h.value}`)).toEqual(
      expect.arrayContaining(['dicom.manufacturer=GE MEDICAL SYSTEMS', 'dicom.modality=CT']),
    );
    const [phi] = r.findings.filter((f) => f.type === 'cleartext-phi');
    expect(phi).toMatchObject({ subject: 'dicom:104', host: { ip: '10.20.0.21' } });
    expect(phi!.details['tags']).toEqual(
      expect.arrayContaining(['(0010,0010) PatientName', '(0010,0020) PatientID']),
    );
    for (const secret of NEVER_STORED) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it("takes no software version from a template data set (dcmtk's RT plan: 'Manufacturer name here')", async () => {
    // The workstation stores a template RT plan (software "softwareV1") and a GE CT image (software "05").
    const r = await analyzeCapture(fixture('dicom-rtplan-store.pcap'), { file: 'dicom-rtplan-store.pcap' });
    const ws = r.hosts.find((h) => h.ips.includes('10.20.0.50'))!;
    const hints = ws.hints.filter((h) => h.kind.startsWith('dicom.')).map((h) => `${h.kind}=${h.value}`);
    // The template's equipment is kept as a hint (what it said, with its packets), its version is not.
    expect(hints).toEqual(expect.arrayContaining(['dicom.manufacturer=Manufacturer name here']));
    expect(hints).toContain('dicom.softwareVersion=05');
    expect(hints).not.toContain('dicom.softwareVersion=softwareV1');
  });

  it('does not label a workstation as the CT scanner whose image it forwards (capture 02, all senders)', async () => {
    // 10.20.0.50 stores a template RT plan, an SR and a GE RHAPSODE CT image: objects of two devices.
    const r = await analyzeCapture(fixture('02-dicom-cleartext.pcap'), { file: '02-dicom-cleartext.pcap' });
    const at = (ip: string) => r.hosts.find((h) => h.ips.includes(ip))!;
    const identity = (ip: string) =>
      Object.fromEntries(Object.entries(at(ip).identity).map(([k, v]) => [k, [v.value, v.confidence]]));
    const ws = at('10.20.0.50');
    expect(identity('10.20.0.50')).toEqual({ deviceClass: ['medical-workstation', 0.5] });
    const forwarder = ws.hints.find((h) => h.kind === 'dicom.forwarder')!;
    expect(forwarder.value).toBe('sends objects made by 2 different devices: a forwarder');
    expect(forwarder.evidence.summary).toContain('GE MEDICAL SYSTEMS RHAPSODE');
    expect(ws.identity.deviceClass?.evidence.summary).toContain('rule dicom-forwarder');
    // What the data sets said stays visible, with its packets.
    expect(ws.hints.filter((h) => h.kind === 'dicom.equipment').map((h) => h.value)).toEqual([
      'manufacturer: Manufacturer name here; model: Treatment Planning System name here; station: COMPUTER002',
      'manufacturer: GE MEDICAL SYSTEMS; model: RHAPSODE; station: CT01_OC0',
    ]);
    // The MR sender's objects come from a Siemens Prisma_fit and a Toshiba scanner: a forwarder too.
    expect(identity('10.20.0.22')).toEqual({ deviceClass: ['medical-workstation', 0.5] });
    // Senders of their own objects keep their labels.
    expect(identity('10.20.0.21')).toEqual({
      manufacturer: ['GE Medical Systems', 0.7],
      model: ['RHAPSODE', 0.65],
      deviceClass: ['imaging-ct', 0.6],
      softwareVersion: ['05', 0.6],
    });
    expect(identity('10.20.0.23')).toEqual({
      manufacturer: ['Mortara Instrument', 0.7],
      model: ['el250', 0.65],
      deviceClass: ['other-medical', 0.55],
    });
    // Its waveform's Software Versions is 0.0.0 (a sample data set's): kept as a hint, not a version.
    expect(at('10.20.0.23').hints).toContainEqual(
      expect.objectContaining({ kind: 'dicom.softwareVersion', value: '0.0.0' }),
    );
    for (const ip of ['10.20.0.21', '10.20.0.23'])
      expect(at(ip).hints.map((h) => h.kind)).not.toContain('dicom.forwarder');
  });

  it('reads Telnet, FTP and SSH: banners, cleartext credentials without the password', async () => {
    const r = await analyzeCapture(fixture('07-telnet-ftp-ssh-mqtt.pcap'), { file: '07.pcap' });
    const legacy = r.hosts.find((h) => h.ips.includes('10.20.0.40'))!;
    const ports = Object.fromEntries(legacy.services.map((s) => [s.port, s]));
    expect(ports[22]).toMatchObject({
      protocol: 'ssh',
      encrypted: true,
      product: 'OpenSSH',
      version: '9.2p1',
    });
    expect(ports[21]).toMatchObject({ protocol: 'ftp', encrypted: false });
    expect(ports[23]).toMatchObject({ protocol: 'telnet', encrypted: false });
    const subjects = r.findings
      .filter((f) => f.host.ip === '10.20.0.40')
      .map((f) => `${f.type} ${f.subject}`)
      .sort();
    expect(subjects).toEqual([
      'cleartext-credentials ftp:21',
      'cleartext-credentials telnet:23',
      // The census file it sends over an FTP data connection (capture-analyzer-protocols.test.ts).
      'cleartext-phi ftp-data:CSV',
      'insecure-protocol ftp:21',
      'insecure-protocol mqtt:1883',
      'insecure-protocol telnet:23',
    ]);
    expect(JSON.stringify(r)).not.toContain('Spacelabs123');
  });

  it('reads TLS: weak version, weak certificate key, SNI, on IPv4 and IPv6 in pcapng', async () => {
    const r = await analyzeCapture(fixture('06-http-tls.pcapng'), { file: '06.pcapng' });
    expect(r.stats.format).toBe('pcapng');
    const web = r.findings.filter((f) => f.host.ip === '10.20.0.30' || f.host.ip === 'fd00:20::30');
    expect(web.map((f) => `${f.type} ${f.subject}`)).toEqual(
      expect.arrayContaining(['weak-tls tls:4433:TLSv1.0', 'certificate-problem cert:4433']),
    );
    const cert = web.find((f) => f.subject === 'cert:4433')!;
    expect(cert.details['problems']).toEqual(expect.arrayContaining(['weak-key', 'weak-signature']));
    expect(cert.details['keyBits']).toBe(1024);
    // Orthanc's REST API answered GET /patients?expand over plain HTTP: patient demographics in cleartext.
    const orthanc = r.findings.find((f) => f.type === 'cleartext-phi' && f.host.ip === '10.20.0.11');
    expect(orthanc).toMatchObject({ subject: 'http:8042', details: { path: '/patients' } });
  });

  it('finds DHCP hostnames and fingerprints, binding the lease to the MAC', async () => {
    const r = await analyzeCapture(fixture('01-dhcp-dns-mdns.pcap'), { file: '01.pcap' });
    const ct = r.hosts.find((h) => h.macs.includes('44:4b:5d:c7:21:01'))!;
    expect(ct.ips).toContain('10.20.0.21');
    expect(ct.hostnames).toContain('ct-rhapsode-01');
    expect(ct.hints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'dhcp.paramList', value: '1,28,3,15,6,12,42' }),
      ]),
    );
    const pump = r.hosts.find((h) => h.macs.includes('58:42:e4:10:00:60'))!;
    expect(pump.hints.map((h) => `${h.kind}=${h.value}`)).toEqual(
      expect.arrayContaining(['mdns.txt=model=SIGMA-SPECTRUM']),
    );
  });

  it('gives a DHCP client the address its ACK leased, though it never sends from it (capture 01, ECG cart)', async () => {
    // Frame 8 is the DHCP ACK with yiaddr 10.20.0.23 for 00:0f:82:ec:60:23; the cart then only sends an
    // ICMPv6 router solicitation from its link-local address and an ARP reply.
    const r = await analyzeCapture(fixture('01-dhcp-dns-mdns.pcap'), { file: '01.pcap' });
    const ecg = r.hosts.filter((h) => h.macs.includes('00:0f:82:ec:60:23'));
    expect(ecg.flatMap((h) => h.ips)).toContain('10.20.0.23');
    const lease = ecg.flatMap((h) => h.hints).find((h) => h.kind === 'dhcp.leasedAddress')!;
    expect(lease).toMatchObject({ value: '10.20.0.23', evidence: { packet: 8, summary: 'DHCP ACK' } });
  });

  it('keeps an mDNS SRV port as an advertised hint, not a listening service (capture 01, pump and Orthanc)', async () => {
    // Packet 47 advertises `Infusion Pump E-214._http._tcp` on port 80, but no packet of the capture touches
    // 10.20.0.60:80 (nor Orthanc's advertised 4242/8042): a claim must not raise unnecessary-service.
    const r = await analyzeCapture(fixture('01-dhcp-dns-mdns.pcap'), { file: '01.pcap' });
    const pump = r.hosts.filter((h) => h.macs.includes('58:42:e4:10:00:60'));
    expect(pump.flatMap((h) => h.services)).toEqual([]);
    const v4 = pump.find((h) => h.ips.includes('10.20.0.60'))!;
    expect(v4.hints.find((h) => h.kind === 'mdns.advertisedPort')).toMatchObject({
      value: '_http._tcp 80',
      evidence: { packet: 47 },
    });
    const orthanc = r.hosts.filter((h) => h.macs.includes('02:00:5e:20:00:11'));
    expect(orthanc.flatMap((h) => h.services)).toEqual([]);
  });

  it('names the packet carrying the patient tag as cleartext-phi evidence, not the one ending the message (capture 02)', async () => {
    // tshark -Y 'frame contains "642341"' (the ECG's PatientID): 535; the data sets complete at 586 (ECG),
    // 78 (CT) and 169 (MR), the packets reported before.
    const r = await analyzeCapture(fixture('02-dicom-cleartext.pcap'), { file: '02-dicom-cleartext.pcap' });
    const phi = (ip: string) => r.findings.find((f) => f.type === 'cleartext-phi' && f.host.ip === ip)!;
    expect(phi('10.20.0.23').evidence).toMatchObject({ packet: 535, time: '2026-11-28T23:55:01.202Z' });
    expect(phi('10.20.0.21').evidence.packet).toBe(47);
    expect(phi('10.20.0.22').evidence.packet).toBe(117);
  });

  it("names the packet carrying each equipment attribute's tag as the hint's evidence, not the one ending the data set (capture 02)", async () => {
    // tshark -r 02-dicom-cleartext.pcap -Y 'tcp.payload contains 08:00:70:00' -T fields -e frame.number
    //   -e tcp.srcport: Manufacturer's tag (0008,0070) in 47 (CT, port 38640), 115 (Siemens MR, 55472), 535
    //   (ECG, 37418), 824 (the workstation's GE CT image, 55126); Modality (08:00:60:00) and Model Name
    //   (08:00:90:10) in the same packets. The MR's Software Versions: -Y 'tcp.payload contains 18:00:20:10
    //   && tcp.payload contains "syngo MR E11"' gives 117. Before, every hint cited the packet that
    //   completed its data set: 78 (CT), 169 (MR), 586 (ECG), 853 (workstation).
    const r = await analyzeCapture(fixture('02-dicom-cleartext.pcap'), { file: '02-dicom-cleartext.pcap' });
    const cited = (ip: string, value: string) =>
      r.hosts
        .find((h) => h.ips.includes(ip))!
        .hints.filter((h) => h.kind.startsWith('dicom.') && h.value.startsWith(value))
        .map((h) => [h.kind, h.evidence.packet, h.evidence.time]);
    // tshark -e frame.time_epoch: 47 1795910100.928005, 115 1795910101.047236, 117 …047238.
    expect(cited('10.20.0.21', 'GE MEDICAL')).toEqual([
      ['dicom.manufacturer', 47, '2026-11-28T23:55:00.928Z'],
    ]);
    expect(cited('10.20.0.21', 'CT')).toEqual([['dicom.modality', 47, '2026-11-28T23:55:00.928Z']]);
    expect(cited('10.20.0.22', 'SIEMENS')).toEqual([['dicom.manufacturer', 115, '2026-11-28T23:55:01.047Z']]);
    expect(cited('10.20.0.22', 'Prisma_fit')).toEqual([['dicom.model', 115, '2026-11-28T23:55:01.047Z']]);
    expect(cited('10.20.0.22', 'syngo MR E11')).toEqual([
      ['dicom.softwareVersion', 117, '2026-11-28T23:55:01.047Z'],
    ]);
    // The equipment value starts with the Manufacturer: its packet.
    expect(cited('10.20.0.22', 'manufacturer: SIEMENS')).toEqual([
      ['dicom.equipment', 115, '2026-11-28T23:55:01.047Z'],
    ]);
    expect(cited('10.20.0.23', 'el250')).toEqual([['dicom.model', 535, '2026-11-28T23:55:01.202Z']]);
    expect(cited('10.20.0.50', 'manufacturer: GE MEDICAL')).toEqual([
      ['dicom.equipment', 824, '2026-11-28T23:55:01.424Z'],
    ]);
    // The forwarder verdict cites the equipment that completed it, now by that equipment's packet.
    expect(cited('10.20.0.50', 'sends objects')).toEqual([
      ['dicom.forwarder', 824, '2026-11-28T23:55:01.424Z'],
    ]);
  });

  it("names the packet carrying the body of Orthanc's /patients answer as cleartext-phi evidence, not the head's (capture 06)", async () => {
    // tshark -r 06-http-tls.pcapng -Y 'tcp.stream==3 && tcp.len>0' -T fields -e frame.number
    //   -e frame.time_epoch -e tcp.len: 46 (1795910117.038408561, 135 bytes: "HTTP/1.1 200 OK" and the
    //   head), 48 (1795910117.038533429, 1304 bytes: the JSON; -Y 'frame contains "PatientName"' gives 48).
    //   Before, the finding cited 46.
    const r = await analyzeCapture(fixture('06-http-tls.pcapng'), { file: '06.pcapng' });
    const orthanc = r.findings.find((f) => f.type === 'cleartext-phi' && f.host.ip === '10.20.0.11')!;
    expect(orthanc.evidence).toMatchObject({ packet: 48, time: '2026-11-28T23:55:17.038Z' });
  });

  it('finds the same hosts in the VLAN-tagged copy of capture 04, by the MAC in ND options', async () => {
    // tcprewrite --enet-vlan=add also rewrote the source MAC of the six ICMPv6 router solicitations to a
    // multicast one (tshark: eth.src 33:33:fe:5b:00:40 for fe80::2a0:aaff:fe5b:40, frame 1); their Source
    // Link-Layer Address option still names 00:a0:aa:5b:00:40.
    const hosts = async (name: string) =>
      (await analyzeCapture(fixture(name), { file: name })).hosts
        .map((h) => `${h.macs.join(',')} ${h.ips.join(',')}`)
        .sort();
    const plain = await hosts('04-hl7-mllp.pcap');
    expect(plain).toHaveLength(9);
    expect(plain).toContain('00:a0:aa:5b:00:40 fe80::2a0:aaff:fe5b:40');
    expect(await hosts('04-hl7-mllp-vlan30.pcap')).toEqual(plain);
  });

  it('reads gzip-compressed captures the same, and reports a truncated one with its offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-capture-'));
    const raw = readFileSync(fixture('04-hl7-mllp.pcap'));
    writeFileSync(join(dir, 'a.pcap.gz'), gzipSync(raw));
    const plain = await analyzeCapture(fixture('04-hl7-mllp.pcap'), { file: 'a' });
    const gz = await analyzeCapture(join(dir, 'a.pcap.gz'), { file: 'a' });
    expect(gz.stats.compressed).toBe(true);
    expect(gz.hosts).toEqual(plain.hosts);
    writeFileSync(join(dir, 'cut.pcap'), raw.subarray(0, 6000));
    const cut = await analyzeCapture(join(dir, 'cut.pcap'), { file: 'cut.pcap' });
    expect(cut.issues[0]).toMatchObject({
      file: 'cut.pcap',
      offset: expect.any(Number),
      reason: expect.stringMatching(/truncat/i),
    });
    expect(cut.stats.packets).toBeGreaterThan(10);
    writeFileSync(join(dir, 'notes.pcap'), 'these are my notes, not a capture');
    await expect(analyzeCapture(join(dir, 'notes.pcap'), { file: 'notes.pcap' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('notes.pcap'),
    });
  });

  it('probes protocols from the first bytes, not the port', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(probeProtocol('client', bytes('GET / HTTP/1.1\r\n'), 104)).toBe('http');
    expect(probeProtocol('server', bytes('SSH-2.0-OpenSSH_9.2p1\r\n'), 2222)).toBe('ssh');
    expect(probeProtocol('server', bytes('220 (vsFTPd 3.0.3)\r\n'), 2121)).toBe('ftp');
    expect(probeProtocol('client', Uint8Array.of(0x16, 0x03, 0x01, 0, 5), 2762)).toBe('tls');
    expect(probeProtocol('client', bytes('hello'), 9999)).toBeUndefined();
    // A server's answers, as 08-nmap-scan.pcap has them (tshark frames 2544, 2670, 1387, 2494): an HTTP
    // status line, a TLS alert record, a DICOM A-ABORT and A-ASSOCIATE-AC (its first 42 bytes).
    expect(probeProtocol('server', bytes('HTTP/1.0 400 Bad Request\r\n'), 8042)).toBe('http');
    expect(probeProtocol('server', bytes('HTTP/RTSP/1.0 400 Bad Request\r\n'), 8042)).toBeUndefined();
    expect(probeProtocol('server', Uint8Array.of(0x15, 0x03, 0x03, 0, 2, 2, 0x32), 2762)).toBe('tls');
    expect(probeProtocol('server', Uint8Array.of(7, 0, 0, 0, 0, 4, 0, 0, 0, 0), 104)).toBe('dicom');
    const ac = new Uint8Array(42);
    ac.set([2, 0, 0, 0, 0, 0xb8, 0, 1, 0, 0]);
    ac.set(bytes('ANY-SCP         ECHOSCU         '), 10);
    expect(probeProtocol('server', ac, 4242)).toBe('dicom');
    expect(probeProtocol('server', bytes('220 smtp.example ESMTP\r\n'), 25)).toBeUndefined();
    // telnetd's opening (07-telnet-ftp-ssh-mqtt.pcap frame 6) names Telnet on any port; a UTF-16LE text's
    // byte-order mark, also 0xFF first, does not.
    const telnetd = Uint8Array.of(0xff, 0xfb, 0x25, 0xff, 0xfb, 0x26, 0xff, 0xfd, 0x18);
    expect(probeProtocol('server', telnetd, 2323)).toBe('telnet');
    expect(probeProtocol('server', Uint8Array.of(0xff, 0xfe, 0x3c, 0x00, 0x3f, 0x00), 8080)).toBeUndefined();
    expect(probeProtocol('server', Uint8Array.of(0xff, 0xfe, 0x20, 0x00, 0x41, 0x00), 8080)).toBeUndefined();
    expect([
      isHostAddress('10.1.2.3'),
      isHostAddress('224.0.0.251'),
      isHostAddress('ff02::fb'),
      isHostAddress('0.0.0.0'),
    ]).toEqual([true, false, false, false]);
  });

  it('tells host addresses from the rest exactly as the plain-string rule does, for any IPv4 or IPv6 text', () => {
    // The rule as first written (substrings and a regex); the shipped one reads characters in place.
    const rule = (ip: string) => {
      if (!ip || ip === '0.0.0.0' || ip === '255.255.255.255' || ip === '::' || ip === '::1') return false;
      if (ip.includes(':')) return !/^ff/i.test(ip);
      const first = Number(ip.slice(0, ip.indexOf('.')));
      return first !== 127 && first < 224 && !ip.endsWith('.255');
    };
    const octet = fc.integer({ min: 0, max: 255 });
    const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const special = fc.constantFrom('0.0.0.0', '255.255.255.255', '127.0.0.1', '10.0.0.255', '::', '::1', '');
    fc.assert(
      fc.property(fc.oneof(v4, fc.ipV6(), special), (ip) => {
        expect(isHostAddress(ip)).toBe(rule(ip));
      }),
      { numRuns: 5000 },
    );
  });
});

describe.each(DIALECTS)('capture import on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('stores devices, services and findings, never a patient value or password, and re-imports cleanly', async () => {
    vdb = await freshDatabase(dialect);
    const files = [
      '01-dhcp-dns-mdns.pcap',
      'dicom-ct-store.pcap',
      '04-hl7-mllp.pcap',
      '06-http-tls.pcapng',
      '07-telnet-ftp-ssh-mqtt.pcap',
    ];
    for (const f of files) await importSource(vdb, cliActor, fixture(f), { progress: false });
    const ct = await showDevice(vdb, cliActor, '44:4b:5d:c7:21:01');
    expect(ct).toMatchObject({ state: 'staged', deviceClass: 'imaging-ct' });
    // DHCP option 12 and the DNS server's answer both name it.
    expect(ct.hostnames.sort()).toEqual(['ct-rhapsode-01', 'ct-rhapsode-01.sgh.example']);
    expect(ct.dicom).toMatchObject({
      aeTitles: ['CT_RHAPSODE01'],
      implementationVersionName: 'OFFIS_DCMTK_367',
    });
    expect(ct.protocols).toEqual(expect.arrayContaining(['dhcp', 'dicom']));
    const engine = await showDevice(vdb, cliActor, '02:00:5e:30:00:05');
    expect(engine.services).toEqual([
      expect.objectContaining({ port: 2575, transport: 'tcp', protocol: 'hl7', encrypted: false }),
    ]);
    // MSH-3|4|5|6|9|12 of each message: tshark -r 04-hl7-mllp.pcap -Y 'tcp.payload contains "MSH|"' -T fields
    //   -e frame.number -e ip.src -e tcp.payload, the payload decoded. The monitor (10.30.0.41) sends
    //   MONITOR_GW|ICU_EAST|EHR|SGH|ORU^R01^ORU_R01|2.5 (13, 26, 39), the registration system (10.30.0.42)
    //   REG_ADT|SPRINGFIELD_GEN|HL7_ENGINE|SPRINGFIELD_GEN|ADT^A01 (62) and ^A08 (72); the engine answers
    //   each with an ACK naming the sender as receiver (15 … 74), which says nothing of its own names.
    expect(engine.hl7).toEqual({
      sendingApplications: ['EHR', 'HL7_ENGINE'],
      sendingFacilities: ['SGH', 'SPRINGFIELD_GEN'],
      messageTypes: ['ACK^R01', 'ACK^A01', 'ACK^A08'],
      versions: ['2.5'],
      receivingApplications: ['EHR', 'HL7_ENGINE'],
      receivingFacilities: ['SGH', 'SPRINGFIELD_GEN'],
    });
    const monitor = await showDevice(vdb, cliActor, '00:09:5c:41:00:41');
    expect(monitor.hl7).toEqual({
      sendingApplications: ['MONITOR_GW'],
      sendingFacilities: ['ICU_EAST'],
      messageTypes: ['ORU^R01'],
      versions: ['2.5'],
      receivingApplications: [],
      receivingFacilities: [],
    });
    const findings = await listFindings(vdb, cliActor, {});
    expect(findings.map((f) => `${f.type} ${f.subject}`)).toEqual(
      expect.arrayContaining([
        'cleartext-phi hl7:2575',
        'cleartext-phi dicom:104',
        'cleartext-credentials telnet:23',
        'weak-tls tls:4433:TLSv1.0',
      ]),
    );
    const stored = await dump(vdb);
    for (const secret of NEVER_STORED) expect(stored, secret).not.toContain(secret);

    const counts = async () =>
      Promise.all(
        (['devices', 'device_services', 'device_protocols', 'findings'] as const).map(
          async (t) => (await vdb.db.selectFrom(t).select('id').execute()).length,
        ),
      );
    const before = await counts();
    const again = await importSource(vdb, cliActor, fixture('04-hl7-mllp.pcap'), { progress: false });
    // The file is hashed while it is read: the import record carries its SHA-256.
    const record = await vdb.db
      .selectFrom('source_imports')
      .select('sha256')
      .where('id', '=', again.importId)
      .executeTakeFirstOrThrow();
    expect(record.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(fixture('04-hl7-mllp.pcap')))
        .digest('hex'),
    );
    expect(again.devices.staged).toBe(0);
    expect(again.findings.created).toBe(0);
    expect(await counts()).toEqual(before);
  });
});
