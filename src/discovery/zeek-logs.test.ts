import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importSource } from '../cli/commands/import.js';
import { listDevices } from '../inventory/inventory-service.js';
import { readLogLines } from '../monitor/follow-log.js';
import type { VigilDatabase } from '../store/database.js';
import type { FindingObservation, HostObservation, SourceResult } from './host-observation.js';
import { HostTable } from './host-table.js';
import {
  analyzeZeekLogs,
  analyzeZeekPath,
  type LogSource,
  loggedHttp,
  sensorLogKind,
  ZeekLogAnalyzer,
} from './zeek-logs.js';

const dir = (name: string) => fileURLToPath(new URL(`../formats/zeek/fixtures/${name}`, import.meta.url));
const fromFiles = (folder: string, files: string[]): LogSource[] =>
  files.map((f) => ({ file: f, lines: readLogLines(`${dir(folder)}/${f}`).lines }));
async function* linesOf(text: string): AsyncGenerator<string> {
  yield* text.split('\n');
}

const host = (r: SourceResult, ip: string): HostObservation => {
  const h = r.hosts.find((x) => x.ips.includes(ip));
  if (!h) throw new Error(`no host ${ip}`);
  return h;
};
const findings = (r: SourceResult, type: FindingObservation['type']) =>
  r.findings.filter((f) => f.type === type);

describe('Zeek JSON logs (RITA test data)', async () => {
  const r = await analyzeZeekLogs(
    fromFiles('rita-json', ['conn.log', 'dns.log', 'http.log', 'ssl.log', 'open_ssl.log']),
  );

  it('reads every line', () => {
    expect(r.issues).toEqual([]);
    expect(r.stats.logs.map((l) => [l.file, l.format, l.records])).toEqual([
      ['conn.log', 'json', 29],
      ['dns.log', 'json', 12],
      ['http.log', 'json', 10],
      ['ssl.log', 'json', 10],
      ['open_ssl.log', 'json', 20],
    ]);
  });

  it('answered handshakes are services, named by Zeek’s service field', () => {
    expect(host(r, '205.204.101.182').services).toContainEqual(
      expect.objectContaining({ port: 80, transport: 'tcp', protocol: 'http', encrypted: false }),
    );
    expect(host(r, '208.89.12.153').services).toContainEqual(
      expect.objectContaining({ port: 443, transport: 'tcp', protocol: 'tls', encrypted: true }),
    );
    // A UDP responder that answered on a system port (NTP; Zeek named no service).
    expect(host(r, '216.229.4.69').services).toEqual([
      expect.objectContaining({ port: 123, transport: 'udp', protocol: null }),
    ]);
    // Clients offer nothing.
    expect(host(r, '10.55.100.100').services).toEqual([]);
  });

  it('folds connections into flows (conn.log sums, by jq)', () => {
    const flow = r.flows?.find((f) => f.client === '10.55.100.100' && f.server === '205.204.101.182');
    expect(flow).toMatchObject({
      port: 80,
      transport: 'tcp',
      protocol: 'http',
      connections: 4,
      packets: 59,
      bytes: 7835,
      established: true,
      evidence: { source: 'log', file: 'conn.log' },
    });
  });

  it('TLS 1.0 is weak-tls, with the log line as evidence', () => {
    expect(findings(r, 'weak-tls')).toEqual([
      expect.objectContaining({
        host: { ip: '52.44.164.170' },
        subject: 'tls:443:TLSv1.0',
        details: {
          protocol: 'tls',
          port: 443,
          version: 'TLS 1.0',
          cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
        },
        evidence: expect.objectContaining({ source: 'log', file: 'open_ssl.log', packet: 6 }),
      }),
    ]);
  });

  it('Basic credentials are a finding that names no one', () => {
    expect(
      findings(r, 'cleartext-credentials')
        .map((f) => [f.host.ip, f.subject])
        .sort(),
    ).toEqual([
      ['198.11.132.23', 'http-basic:80'],
      ['205.204.101.182', 'http-basic:80'],
    ]);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/johnsmith123|janedoe123|password123|janedoe987/);
    // Request URIs in this log carry long query strings; none reaches the result.
    expect(text).not.toContain('gmkey=');
  });

  it('keeps User-Agent strings as client hints', () => {
    expect(host(r, '10.55.100.100').hints).toContainEqual(
      expect.objectContaining({
        kind: 'http.userAgent',
        value: 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
      }),
    );
  });
});

describe('Zeek TSV logs (RITA proxy): DHCP joins MAC and address', async () => {
  const r = await analyzeZeekLogs(fromFiles('rita-proxy', ['dhcp.log', 'conn.log', 'software.log']));

  it('the leased address and the MAC are one host', () => {
    expect(r.issues).toEqual([]);
    const h = host(r, '192.168.0.15');
    expect(h.macs).toEqual(['f4:8e:38:8b:b6:03']);
    expect(h.protocols).toContain('dhcp');
    expect(host(r, '192.168.0.1').services).toContainEqual(
      expect.objectContaining({ port: 67, transport: 'udp', protocol: 'dhcp' }),
    );
  });

  it('RSTO after a handshake is a service; Zeek’s "http,ssl" is the proxy’s HTTP', () => {
    expect(host(r, '10.136.0.16').services).toEqual([
      expect.objectContaining({ port: 3128, transport: 'tcp', protocol: 'http' }),
    ]);
    // ICMPv6 to a multicast group: a flow with port 0, no host for the group.
    expect(r.flows?.filter((f) => f.transport === 'icmp')).toHaveLength(2);
    expect(r.hosts.some((h) => h.ips.includes('ff02::2'))).toBe(false);
  });
});

describe('TSV and JSON of the same traffic (WRCCDC 2018)', async () => {
  const strip = (res: SourceResult) =>
    JSON.parse(
      JSON.stringify(res, (k, v) => (k === 'file' || k === 'packet' ? undefined : v)),
    ) as SourceResult;
  const tsv = await analyzeZeekLogs(fromFiles('wrccdc2018', ['software.log', 'x509.log', 'notice.log']));
  const json = await analyzeZeekLogs(fromFiles('wrccdc2018', ['software.json', 'x509.json', 'notice.json']));

  it('give the same hosts, hints and findings', () => {
    expect(tsv.issues).toEqual([]);
    expect(json.issues).toEqual([]);
    expect(tsv.hosts.length).toBeGreaterThan(5);
    expect(strip({ hosts: json.hosts, findings: json.findings })).toEqual(
      strip({ hosts: tsv.hosts, findings: tsv.findings }),
    );
  });

  it('software.log: Server strings and the HTTP service behind them', () => {
    const iis = host(tsv, '10.47.3.218');
    expect(iis.hints).toContainEqual(
      expect.objectContaining({ kind: 'http.server', value: 'Microsoft-IIS/7.5' }),
    );
    expect(iis.services).toContainEqual(expect.objectContaining({ port: 80, protocol: 'http' }));
  });

  it('software.log: the service names the Server value’s first product and version; the whole value is the hint', () => {
    const service = (ip: string, port: number) => host(tsv, ip).services.find((s) => s.port === port);
    // Line 31: `Apache/2.4.2 (Win32) OpenSSL/1.0.1c PHP/5.4.4`.
    expect(service('10.47.8.142', 80)).toMatchObject({
      protocol: 'http',
      product: 'Apache',
      version: '2.4.2',
    });
    expect(host(tsv, '10.47.8.142').hints).toContainEqual(
      expect.objectContaining({
        kind: 'http.server',
        value: 'Apache/2.4.2 (Win32) OpenSSL/1.0.1c PHP/5.4.4',
      }),
    );
    // Line 35: `Microsoft-Windows-NT/5.1 UPnP/1.0 UPnP-Device-Host/1.0 Microsoft-HTTPAPI/2.0`.
    expect(service('10.47.23.166', 2869)).toMatchObject({ product: 'Microsoft-Windows-NT', version: '5.1' });
    // Line 12: `Microsoft-IIS/7.5`; line 20: `Apache` (no version).
    expect(service('10.47.3.218', 80)).toMatchObject({ product: 'Microsoft-IIS', version: '7.5' });
    expect(service('10.47.27.80', 80)).toMatchObject({ product: 'Apache', version: null });
  });

  it('a line with a byte that is not UTF-8 is an issue with its line, skipped; the other lines count', async () => {
    // Line 11's "Microsoft-IIS/7.5" with the "." replaced by 0xE9 (é in Windows-1252).
    const bytes = readFileSync(`${dir('wrccdc2018')}/software.log`);
    const at = bytes.indexOf('Microsoft-IIS/7.5', bytes.indexOf('10.47.27.80')) + 'Microsoft-IIS/7'.length;
    bytes[at] = 0xe9;
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-zeek-utf8-'));
    try {
      writeFileSync(join(tmp, 'software.log'), bytes);
      const r = await analyzeZeekPath(join(tmp, 'software.log'));
      expect(r.issues).toEqual([
        { file: 'software.log', line: 11, reason: 'not valid UTF-8 (byte 0xE9 at offset 87 of the line)' },
      ]);
      const good = tsv.stats.logs.find((l) => l.file === 'software.log')!;
      expect(r.stats.logs).toEqual([
        expect.objectContaining({ lines: good.lines, records: good.records - 1, issues: 1 }),
      ]);
      const hints = r.hosts.flatMap((h) => h.hints.map((x) => String(x.value)));
      expect(hints.filter((v) => v.includes('\uFFFD'))).toEqual([]);
      // Line 12 names the same server string for another host and still counts.
      expect(host(r, '10.47.3.218').hints).toContainEqual(
        expect.objectContaining({ kind: 'http.server', value: 'Microsoft-IIS/7.5' }),
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a #fields header that is not UTF-8 is one issue naming it; the next log in the file reads again', async () => {
    // The "h" of "host" in the real #fields line (line 7) replaced by 0xE9, then the undamaged log after
    // it, as when rotated logs are concatenated.
    const real = readFileSync(`${dir('wrccdc2018')}/software.log`);
    const bytes = Buffer.from(real);
    bytes[bytes.indexOf('#fields\tts\thost') + '#fields\tts\t'.length] = 0xe9;
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-zeek-utf8-header-'));
    try {
      writeFileSync(join(tmp, 'software.log'), Buffer.concat([bytes, real]));
      const r = await analyzeZeekPath(join(tmp, 'software.log'));
      // Not one "data line before any #fields header" for each of the 40 rows under it.
      expect(r.issues).toEqual([
        {
          file: 'software.log',
          line: 7,
          reason:
            "the #fields header line is not valid UTF-8 (byte 0xE9 at offset 11 of the line): the log's data lines under it are not read (40 lines)",
        },
      ]);
      const good = tsv.stats.logs.find((l) => l.file === 'software.log')!;
      expect(r.stats.logs).toEqual([
        expect.objectContaining({ lines: good.lines * 2, records: good.records, issues: 1 }),
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('notice.log: notices are hints on the server they concern', () => {
    expect(host(tsv, '10.47.3.200').hints).toContainEqual(
      expect.objectContaining({ kind: 'zeek.notice', value: 'SSL::Invalid_Server_Cert' }),
    );
  });

  it('certificates no ssl.log line points at are counted, not guessed onto hosts', () => {
    expect(tsv.stats.unlinkedCertificates).toBe(40);
    expect(findings(tsv, 'certificate-problem')).toEqual([]);
  });
});

describe('an http.log or EVE http line that carries the Server header', () => {
  // Neither Zeek's default http.log nor Suricata's default EVE logs it (a site script or EVE `custom` does);
  // the value is the one capture 06 carries (`tshark -r 06-http-tls.pcapng -T fields -e http.server`).
  it('names the first product and its version on the service; the whole value is the hint', () => {
    const hosts = new HostTable();
    loggedHttp(hosts, {
      client: '10.20.0.50',
      server: '10.20.0.30',
      port: 80,
      time: 1_795_910_116,
      userAgent: null,
      credentials: null,
      status: 200,
      serverHeader: 'SimpleHTTP/0.6 Python/3.11.2',
      path: '/index.html',
      contentTypes: ['text/html'],
      ev: (summary) => ({ source: 'log', file: 'http.log', summary }),
    });
    const web = hosts.finish().hosts.find((h) => h.ips.includes('10.20.0.30'))!;
    expect(web.services.find((s) => s.port === 80)).toMatchObject({
      protocol: 'http',
      product: 'SimpleHTTP',
      version: '0.6',
    });
    expect(web.hints).toContainEqual(
      expect.objectContaining({ kind: 'http.server', value: 'SimpleHTTP/0.6 Python/3.11.2' }),
    );
  });
});

describe('ssl.log + x509.log (Zeek btest tls-1.2)', () => {
  // btest masks `ts`; the certificate judgement needs a time, so the test puts one back.
  const withTime = (file: string, epoch: number) =>
    readFileSync(`${dir('btest-tls-1.2')}/${file}`, 'utf8').replaceAll(
      'XXXXXXXXXX.XXXXXX',
      `${epoch}.000000`,
    );
  const run = (epoch: number) =>
    analyzeZeekLogs([
      { file: 'ssl.log', lines: linesOf(withTime('ssl.log', epoch)) },
      { file: 'x509.log', lines: linesOf(withTime('x509.log', epoch)) },
    ]);

  it('RC4/MD5 is a weak cipher; the leaf certificate is linked by fingerprint', async () => {
    const r = await run(1_400_000_000);
    expect(r.issues).toEqual([]);
    expect(findings(r, 'weak-tls')).toEqual([
      expect.objectContaining({
        host: { ip: '68.233.76.12' },
        subject: 'tls-cipher:443',
        details: {
          protocol: 'tls',
          port: 443,
          cipherSuite: 'TLS_RSA_WITH_RC4_128_MD5',
          weaknesses: ['rc4', 'md5'],
        },
      }),
    ]);
    const server = host(r, '68.233.76.12');
    expect(server.hints).toContainEqual(
      expect.objectContaining({
        kind: 'tls.certSubject',
        value: expect.stringMatching(/^CN=\*\.taleo\.net,/),
      }),
    );
    expect(findings(r, 'certificate-problem')).toEqual([
      expect.objectContaining({
        subject: 'cert:443',
        details: expect.objectContaining({ problems: ['weak-signature'], expired: false, keyBits: 2048 }),
      }),
    ]);
    expect(r.stats.unlinkedCertificates).toBe(2); // the two CA certificates of the chain
  });

  it('judges expiry at the connection’s time, not today', async () => {
    const r = await run(1_500_000_000);
    expect(findings(r, 'certificate-problem')[0]?.details).toMatchObject({
      problems: ['expired', 'weak-signature'],
      expired: true,
    });
  });
});

describe('dhcp.log, Zeek ≥ 2.6 format (Zeek btest dhcp-all-msg-types)', () => {
  it('the host name and server of one exchange; the address the client then DECLINEd is not its own', async () => {
    // btest masks `ts`; the test puts a time back.
    const text = readFileSync(`${dir('btest-dhcp-all-msg-types')}/dhcp.log`, 'utf8').replaceAll(
      'XXXXXXXXXX.XXXXXX',
      '1400000000.000000',
    );
    const r = await analyzeZeekLogs([{ file: 'dhcp.log', lines: linesOf(text) }]);
    expect(r.issues).toEqual([]);
    // msg_types DISCOVER,OFFER,REQUEST,NAK,REQUEST,ACK,DECLINE: the client found 128.2.6.189 in use, as the
    // packets of the same trace show (zeek-dhcp-decline.pcap, DECLINE frame 7; capture-analyzer tests).
    expect(r.hosts.some((h) => h.ips.includes('128.2.6.189'))).toBe(false);
    const client = r.hosts.find((h) => h.macs.includes('90:b1:1c:99:49:29'))!;
    expect(client.ips).toEqual([]);
    expect(client.hostnames).toEqual(['btest.is.cool']);
    expect(client.hints).toContainEqual(
      expect.objectContaining({ kind: 'dhcp.declinedAddress', value: '128.2.6.189' }),
    );
    expect(client.hints).toContainEqual(
      expect.objectContaining({
        kind: 'dhcp.hostname',
        value: 'btest.is.cool',
        evidence: expect.objectContaining({ packet: 10 }),
      }),
    );
    expect(host(r, '128.2.6.152').services).toEqual([
      expect.objectContaining({ port: 67, transport: 'udp', protocol: 'dhcp' }),
    ]);
  });
});

describe('ftp.log, ssh.log, snmp.log (WRCCDC 2018, TSV and JSON)', async () => {
  const strip = (res: SourceResult) =>
    JSON.parse(
      JSON.stringify(res, (k, v) => (k === 'file' || k === 'packet' ? undefined : v)),
    ) as SourceResult;
  const tsv = await analyzeZeekLogs(fromFiles('wrccdc2018', ['ftp.log', 'ssh.log', 'snmp.log']));
  const json = await analyzeZeekLogs(fromFiles('wrccdc2018', ['ftp.json', 'ssh.json', 'snmp.json']));

  it('reads every line, and both formats give the same hosts and findings', () => {
    expect(tsv.issues).toEqual([]);
    expect(json.issues).toEqual([]);
    expect(tsv.stats.logs.map((l) => [l.file, l.records, l.skipped])).toEqual([
      ['ftp.log', 30, {}],
      ['ssh.log', 22, {}],
      ['snmp.log', 30, {}],
    ]);
    expect(strip({ hosts: json.hosts, findings: json.findings })).toEqual(
      strip({ hosts: tsv.hosts, findings: tsv.findings }),
    );
  });

  it('ftp.log: a cleartext FTP service, and an anonymous login sent in cleartext (captures’ keys)', () => {
    expect(host(tsv, '10.47.27.80').services).toContainEqual(
      expect.objectContaining({ port: 21, transport: 'tcp', protocol: 'ftp', encrypted: false }),
    );
    const ftp = tsv.findings.filter((f) => f.host.ip === '10.47.27.80' && f.subject === 'ftp:21');
    expect(ftp.map((f) => f.type).sort()).toEqual(['cleartext-credentials', 'insecure-protocol']);
    // Three lines of two sessions (ftp.log repeats the login on each command): counted per session.
    expect(ftp.map((f) => f.occurrences)).toEqual([2, 2]);
    expect(ftp.find((f) => f.type === 'cleartext-credentials')).toMatchObject({
      details: { protocol: 'ftp', port: 21, anonymous: true },
      evidence: {
        source: 'log',
        file: 'ftp.log',
        packet: 9,
        summary: 'FTP anonymous login sent in cleartext',
        connection: '10.164.94.120:45905 → 10.47.27.80:21/tcp',
      },
    });
  });

  it('never copies FTP user names, passwords or SNMP communities', () => {
    for (const r of [tsv, json]) {
      const text = JSON.stringify(r);
      expect(text).not.toContain('nessus@nessus.org');
      expect(text).not.toMatch(/:"anonymous"|internal|public/);
    }
  });

  it('ssh.log: the server banner’s product and version, both banners as hints', () => {
    const server = host(tsv, '10.47.8.50');
    expect(server.services).toContainEqual(
      expect.objectContaining({
        port: 22,
        transport: 'tcp',
        protocol: 'ssh',
        encrypted: true,
        product: 'OpenSSH',
        version: '7.4p1',
      }),
    );
    expect(server.hints).toContainEqual(
      expect.objectContaining({ kind: 'ssh.banner', value: 'SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u3' }),
    );
    expect(host(tsv, '10.0.0.227').hints).toContainEqual(
      expect.objectContaining({ kind: 'ssh.banner', value: 'SSH-2.0-OpenSSH_7.6' }),
    );
    // Captures raise nothing for SSH (an SSH-1.5 client banner included); neither do the logs.
    expect(tsv.findings.filter((f) => f.subject.startsWith('ssh'))).toEqual([]);
  });

  it('snmp.log: the agent’s SNMP service, and the v1 community as cleartext credentials', () => {
    expect(host(tsv, '10.0.0.85').services).toContainEqual(
      expect.objectContaining({
        port: 161,
        transport: 'udp',
        protocol: 'snmp',
        version: 'v1',
        encrypted: false,
      }),
    );
    const snmp = tsv.findings.filter((f) => f.host.ip === '10.0.0.85' && f.subject === 'snmp:161');
    expect(snmp.map((f) => f.type).sort()).toEqual(['cleartext-credentials', 'insecure-protocol']);
    // `internal` and `public`, the two communities in use, are both on the capture dissector's default list.
    expect(snmp[0]!.details).toEqual({ protocol: 'snmp', port: 161, version: 'v1', defaultCommunity: true });
    expect(snmp[0]!.evidence.summary).toBe('SNMP v1 community string sent in cleartext');
  });
});

describe('ftp.log, ssh.log, snmp.log (Zeek btest baselines)', () => {
  // btest masks `ts`; the tests put a time back.
  const read = (folder: string, file: string): LogSource => ({
    file,
    lines: linesOf(
      readFileSync(`${dir(folder)}/${file}`, 'utf8').replaceAll('XXXXXXXXXX.XXXXXX', '1400000000.000000'),
    ),
  });

  it('ftp: a hidden password is still a login sent in cleartext; user names are not kept', async () => {
    const r = await analyzeZeekLogs([
      read('btest-ftp-password-hidden', 'ftp.log'),
      read('btest-ftp-ipv4', 'ftp.log'),
    ]);
    expect(r.issues).toEqual([]);
    const creds = findings(r, 'cleartext-credentials').map((f) => [f.host.ip, f.subject, f.details]);
    expect(creds.sort()).toEqual([
      ['192.168.10.188', 'ftp:21', { protocol: 'ftp', port: 21, anonymous: false }],
      ['199.233.217.249', 'ftp:21', { protocol: 'ftp', port: 21, anonymous: true }],
    ]);
    // Six command lines of one session: one login.
    expect(findings(r, 'cleartext-credentials').map((f) => f.occurrences)).toEqual([1, 1]);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/Admin|<hidden>|"test"|:"anonymous"/);
    expect(text).not.toContain('robots.txt');
  });

  it('ftp: logins refused with 530 (USER/PASS logged) count towards failed-login, as in captures', async () => {
    // One real refused login (USER → 331, PASS → 530); below the threshold it raises nothing.
    const once = await analyzeZeekLogs([read('btest-ftp-password-shown', 'ftp.log')]);
    expect(once.issues).toEqual([]);
    expect(findings(once, 'failed-login')).toEqual([]);
    // The same refusal logged five times (five attempts of one client, e.g. over five rotated files).
    const five = await analyzeZeekLogs(
      [1, 2, 3, 4, 5].map((n) => ({ ...read('btest-ftp-password-shown', 'ftp.log'), file: `ftp.${n}.log` })),
    );
    expect(findings(five, 'failed-login')).toEqual([
      expect.objectContaining({
        host: { ip: '192.168.10.188' },
        subject: 'ftp:21:192.168.10.132',
        occurrences: 5,
        details: { protocol: 'ftp', port: 21, client: '192.168.10.132', failures: 5, threshold: 5 },
        evidence: expect.objectContaining({
          file: 'ftp.1.log',
          packet: 11,
          summary: 'FTP login refused (530) (first of 5 from 192.168.10.132)',
        }),
        lastEvidence: expect.objectContaining({ file: 'ftp.5.log', packet: 11 }),
      }),
    ]);
    // The password Zeek logged in clear is never copied.
    expect(JSON.stringify(five)).not.toMatch(/qwerty|Admin/);
  });

  it('ssh: banners of a version-1.99 client and a curve25519 exchange', async () => {
    const r = await analyzeZeekLogs([
      read('btest-ssh-version-199', 'ssh.log'),
      read('btest-ssh-curve25519', 'ssh.log'),
    ]);
    expect(r.issues).toEqual([]);
    expect(host(r, '10.0.0.2').services).toEqual([
      expect.objectContaining({ port: 22, protocol: 'ssh', product: 'Cisco', version: '1.25' }),
    ]);
    expect(host(r, '10.0.0.1').hints).toContainEqual(
      expect.objectContaining({ kind: 'ssh.banner', value: 'SSH-1.99-Cisco-1.25' }),
    );
    expect(host(r, '192.168.1.32').services).toEqual([
      expect.objectContaining({ port: 22, protocol: 'ssh', product: 'OpenSSH', version: '7.5' }),
    ]);
    expect(r.findings).toEqual([]);
  });

  it('snmp: SNMPv3 has no community (Zeek logs the user name there): no finding, nothing copied', async () => {
    // The btest runs over loopback, which is no host; the test moves it to a LAN address.
    const text = readFileSync(`${dir('btest-snmp-v3')}/snmp.log`, 'utf8')
      .replaceAll('XXXXXXXXXX.XXXXXX', '1400000000.000000')
      .replaceAll('127.0.0.1', '10.1.2.3');
    const r = await analyzeZeekLogs([{ file: 'snmp.log', lines: linesOf(text) }]);
    expect(r.issues).toEqual([]);
    expect(host(r, '10.1.2.3').services).toEqual([
      expect.objectContaining({
        port: 161,
        transport: 'udp',
        protocol: 'snmp',
        version: 'v3',
        encrypted: null,
      }),
    ]);
    expect(r.findings).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('username');
  });
});

describe('bad lines and directories', () => {
  it('a broken conn.log line is reported with file and line; the rest still counts', async () => {
    const lines = readFileSync(`${dir('rita-json')}/conn.log`, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 40);
    const r = await analyzeZeekLogs([{ file: 'conn.log', lines: linesOf(lines.join('\n')) }]);
    expect(r.issues).toEqual([{ file: 'conn.log', line: 3, reason: expect.stringMatching(/^not JSON/) }]);
    expect(r.stats.records).toBe(28);
    expect(r.flows?.length).toBeGreaterThan(10);
  });

  it('an absurd duration or byte count is reported with its line, not an internal error', async () => {
    // Found by fuzzing: duration 1e20 put the connection's end past what a date holds and the whole
    // analysis stopped with "Invalid time value".
    const lines = readFileSync(`${dir('rita-json')}/conn.log`, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(/"duration": [0-9.]+/, '"duration": 1e20');
    lines[4] = lines[4]!.replace(/"orig_bytes": \d+/, '"orig_bytes": 1e308');
    lines[6] = lines[6]!.replace(/"ts": [0-9.]+/, '"ts": 253402300800'); // 10000-01-01T00:00:00Z
    const r = await analyzeZeekLogs([{ file: 'conn.log', lines: linesOf(lines.join('\n')) }]);
    expect(r.issues.map((i) => [i.line, i.reason])).toEqual([
      [2, expect.stringMatching(/^conn record: duration: /)],
      [5, expect.stringMatching(/^conn record: orig_bytes: /)],
      [7, 'conn record: ts: not a time: 253402300800'],
    ]);
    expect(r.stats.records).toBe(26);
  });

  it('a directory is one source; evidence names each log file', async () => {
    const r = await analyzeZeekPath(dir('rita-proxy'));
    expect(r.stats.logs.map((l) => l.file)).toEqual(['conn.log', 'dhcp.log', 'software.log']);
    expect(r.stats.logs.every((l) => /^[0-9a-f]{64}$/.test(l.sha256 ?? ''))).toBe(true);
    expect(host(r, '192.168.0.15').macs).toEqual(['f4:8e:38:8b:b6:03']);
  });

  it('records can be fed one by one (live following uses the same analyzer)', () => {
    const a = new ZeekLogAnalyzer();
    a.record(
      {
        log: 'notice',
        ts: '2018-03-24T17:15:20.629Z',
        uid: null,
        origH: '10.164.94.120',
        origP: 39611,
        respH: '10.47.3.200',
        respP: 443,
        proto: 'tcp',
        note: 'SSL::Invalid_Server_Cert',
        src: '10.164.94.120',
        dst: '10.47.3.200',
        port: 443,
      },
      'notice.log',
      9,
    );
    const [server, ...rest] = a.finish().hosts;
    expect(rest).toEqual([]);
    expect(server).toMatchObject({
      ips: ['10.47.3.200'],
      hints: [
        {
          kind: 'zeek.notice',
          value: 'SSL::Invalid_Server_Cert',
          evidence: {
            source: 'log',
            file: 'notice.log',
            packet: 9,
            connection: '10.164.94.120:39611 → 10.47.3.200:443/tcp',
          },
        },
      ],
    });
  });
});

describe.each(DIALECTS)('a log line with a bad address, imported on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it.each([
    ['software.log', 21, 'software record: host: not an IP address: 10.47.8.21(', '10.47.27.80'],
    ['ftp.json', 1, 'ftp record: id.resp_h: not an IP address: 10.47.27.80(', '10.47.27.80'],
  ])('%s: the line is an issue, every other line is imported', async (file, line, reason, kept) => {
    // Was: the bad address became a host with no usable key and the whole file was refused ("An observation
    // needs at least a MAC, IP …", nothing imported).
    vdb = await freshDatabase(dialect);
    const r = await importSource(vdb, cliActor, `${dir('wrccdc2018-bad-address')}/${file}`, {
      progress: false,
    });
    expect(r.issues).toEqual([{ file, line, reason }]);
    expect(r.devices.staged).toBeGreaterThan(0);
    const ips = (await listDevices(vdb, cliActor, {}, { pageSize: 100 })).items.flatMap((d) => d.ips);
    expect(ips).toContain(kept);
    expect(ips.some((ip) => ip.includes('('))).toBe(false);
  });
});

describe.each(DIALECTS)('a log line with an address no device is keyed by, imported on %s', (dialect) => {
  let vdb: VigilDatabase;
  let tmp: string | undefined;
  afterEach(async () => {
    await vdb?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('IPv6 spellings of loopback are a valid addr but no host; the rest of the file is imported', async () => {
    // Valid Zeek addrs the capture test takes for hosts but the inventory refuses (IPv4-mapped loopback,
    // loopback written out): such a host had no key and the whole file was refused.
    const lines = readFileSync(`${dir('wrccdc2018')}/ssh.json`, 'utf8').split('\n');
    lines[0] = lines[0]!.replace('"id.resp_h":"10.47.8.50"', '"id.resp_h":"::ffff:127.0.0.1"');
    lines[1] = lines[1]!.replace('"id.resp_h":"10.47.27.186"', '"id.resp_h":"0:0:0:0:0:0:0:1"');
    tmp = mkdtempSync(join(tmpdir(), 'vigil-zeek-'));
    writeFileSync(join(tmp, 'ssh.json'), lines.join('\n'));
    vdb = await freshDatabase(dialect);
    const r = await importSource(vdb, cliActor, join(tmp, 'ssh.json'), { progress: false });
    expect(r.issues).toEqual([]);
    expect(r.devices.staged).toBeGreaterThan(0);
    const ips = (await listDevices(vdb, cliActor, {}, { pageSize: 100 })).items.flatMap((d) => d.ips);
    expect(ips).toContain('10.0.0.227');
    expect(ips).not.toContain('127.0.0.1');
  });
});

describe('sensorLogKind', () => {
  it('tells Zeek TSV, Zeek JSON, EVE and gzip archives apart by content', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-sniff-'));
    try {
      writeFileSync(
        join(tmp, 'dhcp.09:00:00-10:00:00.log.gz'),
        gzipSync(readFileSync(`${dir('rita-proxy')}/dhcp.log`)),
      );
      writeFileSync(join(tmp, 'notes.log'), 'just some text\n');
      expect(await sensorLogKind(`${dir('rita-proxy')}/conn.log`)).toBe('zeek');
      expect(await sensorLogKind(`${dir('wrccdc2018')}/x509.json`)).toBe('zeek');
      expect(await sensorLogKind(join(tmp, 'dhcp.09:00:00-10:00:00.log.gz'))).toBe('zeek');
      expect(
        await sensorLogKind(fileURLToPath(new URL('../formats/suricata/fixtures/eve.json', import.meta.url))),
      ).toBe('eve');
      expect(await sensorLogKind(join(tmp, 'notes.log'))).toBeNull();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('recognises a gzip archive whose first 16 KiB inflate to more than 64 KiB', async () => {
    // Real Zeek JSON archives compress this well: wrccdc2018's software.json.gz is 10 KiB for 110 KiB.
    const tmp = mkdtempSync(join(tmpdir(), 'vigil-sniff-'));
    try {
      const x509 = readFileSync(`${dir('wrccdc2018')}/x509.json`);
      const archive = gzipSync(Buffer.concat(Array.from({ length: 200 }, () => x509)));
      expect(archive.length).toBeGreaterThan(16 * 1024);
      writeFileSync(join(tmp, 'x509.json.gz'), archive);
      expect(await sensorLogKind(join(tmp, 'x509.json.gz'))).toBe('zeek');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
