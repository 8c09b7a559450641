import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import type { HostObservation } from './host-observation.js';
import { decodeNmapBanner, type NmapImportResult, parseNmapXml, readNmapXml } from './nmap-xml.js';

const FIXTURES = new URL('../../test/fixtures/nmap/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));
const parse = (name: string) => parseNmapXml(fixture(name), { file: name });
const byIp = (r: NmapImportResult, ip: string): HostObservation => {
  const h = r.hosts.find((x) => x.ips.includes(ip));
  if (!h) throw new Error(`no host ${ip}`);
  return h;
};
const subjects = (r: NmapImportResult, ip: string) =>
  r.findings
    .filter((f) => f.host.ip === ip)
    .map((f) => `${f.type} ${f.subject}`)
    .sort();

describe('parseNmapXml on the shared medical LAN scan (nmap 7.93 -sV, dicom-ping, ssl-cert, banner)', () => {
  const r = parse('sgh-medical-lan.xml');

  it('reads the four scanned hosts once each (hosthint records are not hosts)', () => {
    expect(r.hosts.map((h) => h.ips[0])).toEqual(['10.20.0.10', '10.20.0.11', '10.20.0.30', '10.20.0.40']);
    expect(r.issues).toEqual([]);
    expect(r.scan).toMatchObject({
      version: '7.93',
      start: '2026-11-28T23:55:32.000Z',
      finished: '2026-11-28T23:56:49.000Z',
    });
    expect(byIp(r, '10.20.0.40')).toMatchObject({
      macs: ['00:a0:aa:5b:00:40'],
      firstSeen: '2026-11-28T23:55:33.000Z',
      lastSeen: '2026-11-28T23:56:49.000Z',
    });
  });

  it('maps open ports to services with Vigil protocol names and encryption', () => {
    const svc = (ip: string) =>
      byIp(r, ip).services.map((s) => [s.port, s.protocol, s.product, s.version, s.encrypted]);
    expect(svc('10.20.0.10')).toEqual([
      [104, 'dicom', null, null, false],
      [2762, 'dicom', null, null, true],
    ]);
    // 8042 is Orthanc's REST API, which nmap 7.93 does not recognise: only a port-table guess, so no protocol.
    expect(svc('10.20.0.11')).toEqual([
      [4242, 'dicom', null, null, false],
      [8042, null, null, null, null],
    ]);
    expect(svc('10.20.0.30')).toEqual([
      [80, 'http', 'SimpleHTTPServer', '0.6', false],
      [443, 'http', 'OpenSSL s_server -www httpd', null, true],
      [4433, 'http', 'OpenSSL s_server -www httpd', null, true],
      [8443, 'http', 'OpenSSL s_server -www httpd', null, true],
    ]);
    expect(svc('10.20.0.40')).toEqual([
      [21, 'ftp', 'vsftpd', '3.0.3', false],
      [22, 'ssh', 'OpenSSH', '9.2p1 Debian 2+deb12u10', true],
      [23, 'telnet', null, null, false],
      [1883, 'mqtt', 'mosquitto', '2.0.11', false],
    ]);
    expect(byIp(r, '10.20.0.40').protocols).toEqual(['ftp', 'ssh', 'telnet', 'mqtt']);
    expect(byIp(r, '10.20.0.40').services[1]?.cpes).toEqual([
      'cpe:/a:openbsd:openssh:9.2p1',
      'cpe:/o:linux:linux_kernel',
    ]);
  });

  it('traces every service to the scan with a readable summary', () => {
    expect(byIp(r, '10.20.0.10').services[0]?.evidence).toEqual({
      source: 'scanner',
      file: 'sgh-medical-lan.xml',
      time: '2026-11-28T23:55:33.000Z',
      summary: 'nmap -sV: 10.20.0.10 104/tcp open dicom',
    });
    expect(byIp(r, '10.20.0.10').services[1]?.evidence.summary).toBe(
      'nmap -sV: 10.20.0.10 2762/tcp open ssl/dicom-tls (port-number guess)',
    );
  });

  it('keeps banners, certificate subjects and dicom-ping verdicts as fingerprint hints', () => {
    const hints = (ip: string) => byIp(r, ip).hints.map((h) => `${h.kind}=${h.value}`);
    expect(hints('10.20.0.40')).toEqual(
      expect.arrayContaining([
        'nmap.macVendor=Spacelabs Medical',
        'oui.vendor=SPACELABS MEDICAL',
        'ftp.banner=220 (vsFTPd 3.0.3)',
        'ssh.banner=SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10',
        'nmap.serviceOs=Linux',
      ]),
    );
    // The telnet "banner" is only option negotiation: no text, no hint.
    expect(hints('10.20.0.40').some((h) => h.startsWith('telnet.banner'))).toBe(false);
    expect(hints('10.20.0.10')).toEqual(
      expect.arrayContaining([
        'dicom.ping=Any AET is accepted (Insecure)',
        'tls.certSubject=CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital',
      ]),
    );
    expect(hints('10.20.0.30')).toContain('http.server=SimpleHTTP/0.6 Python/3.11.2');
  });

  it('fingerprints the hosts from that evidence', () => {
    const legacy = byIp(r, '10.20.0.40').identity;
    expect(legacy.manufacturer).toMatchObject({ value: 'Spacelabs Healthcare', confidence: 0.35 });
    expect(legacy.os).toMatchObject({ value: 'Linux', confidence: 0.7 });
    expect(legacy.osVersion?.value).toBe('Debian 12');
    expect(legacy.os?.evidence.summary).toContain('ssh.banner');
    expect(byIp(r, '10.20.0.10').identity.deviceClass).toMatchObject({ value: 'pacs', confidence: 0.3 });
  });

  it('reports Telnet, FTP and the weak certificate as findings', () => {
    expect(subjects(r, '10.20.0.40')).toEqual(['insecure-protocol ftp:21', 'insecure-protocol telnet:23']);
    expect(subjects(r, '10.20.0.30')).toEqual([
      'certificate-problem cert:443',
      'certificate-problem cert:4433',
      'certificate-problem cert:8443',
    ]);
    const weak = r.findings.find((f) => f.subject === 'cert:4433');
    expect(weak?.details).toMatchObject({
      problems: ['rsa-1024-bit-key', 'weak-signature:sha1WithRSAEncryption', 'self-signed'],
      keyBits: 1024,
      commonName: 'infusion-gw.sgh.example',
    });
    expect(weak?.host).toEqual({ ip: '10.20.0.30', mac: '02:00:5e:20:00:30' });
    expect(r.findings.find((f) => f.subject === 'telnet:23')?.evidence.summary).toBe(
      'nmap: Telnet open on 23/tcp: logins and sessions travel in cleartext',
    );
  });

  it('keeps no key material, certificate bodies or script dumps', () => {
    const json = JSON.stringify(r);
    expect(json).not.toContain('BEGIN CERTIFICATE');
    expect(json).not.toContain('915A0EC62B193F44'); // RSA modulus of the PACS certificate
    expect(json).not.toContain('0634cdcd820120a4'); // its SHA-1 fingerprint
    expect(json).not.toContain('$SYS/broker'); // mqtt-subscribe dump
  });
});

describe('parseNmapXml on loopback scans of real servers (nmap 7.93 -sV -O, generated by make-fixtures.sh)', () => {
  const r = parse('loopback-services.xml');
  const host = r.hosts[0]!;

  it('takes the OS from the best OS match with confidence = accuracy', () => {
    expect(r.hosts).toHaveLength(1);
    expect(host.identity.os).toMatchObject({ value: 'Linux', confidence: 0.97 });
    expect(host.identity.osVersion).toMatchObject({ value: '5.X', confidence: 0.97 });
    expect(host.identity.os?.evidence.summary).toBe('nmap -O: OS match "Linux 5.0 - 5.2" at 97% accuracy');
    expect(host.hints.filter((h) => h.kind === 'nmap.os').map((h) => h.value)).toEqual([
      'Linux 5.0 - 5.2 (97%)',
      'Linux 3.1 (95%)',
      'Linux 3.2 (95%)',
    ]);
  });

  it('finds TLS 1.0, the weak certificate, cleartext admin UI, Telnet and anonymous FTP', () => {
    expect(subjects(r, '127.0.0.1')).toEqual([
      'certificate-problem cert:14433',
      'certificate-problem cert:18443',
      'insecure-protocol ftp:12121',
      'insecure-protocol http-admin:18080',
      'insecure-protocol telnet:12323',
      'weak-tls tls:14433:TLSv1.0',
    ]);
    expect(r.findings.find((f) => f.subject === 'ftp:12121')?.details.anonymousLogin).toBe(true);
    expect(r.findings.find((f) => f.subject === 'http-admin:18080')?.details.title).toBe(
      'Device Admin Login',
    );
    expect(r.findings.find((f) => f.subject === 'cert:18443')?.details.problems).toEqual(['self-signed']);
  });

  it('reports SNMPv1 without ever showing the community that answered', () => {
    const snmp = parse('loopback-snmp.xml');
    expect(snmp.hosts[0]?.services).toMatchObject([
      { port: 16161, transport: 'udp', protocol: 'snmp', encrypted: false },
    ]);
    expect(snmp.findings).toMatchObject([
      {
        type: 'insecure-protocol',
        subject: 'snmp:16161',
        details: { versions: ['v1'], defaultCommunityAccepted: true },
      },
    ]);
    expect(snmp.hosts[0]?.hints.find((h) => h.kind === 'snmp.sysDescr')?.value).toBe('Loopback test agent');
    // nmap's extrainfo="public" is the community string: it must not appear anywhere.
    expect(JSON.stringify(snmp)).not.toMatch(/\bpublic\b/);
  });
});

describe('parseNmapXml on python-libnmap test scans', () => {
  it('reads SMB host scripts: SMBv1 finding and the SMB OS as a hint', () => {
    const r = parse('extra_ports.xml');
    expect(subjects(r, '172.28.1.3')).toEqual(
      expect.arrayContaining([
        'insecure-protocol smbv1:445',
        'insecure-protocol ftp:21',
        'insecure-protocol telnet:23',
      ]),
    );
    const h = r.hosts[0]!;
    expect(h.hints.find((x) => x.kind === 'smb.os')?.value).toBe('Windows 5.1');
    // nmap -O (100%) outranks the SMB claim; the disagreement stays visible.
    expect(h.identity.os).toMatchObject({ value: 'Linux', confidence: 1 });
    expect(h.hints.find((x) => x.kind === 'candidate.os')?.value).toBe('Windows');
    // telnet on 23 is only nmap's port-table guess: the finding says so.
    expect(r.findings.find((f) => f.subject === 'telnet:23')?.details.detection).toBe('port-table');
  });

  it('skips hosts that are down and keeps those that are up', () => {
    const r = parse('full_sudo6.xml');
    expect(r.hosts.map((h) => h.ips[0])).toEqual([
      '192.168.1.1',
      '192.168.1.2',
      '192.168.1.5',
      '192.168.1.3',
    ]);
    // "Mac OS X 10.8 or iOS 5.0.1": classes disagree on the device type, so none is claimed.
    const mac = byIp(r, '192.168.1.3');
    expect(mac.identity.os?.value).toBe('macOS');
    expect(mac.identity.deviceClass).toBeUndefined();
  });

  it('reads XML output version 1.02 (osclass beside osmatch)', () => {
    const r = parse('os_scan5.xml');
    const h = byIp(r, '192.168.1.1');
    expect(h.identity.os).toMatchObject({ value: 'Linux', confidence: 1 });
    expect(h.hints.some((x) => x.kind === 'nmap.osClass' && x.value.startsWith('Chumby|embedded'))).toBe(
      true,
    );
  });

  it('reads a ping scan: a host with no ports', () => {
    const r = parse('1_host_ping.xml');
    expect(r.hosts).toMatchObject([{ ips: ['172.28.1.3'], macs: ['02:42:ac:1c:01:03'], services: [] }]);
  });
});

describe('bad input', () => {
  const text = fixture('sgh-medical-lan.xml').toString('utf8');

  it('refuses a document that is not nmap output, naming the file', () => {
    const err = catchError(() => parse('defused_et_included.xml'));
    expect(err).toBeInstanceOf(VigilError);
    expect(err).toMatchObject({ code: 'invalid_input' });
    expect(err.issues[0]).toMatchObject({ file: 'defused_et_included.xml', line: 2 });
    expect(err.issues[0]?.reason).toMatch(/root element is <root>/);
  });

  it('refuses empty input', () => {
    const err = catchError(() => parseNmapXml('', { file: 'empty.xml' }));
    expect(err.issues[0]).toMatchObject({ file: 'empty.xml', reason: expect.stringMatching(/root element/) });
  });

  it('does not expand external entities (XXE)', () => {
    const xxe =
      '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<nmaprun><host>&x;</host></nmaprun>';
    const err = catchError(() => parseNmapXml(xxe, { file: 'xxe.xml' }));
    expect(err.issues[0]).toMatchObject({ file: 'xxe.xml', line: 3 });
    expect(err.issues[0]?.reason).toMatch(/undefined entity/);
    expect(JSON.stringify(err.issues)).not.toContain('root:');
  });

  it('returns the hosts read before a truncation, with an issue naming file, line and column', () => {
    const cut = text.indexOf('<address addr="10.20.0.40"', text.indexOf('<host starttime'));
    const r = parseNmapXml(text.slice(0, cut + 10), { file: 'cut.xml' });
    expect(r.hosts.map((h) => h.ips[0])).toEqual(['10.20.0.10', '10.20.0.11', '10.20.0.30']);
    expect(r.issues).toHaveLength(2);
    expect(r.issues[0]).toMatchObject({
      file: 'cut.xml',
      line: expect.any(Number),
      offset: expect.any(Number),
    });
    expect(r.issues[0]?.reason).toMatch(/column \d+/);
    expect(r.issues[1]?.reason).toMatch(/host record starting here was cut off/);
  });

  it('stops at a byte that is not UTF-8, naming its offset, instead of storing a mangled address', async () => {
    const bytes = fixture('sgh-medical-lan.xml');
    // Damage the third host's address: 10.20.0.30 → 10.20\xff0.30.
    const at = bytes.indexOf('<address addr="10.20.0.30"', bytes.indexOf('<host starttime')) + 21;
    const damaged = Buffer.from(bytes);
    damaged[at] = 0xff;
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    // Whole, and in small chunks (a stream), the same answer.
    const chunks = (async function* () {
      for (let i = 0; i < damaged.length; i += 7) yield damaged.subarray(i, i + 7);
    })();
    for (const r of [
      parseNmapXml(damaged, { file: 'damaged.xml' }),
      await readNmapXml(chunks, { file: 'damaged.xml' }),
    ]) {
      expect(r.hosts.map((h) => h.ips)).toEqual([['10.20.0.10'], ['10.20.0.11']]);
      expect(r.issues[0]).toEqual({
        file: 'damaged.xml',
        line,
        offset: at,
        reason: 'byte 0xff is not UTF-8: nothing from here on is read',
      });
      expect(r.issues[1]?.reason).toMatch(/host record starting here was cut off/);
    }
  });

  it('refuses a file cut before the first host is complete', () => {
    const cut = text.indexOf('<port protocol="tcp" portid="104">');
    const err = catchError(() => parseNmapXml(text.slice(0, cut), { file: 'cut.xml' }));
    expect(err).toMatchObject({ code: 'invalid_input' });
    expect(err.issues[0]).toMatchObject({ file: 'cut.xml' });
  });

  it('stops at the first XML error and keeps what came before', () => {
    const broken = text.replace(
      '<host starttime="1795910133" endtime="1795910209"><status state="up" reason="arp-response" reason_ttl="0"/>\n<address addr="10.20.0.30"',
      '<host <<',
    );
    const r = parseNmapXml(broken, { file: 'broken.xml' });
    expect(r.hosts.map((h) => h.ips[0])).toEqual(['10.20.0.10', '10.20.0.11']);
    expect(r.issues[0]?.line).toBeGreaterThan(100);
  });

  it('never throws anything but VigilError and never hangs on mangled input (fuzz)', () => {
    const bytes = fixture('loopback-services.xml');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length }),
        fc.integer({ min: 0, max: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        (at, drop, insert) => {
          const mangled = Buffer.concat([
            bytes.subarray(0, at),
            insert,
            bytes.subarray(Math.min(bytes.length, at + drop)),
          ]);
          try {
            const r = parseNmapXml(mangled, { file: 'fuzz.xml' });
            expect(Array.isArray(r.hosts)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(VigilError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws anything but VigilError when attribute values are extreme or wrong (fuzz)', () => {
    // Byte-level mangling seldom yields a well-formed file with one absurd number; this replaces whole
    // attribute values of the real scan (times, ports, counts, addresses) and found starttime="1e20".
    const source = fixture('sgh-medical-lan.xml').toString('utf8');
    const values = [...source.matchAll(/="[^"]*"/g)].map((m) => m.index);
    const extreme = [
      '1e20',
      '-1',
      '0',
      '1e400',
      'NaN',
      '99999999999999999999',
      '',
      'x',
      '65536',
      '::',
      '999.1.1.1',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: values.length - 1 }), fc.constantFrom(...extreme)), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          let text = source;
          // From the last offset back, so earlier offsets stay valid.
          const sorted = [...new Map(edits.map(([i, v]) => [values[i]!, v])).entries()].sort(
            (a, b) => b[0] - a[0],
          );
          for (const [at, v] of sorted) {
            const end = text.indexOf('"', at + 2);
            text = `${text.slice(0, at)}="${v}${text.slice(end)}`;
          }
          try {
            const r = parseNmapXml(text, { file: 'fuzz.xml' });
            JSON.stringify(r);
          } catch (err) {
            expect(err).toBeInstanceOf(VigilError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes a scan or host time beyond what a date holds as unknown', () => {
    const text = fixture('sgh-medical-lan.xml')
      .toString('utf8')
      .replace('<host starttime="1795910133"', '<host starttime="1e20"')
      .replace(/<nmaprun ([^>]*)start="\d+"/, '<nmaprun $1start="99999999999999999999"');
    const r = parseNmapXml(text, { file: 'far.xml' });
    expect(r.scan.start).toBeNull();
    // The host's own start is dropped; its other times (the scan's end, its end time) still date it.
    expect(byIp(r, '10.20.0.30').firstSeen).toMatch(/^2026-11-28T/);
    expect(r.hosts.map((h) => h.ips[0])).toEqual(['10.20.0.10', '10.20.0.11', '10.20.0.30', '10.20.0.40']);
  });

  it('dates the hosts of a scan with no time at all by the import, and says so', () => {
    // Found by fuzzing: without any time the hosts' firstSeen was "", which sorts before every real time
    // and would have blanked the device's first-seen date when stored.
    const text = fixture('sgh-medical-lan.xml')
      .toString('utf8')
      .replace(/ (start|starttime|endtime|time)="\d+"/g, '');
    const before = new Date().toISOString();
    const r = parseNmapXml(text, { file: 'undated.xml' });
    expect(r.scan).toMatchObject({ start: null, finished: null });
    for (const h of r.hosts) {
      expect(h.firstSeen >= before && h.firstSeen <= new Date().toISOString()).toBe(true);
      expect(h.lastSeen).toBe(h.firstSeen);
    }
    expect(r.issues).toEqual([
      {
        file: 'undated.xml',
        reason: 'the scan carries no start or end time: hosts without their own are dated by this import',
      },
    ]);
  });

  it('reports a <port> whose portid is not a port number, naming file and line, and imports the rest', () => {
    // The real scan with two ports damaged: an open one (104, with a script) and a closed one.
    const lines = text.split('\n');
    const at = (portid: string) =>
      lines.findIndex((l) => l.includes(`<port protocol="tcp" portid="${portid}">`)) + 1;
    const dicomLine = at('104');
    const mqttLine = at('1883');
    const damaged = text
      .replace('<port protocol="tcp" portid="104">', '<port protocol="tcp" portid="1O4">')
      .replace('<port protocol="tcp" portid="1883">', '<port protocol="tcp" portid="70000">');
    const r = parseNmapXml(damaged, { file: 'damaged.xml' });
    expect(r.issues).toEqual([
      {
        file: 'damaged.xml',
        line: dicomLine,
        reason: '<port portid="1O4"> is not a port number 1–65535: this port is not imported',
      },
      {
        file: 'damaged.xml',
        line: mqttLine,
        reason: '<port portid="70000"> is not a port number 1–65535: this port is not imported',
      },
    ]);
    const whole = parseNmapXml(text, { file: 'damaged.xml' });
    expect(r.hosts.map((h) => h.ips[0])).toEqual(whole.hosts.map((h) => h.ips[0]));
    // Only the damaged port is missing: the host keeps its other services, and the dropped port's
    // dicom-ping script is not taken for a host script.
    const ports = (x: typeof r) => byIp(x, '10.20.0.10').services.map((s) => s.port);
    expect(ports(r)).toEqual(ports(whole).filter((p) => p !== 104));
    expect(byIp(r, '10.20.0.10').hints).toEqual(
      byIp(whole, '10.20.0.10').hints.filter((h) => !/\b104\b/.test(h.evidence.summary)),
    );
  });

  it('never throws anything but VigilError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (junk) => {
        try {
          parseNmapXml(junk, { file: 'junk.xml' });
        } catch (err) {
          expect(err).toBeInstanceOf(VigilError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('streaming', () => {
  it('gives the same result whatever the chunk boundaries, even inside UTF-8 sequences', async () => {
    // A multi-byte character in a hostname checks the streaming UTF-8 decoder.
    const bytes = Buffer.from(
      fixture('sgh-medical-lan.xml')
        .toString('utf8')
        .replace(
          '<hostnames>\n</hostnames>\n<ports>',
          '<hostnames><hostname name="pacs-ü.example" type="PTR"/></hostnames>\n<ports>',
        ),
    );
    const whole = parseNmapXml(bytes, { file: 'x.xml' });
    expect(whole.hosts[0]?.hostnames).toEqual(['pacs-ü.example']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 40 }),
        async (sizes) => {
          async function* chunks() {
            let at = 0;
            for (let i = 0; at < bytes.length; i++) {
              const n = sizes[i % sizes.length]!;
              yield bytes.subarray(at, at + n);
              at += n;
            }
          }
          expect(await readNmapXml(chunks(), { file: 'x.xml' })).toEqual(whole);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('decodeNmapBanner', () => {
  it('drops Telnet negotiation, unwraps and decodes escapes', () => {
    expect(
      decodeNmapBanner("\\xFF\\xFB%\\xFF\\xFB&\\xFF\\xFD\\x18\\xFF\\xFD \\xFF\\xFD#\\xFF\\xFD'\\xFF\\x\nFD$"),
    ).toBe('');
    expect(decodeNmapBanner('\\xFF\\xFB\\x01\\x0D\\x0AVxWorks login: ')).toBe('VxWorks login:');
    expect(decodeNmapBanner('220 (vsFTPd 3.0.3)')).toBe('220 (vsFTPd 3.0.3)');
    expect(decodeNmapBanner('220-Welcome\\x0D\\x0A220 ready')).toBe('220-Welcome\n220 ready');
  });
});

function catchError(fn: () => unknown): VigilError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VigilError) return err;
    throw err;
  }
  throw new Error('expected a VigilError');
}
