import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logPathFromFileName, looksLikeZeekLog, readZeekLog, ZeekLogReader } from './zeek-log-reader.js';
import type { ZeekConn, ZeekSoftware, ZeekX509 } from './zeek-records.js';
import { unescapeZeek } from './zeek-tsv.js';

const fixture = (name: string) => fixtureText(name);
const fixtureText = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('Zeek TSV logs', () => {
  it('reads conn.log with its header: types, sets, unset fields', () => {
    const { lines, issues, format } = readZeekLog(fixture('rita-proxy/conn.log'), 'conn.log');
    expect(issues).toEqual([]);
    expect(format).toBe('tsv');
    expect(lines).toHaveLength(20);
    const first = lines[0]!;
    // The first data row of the file, line 9 (8 header lines above it).
    expect(first.line).toBe(9);
    expect(first.record).toMatchObject({
      log: 'conn',
      ts: '2023-01-04T14:37:36.913Z',
      uid: 'CXHB1X22027MRWU6D',
      origH: '10.136.0.18',
      origP: 55548,
      respH: '10.136.0.16',
      respP: 3128,
      proto: 'tcp',
      service: ['http', 'ssl'],
      connState: 'SF',
      history: 'ShADadFf',
      origPkts: 18,
      respIpBytes: 21011,
    } satisfies Partial<ZeekConn>);
  });

  it('reads the old DHCP format (one ACKed lease per row)', () => {
    const { lines, issues } = readZeekLog(fixture('rita-proxy/dhcp.log'), 'dhcp.log');
    expect(issues).toEqual([]);
    expect(lines[0]!.record).toMatchObject({
      log: 'dhcp',
      mac: 'f4:8e:38:8b:b6:03',
      assignedAddr: '192.168.0.15',
      msgTypes: ['ACK'],
    });
  });

  it('unescapes \\xHH and \\\\ as the ASCII writer wrote them', () => {
    expect(unescapeZeek('\\x09')).toBe('\t');
    expect(unescapeZeek('a\\x2db')).toBe('a-b');
    expect(unescapeZeek('O=VMware\\\\, Inc')).toBe('O=VMware\\, Inc');
    expect(unescapeZeek('\\xc3\\xa9t\\xc3\\xa9')).toBe('été');
    // A backslash that starts no escape stays.
    expect(unescapeZeek('C:\\temp')).toBe('C:\\temp');
  });

  it('reports a masked or broken row with file and line, and keeps reading', () => {
    // Zeek's btest baselines mask every timestamp: each of the three rows is refused by name.
    const { lines, issues } = readZeekLog(fixture('btest-dhcp-all-msg-types/dhcp.log'), 'dhcp.log');
    expect(lines).toEqual([]);
    expect(issues.map((i) => [i.file, i.line])).toEqual([
      ['dhcp.log', 10],
      ['dhcp.log', 11],
      ['dhcp.log', 12],
    ]);
    expect(issues[0]!.reason).toBe('ts: "XXXXXXXXXX.XXXXXX" is not a time');

    const text = fixture('rita-proxy/conn.log').split('\n');
    text[10] = text[10]!.split('\t').slice(0, 5).join('\t'); // line 11 cut short
    text[12] = `${text[12]}\textra`; // line 13 has a column too many
    const r = readZeekLog(text.join('\n'), 'conn.log');
    expect(r.lines).toHaveLength(18);
    expect(r.issues.map((i) => i.line)).toEqual([11, 13]);
    expect(r.issues[0]!.reason).toBe('5 columns where #fields names 21');
  });

  it('a cell of an addr field that is no IP address is an issue naming file, line and field; the rest reads', () => {
    // wrccdc2018/software.log with line 21's host `10.47.8.218` cut to `10.47.8.21(` (PROVENANCE.md).
    const tsv = readZeekLog(fixture('wrccdc2018-bad-address/software.log'), 'software.log');
    expect(tsv.issues).toEqual([
      { file: 'software.log', line: 21, reason: 'software record: host: not an IP address: 10.47.8.21(' },
    ]);
    expect(tsv.lines).toHaveLength(39);
    // Not only text that starts like an address: any cell that is none, the others of the file kept.
    const text = fixture('wrccdc2018/software.log').split('\n');
    text[8] = text[8]!.replace('\t10.164.94.120\t', '\tnot-an-ip\t');
    const r = readZeekLog(text.join('\n'), 'software.log');
    expect(r.issues).toEqual([
      { file: 'software.log', line: 9, reason: 'software record: host: not an IP address: not-an-ip' },
    ]);
    expect(r.lines).toHaveLength(39);
  });

  it('a MAC in dhcp.log that is none is an issue with its line, not a host keyed by it', () => {
    const text = fixture('rita-proxy/dhcp.log').split('\n');
    const row = text.findIndex((l) => l.includes('f4:8e:38:8b:b6:03'));
    text[row] = text[row]!.replace('f4:8e:38:8b:b6:03', 'f4:8e:38:8b:b6');
    const r = readZeekLog(text.join('\n'), 'dhcp.log');
    expect(r.issues).toEqual([
      { file: 'dhcp.log', line: row + 1, reason: 'dhcp record: mac: not a MAC address: f4:8e:38:8b:b6' },
    ]);
    expect(r.lines).toHaveLength(4);
  });

  it('skips logs Vigil does not read, counting their lines', () => {
    const reader = new ZeekLogReader('weird.log');
    const header = [
      '#separator \\x09',
      '#path\tweird',
      '#fields\tts\tname',
      '#types\ttime\tstring',
      '1610645107.487185\tunknown_protocol_2',
    ];
    header.forEach((l, i) => {
      expect(reader.line(l, i + 1)).toBeNull();
    });
    expect(Object.fromEntries(reader.skipped)).toEqual({ weird: 1 });
    expect(reader.issues).toEqual([]);
  });

  it('names logs by file name when nothing inside does', () => {
    expect(logPathFromFileName('conn.log')).toBe('conn');
    expect(logPathFromFileName('/var/zeek/2024-01-01/conn.09:00:00-10:00:00.log.gz')).toBe('conn');
    expect(logPathFromFileName('x509.json')).toBe('x509');
    expect(logPathFromFileName('dns_20240101.log')).toBe('dns');
  });
});

describe('Zeek JSON logs', () => {
  it('reads one object per line with epoch ts', () => {
    const { lines, issues, format } = readZeekLog(fixture('rita-json/conn.log'), 'conn.log');
    expect(issues).toEqual([]);
    expect(format).toBe('json');
    expect(lines[0]!.record).toMatchObject({
      log: 'conn',
      uid: 'CxHo3m4N8uGxrMlcl2',
      origH: '10.55.100.100',
      respH: '205.204.101.182',
      respP: 80,
      service: ['http'],
      connState: 'SF',
    });
  });

  it('never hands out http.log credentials or query strings', () => {
    const { lines } = readZeekLog(fixture('rita-json/http.log'), 'http.log');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/password123|janedoe987|johnsmith123/);
    expect(lines.filter((l) => l.record.log === 'http' && l.record.credentials)).toHaveLength(2);
    for (const l of lines) if (l.record.log === 'http') expect(l.record.path ?? '').not.toContain('?');
  });

  it.each([
    ['software', 40],
    ['x509', 40],
    ['notice', 40],
    ['ftp', 30],
    ['ssh', 22],
    ['snmp', 30],
  ] as const)('%s: TSV and JSON of the same traffic give the same records', (log, n) => {
    const tsv = readZeekLog(fixture(`wrccdc2018/${log}.log`), `${log}.log`);
    const json = readZeekLog(fixture(`wrccdc2018/${log}.json`), `${log}.json`);
    expect(tsv.issues).toEqual([]);
    expect(json.issues).toEqual([]);
    expect(tsv.lines).toHaveLength(n);
    expect(json.lines.map((l) => l.record)).toEqual(tsv.lines.map((l) => l.record));
  });

  it('an addr field that is no IP address is an issue with its line and field; IPv6 without brackets reads', () => {
    // wrccdc2018/ftp.json with line 1's id.resp_h `10.47.27.80` made `10.47.27.80(` (PROVENANCE.md).
    const r = readZeekLog(fixture('wrccdc2018-bad-address/ftp.json'), 'ftp.json');
    expect(r.issues).toEqual([
      { file: 'ftp.json', line: 1, reason: 'ftp record: id.resp_h: not an IP address: 10.47.27.80(' },
    ]);
    expect(r.lines).toHaveLength(29);
    // x509.json's san.ip holds IPv6 link-local addresses as Zeek writes them.
    const certs = readZeekLog(fixture('wrccdc2018/x509.json'), 'x509.json').lines.map((l) => l.record);
    expect(certs).toContainEqual(
      expect.objectContaining({ sanIp: expect.arrayContaining(['fe80::9d42:4c7d:e0dd:79e1']) }),
    );
  });

  it('never hands out ftp.log user names or passwords, nor snmp.log communities', () => {
    // btest masks `ts`; a time is put back so the lines are records.
    const fixture = (name: string) => fixtureText(name).replaceAll('XXXXXXXXXX.XXXXXX', '1400000000.000000');
    for (const f of ['wrccdc2018/ftp.log', 'wrccdc2018/ftp.json', 'btest-ftp-password-hidden/ftp.log']) {
      const text = JSON.stringify(readZeekLog(fixture(f), 'ftp.log').lines);
      expect(text).not.toMatch(/nessus@nessus\.org|:"anonymous"|Admin|<hidden>/);
      expect(text).toContain('"credentials":true');
    }
    for (const f of ['wrccdc2018/snmp.log', 'wrccdc2018/snmp.json', 'btest-snmp-v3/snmp.log']) {
      const text = JSON.stringify(readZeekLog(fixture(f), 'snmp.log').lines);
      expect(text).not.toMatch(/internal|public|username/);
    }
  });

  it('gives typed software and certificate records', () => {
    const sw = readZeekLog(fixture('wrccdc2018/software.log'), 'software.log').lines.map((l) => l.record);
    expect(sw).toContainEqual(
      expect.objectContaining({
        host: '10.47.3.218',
        port: 80,
        softwareType: 'HTTP::SERVER',
        name: 'Microsoft-IIS',
        version: '7.5',
        unparsedVersion: 'Microsoft-IIS/7.5',
      } satisfies Partial<ZeekSoftware>),
    );
    const certs = readZeekLog(fixture('wrccdc2018/x509.log'), 'x509.log').lines.map(
      (l) => l.record as ZeekX509,
    );
    expect(certs[2]).toMatchObject({
      subject: 'CN=Snozberry',
      issuer: 'CN=Snozberry',
      signatureAlgorithm: 'sha1WithRSAEncryption',
      keyLength: 2048,
      notAfter: '2023-03-19T13:30:09.000Z',
      sanDns: ['Snozberry', 'Snozberry.factory.oompa.loompa'],
      hostCert: true,
    });
    // The DN escape survives both formats as the same text.
    expect(certs[0]!.subject).toMatch(/^unstructuredName=1315656901\\,564d/);
  });

  it('recognises Zeek logs by their first bytes', () => {
    expect(looksLikeZeekLog(fixture('rita-proxy/conn.log'))).toBe(true);
    expect(looksLikeZeekLog(fixture('rita-json/conn.log'))).toBe(true);
    expect(looksLikeZeekLog(fixture('wrccdc2018/x509.json'))).toBe(true);
    expect(
      looksLikeZeekLog(readFileSync(new URL('../suricata/fixtures/eve.json', import.meta.url), 'utf8')),
    ).toBe(false);
    expect(looksLikeZeekLog('{"a":1}\n')).toBe(false);
  });
});

describe('Zeek reader fuzzing', () => {
  const samples = [
    fixture('rita-proxy/conn.log'),
    fixture('rita-json/ssl.log'),
    fixture('wrccdc2018/x509.log'),
    fixture('wrccdc2018/notice.json'),
    fixture('wrccdc2018/ftp.log'),
    fixture('wrccdc2018/ssh.json'),
    fixture('wrccdc2018/snmp.log'),
  ].map((t) => t.split('\n'));

  it('never throws on arbitrary lines and reports garbage with a line number', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 200 }), { maxLength: 30 }), (lines) => {
        const reader = new ZeekLogReader('fuzz.log');
        lines.forEach((l, i) => {
          reader.line(l, i + 1);
        });
        for (const i of reader.issues) {
          expect(i.file).toBe('fuzz.log');
          expect(i.line).toBeGreaterThanOrEqual(1);
          expect(i.line).toBeLessThanOrEqual(lines.length);
        }
      }),
    );
  });

  it('mutated real logs: every line is a record, an issue, a header or skipped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 8 })), { maxLength: 6 }),
        (which, edits) => {
          const lines = [...samples[which]!];
          for (const [li, at, text] of edits) {
            const n = li % lines.length;
            const l = lines[n]!;
            const p = at % (l.length + 1);
            lines[n] = l.slice(0, p) + text + l.slice(p + text.length);
          }
          const reader = new ZeekLogReader('fuzz.log');
          let records = 0;
          lines.forEach((l, i) => {
            const r = reader.line(l, i + 1);
            if (r) {
              records++;
              expect(r.record.ts).toMatch(/^\d{4}-\d{2}-\d{2}T/);
            }
          });
          expect(records).toBe(reader.records);
        },
      ),
    );
  });
});
