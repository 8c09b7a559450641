/**
 * The capture analyzer on MQTT, DHCPv6, FTP data connections, repeated failed logins and default
 * credentials, end to end on real captures: mosquitto, dnsmasq/dhclient and vsftpd traffic recorded between
 * two network namespaces (test/fixtures/dissect/{mqtt,dhcpv6,ftp-data}, PROVENANCE.md there) and Zeek's
 * FTP brute force trace. No patient value, password or user name of a failed login reaches the result.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture, probeProtocol } from './capture-analyzer.js';
import { FAILED_LOGIN_THRESHOLD } from './failed-logins.js';

const fixture = (path: string) => join(import.meta.dirname, '../../test/fixtures', path);
const PATIENT = ['Doe', 'Jane', 'MRN12345', '19780101', 'JOHNSON', '724-0433'];

describe('capture analyzer: MQTT', () => {
  it('broker service, cleartext MQTT, credentials, default credentials and an HL7 message in a PUBLISH', async () => {
    const r = await analyzeCapture(fixture('dissect/mqtt/mosquitto-veth.pcap'), { file: 'mqtt.pcap' });
    const broker = r.hosts.find((h) => h.ips.includes('10.77.0.1'))!;
    expect(broker.services).toEqual([
      expect.objectContaining({ port: 1883, transport: 'tcp', protocol: 'mqtt', encrypted: false }),
    ]);
    const client = r.hosts.find((h) => h.ips.includes('10.77.0.2'))!;
    expect(client.protocols).toContain('mqtt');
    expect(client.hints.filter((h) => h.kind === 'mqtt.clientId').map((h) => h.value)).toEqual(
      expect.arrayContaining(['infusion-gw-01', 'pump-7', 'legacy-monitor', 'nurse-station']),
    );
    const subjects = r.findings.map((f) => `${f.type} ${f.host.ip} ${f.subject}`).sort();
    expect(subjects).toEqual([
      'cleartext-credentials 10.77.0.1 mqtt:1883',
      'cleartext-phi 10.77.0.2 mqtt:1883',
      'default-credentials 10.77.0.1 mqtt:1883:hikvision-admin',
      'insecure-protocol 10.77.0.1 mqtt:1883',
    ]);
    const phi = r.findings.find((f) => f.type === 'cleartext-phi')!;
    expect(phi.details).toMatchObject({
      protocol: 'mqtt',
      topic: 'ward/icu/hl7/adt',
      payload: 'HL7',
      segments: ['PID', 'NK1'],
    });
    expect(phi.evidence.summary).toMatch(/^HL7 ADT\^A04 with PID, NK1 in cleartext: MQTT PUBLISH/);
    const dflt = r.findings.find((f) => f.type === 'default-credentials')!;
    expect(dflt.details).toMatchObject({
      entry: 'hikvision-admin',
      vendor: 'Hikvision',
      loginResult: 'accepted',
    });
    const json = JSON.stringify(r);
    for (const secret of [...PATIENT, '"12345"', 'admin:']) expect(json).not.toContain(secret);
  });

  it("08-nmap-scan: mosquitto's $SYS/broker/version puts product and version on its MQTT service, as nmap -sV does", async () => {
    const r = await analyzeCapture(fixture('monitor/08-nmap-scan.pcap'), { file: '08-nmap-scan.pcap' });
    const broker = r.hosts.find((h) => h.ips.includes('10.20.0.40'))!;
    // tshark frame 2252: PUBLISH $SYS/broker/version "mosquitto version 2.0.11" (nmap's mqtt-subscribe)
    expect(broker.services.find((s) => s.port === 1883)).toMatchObject({
      protocol: 'mqtt',
      encrypted: false,
      product: 'mosquitto',
      version: '2.0.11',
    });
    expect(broker.hints.filter((h) => h.kind === 'mqtt.brokerVersion')).toEqual([
      expect.objectContaining({
        value: 'mosquitto version 2.0.11',
        evidence: expect.objectContaining({ packet: 2252 }),
      }),
    ]);
    // the other $SYS payloads (uptime "99 seconds", load averages …) are nowhere in the result
    expect(JSON.stringify(r)).not.toContain('99 seconds');
  });

  it('probes MQTT from a CONNECT on any port, and from port 1883', () => {
    const connect = Uint8Array.from([
      0x10, 0x10, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 4, 0x61, 0x62, 0x63, 0x64,
    ]);
    expect(probeProtocol('client', connect, 9999)).toBe('mqtt');
    expect(probeProtocol('server', Uint8Array.from([0x20, 2, 0, 0]), 1883)).toBe('mqtt');
    expect(probeProtocol('client', Uint8Array.from([0x10, 2, 0, 0]), 9999)).toBeUndefined();
  });
});

describe('capture analyzer: FTP data connections', () => {
  it('an HL7 file uploaded after EPSV, PASV and PORT: cleartext-phi ftp-data:HL7 naming the control connection', async () => {
    const r = await analyzeCapture(fixture('dissect/ftp-data/vsftpd-hl7-upload.pcap'), { file: 'ftp.pcap' });
    const phi = r.findings.filter((f) => f.type === 'cleartext-phi');
    expect(phi).toHaveLength(1);
    const f = phi[0]!;
    expect(f).toMatchObject({ host: { ip: '10.78.0.2' }, subject: 'ftp-data:HL7', occurrences: 3 });
    expect(f.evidence.connection).toMatch(/^10\.78\.0\.2:\d+ → 10\.78\.0\.1:21\/tcp$/);
    expect(f.evidence.summary).toMatch(
      /FTP data connection 10\.78\.0\.2:\d+ → 10\.78\.0\.1:30005\/tcp \(after EPSV\)/,
    );
    expect(f.lastEvidence?.summary).toMatch(/→ 10\.78\.0\.2:\d+\/tcp \(after PORT\)/);
    expect(f.details).toMatchObject({
      protocol: 'ftp-data',
      port: 21,
      payload: 'HL7',
      segments: ['PID', 'NK1'],
    });
    expect(r.hosts.find((h) => h.ips.includes('10.78.0.1'))!.services).toEqual(
      expect.arrayContaining([expect.objectContaining({ port: 21, protocol: 'ftp', product: 'vsFTPd' })]),
    );
    // The data connections' ephemeral ports (the server's after EPSV and PASV, the client's after PORT)
    // listened for one transfer each: they are no services of either host.
    const tcpServices = (ip: string) =>
      (r.hosts.find((h) => h.ips.includes(ip))?.services ?? [])
        .filter((s) => s.transport === 'tcp')
        .map((s) => s.port);
    expect(tcpServices('10.78.0.1')).toEqual([21]);
    expect(tcpServices('10.78.0.2')).toEqual([]);
    for (const secret of [...PATIENT, 'biomed@example.org']) expect(JSON.stringify(r)).not.toContain(secret);
  });
});

describe('capture analyzer: patient fields in JSON and CSV payloads', () => {
  it('07: a census CSV sent over FTP data and a pump JSON over MQTT, named by field, never by value', async () => {
    const r = await analyzeCapture(fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), { file: '07.pcap' });
    const phi = r.findings.filter((f) => f.type === 'cleartext-phi');
    expect(phi.map((f) => `${f.host.ip} ${f.subject} ${JSON.stringify(f.details['fields'])}`).sort()).toEqual(
      ['10.20.0.40 ftp-data:CSV ["MRN","DOB"]', '10.20.0.60 mqtt:1883 ["mrn"]'],
    );
    const mqtt = phi.find((f) => f.subject === 'mqtt:1883')!;
    // tshark: frame 137 is the PUBLISH to sgh/icu/e214/pump whose JSON carries "mrn".
    expect(mqtt.evidence).toMatchObject({
      packet: 137,
      summary: 'JSON with patient fields mrn in cleartext: MQTT PUBLISH to sgh/icu/e214/pump',
    });
    expect(mqtt.details).toMatchObject({ protocol: 'mqtt', payload: 'JSON' });
    // tshark: frame 66 carries the census file (101 bytes on 10.20.0.40:30002); 68 and 69 close the
    // connection. The evidence names the packet with the data, not the FIN that ended it.
    const ftp = phi.find((f) => f.subject === 'ftp-data:CSV')!;
    expect(ftp.evidence).toMatchObject({ packet: 66, time: '2026-11-28T23:55:27.460Z' });
    const out = JSON.stringify(r);
    for (const value of ['MRN00482913', 'HARTMANN', 'OKAFOR', '19670314', 'heparin'])
      expect(out).not.toContain(value);
  });
});

describe('capture analyzer: failed logins', () => {
  it(`Zeek's FTP brute force: 30 refused logins from one client → one failed-login finding (threshold ${FAILED_LOGIN_THRESHOLD})`, async () => {
    const r = await analyzeCapture(fixture('dissect/ftp-data/zeek-ftp-bruteforce.pcap'), {
      file: 'bruteforce.pcap',
    });
    const failed = r.findings.filter((f) => f.type === 'failed-login');
    expect(failed).toHaveLength(1);
    const f = failed[0]!;
    expect(f).toMatchObject({
      host: { ip: '192.168.56.101' },
      subject: 'ftp:21:192.168.56.1',
      occurrences: 30,
      details: {
        protocol: 'ftp',
        port: 21,
        client: '192.168.56.1',
        failures: 30,
        threshold: FAILED_LOGIN_THRESHOLD,
      },
    });
    expect(f.evidence.summary).toBe('FTP login refused (530) (first of 30 from 192.168.56.1)');
    expect(f.lastEvidence!.packet).toBeGreaterThan(f.evidence.packet!);
    // the guessed user name and passwords appear nowhere in this finding
    expect(JSON.stringify(f)).not.toMatch(/"bro"|username/);
  });

  it('one refused Telnet login and one refused FTP user stay below the threshold', async () => {
    const r = await analyzeCapture(fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), { file: '07.pcap' });
    expect(r.findings.filter((f) => f.type === 'failed-login')).toEqual([]);
  });

  it('HTTP Basic answered 200 is no failed login (basic-auth-with-colon)', async () => {
    const r = await analyzeCapture(fixture('captures/zeek-rawip4-basic-auth.pcap'), { file: 'basic.pcap' });
    expect(r.findings.map((f) => f.type)).toContain('cleartext-credentials');
    expect(r.findings.filter((f) => f.type === 'failed-login' || f.type === 'default-credentials')).toEqual(
      [],
    );
  });
});

describe('capture analyzer: FTP default logins', () => {
  it('vsftpd: the Raspberry Pi default accepted is a finding; the refused Axis default and a wrong password are not', async () => {
    const r = await analyzeCapture(fixture('dissect/ftp-login/vsftpd-default-logins.pcap'), {
      file: 'logins.pcap',
    });
    expect(r.findings.filter((f) => f.type === 'default-credentials')).toEqual([
      expect.objectContaining({
        host: expect.objectContaining({ ip: '10.79.0.1' }),
        subject: 'ftp:21:raspberry-pi',
        details: expect.objectContaining({
          protocol: 'ftp',
          port: 21,
          entry: 'raspberry-pi',
          loginResult: 'accepted',
        }),
      }),
    ]);
    const out = JSON.stringify(r);
    for (const secret of ['raspberry"', 'wrong-password', '"pass"']) expect(out).not.toContain(secret);
  });
});

describe('capture analyzer: SMB dialects', () => {
  it('Samba: SMBv1 negotiated is insecure-protocol smbv1:PORT; SMB 3.1.1 is not', async () => {
    const nt1 = await analyzeCapture(fixture('dissect/smb/samba-nt1-lan.pcap'), { file: 'nt1.pcap' });
    expect(nt1.findings.map((f) => `${f.type} ${f.host.ip} ${f.subject}`)).toEqual([
      'insecure-protocol 10.30.0.5 smbv1:4450',
    ]);
    const server = nt1.hosts.find((h) => h.ips.includes('10.30.0.5'))!;
    expect(server.services).toEqual([
      expect.objectContaining({ port: 4450, protocol: 'smb', version: 'NT LANMAN 1.0' }),
    ]);
    const smb3 = await analyzeCapture(fixture('dissect/smb/samba-smb1-to-smb3-lan.pcap'), {
      file: 'smb3.pcap',
    });
    expect(smb3.findings).toEqual([]);
    // Its SMB1 NEGOTIATE was answered with the SMB2 wildcard (2.???); the SMB2 NEGOTIATE chose 3.1.1.
    expect(smb3.hosts.find((h) => h.ips.includes('10.30.0.6'))!.services).toEqual([
      expect.objectContaining({ port: 4450, protocol: 'smb', version: '3.1.1' }),
    ]);
  });
});

describe('capture analyzer: DHCPv6', () => {
  it('binds the client by the MAC in its DUID: name, vendor class, ORO, the assigned address; the server by port 547', async () => {
    const r = await analyzeCapture(fixture('dissect/dhcpv6/dnsmasq-dhclient.pcap'), { file: 'dhcpv6.pcap' });
    const client = r.hosts.find((h) => h.macs.includes('02:00:5e:77:00:02'))!;
    expect(client.ips).toEqual(expect.arrayContaining(['fd00:77::1a6']));
    expect(client.hostnames).toContain('infusion-pump-7.ward7.example.org');
    expect(client.protocols).toContain('dhcpv6');
    const hint = (kind: string) => client.hints.filter((h) => h.kind === kind).map((h) => h.value);
    expect(hint('dhcpv6.vendorEnterprise')).toEqual(['32473']);
    expect(hint('dhcpv6.vendorClass')).toEqual(['vigil-test-pump']);
    expect(hint('dhcpv6.userClass')).toEqual(['ward-7a']);
    expect(hint('dhcpv6.oro')).toEqual(['23,24', '23,24,39,31']);
    expect(hint('dhcpv6.fqdn')).toEqual(['infusion-pump-7']);
    const server = r.hosts.find((h) => h.macs.includes('02:00:5e:77:00:01'))!;
    expect(server.services).toEqual([
      expect.objectContaining({ port: 547, transport: 'udp', protocol: 'dhcpv6' }),
    ]);
    expect(server.hints.find((h) => h.kind === 'dhcpv6.duidEnterprise')?.value).toBe('32473');
  });
});

describe('capture analyzer: servers known by how they answer', () => {
  it("a page without a status line answering an HTTP request is an HTTP service; the conversation is HTTP's", async () => {
    // socat serving HTML with no status line to curl --http0.9 and to a one-line HTTP/0.9 request, and
    // "ready" as plain text (test/fixtures/dissect/http/PROVENANCE.md).
    const r = await analyzeCapture(fixture('dissect/http/bare-html.pcap'), { file: 'bare-html.pcap' });
    const server = r.hosts.find((h) => h.ips.includes('10.79.0.1'))!;
    expect(server.services).toEqual([
      expect.objectContaining({ port: 80, transport: 'tcp', protocol: 'http', encrypted: false }),
    ]);
    expect(server.protocols).toContain('http');
    expect(r.flows!.find((f) => f.server === '10.79.0.1' && f.port === 80)).toMatchObject({
      protocol: 'http',
      connections: 3,
    });
  });

  it("a server's A-ABORT records its DICOM service, once, whether it aborts a probe or its own association", async () => {
    // storescp aborting nmap's RDP probe (tshark frame 1387 of 08-nmap-scan.pcap): no association, yet a
    // DICOM server on 104.
    const probes = await analyzeCapture(fixture('captures/nmap-probes-answered-otherwise.pcap'), {
      file: 'probes.pcap',
    });
    const storescp = probes.hosts.find((h) => h.ips.includes('10.20.0.10'))!;
    expect(storescp.services.find((s) => s.port === 104)).toMatchObject({
      protocol: 'dicom',
      encrypted: false,
    });
    expect(storescp.protocols).toContain('dicom');
    expect(storescp.dicom).toBeUndefined(); // no association: no AE title, nothing else to say
    // storescp --abort-after: accepted, then aborted after the C-STORE-RQ. One service, one association.
    const r = await analyzeCapture(fixture('captures/dicom-abort-in-association.pcap'), {
      file: 'abort.pcap',
    });
    const scp = r.hosts.find((h) => h.ips.includes('10.79.1.1'))!;
    expect(scp.services).toEqual([
      expect.objectContaining({
        port: 11112,
        protocol: 'dicom',
        encrypted: false,
        product: 'OFFIS_DCMTK_367',
      }),
    ]);
    expect(scp.dicom!.aeTitles).toEqual(['STORESCP']);
    expect(r.dicomAssociations).toEqual([expect.objectContaining({ outcome: 'accepted', port: 11112 })]);
  });
});

describe('capture analyzer: SSL 2.0', () => {
  it("Zeek's ssl-v2.pcap: weak-tls for SSL 2.0 with the server's offer, and for the cipher CLIENT-MASTER-KEY chose", async () => {
    const r = await analyzeCapture(fixture('dissect/tls/zeek-ssl-v2.pcap'), { file: 'ssl-v2.pcap' });
    const weak = r.findings.filter((f) => f.type === 'weak-tls' && f.host.ip === '91.227.4.92');
    expect(weak.map((f) => f.subject).sort()).toEqual(['tls-cipher:443', 'tls:443:SSLv2']);
    const version = weak.find((f) => f.subject === 'tls:443:SSLv2')!;
    // tshark: SERVER-HELLO (frame 6) lists six kinds; it chooses none
    expect(version.details).toEqual({
      protocol: 'tls',
      port: 443,
      version: 'SSL 2.0',
      offeredCipherSuites: [
        'SSL2_DES_192_EDE3_CBC_WITH_MD5',
        'SSL2_RC2_128_CBC_WITH_MD5',
        'SSL2_RC4_128_WITH_MD5',
        'SSL2_DES_64_CBC_WITH_MD5',
        'SSL2_RC2_128_CBC_EXPORT40_WITH_MD5',
        'SSL2_RC4_128_EXPORT40_WITH_MD5',
      ],
    });
    // tshark: CLIENT-MASTER-KEY (frame 8) Cipher Spec SSL2_DES_192_EDE3_CBC_WITH_MD5 (0x0700c0)
    const cipher = weak.find((f) => f.subject === 'tls-cipher:443')!;
    expect(cipher.details).toEqual({
      protocol: 'tls',
      port: 443,
      cipherSuite: 'SSL2_DES_192_EDE3_CBC_WITH_MD5',
      weaknesses: ['3des', 'md5'],
    });
    expect(cipher.evidence).toMatchObject({
      packet: 8,
      summary: expect.stringContaining('SSL 2.0 CLIENT-MASTER-KEY'),
    });
  });
});

describe('capture analyzer: a client’s protocols', () => {
  const protocolsOf = async (path: string, ip: string) =>
    (await analyzeCapture(fixture(path), { file: path })).hosts.find((h) => h.ips.includes(ip))!.protocols;

  it('07: the workstation took part in Telnet and FTP, whose servers speak first, as well as SSH', async () => {
    // `tshark -r 07-telnet-ftp-ssh-mqtt.pcap -Y "ip.addr==10.20.0.50 && tcp.len>0"`: ftp, ftp-data, ssh, telnet.
    expect(await protocolsOf('captures/07-telnet-ftp-ssh-mqtt.pcap', '10.20.0.50')).toEqual([
      'ftp',
      'ssh',
      'telnet',
    ]);
  });

  it('08: the scanner’s are those its targets answered in; its SMB negotiate to HTTP and DICOM ports is not SMB', async () => {
    // tshark finds no smb/smb2/nbss: nmap's SMB probe went to 8042 (answered `HTTP/1.0 400`), 4242 and 104.
    // The conversations tshark names with the scanner and Vigil dissects: dicom ftp http mqtt ssh telnet tls.
    expect(await protocolsOf('monitor/08-nmap-scan.pcap', '10.20.0.99')).toEqual([
      'dicom',
      'ftp',
      'http',
      'mqtt',
      'ssh',
      'telnet',
      'tls',
    ]);
  });
});
