/**
 * Rule `policy-violation` on real flows: the SYNs of the shared captures (test/fixtures/policy) against a
 * policy proposed from part of them. What the policy allows raises nothing; the rest raises one alert
 * per conversation with where it was seen.
 */
import { describe, expect, it } from 'vitest';
import { NetworkMap } from '../../policy/policy-inventory.js';
import { sghInventory, synFlows } from '../../policy/policy-test-fixtures.js';
import { proposePolicy } from '../../policy/propose.js';
import { policyViolationRule, policyViolations } from './policy-violation.js';

describe('policy-violation rule', () => {
  const map = new NetworkMap(sghInventory());
  const flows = synFlows();
  // The policy knows DICOM and HL7 only; the Telnet/FTP/SSH/MQTT and web traffic is outside it.
  const policy = proposePolicy(
    map,
    flows.filter((f) => f.port === 104 || f.port === 4242 || f.port === 2575),
  );

  it('raises nothing for what the policy allows', () => {
    expect(
      policyViolations(
        { policy, policyId: 'p1', map },
        flows.filter((f) => f.port === 104),
        '2026-11-29T00:00:00Z',
      ),
    ).toEqual([]);
  });

  it('raises one alert per conversation outside it, with evidence naming the capture and packet', () => {
    const alerts = policyViolations({ policy, policyId: 'p1', map }, flows, '2026-11-29T00:00:00Z');
    const subjects = alerts.map((a) => a.subject).sort();
    expect(subjects).toContain('10.20.0.50→10.20.0.40:23/tcp');
    expect(subjects).toContain('fd00:20::50→fd00:20::30:80/tcp');
    expect(subjects).not.toContain('10.20.0.21→10.20.0.10:104/tcp');
    const telnet = alerts.find((a) => a.subject === '10.20.0.50→10.20.0.40:23/tcp')!;
    expect(telnet).toMatchObject({
      rule: 'policy-violation',
      severity: 'medium',
      deviceId: 'dev-WS-1',
      siteId: 'site-sgh',
      details: { clientZone: 'clinical', serverClass: 'patient-monitor', policyId: 'p1', port: 23 },
    });
    expect(telnet.evidence[0]).toMatchObject({
      file: '07-telnet-ftp-ssh-mqtt.pcap',
      connection: '10.20.0.50 → 10.20.0.40:23/tcp',
    });
    expect(telnet.evidence[0]!.packet).toBeGreaterThan(0);
    // Two SSH attempts from the same client are one alert with both sightings.
    expect(alerts.find((a) => a.subject === '10.20.0.50→10.20.0.40:22/tcp')!.evidence).toHaveLength(2);
  });

  it('works as a detection rule over a source run', () => {
    const rule = policyViolationRule({ policy, policyId: null, map });
    expect(rule.id).toBe('policy-violation');
    const run = { result: { hosts: [], findings: [] }, at: '2026-11-29T00:00:00Z' } as unknown as Parameters<
      typeof rule.evaluate
    >[0];
    expect(rule.evaluate(run)).toEqual([]);
  });
});
