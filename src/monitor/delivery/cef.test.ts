import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CEF_SEVERITY,
  escapeCefExtension,
  escapeCefHeader,
  formatCef,
  normalizeCefExtension,
} from './cef.js';
import { parseCef } from './cef-test-parser.js';
import { parseEvidenceConnection } from './deliverable-alert.js';
import { makeAlert } from './delivery-test-fixtures.js';

const SPEC = readFileSync(new URL('fixtures/cef-spec-examples.txt', import.meta.url), 'utf8')
  .trim()
  .split('\n');

describe('the test CEF parser reads the standard’s own examples', () => {
  it('header fields, escaped | and \\ in the header, unescaped | and escaped \\ = in values', () => {
    const [worm, pipe, backslash, equals] = SPEC.map((l) => parseCef(l.slice(l.indexOf('CEF:'))));
    expect(worm).toEqual({
      version: '0',
      vendor: 'Security',
      product: 'threatmanager',
      deviceVersion: '1.0',
      signatureId: '100',
      name: 'worm successfully stopped',
      severity: '10',
      extension: { src: '10.0.0.1', dst: '2.1.2.2', spt: '1232' },
    });
    expect(pipe!.name).toBe('detected a | in message');
    expect(pipe!.extension).toEqual({ src: '10.0.0.1', act: 'blocked a |', dst: '1.1.1.1' });
    expect(backslash!.name).toBe('detected a \\ in packet');
    expect(backslash!.extension.act).toBe('blocked a \\');
    expect(equals!.extension.act).toBe('blocked a =');
  });

  it('refuses what the standard does not allow, naming the offset', () => {
    expect(() => parseCef('CEF:0|a|b|c|d|e')).toThrow(/offset \d+: header has 5 of 7 fields/);
    expect(() => parseCef('CEF:0|a|b|c|d|e\\x|1|')).toThrow(/offset 15: bad header escape/);
    expect(() => parseCef('CEF:0|a|b|c|d|e|1|k=a\\qb')).toThrow(/bad extension escape/);
    expect(() => parseCef('CEF:0|a|b|c|d|e|1|=x')).toThrow(/"=" without a key/);
  });
});

describe('formatCef', () => {
  it('maps an alert to the header and the standard extension keys', () => {
    const alert = makeAlert({ id: '0193a1c2-7d4e-7000-8000-00000000abcd' });
    const line = formatCef(alert, { version: '1.2.3' });
    expect(
      line.startsWith(
        'CEF:0|Vigil|Vigil|1.2.3|cleartext-login|Telnet login in cleartext to an infusion pump|8|',
      ),
    ).toBe(true);
    const p = parseCef(line);
    expect(p.extension).toEqual({
      externalId: '0193a1c2-7d4e-7000-8000-00000000abcd',
      act: 'new',
      rt: String(Date.parse('2026-11-28T23:55:20.412Z')),
      start: String(Date.parse('2026-11-28T23:55:20.401Z')),
      end: String(Date.parse('2026-11-28T23:55:20.412Z')),
      cnt: '3',
      src: '10.20.0.50',
      dst: '10.20.0.40',
      spt: '56326',
      dpt: '23',
      proto: 'TCP',
      cs1: alert.deviceId,
      cs1Label: 'Vigil Device ID',
      cs2: 'PUMP-0042',
      cs2Label: 'Asset Tag',
      cs3: alert.siteId,
      cs3Label: 'Vigil Site ID',
      cs4: 'telnet:23',
      cs4Label: 'Alert Subject',
      cs5: 'PUMP-0042',
      cs5Label: 'Device Label',
      msg: 'Telnet option negotiation from the server: a cleartext login follows (07-telnet-ftp-ssh-mqtt.pcap packet 6)',
    });
  });

  it('maps every severity into CEF’s 0–10 bands', () => {
    for (const [severity, n] of Object.entries(CEF_SEVERITY)) {
      const p = parseCef(formatCef(makeAlert({ severity: severity as keyof typeof CEF_SEVERITY })));
      expect(p.severity).toBe(String(n));
    }
    expect(CEF_SEVERITY).toEqual({ info: 1, low: 3, medium: 5, high: 8, critical: 10 });
  });

  it('puts IPv6 addresses in c6a2/c6a3 (src/dst are IPv4 only) and leaves out absent fields', () => {
    const p = parseCef(
      formatCef(
        makeAlert({
          deviceId: null,
          assetTag: null,
          deviceLabel: null,
          siteId: null,
          evidence: [
            { time: '2026-11-28T23:55:20.000Z', connection: '10.0.0.1:1 → 10.0.0.2:2/udp', summary: 'older' },
            {
              time: '2026-11-28T23:56:00.000Z',
              connection: '[fe80::1]:5000 → [fe80::2]:104/tcp',
              summary: 'newer',
            },
            { time: '2026-11-28T23:57:00.000Z', summary: 'no connection' },
          ],
        }),
      ),
    );
    expect(p.extension).toMatchObject({
      c6a2: 'fe80::1',
      c6a2Label: 'Source IPv6 Address',
      c6a3: 'fe80::2',
      c6a3Label: 'Destination IPv6 Address',
      spt: '5000',
      dpt: '104',
      proto: 'TCP',
      msg: 'no connection',
    });
    for (const k of [
      'src',
      'dst',
      'cs1',
      'cs1Label',
      'cs2',
      'cs2Label',
      'cs3',
      'cs3Label',
      'cs5',
      'cs5Label',
    ]) {
      expect(p.extension).not.toHaveProperty(k);
    }
  });

  it('names a device without an asset tag by its label in cs5 (make and model with its address)', () => {
    const p = parseCef(
      formatCef(makeAlert({ assetTag: null, deviceLabel: 'GE Medical Systems RHAPSODE (10.20.0.21)' })),
    );
    expect(p.extension).toMatchObject({
      cs5: 'GE Medical Systems RHAPSODE (10.20.0.21)',
      cs5Label: 'Device Label',
    });
    expect(p.extension).not.toHaveProperty('cs2');
  });

  it('ICMP evidence has addresses and protocol but no ports; no evidence means the title is the msg', () => {
    const icmp = parseCef(
      formatCef(
        makeAlert({
          evidence: [
            { time: '2026-11-28T23:55:20.000Z', connection: '10.0.0.1 → 10.0.0.2/icmp', summary: 'ping' },
          ],
        }),
      ),
    );
    expect(icmp.extension).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'ICMP' });
    expect(icmp.extension).not.toHaveProperty('spt');
    const none = parseCef(formatCef(makeAlert({ evidence: [] })));
    expect(none.extension.msg).toBe(none.name);
    expect(none.extension).not.toHaveProperty('proto');
  });

  it('escapes hostile text so it cannot forge fields or break the line', () => {
    const line = formatCef(
      makeAlert({
        rule: 'r|x',
        title: 'a\\b|c\nd',
        subject: 'x cs1=forged act=resolved',
        evidence: [{ time: '2026-11-28T23:55:20.000Z', summary: 'line1\r\nline2 = \\n' }],
      }),
    );
    expect(line).not.toMatch(/[\r\n]/);
    const p = parseCef(line);
    expect(p.signatureId).toBe('r|x');
    expect(p.name).toBe('a\\b|c d');
    expect(p.extension.cs4).toBe('x cs1=forged act=resolved');
    expect(p.extension.act).toBe('new');
    expect(p.extension.msg).toBe('line1\r\nline2 = \\n');
  });

  it('clips fields to the dictionary lengths without splitting a character', () => {
    const p = parseCef(
      formatCef(makeAlert({ title: '😀'.repeat(600), evidence: [{ time: 'x', summary: 'é'.repeat(2000) }] })),
    );
    expect(Array.from(p.name)).toHaveLength(512);
    expect(p.name).toBe('😀'.repeat(512));
    expect(p.extension.msg).toBe('é'.repeat(1023));
  });
});

describe('escaping round-trips through the test parser (property)', () => {
  const text = fc.string({ unit: 'binary', maxLength: 80 });

  it('header fields', () => {
    fc.assert(
      fc.property(text, text, (rule, title) => {
        const p = parseCef(`CEF:0|V|P|1|${escapeCefHeader(rule)}|${escapeCefHeader(title)}|5|`);
        expect(p.signatureId).toBe(oneLine(rule));
        expect(p.name).toBe(oneLine(title));
      }),
    );
  });

  it('extension values, several in a row', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (values) => {
        const kept = values.filter((v) => normalizeCefExtension(v) !== '');
        const ext = kept.map((v, i) => `cs${i + 1}=${escapeCefExtension(v)}`).join(' ');
        const p = parseCef(`CEF:0|V|P|1|s|n|5|${ext}`);
        expect(p.extension).toEqual(
          Object.fromEntries(kept.map((v, i) => [`cs${i + 1}`, normalizeCefExtension(v)])),
        );
      }),
    );
  });

  it('whole alerts with arbitrary text fields', () => {
    fc.assert(
      fc.property(text, text, text, text, text, (rule, title, subject, assetTag, summary) => {
        const alert = makeAlert({ rule, title, subject, assetTag, evidence: [{ time: 'x', summary }] });
        const line = formatCef(alert);
        expect(line).not.toMatch(/[\r\n]/);
        const p = parseCef(line);
        expect(p.signatureId).toBe(oneLine(rule));
        expect(p.extension.externalId).toBe(alert.id);
        expect(p.extension.cs4).toBe(normalizeCefExtension(subject) || undefined);
        expect(p.extension.cs2).toBe(normalizeCefExtension(assetTag) || undefined);
        expect(p.extension.msg).toBe(normalizeCefExtension(summary) || undefined);
      }),
    );
  });
});

/** What a header value reads back as: control characters became spaces. */
function oneLine(v: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
  return v.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

describe('parseEvidenceConnection', () => {
  it('reads the forms discovery writes, and nothing else', () => {
    expect(parseEvidenceConnection('10.20.0.50:56326 → 10.20.0.40:23/tcp')).toEqual({
      srcIp: '10.20.0.50',
      srcPort: 56326,
      dstIp: '10.20.0.40',
      dstPort: 23,
      transport: 'tcp',
    });
    expect(parseEvidenceConnection('[fe80::1]:5353 → [ff02::fb]:5353/udp')).toMatchObject({
      srcIp: 'fe80::1',
      dstIp: 'ff02::fb',
      transport: 'udp',
    });
    expect(parseEvidenceConnection('10.0.0.1 → 10.0.0.2/icmp')).toMatchObject({
      srcPort: null,
      dstPort: null,
    });
    for (const bad of ['', '10.0.0.1:1 -> 10.0.0.2:2/tcp', '10.0.0.1:1 → 10.0.0.2:99999/tcp', 'a → b/tcp']) {
      expect(parseEvidenceConnection(bad)).toBeNull();
    }
  });

  it('never throws, and anything it accepts has ports in range (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const c = parseEvidenceConnection(s);
        if (c)
          for (const p of [c.srcPort, c.dstPort]) expect(p === null || (p >= 0 && p <= 65535)).toBe(true);
      }),
    );
  });
});
