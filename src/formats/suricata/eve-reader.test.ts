import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, normaliseIp } from '../../inventory/identity.js';
import { EveReader, looksLikeEve, readEve } from './eve-reader.js';
import type { EveDhcp, EveFlow, EveHttp, EveSsh, EveTls } from './eve-records.js';

const text = readFileSync(new URL('./fixtures/eve.json', import.meta.url), 'utf8');

describe('readEve', () => {
  const { lines, issues, skipped } = readEve(text, 'eve.json');
  const of = <T>(event: string) => lines.filter((l) => l.record.event === event).map((l) => l.record as T);

  it('reads the event types discovery uses and counts the others', () => {
    expect(issues).toEqual([]);
    expect(skipped).toEqual({ stats: 1 });
    expect(lines).toHaveLength(102 - 1);
    expect(lines[0]).toMatchObject({ line: 1, record: { event: 'dhcp' } });
  });

  it('ssh: the identification lines as sent, rebuilt from the version fields', () => {
    expect(of<EveSsh>('ssh').map((r) => [r.clientBanner, r.serverBanner])).toEqual([
      ['SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-OpenSSH_9.2p1'],
      ['SSH-2.0-PuTTY_Release_0.78', 'SSH-2.0-OpenSSH_9.2p1'],
    ]);
  });

  it('dhcp: the ACK for the CT names its MAC, address and host name', () => {
    expect(of<EveDhcp>('dhcp')[0]).toMatchObject({
      ts: '2026-11-28T23:54:45.843Z',
      srcIp: '10.20.0.1',
      srcPort: 67,
      type: 'reply',
      dhcpType: 'ack',
      clientMac: '44:4b:5d:c7:21:01',
      assignedIp: '10.20.0.21',
      hostname: 'CT-RHAPSODE-01',
    } satisfies Partial<EveDhcp>);
  });

  it('writes IPv6 addresses in RFC 5952 form', () => {
    const v6 = of<EveHttp>('http').find((h) => h.userAgent === 'curl/7.88.1' && h.srcIp.includes(':'));
    expect(v6).toMatchObject({ srcIp: 'fd00:20::50', destIp: 'fd00:20::30', destPort: 80, status: 200 });
  });

  it('http: query strings are cut from paths', () => {
    const patients = of<EveHttp>('http').find((h) => h.path === '/patients');
    expect(patients).toMatchObject({ destIp: '10.20.0.11', destPort: 8042, contentType: 'application/json' });
    expect(JSON.stringify(lines)).not.toContain('?expand');
  });

  it('tls: version spelling, certificate names and validity', () => {
    const legacy = of<EveTls>('tls').find((t) => t.destPort === 4433);
    expect(legacy).toMatchObject({
      version: 'TLSv1',
      sni: 'infusion-gw.sgh.example',
      subject: 'O=Legacy Medical Devices, CN=infusion-gw.sgh.example',
      notBefore: '2026-11-28T23:54:33.000Z',
      notAfter: '2036-11-25T23:54:33.000Z',
    } satisfies Partial<EveTls>);
  });

  it('flow: counters and the server-side TCP flags', () => {
    const telnet = of<EveFlow>('flow').find((f) => f.destPort === 23);
    expect(telnet).toMatchObject({
      srcIp: '10.20.0.50',
      destIp: '10.20.0.40',
      appProto: 'telnet',
      pktsToServer: 18,
      pktsToClient: 14,
      bytesToServer: 1359,
      bytesToClient: 1074,
      state: 'closed',
      tcpFlagsToClient: 0x1b,
    } satisfies Partial<EveFlow>);
  });

  it('reports bad lines with file and line and reads the rest', () => {
    const all = text.split('\n');
    all[4] = all[4]!.slice(0, 50); // cut mid-object
    all[6] = '{"event_type":"flow","timestamp":"2026-11-28T23:54:46Z","src_ip":"not-an-ip"}';
    all[8] = '[1,2]';
    // A byte count no integer holds would sum to Infinity in the flow table.
    all[19] = all[19]!.replace(/"bytes_toserver":\d+/, '"bytes_toserver":1e308');
    const r = readEve(all.join('\n'), 'eve.json');
    expect(r.issues.map((i) => [i.file, i.line])).toEqual([
      ['eve.json', 5],
      ['eve.json', 7],
      ['eve.json', 9],
      ['eve.json', 20],
    ]);
    expect(r.issues[1]!.reason).toMatch(/^flow event: /);
    expect(r.issues[3]!.reason).toMatch(/^flow event: .*bytes_toserver/);
    expect(r.lines).toHaveLength(lines.length - 4);
  });

  it('an address that is none is its line’s issue naming field and value; others are spelled as the inventory does', () => {
    const all = text.split('\n');
    const edit = (line: number, from: string, to: string) => {
      expect(all[line - 1]).toContain(from);
      all[line - 1] = all[line - 1]!.replace(from, to);
    };
    edit(1, '"assigned_ip":"10.20.0.21"', '"assigned_ip":"10.20.0.21("');
    edit(53, '"dest_ip":"10.20.0.30"', '"dest_ip":"::ffff:127.0.0.1"');
    edit(55, '"dest_ip":"10.20.0.11"', '"dest_ip":"0:0:0:0:0:0:0:1"');
    edit(58, '"src_ip":"10.20.0.50"', '"src_ip":"10.47.8.21("');
    edit(59, '"src_ip":"10.20.0.50"', '"src_ip":""');
    edit(60, '"dest_ip":"10.20.0.30"', '"dest_ip":167772161');
    edit(81, '"dest_ip":"10.20.0.40"', '"dest_ip":"::ffff:10.20.0.40"');
    const r = readEve(all.join('\n'), 'eve.json');
    expect(r.issues).toEqual([
      { file: 'eve.json', line: 1, reason: 'dhcp event: dhcp.assigned_ip: not an IP address: 10.20.0.21(' },
      { file: 'eve.json', line: 58, reason: 'flow event: src_ip: not an IP address: 10.47.8.21(' },
      { file: 'eve.json', line: 59, reason: 'flow event: src_ip: not an IP address: (empty)' },
      { file: 'eve.json', line: 60, reason: 'flow event: dest_ip: not an IP address: 167772161' },
    ]);
    expect(r.lines).toHaveLength(102 - 1 - 4);
    const dest = (line: number) => r.lines.find((l) => l.line === line)?.record.destIp;
    // IPv4-mapped loopback is loopback (no host), as the inventory reads it; a mapped address is its IPv4 host.
    expect([dest(53), dest(55), dest(81)]).toEqual(['127.0.0.1', '::1', '10.20.0.40']);
  });

  it('recognises EVE by its first line', () => {
    expect(looksLikeEve(text)).toBe(true);
    expect(looksLikeEve('{"ts":1,"uid":"C1"}\n')).toBe(false);
  });
});

describe('EVE reader fuzzing', () => {
  // Every event type read: the hospital-LAN events plus the ftp, ssh, snmp, mqtt and smb fixtures.
  const sample = [
    text,
    ...['telnet-ftp-ssh', 'ftp-anonymous', 'snmp', 'mqtt-mosquitto', 'smb-samba'].map((f) =>
      readFileSync(new URL(`./fixtures/${f}.eve.json`, import.meta.url), 'utf8'),
    ),
  ].flatMap((t) => t.split('\n').filter(Boolean));

  it('never throws on arbitrary lines; every failure names its line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 30 }), (lines) => {
        const reader = new EveReader('fuzz.json');
        lines.forEach((l, i) => {
          reader.line(l, i + 1);
        });
        for (const i of reader.issues) expect(i.line).toBeLessThanOrEqual(lines.length);
      }),
    );
  });

  it('any address Suricata may log reads in the inventory’s spelling; anything else in src_ip is an issue', () => {
    const flow = text.split('\n')[57]!;
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((v) => `::ffff:${v}`),
      fc.ipV6().map((v) =>
        canonicalIp(v)
          .split(':')
          .map((g) => g.padStart(4, '0'))
          .join(':'),
      ),
    );
    fc.assert(
      fc.property(fc.oneof(address, fc.jsonValue(), fc.string()), (value) => {
        const reader = new EveReader('fuzz.json');
        // A function, so a `$&` in the value is not a replacement pattern.
        const r = reader.line(
          flow.replace('"src_ip":"10.20.0.50"', () => `"src_ip":${JSON.stringify(value)}`),
          1,
        );
        if (typeof value === 'string' && isIP(value) !== 0) {
          expect(reader.issues).toEqual([]);
          expect(r!.record.srcIp).toBe(normaliseIp(value) ?? canonicalIp(value));
          expect(canonicalIp(r!.record.srcIp)).toBe(r!.record.srcIp);
        } else {
          expect(r).toBeNull();
          expect(reader.issues[0]!.reason).toMatch(/^flow event: src_ip: not an IP address: /);
        }
      }),
      // An object whose `toString` is not a function: String() of it threw out of the reader.
      { examples: [[{ toString: null }], [null], [[1, 2]]] },
    );
  });

  it('mutated real events are read or reported, never thrown', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.string({ maxLength: 6 }), (which, at, insert) => {
        const l = sample[which % sample.length]!;
        const p = at % (l.length + 1);
        const reader = new EveReader('fuzz.json');
        const r = reader.line(l.slice(0, p) + insert + l.slice(p), 1);
        if (r) expect(r.record.ts).toMatch(/^\d{4}-/);
        expect(
          reader.records + reader.issues.length + [...reader.skipped.values()].reduce((a, b) => a + b, 0),
        ).toBe(1);
      }),
    );
  });
});
