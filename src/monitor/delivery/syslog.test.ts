import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from './alert-sender.js';
import { parseCef } from './cef-test-parser.js';
import { makeAlert } from './delivery-test-fixtures.js';
import { parseRfc5424, sdParam } from './rfc5424-test-parser.js';
import {
  alertSyslogMessage,
  escapeSdValue,
  formatSyslogMessage,
  headerField,
  SD_ID,
  SYSLOG_FACILITIES,
  SYSLOG_SEVERITY,
  structuredData,
} from './syslog.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
const spaced = (v: string) => v.replace(/[\u0000-\u001f\u007f]/g, ' ');
const NOW = new Date('2026-11-29T06:30:00.123Z');
const opts = { now: () => NOW, hostname: 'vigil-1.hospital.example', procId: '4242', version: '1.0.0' };

describe('alertSyslogMessage (RFC 5424)', () => {
  it('writes every header field, the vigil@32473 element, a BOM and the CEF payload', () => {
    const alert = makeAlert();
    const buf = alertSyslogMessage(alert, { ...opts, facility: SYSLOG_FACILITIES.local4 });
    const text = buf.toString('utf8');
    expect(text).toBe(
      `<163>1 2026-11-29T06:30:00.123Z vigil-1.hospital.example vigil 4242 cleartext-login ` +
        `[vigil@32473 alertId="${alert.id}" severity="high" state="new" count="3" deviceId="${alert.deviceId}" ` +
        `assetTag="PUMP-0042" deviceLabel="PUMP-0042" siteId="${alert.siteId}"] \uFEFF${text.slice(text.indexOf('CEF:'))}`,
    );
    expect(buf.includes(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
    const p = parseRfc5424(buf);
    expect(p).toMatchObject({
      pri: 163,
      facility: 20,
      severity: 3,
      version: 1,
      msgId: 'cleartext-login',
      bom: true,
    });
    expect(parseCef(p.msg).extension.externalId).toBe(alert.id);
  });

  it('maps severities to RFC 5424 severities and defaults to local0', () => {
    expect(SYSLOG_SEVERITY).toEqual({ critical: 2, high: 3, medium: 4, low: 5, info: 6 });
    for (const [s, n] of Object.entries(SYSLOG_SEVERITY)) {
      const p = parseRfc5424(
        alertSyslogMessage(makeAlert({ severity: s as keyof typeof SYSLOG_SEVERITY }), opts),
      );
      expect([p.facility, p.severity]).toEqual([16, n]);
    }
  });

  it('leaves out null SD params and keeps header fields printable ASCII within their limits', () => {
    const p = parseRfc5424(
      alertSyslogMessage(
        makeAlert({ rule: 'a rule with spaces and ünïcode and more than 32 chars', deviceId: null }),
        {
          ...opts,
          hostname: 'host name',
          appName: '',
        },
      ),
    );
    expect(p.msgId).toBe('a_rule_with_spaces_and__n_code_a');
    expect(p.hostname).toBe('host_name');
    expect(p.appName).toBe('-');
    expect(sdParam(p, SD_ID, 'deviceId')).toBeUndefined();
    expect(headerField('x'.repeat(300), 255)).toHaveLength(255);
  });

  it('escapes ", \\ and ] in SD values so a value cannot close the element', () => {
    expect(escapeSdValue('a"b\\c]d\ne')).toBe('a\\"b\\\\c\\]d e');
    const p = parseRfc5424(alertSyslogMessage(makeAlert({ assetTag: 'x"] [forged@1 a="b' }), opts));
    expect(p.sd).toHaveLength(1);
    expect(sdParam(p, SD_ID, 'assetTag')).toBe('x"] [forged@1 a="b');
    const label = parseRfc5424(
      alertSyslogMessage(
        makeAlert({ assetTag: null, deviceLabel: 'Philips IntelliVue MX450 (10.30.0.42)' }),
        opts,
      ),
    );
    expect(label.sd).toHaveLength(1);
    expect(sdParam(label, SD_ID, 'deviceLabel')).toBe('Philips IntelliVue MX450 (10.30.0.42)');
    expect(sdParam(label, SD_ID, 'assetTag')).toBeUndefined();
  });

  it('cuts an oversized MSG at a character boundary and never leaves half a CEF escape', () => {
    const alert = makeAlert({ evidence: [{ time: 'x', summary: `${'é'.repeat(300)}==========` }] });
    for (let max = 700; max < 1400; max += 7) {
      const buf = alertSyslogMessage(alert, { ...opts, maxBytes: max });
      expect(buf.length).toBeLessThanOrEqual(max);
      const text = buf.toString('utf8');
      expect(text).not.toContain('\uFFFD');
      const p = parseRfc5424(buf);
      expect(p.msg.startsWith('CEF:0|Vigil|')).toBe(true);
      expect(p.msg).not.toMatch(/(^|[^\\])(\\\\)*\\$/);
    }
  });

  it('refuses (permanently) a header that alone exceeds the cap', () => {
    const err = (() => {
      try {
        alertSyslogMessage(makeAlert(), { ...opts, hostname: 'h'.repeat(255), maxBytes: 480 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(false);
  });
});

describe('RFC 5424 output parses back for arbitrary input (property)', () => {
  it('structured data values round-trip exactly (apart from control characters)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 6 }), (values) => {
        const sd = structuredData(values.map((v, i) => [`p${i}`, v]));
        const p = parseRfc5424(
          formatSyslogMessage(
            {
              facility: 16,
              severity: 4,
              timestamp: NOW,
              hostname: 'h',
              appName: 'a',
              procId: '1',
              msgId: 'm',
            },
            sd,
            'x',
          ),
        );
        expect(p.sd[0]!.params).toEqual(values.map((v, i) => [`p${i}`, spaced(v)]));
      }),
    );
  });

  it('whole alert messages stay within the cap and parse', () => {
    const text = fc.string({ unit: 'binary', maxLength: 120 });
    fc.assert(
      fc.property(
        text,
        text,
        text,
        text,
        fc.integer({ min: 900, max: 4096 }),
        (rule, title, assetTag, summary, max) => {
          const alert = makeAlert({ rule, title, assetTag, evidence: [{ time: 'x', summary }] });
          const buf = alertSyslogMessage(alert, { ...opts, maxBytes: max });
          expect(buf.length).toBeLessThanOrEqual(max);
          const p = parseRfc5424(buf);
          expect(sdParam(p, SD_ID, 'alertId')).toBe(alert.id);
          expect(p.bom).toBe(true);
        },
      ),
      // Generating four long arbitrary strings per run is the slow part, not the code under test.
      { numRuns: 40 },
    );
  });
});
