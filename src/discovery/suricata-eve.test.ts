import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { importSource } from '../cli/commands/import.js';
import { listDevices, showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { applySourceResult } from './apply-source-result.js';
import type { FindingObservation, HostObservation, SourceResult } from './host-observation.js';
import { analyzeEve, analyzeEvePath, rfc4514 } from './suricata-eve.js';

// Real Suricata 7.0.10 output over the shared hospital-LAN captures (see fixtures/PROVENANCE.md).
const path = fileURLToPath(new URL('../formats/suricata/fixtures/eve.json', import.meta.url));

const host = (r: SourceResult, ip: string): HostObservation => {
  const h = r.hosts.find((x) => x.ips.includes(ip));
  if (!h) throw new Error(`no host ${ip}`);
  return h;
};
const finding = (r: SourceResult, type: FindingObservation['type'], subject: string) =>
  r.findings.find((f) => f.type === type && f.subject === subject);

describe('Suricata EVE as a discovery source', async () => {
  const r = await analyzeEvePath(path);

  it('reads the file and says what it skipped', () => {
    expect(r.issues).toEqual([]);
    expect(r.stats.logs).toEqual([
      expect.objectContaining({ file: 'eve.json', lines: 102, records: 101, skipped: { stats: 1 } }),
    ]);
  });

  it('dhcp: the CT and the ECG by MAC, leased address and host name', () => {
    const ct = host(r, '10.20.0.21');
    expect(ct.macs).toEqual(['44:4b:5d:c7:21:01']);
    expect(ct.hostnames).toContain('ct-rhapsode-01');
    expect(ct.hints).toContainEqual(
      expect.objectContaining({ kind: 'dhcp.hostname', value: 'CT-RHAPSODE-01' }),
    );
    expect(host(r, '10.20.0.23').macs).toEqual(['00:0f:82:ec:60:23']);
    expect(host(r, '10.20.0.1').services).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ port: 53, transport: 'udp', protocol: 'dns' }),
        expect.objectContaining({ port: 67, transport: 'udp', protocol: 'dhcp' }),
      ]),
    );
  });

  it('dns: names of addresses, CNAME targets under their own name, IPv6 canonical', () => {
    expect(host(r, '10.20.0.10').hostnames).toContain('pacs.sgh.example');
    expect(host(r, '10.20.0.11').hostnames).toContain('orthanc.sgh.example');
    expect(host(r, '10.20.0.11').hostnames).not.toContain('worklist.sgh.example');
  });

  it('flow: the legacy device’s listening services, Telnet and FTP as findings', () => {
    const legacy = host(r, '10.20.0.40');
    expect(legacy.services.map((s) => `${s.port}/${s.transport} ${s.protocol}`)).toEqual([
      '21/tcp ftp',
      '22/tcp ssh',
      '23/tcp telnet',
      '1883/tcp mqtt',
      '30002/tcp ftp-data',
    ]);
    expect(finding(r, 'insecure-protocol', 'telnet:23')).toMatchObject({
      host: { ip: '10.20.0.40' },
      evidence: { source: 'log', file: 'eve.json', connection: expect.stringContaining('10.20.0.40:23') },
    });
    expect(finding(r, 'insecure-protocol', 'ftp:21')).toBeDefined();
  });

  it('flow: folded conversations (numbers as in the EVE flow event)', () => {
    expect(r.flows?.find((f) => f.server === '10.20.0.40' && f.port === 23)).toMatchObject({
      client: '10.20.0.50',
      transport: 'tcp',
      protocol: 'telnet',
      connections: 1,
      packets: 18 + 14,
      bytes: 1359 + 1074,
      established: true,
      firstSeen: '2026-11-28T23:55:20.401Z',
    });
  });

  it('tls: TLS 1.0 on 4433 is weak-tls; self-signed certificates; SNI and subject hints', () => {
    expect(finding(r, 'weak-tls', 'tls:4433:TLSv1.0')).toMatchObject({
      host: { ip: '10.20.0.30' },
      details: { protocol: 'tls', port: 4433, version: 'TLS 1.0' },
      evidence: { packet: 50 },
    });
    expect(finding(r, 'certificate-problem', 'cert:8443')?.details).toMatchObject({
      problems: ['self-signed'],
    });
    const web = host(r, '10.20.0.30');
    expect(web.hints).toContainEqual(expect.objectContaining({ kind: 'tls.sni', value: 'pacs.sgh.example' }));
    expect(web.hints).toContainEqual(
      expect.objectContaining({
        kind: 'tls.certSubject',
        value: 'CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital',
      }),
    );
    // TLS 1.3 on 443 and 2762 is not weak.
    expect(r.findings.filter((f) => f.type === 'weak-tls')).toHaveLength(1);
  });

  it('http: User-Agent hints and the Orthanc patient query in cleartext, without its query string', () => {
    expect(host(r, '10.20.0.50').hints).toContainEqual(
      expect.objectContaining({
        kind: 'http.userAgent',
        value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SGH-Workstation',
      }),
    );
    expect(finding(r, 'cleartext-phi', 'http:8042')).toMatchObject({
      host: { ip: '10.20.0.11' },
      details: { protocol: 'http', port: 8042, path: '/patients' },
    });
    expect(JSON.stringify(r)).not.toContain('?expand');
    expect(host(r, 'fd00:20::30').services).toContainEqual(
      expect.objectContaining({ port: 80, protocol: 'http' }),
    );
  });

  it('alert: signatures are hints on the targeted host', () => {
    expect(host(r, '10.20.0.40').hints).toContainEqual(
      expect.objectContaining({
        kind: 'suricata.alert',
        value: '9000001 VIGIL-TEST Telnet connection to port 23',
      }),
    );
  });
});

describe('bad EVE lines', () => {
  it('a line with a byte that is not UTF-8 is an issue with its line, skipped; the other events count', async () => {
    // Line 1's DHCP hostname "CT-RHAPSODE-01" with its "O" replaced by 0xD6 (Ö in Windows-1252).
    const bytes = readFileSync(path);
    const at = bytes.indexOf('CT-RHAPSODE-01') + 'CT-RHAPS'.length;
    bytes[at] = 0xd6;
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-eve-utf8-'));
    try {
      writeFileSync(join(tmp, 'eve.json'), bytes);
      const r = await analyzeEvePath(join(tmp, 'eve.json'));
      expect(r.issues).toEqual([
        {
          file: 'eve.json',
          line: 1,
          reason: expect.stringMatching(/^not valid UTF-8 \(byte 0xD6 at offset \d+/),
        },
      ]);
      expect(r.stats.logs).toEqual([expect.objectContaining({ lines: 102, records: 100, issues: 1 })]);
      expect(r.hosts.flatMap((h) => h.hostnames).filter((n) => n.includes('\uFFFD'))).toEqual([]);
      // The ECG's lease (line 2) still counts.
      expect(host(r, '10.20.0.23').macs).toEqual(['00:0f:82:ec:60:23']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('are reported with file and line; the other events still count', async () => {
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[0] = lines[0]!.slice(0, 60);
    async function* src() {
      yield* lines;
    }
    const r = await analyzeEve([{ file: 'eve.json', lines: src() }]);
    expect(r.issues).toEqual([{ file: 'eve.json', line: 1, reason: expect.stringMatching(/^not JSON/) }]);
    // The CT's DHCP ACK was line 1; the ECG's (line 2) still gives its lease.
    expect(host(r, '10.20.0.23').macs).toEqual(['00:0f:82:ec:60:23']);
    expect(r.hosts.some((h) => h.macs.includes('44:4b:5d:c7:21:01'))).toBe(false);
  });
});

describe('rfc4514', () => {
  it('turns OpenSSL one-line order into RFC 4514 order', () => {
    expect(rfc4514('O=Springfield General Hospital, OU=Radiology, CN=pacs.sgh.example')).toBe(
      'CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital',
    );
    expect(rfc4514('CN=a, b')).toBe('CN=a, b');
  });
});

describe.each(DIALECTS)('EVE into the inventory on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('stages the devices with services and findings, recorded as an eve import', async () => {
    vdb = await freshDatabase(dialect);
    const r = await analyzeEvePath(path);
    const report = await applySourceResult(vdb, cliActor, r, {
      kind: 'eve',
      file: 'eve.json',
      stats: r.stats,
    });
    expect(report.unresolved).toEqual([]);
    const ct = await showDevice(vdb, cliActor, '44:4b:5d:c7:21:01');
    expect(ct).toMatchObject({
      state: 'staged',
      ips: ['10.20.0.21'],
      hostnames: ['ct-rhapsode-01', 'ct-rhapsode-01.sgh.example'],
    });
    const services = await vdb.db
      .selectFrom('device_services')
      .select(['port', 'transport', 'protocol', 'source'])
      .where('port', '=', 23)
      .execute();
    expect(services).toEqual([{ port: 23, transport: 'tcp', protocol: 'telnet', source: 'capture' }]);
    const findings = await vdb.db.selectFrom('findings').select(['type', 'subject']).execute();
    expect(findings).toContainEqual({ type: 'weak-tls', subject: 'tls:4433:TLSv1.0' });
    const [imp] = await vdb.db.selectFrom('source_imports').selectAll().execute();
    expect(imp).toMatchObject({ kind: 'eve', file: 'eve.json', status: 'done' });
    expect(JSON.parse(imp!.stats).logs[0]).toMatchObject({ file: 'eve.json', records: 101 });
    const [audit] = await listAudit(vdb, { action: 'eve.import' });
    expect(audit?.summary).toMatchObject({ file: 'eve.json' });
  });
});

describe.each(DIALECTS)('EVE events with odd or bad addresses, imported on %s', (dialect) => {
  let vdb: VigilDatabase;
  let tmp: string | undefined;
  afterEach(async () => {
    await vdb?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a bad address is one line’s issue; loopback spellings name no host; IPv4-mapped is the IPv4 host', async () => {
    // eve.json (real Suricata output) with one address per line edited. Was: `::ffff:127.0.0.1` or an A
    // answer of `1.2.3.999` became a host the inventory has no key for, and the whole file was refused
    // ("An observation needs at least a MAC, IP …"); `::ffff:10.20.0.40` made a second host beside 10.20.0.40.
    const lines = readFileSync(path, 'utf8').split('\n');
    const edit = (line: number, from: string, to: string) => {
      expect(lines[line - 1]).toContain(from);
      lines[line - 1] = lines[line - 1]!.replaceAll(from, to);
    };
    edit(4, '"10.20.0.10"', '"1.2.3.999"'); // dns answer (answers[] and grouped)
    edit(53, '"dest_ip":"10.20.0.30"', '"dest_ip":"::ffff:127.0.0.1"'); // tls flow
    edit(55, '"dest_ip":"10.20.0.11"', '"dest_ip":"0:0:0:0:0:0:0:1"'); // http flow
    edit(58, '"src_ip":"10.20.0.50"', '"src_ip":"10.47.8.21("');
    edit(59, '"src_ip":"10.20.0.50"', '"src_ip":""');
    edit(60, '"dest_ip":"10.20.0.30"', '"dest_ip":167772161');
    edit(81, '"dest_ip":"10.20.0.40"', '"dest_ip":"::ffff:10.20.0.40"'); // the telnet flow
    tmp = mkdtempSync(join(tmpdir(), 'vigil-eve-'));
    writeFileSync(join(tmp, 'eve.json'), lines.join('\n'));
    vdb = await freshDatabase(dialect);
    const r = await importSource(vdb, cliActor, join(tmp, 'eve.json'), { progress: false });
    expect(r.issues).toEqual([
      { file: 'eve.json', line: 58, reason: 'flow event: src_ip: not an IP address: 10.47.8.21(' },
      { file: 'eve.json', line: 59, reason: 'flow event: src_ip: not an IP address: (empty)' },
      { file: 'eve.json', line: 60, reason: 'flow event: dest_ip: not an IP address: 167772161' },
    ]);
    expect(r.hosts).toBe(14);
    const ips = (await listDevices(vdb, cliActor, {}, { pageSize: 100 })).items.flatMap((d) => d.ips);
    expect(ips.sort()).toEqual([
      '10.20.0.1',
      '10.20.0.10',
      '10.20.0.11',
      '10.20.0.21',
      '10.20.0.22',
      '10.20.0.23',
      '10.20.0.30',
      '10.20.0.40',
      '10.20.0.50',
      '10.20.0.60',
      'fd00:20::11',
      'fd00:20::30',
      'fd00:20::50',
      'fd00:20::60',
    ]);
    // The telnet flow logged with the mapped address still names 10.20.0.40's service.
    const telnet = await vdb.db.selectFrom('device_services').select('port').where('port', '=', 23).execute();
    expect(telnet).toHaveLength(1);
  });
});

describe('Suricata EVE ftp, ssh and snmp events (real Suricata 7.0.10 output)', () => {
  const fixture = (name: string) =>
    fileURLToPath(new URL(`../formats/suricata/fixtures/${name}`, import.meta.url));
  const text = (name: string) => readFileSync(fixture(name), 'utf8');

  it('07 capture: the vsFTPd greeting, the anonymous login, the refused one, and both SSH banners', async () => {
    const r = await analyzeEvePath(fixture('telnet-ftp-ssh.eve.json'));
    expect(r.issues).toEqual([]);
    const ftp = host(r, '10.20.0.40');
    expect(ftp.services).toContainEqual(
      expect.objectContaining({
        port: 21,
        protocol: 'ftp',
        encrypted: false,
        product: 'vsFTPd',
        version: '3.0.3',
      }),
    );
    expect(ftp.hints).toContainEqual(
      expect.objectContaining({ kind: 'ftp.banner', value: '(vsFTPd 3.0.3)' }),
    );
    // Two FTP connections; the anonymous one sent a password (its USER was refused in the other).
    expect(finding(r, 'cleartext-credentials', 'ftp:21')).toMatchObject({
      details: { protocol: 'ftp', port: 21, anonymous: true },
      occurrences: 1,
      evidence: {
        source: 'log',
        file: 'telnet-ftp-ssh.eve.json',
        summary: 'FTP anonymous login sent in cleartext',
      },
    });
    // insecure-protocol once per connection, from the flow events (as before these events were read).
    expect(finding(r, 'insecure-protocol', 'ftp:21')?.occurrences).toBe(2);
    // One refusal stays below the failed-login threshold.
    expect(r.findings.filter((f) => f.type === 'failed-login')).toEqual([]);
    expect(ftp.services).toContainEqual(
      expect.objectContaining({
        port: 22,
        protocol: 'ssh',
        encrypted: true,
        product: 'OpenSSH',
        version: '9.2p1',
      }),
    );
    expect(
      host(r, '10.20.0.50')
        .hints.filter((h) => h.kind === 'ssh.banner')
        .map((h) => h.value)
        .sort(),
    ).toEqual(['SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-PuTTY_Release_0.78']);
    // Passwords, user names and file names the events carry are not copied.
    const out = JSON.stringify(r);
    for (const secret of ['ftp@example.com', 'radtech', 'census_today.csv'])
      expect(out).not.toContain(secret);
  });

  it('Zeek’s FTP brute-force trace: eight refused sessions from one client → one failed-login', async () => {
    const r = await analyzeEvePath(fixture('ftp-bruteforce.eve.json'));
    expect(r.findings.filter((f) => f.type === 'failed-login')).toEqual([
      expect.objectContaining({
        host: { ip: '192.168.56.101' },
        subject: 'ftp:21:192.168.56.1',
        occurrences: 8,
        details: { protocol: 'ftp', port: 21, client: '192.168.56.1', failures: 8, threshold: 5 },
      }),
    ]);
    expect(finding(r, 'cleartext-credentials', 'ftp:21')).toMatchObject({
      details: { anonymous: false },
      occurrences: 8,
    });
    expect(host(r, '192.168.56.101').services).toContainEqual(
      expect.objectContaining({ port: 21, protocol: 'ftp', product: 'Linux-ftpd', version: '0.17' }),
    );
    expect(JSON.stringify(r)).not.toMatch(/"bro"|command_data/);
  });

  it('the anonymous NetBSD login, with its multi-line replies', async () => {
    const r = await analyzeEvePath(fixture('ftp-anonymous.eve.json'));
    expect(r.issues).toEqual([]);
    expect(finding(r, 'cleartext-credentials', 'ftp:21')).toMatchObject({
      host: { ip: '199.233.217.249' },
      details: { anonymous: true },
      occurrences: 1,
    });
    expect(host(r, '199.233.217.249').hints).toContainEqual(
      expect.objectContaining({
        kind: 'ftp.banner',
        value: 'ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.',
      }),
    );
  });

  it('snmp: agents and versions; v1/v2c communities as cleartext credentials, not v3', async () => {
    const r = await analyzeEvePath(fixture('snmp.eve.json'));
    expect(r.issues).toEqual([]);
    expect(host(r, '172.31.19.73').services).toEqual([
      expect.objectContaining({
        port: 161,
        transport: 'udp',
        protocol: 'snmp',
        version: 'v1',
        encrypted: false,
      }),
    ]);
    expect(host(r, '10.10.3.109').services).toEqual([
      expect.objectContaining({
        port: 161,
        transport: 'udp',
        protocol: 'snmp',
        version: 'v2c',
        encrypted: false,
      }),
    ]);
    const creds = r.findings.filter((f) => f.type === 'cleartext-credentials');
    expect(creds.map((f) => [f.host.ip, f.subject, f.details]).sort()).toEqual([
      ['10.10.3.109', 'snmp:161', { protocol: 'snmp', port: 161, version: 'v2c', defaultCommunity: true }],
      ['172.31.19.73', 'snmp:161', { protocol: 'snmp', port: 161, version: 'v1', defaultCommunity: true }],
    ]);
    // Four v1 requests, each a community sent.
    expect(creds.find((f) => f.host.ip === '172.31.19.73')?.occurrences).toBe(4);
    // SNMPv3 (127.0.0.1 is not a host address anyway) raises nothing.
    expect(r.findings.filter((f) => f.host.ip === '127.0.0.1')).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('public');
  });

  it('a documented default login the server accepted is default-credentials, as in the capture; refused ones are not', async () => {
    const r = await analyzeEvePath(fixture('ftp-default-logins.eve.json'));
    expect(r.issues).toEqual([]);
    expect(r.findings.filter((f) => f.type === 'default-credentials')).toEqual([
      expect.objectContaining({
        host: { ip: '10.79.0.1' },
        subject: 'ftp:21:raspberry-pi',
        evidence: expect.objectContaining({
          file: 'ftp-default-logins.eve.json',
          summary: expect.stringMatching(
            /^ftp login with the documented default credentials of Raspberry Pi Ltd .*\(accepted\)$/,
          ),
        }),
        details: expect.objectContaining({
          protocol: 'ftp',
          port: 21,
          entry: 'raspberry-pi',
          loginResult: 'accepted',
        }),
      }),
    ]);
    expect(finding(r, 'cleartext-credentials', 'ftp:21')?.occurrences).toBe(3);
    const out = JSON.stringify(r);
    for (const secret of ['raspberry"', 'wrong-password', '"pass"', '"pi"'])
      expect(out).not.toContain(secret);
  });

  it('mqtt (mosquitto): what the capture analyzer finds in the same traffic, nothing of the password or the patient', async () => {
    const r = await analyzeEvePath(fixture('mqtt-mosquitto.eve.json'));
    expect(r.issues).toEqual([]);
    expect(host(r, '10.77.0.1').services).toEqual([
      expect.objectContaining({ port: 1883, transport: 'tcp', protocol: 'mqtt', encrypted: false }),
    ]);
    const client = host(r, '10.77.0.2');
    expect(client.protocols).toContain('mqtt');
    expect(client.hints.filter((h) => h.kind === 'mqtt.clientId').map((h) => h.value)).toEqual(
      expect.arrayContaining(['infusion-gw-01', 'pump-7', 'legacy-monitor', 'nurse-station']),
    );
    // The same four findings as src/discovery/capture-analyzer-protocols.test.ts on the capture.
    expect(r.findings.map((f) => `${f.type} ${f.host.ip} ${f.subject}`).sort()).toEqual([
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
    expect(r.findings.find((f) => f.type === 'default-credentials')?.details).toMatchObject({
      entry: 'hikvision-admin',
      loginResult: 'accepted',
    });
    expect(finding(r, 'cleartext-credentials', 'mqtt:1883')?.details).toEqual({
      protocol: 'mqtt',
      port: 1883,
      usernameSent: true,
      passwordSent: true,
    });
    const out = JSON.stringify(r);
    for (const secret of ['"12345"', 'Doe^Jane', 'MRN12345', '123456789', 'JOHNSON'])
      expect(out).not.toContain(secret);
  });

  it('smb (Samba): SMBv1 negotiated is insecure-protocol, SMB 3.1.1 is not; dialects and native OS as captures name them', async () => {
    const r = await analyzeEvePath(fixture('smb-samba.eve.json'));
    expect(r.issues).toEqual([]);
    // The two Samba sessions, rewritten onto LAN addresses (test/fixtures/dissect/smb/PROVENANCE.md).
    expect(host(r, '10.30.0.5').services).toEqual([
      expect.objectContaining({ port: 4450, transport: 'tcp', protocol: 'smb', version: 'NT LANMAN 1.0' }),
    ]);
    expect(host(r, '10.30.0.6').services).toEqual([
      expect.objectContaining({ port: 4450, transport: 'tcp', protocol: 'smb', version: '3.1.1' }),
    ]);
    expect(r.findings.map((f) => `${f.type} ${f.host.ip} ${f.subject}`)).toEqual([
      'insecure-protocol 10.30.0.5 smbv1:4450',
    ]);
    expect(finding(r, 'insecure-protocol', 'smbv1:4450')).toMatchObject({
      details: { protocol: 'smb', port: 4450, dialect: 'NT LANMAN 1.0' },
      evidence: { summary: 'SMBv1 negotiated (NT LANMAN 1.0)' },
    });
    expect(host(r, '10.30.0.5').hints).toContainEqual(
      expect.objectContaining({ kind: 'smb.os', value: 'Windows 6.1' }),
    );
    expect(host(r, '10.30.0.9').hints).toContainEqual(
      expect.objectContaining({ kind: 'smb.os', value: 'Unix' }),
    );
  });

  it('a malformed ftp, ssh or snmp event is named by file and line; the good ones are kept', async () => {
    const good = text('snmp.eve.json').split('\n').filter(Boolean);
    const bad = [
      '{"timestamp":"2009-11-17T18:21:12.450230+0000","event_type":"snmp","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"UDP","snmp":{"version":"two"}}',
      '{"timestamp":"2009-11-17T18:21:12.450230+0000","event_type":"ftp","src_ip":"10.0.0.1","dest_ip":"nope","proto":"TCP","ftp":{}}',
      '{"timestamp":"2009-11-17T18:21:12.450230+0000","event_type":"ssh","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","ssh":{"server":{"proto_version":2}}}',
    ];
    const r = await analyzeEve([
      {
        file: 'mixed.json',
        lines: (async function* () {
          yield* [...good, ...bad];
        })(),
      },
    ]);
    expect(r.issues.map((i) => i.line)).toEqual([good.length + 1, good.length + 2, good.length + 3]);
    expect(r.issues.every((i) => i.file === 'mixed.json')).toBe(true);
    expect(r.findings.filter((f) => f.type === 'cleartext-credentials')).toHaveLength(2);
  });
});
