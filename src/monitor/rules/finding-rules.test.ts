/**
 * The finding-based rules on real traffic: the capture analyzer reads real captures from the repo's
 * fixtures (provenance: test/fixtures/captures/PROVENANCE.md; 04-hl7-mllp.pcap, 07-telnet-ftp-ssh-mqtt.pcap
 * and 06-http-tls.pcapng are copied unchanged from shared/data/captures, made on the project's simulated
 * LAN with fake patient data), and each rule turns the findings of that run into candidates. The store
 * side (finding ids and states) is modelled here so the rules stay pure; process-source-run.test.ts runs
 * the same captures through the real store.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApplyReport } from '../../discovery/apply-source-result.js';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import { findingSeverity, findingTitle } from '../../discovery/finding-severity.js';
import {
  FINDING_TYPES,
  type FindingObservation,
  type SourceResult,
} from '../../discovery/host-observation.js';
import { cleartextCredentialsRule } from './cleartext-credentials.js';
import { cleartextPhiRule } from './cleartext-phi.js';
import { defaultCredentialsRule } from './default-credentials.js';
import type { DetectionRule, RunFinding, SourceRun } from './detection-rule.js';
import { failedLoginRule } from './failed-login.js';
import { DETECTION_RULES } from './index.js';
import { insecureProtocolRule } from './insecure-protocol.js';
import { weakTlsRule } from './weak-tls.js';

const CAPTURES = join(import.meta.dirname, '../../../test/fixtures/captures');
const AT = '2026-03-02T10:00:00.000Z';

async function analyze(name: string): Promise<SourceResult> {
  return analyzeCapture(createReadStream(join(CAPTURES, name)), { file: name });
}

const hostOf = (f: FindingObservation) => f.host.mac ?? f.host.ip ?? '?';

/** A run as the store would see it: one device per host, one finding per type, host and subject. */
function runOf(result: SourceResult, state: (f: FindingObservation) => string = () => 'open'): SourceRun {
  const findings: RunFinding[] = result.findings.map((f) => ({
    observation: f,
    findingId: `finding:${f.type}|${hostOf(f)}|${f.subject}`,
    deviceId: `device:${hostOf(f)}`,
    siteId: 'site-1',
    state: state(f),
    severity: findingSeverity(f.type, { criticality: null, ephi: null }, f.details),
    title: findingTitle(f.type, f.subject),
  }));
  return {
    kind: 'capture',
    file: 'x.pcap',
    at: AT,
    result,
    report: { importId: 'import-1', deviceIds: [] } as unknown as ApplyReport,
    devices: new Map(),
    findings,
  };
}

describe('finding-based rules on real captures', () => {
  let hl7: SourceResult;
  let telnet: SourceResult;
  let tls: SourceResult;
  beforeAll(async () => {
    [hl7, telnet, tls] = await Promise.all([
      analyze('04-hl7-mllp.pcap'),
      analyze('07-telnet-ftp-ssh-mqtt.pcap'),
      analyze('06-http-tls.pcapng'),
    ]);
  });

  it('are all registered, once each, with ids that name their files', () => {
    const ids = DETECTION_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'cleartext-phi',
      'weak-tls',
      'cleartext-credentials',
      'failed-login',
      'default-credentials',
      'insecure-protocol',
    ])
      expect(ids).toContain(id);
  });

  it('cleartext-phi: one candidate per HL7 finding, with the packets that showed it', () => {
    const out = cleartextPhiRule.evaluate(runOf(hl7));
    expect(out.length).toBe(new Set(hl7.findings.filter((f) => f.type === 'cleartext-phi').map(hostOf)).size);
    expect(out.length).toBeGreaterThan(0);
    for (const c of out) {
      expect(c).toMatchObject({
        rule: 'cleartext-phi',
        severity: 'high',
        subject: 'hl7:2575',
        siteId: 'site-1',
      });
      expect(c.deviceId).toMatch(/^device:/);
      expect(c.details?.['findingId']).toMatch(/^finding:cleartext-phi\|/);
      expect(c.evidence.length).toBeGreaterThan(0);
      for (const e of c.evidence) {
        expect(e.file).toBe('04-hl7-mllp.pcap');
        expect(e.connection).toMatch(/→ .*:2575\/tcp$/);
        expect(e.summary).toMatch(/HL7 .* in cleartext/);
        expect(Number.isNaN(Date.parse(e.time))).toBe(false);
      }
      // Evidence is in time order.
      expect(c.evidence.map((e) => e.time)).toEqual([...c.evidence.map((e) => e.time)].sort());
    }
    // Nothing about PHI in the other rules' answers for this capture.
    expect(weakTlsRule.evaluate(runOf(hl7))).toEqual([]);
  });

  it('cleartext-credentials and insecure-protocol on Telnet and FTP', () => {
    const creds = cleartextCredentialsRule.evaluate(runOf(telnet));
    expect(creds.map((c) => c.subject).sort()).toEqual(['ftp:21', 'telnet:23']);
    expect(creds.every((c) => c.severity === 'high')).toBe(true);
    const insecure = insecureProtocolRule.evaluate(runOf(telnet));
    // The analyzer may report more cleartext protocols in this capture (MQTT); these two are certain.
    expect(insecure.map((c) => c.subject)).toEqual(expect.arrayContaining(['ftp:21', 'telnet:23']));
    expect(insecure).toHaveLength(telnet.findings.filter((f) => f.type === 'insecure-protocol').length);
    expect(insecure.every((c) => c.rule === 'insecure-protocol' && c.severity === 'medium')).toBe(true);
    // Evidence never carries the credential itself.
    expect(JSON.stringify(creds)).not.toMatch(/password|passwd/i);
  });

  it('weak-tls on a TLS 1.0 server', () => {
    const out = weakTlsRule.evaluate(runOf(tls));
    expect(out.map((c) => c.subject)).toEqual(['tls:4433:TLSv1.0']);
    expect(out[0]!.evidence[0]!.summary).toMatch(/TLS 1\.0/);
  });

  it('raise nothing for findings a person acknowledged or dismissed', () => {
    for (const state of ['acknowledged', 'false-positive', 'resolved']) {
      expect(cleartextPhiRule.evaluate(runOf(hl7, () => state))).toEqual([]);
      expect(cleartextCredentialsRule.evaluate(runOf(telnet, () => state))).toEqual([]);
    }
    const some = cleartextCredentialsRule.evaluate(
      runOf(telnet, (f) => (f.subject === 'telnet:23' ? 'acknowledged' : 'open')),
    );
    expect(some.map((c) => c.subject)).toEqual(['ftp:21']);
  });

  it('failed-login and default-credentials pick up their finding types (no real capture has them yet)', () => {
    // The dissector side is another engineer's work in progress: re-type a real Telnet login finding,
    // keeping its real evidence, to stand for what the dissector will report.
    const login = telnet.findings.find(
      (f) => f.type === 'cleartext-credentials' && f.subject === 'telnet:23',
    )!;
    const result: SourceResult = {
      hosts: telnet.hosts,
      findings: [
        { ...login, type: 'failed-login', details: { ...login.details, failures: 6 }, occurrences: 6 },
        { ...login, type: 'default-credentials', subject: 'telnet:23:default' },
      ],
    };
    const failed = failedLoginRule.evaluate(runOf(result));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ rule: 'failed-login', subject: 'telnet:23', severity: 'medium' });
    expect(failed[0]!.details).toMatchObject({ failures: 6, sightings: 6 });
    const dflt = defaultCredentialsRule.evaluate(runOf(result));
    expect(dflt).toHaveLength(1);
    expect(dflt[0]).toMatchObject({ rule: 'default-credentials', severity: 'critical' });
  });

  it('never throw and only answer with their own finding type, whatever the findings', () => {
    const evidence = fc.record(
      {
        source: fc.constant('capture' as const),
        file: fc.string(),
        connection: fc.string(),
        packet: fc.nat(),
        time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        summary: fc.string(),
      },
      { requiredKeys: ['source', 'file', 'summary'] },
    );
    const finding = fc.record(
      {
        type: fc.constantFrom(...FINDING_TYPES),
        host: fc.record({ ip: fc.ipV4() }),
        subject: fc.string({ minLength: 1 }),
        evidence,
        details: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
        occurrences: fc.integer({ min: 1, max: 1000 }),
        lastEvidence: evidence,
      },
      { requiredKeys: ['type', 'host', 'subject', 'evidence', 'details'] },
    ) as fc.Arbitrary<FindingObservation>;
    const rules: DetectionRule[] = DETECTION_RULES;
    fc.assert(
      fc.property(
        fc.array(finding, { maxLength: 40 }),
        fc.constantFrom('open', 'acknowledged'),
        (fs, state) => {
          const run = runOf({ hosts: [], findings: fs }, () => state);
          for (const rule of rules) {
            const out = rule.evaluate(run);
            if (state !== 'open') expect(out).toEqual([]);
            for (const c of out) {
              expect(c.rule).toBe(rule.id);
              expect(c.details?.['findingType']).toBe(rule.id);
              expect(c.evidence.length).toBeGreaterThan(0);
              expect(c.evidence.length).toBeLessThanOrEqual(10);
            }
            const ids = new Set(
              fs.filter((f) => f.type === rule.id).map((f) => `${f.type}|${hostOf(f)}|${f.subject}`),
            );
            expect(out.length).toBe(state === 'open' ? ids.size : 0);
          }
        },
      ),
    );
  });
});
