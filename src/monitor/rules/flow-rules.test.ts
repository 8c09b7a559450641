/**
 * The flow rules as pure functions: port-scan on the real nmap capture (test/fixtures/monitor, see
 * PROVENANCE.md) and its thresholds as properties; the baseline verdict (deny wins, learning baselines
 * are silent); device-not-seen. The rules over stored baselines are exercised end to end in
 * monitor/baseline/baseline.test.ts.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import type { FlowSummary } from '../../discovery/host-observation.js';
import type { DeviceFacts } from '../baseline/peer-role.js';
import { devicesNotSeen } from './device-not-seen.js';
import {
  type BaselineFacts,
  describeEnd,
  emptyFlowRuleContext,
  type FlowRuleContext,
  verdict,
} from './flow-rule-context.js';
import { flowRules } from './flow-rules.js';
import { hl7UnknownReceivers } from './hl7-unknown-receiver.js';
import { newListeningServices } from './new-listening-service.js';
import { newPeers } from './new-peer.js';
import { PORT_SCAN_DEFAULTS, portScans } from './port-scan.js';
import { volumeAnomalies } from './volume-anomaly.js';

const scan = join(import.meta.dirname, '../../../test/fixtures/monitor/08-nmap-scan.pcap');

function flow(client: string, server: string, port: number, at: number): FlowSummary {
  const t = new Date(at).toISOString();
  return {
    client,
    server,
    port,
    transport: 'tcp',
    protocol: null,
    connections: 1,
    packets: 2,
    bytes: 0,
    firstSeen: t,
    lastSeen: t,
    established: false,
    evidence: { source: 'capture', file: 'f.pcap', time: t, summary: '1 connection' },
  };
}

const facts = (id: string, extra: Partial<DeviceFacts> = {}): DeviceFacts => ({
  id,
  siteId: null,
  modelId: null,
  model: null,
  manufacturer: null,
  deviceClass: 'pacs',
  assetTag: null,
  ...extra,
});

const baseline = (state: BaselineFacts['state'], allow: string[], deny: string[] = []): BaselineFacts => ({
  id: 'b',
  scope: 'device',
  state,
  allow: new Set(allow),
  deny: new Set(deny),
  volumeHigh: null,
  lastSeen: null,
});

describe('describeEnd (alert titles)', () => {
  it('names a device by make and model, else a known class, else only its address', () => {
    const ip = '10.20.0.99';
    expect(describeEnd(undefined, ip)).toBe(ip);
    expect(describeEnd(facts('a', { manufacturer: 'GE', model: 'RHAPSODE' }), ip)).toBe(
      `GE RHAPSODE (${ip})`,
    );
    expect(describeEnd(facts('a', { assetTag: 'PACS-1' }), ip)).toBe(`pacs PACS-1 (${ip})`);
    // An unclassified device (a staged host, a scanner) is no "unknown (10.20.0.99)": the address, as its label.
    expect(describeEnd(facts('a', { deviceClass: 'unknown' }), ip)).toBe(ip);
    expect(describeEnd(facts('a', { deviceClass: 'unknown', assetTag: 'LAP-7' }), ip)).toBe(`LAP-7 (${ip})`);
  });
});

describe('port-scan', () => {
  it('fires once per scanned host on the real nmap scan, not below its threshold', async () => {
    const r = await analyzeCapture(scan, { file: '08-nmap-scan.pcap' });
    const hits = portScans(emptyFlowRuleContext(), { result: r });
    expect(hits.map((h) => h.subject).sort()).toEqual([
      'scan:10.20.0.99→10.20.0.10',
      'scan:10.20.0.99→10.20.0.11',
      'scan:10.20.0.99→10.20.0.30',
      'scan:10.20.0.99→10.20.0.40',
    ]);
    expect(hits[0]!.evidence[0]).toMatchObject({
      file: '08-nmap-scan.pcap',
      connection: expect.stringContaining('10.20.0.99:'),
    });
    expect(portScans(emptyFlowRuleContext(), { result: r }, { ...PORT_SCAN_DEFAULTS, ports: 13 })).toEqual(
      [],
    );
    // Four hosts on the same ports is no sweep at the default of 10 hosts; it is at 4.
    expect(
      portScans(emptyFlowRuleContext(), { result: r }, { ports: 100, hosts: 4, windowSeconds: 60 }).length,
    ).toBeGreaterThan(0);
  });

  it('property: fires exactly when some window holds at least the threshold of distinct ports', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ port: fc.integer({ min: 1, max: 30 }), at: fc.integer({ min: 0, max: 300_000 }) }),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 2, max: 15 }),
        (probes, threshold) => {
          const flows = probes.map((p) => flow('10.0.0.1', '10.0.0.2', p.port, 1_700_000_000_000 + p.at));
          const got = portScans(
            emptyFlowRuleContext(),
            { result: { hosts: [], findings: [], flows } },
            {
              ports: threshold,
              hosts: 1000,
              windowSeconds: 60,
            },
          );
          // Brute force: the first contact of each port, any 60 s window starting at one of them.
          const first = new Map<number, number>();
          for (const p of probes) first.set(p.port, Math.min(first.get(p.port) ?? Infinity, p.at));
          const times = [...first.values()];
          const best = Math.max(
            0,
            ...times.map((t) => times.filter((u) => u >= t && u - t <= 60_000).length),
          );
          expect(got.length).toBe(best >= threshold ? 1 : 0);
        },
      ),
    );
  });
});

describe('FTP data connections', () => {
  const ftp = join(import.meta.dirname, '../../../test/fixtures/dissect/ftp-data/vsftpd-hl7-upload.pcap');

  it('twelve transfers in a minute are no port scan; the same ports without FTP are', () => {
    // A lab system uploading a result file every 5 s: each transfer a new passive-mode data port.
    const data = Array.from({ length: 12 }, (_, i) => ({
      ...flow('10.78.0.2', '10.78.0.1', 30_000 + i, 1_700_000_000_000 + i * 5000),
      protocol: 'ftp-data',
      established: true,
    }));
    expect(portScans(emptyFlowRuleContext(), { result: { hosts: [], findings: [], flows: data } })).toEqual(
      [],
    );
    const plain = data.map((f) => ({ ...f, protocol: null }));
    expect(
      portScans(emptyFlowRuleContext(), { result: { hosts: [], findings: [], flows: plain } }),
    ).toHaveLength(1);
  });

  it('a real session (EPSV, PASV, PORT) raises no new-listening-service for its data ports', async () => {
    const r = await analyzeCapture(ftp, { file: 'ftp.pcap' });
    expect((r.flows ?? []).filter((f) => f.protocol === 'ftp-data').length).toBe(3);
    // Both hosts are devices with an active baseline that knows the FTP service and nothing else.
    const ctx: FlowRuleContext = {
      ...emptyFlowRuleContext(),
      devices: new Map([
        ['srv', facts('srv')],
        ['cli', facts('cli')],
      ]),
      deviceByIp: new Map([
        ['10.78.0.1', 'srv'],
        ['10.78.0.2', 'cli'],
      ]),
      deviceBaselines: new Map([
        ['srv', baseline('active', ['service|21/tcp', 'peer|in:class:pacs'])],
        ['cli', baseline('active', ['peer|out:class:pacs', 'peer|in:class:pacs'])],
      ]),
    };
    expect(newListeningServices(ctx, { result: r })).toEqual([]);
  });
});

describe("a device's own traffic (two addresses of one device, as a merge finds)", () => {
  const hl7 = join(import.meta.dirname, '../../../test/fixtures/captures/04-hl7-mllp.pcap');
  const engine = facts('engine', { deviceClass: 'unknown' });
  /** 10.30.0.42, taken for a monitor, is the interface engine's other address; its baseline is active. */
  const ctx = (allow: string[] = [], deny: string[] = []): FlowRuleContext => ({
    ...emptyFlowRuleContext(),
    devices: new Map([['engine', engine]]),
    deviceByIp: new Map([
      ['10.30.0.5', 'engine'],
      ['10.30.0.42', 'engine'],
    ]),
    deviceBaselines: new Map([['engine', baseline('active', allow, deny)]]),
  });

  it('raises no peer, HL7 receiver, service or volume alert for the device as its own peer', async () => {
    const r = await analyzeCapture(hl7, { file: '04-hl7-mllp.pcap' });
    const flows = (r.flows ?? []).filter((f) => f.client === '10.30.0.42');
    expect(flows.map((f) => [f.server, f.port, f.protocol, f.established])).toEqual([
      ['10.30.0.5', 2575, 'hl7', true],
    ]);
    const run = { result: { ...r, flows } };
    // Learning skips the device's own traffic (baseline/learn.ts), so nothing of it is in the baseline.
    expect(hl7UnknownReceivers(ctx(), run)).toEqual([]);
    expect(newListeningServices(ctx(), run)).toEqual([]);
    expect(newPeers(ctx(), run)).toEqual([]);
    expect(volumeAnomalies(ctx(), run, { factor: 1, floorBytes: 0, newPeerFloorBytes: 0 })).toEqual([]);
    // A service a person denied still counts: it answered, whoever asked.
    expect(newListeningServices(ctx([], ['service|2575/tcp']), run)).toEqual([
      expect.objectContaining({ deviceId: 'engine', subject: '2575/tcp', severity: 'high' }),
    ]);
    // The same traffic from another device is what the HL7 rule is for.
    const other = ctx();
    const monitor: FlowRuleContext = {
      ...other,
      devices: new Map([...other.devices, ['monitor', facts('monitor', { deviceClass: 'patient-monitor' })]]),
      deviceByIp: new Map([
        ['10.30.0.5', 'engine'],
        ['10.30.0.42', 'monitor'],
      ]),
      deviceBaselines: new Map([['monitor', baseline('active', [])]]),
    };
    expect(hl7UnknownReceivers(monitor, run)).toEqual([
      expect.objectContaining({
        deviceId: 'monitor',
        details: expect.objectContaining({ receiver: 'device:engine' }),
      }),
    ]);
  });
});

describe('baseline verdicts', () => {
  const ctx = (own?: BaselineFacts, model?: BaselineFacts): FlowRuleContext => ({
    ...emptyFlowRuleContext(),
    devices: new Map([['d1', facts('d1', { modelId: 'm1' })]]),
    deviceByIp: new Map([['10.0.0.1', 'd1']]),
    deviceBaselines: new Map(own ? [['d1', own]] : []),
    modelBaselines: new Map(model ? [['m1', model]] : []),
  });
  const d = facts('d1', { modelId: 'm1' });

  it('learning baselines are silent; the model baseline counts; deny wins over allow', () => {
    expect(verdict(ctx(baseline('learning', [])), d, 'peer', 'out:internet')).toBe('no-baseline');
    expect(verdict(ctx(baseline('active', [])), d, 'peer', 'out:internet')).toBe('unknown');
    expect(
      verdict(
        ctx(baseline('active', []), baseline('active', ['peer|out:internet'])),
        d,
        'peer',
        'out:internet',
      ),
    ).toBe('allowed');
    expect(
      verdict(
        ctx(baseline('active', [], ['peer|out:internet']), baseline('active', ['peer|out:internet'])),
        d,
        'peer',
        'out:internet',
      ),
    ).toBe('denied');
  });

  it('new-peer reports an unknown role and stays quiet for a known one', () => {
    const f = { ...flow('10.0.0.1', '10.9.9.9', 443, 1_700_000_000_000), established: true };
    const run = { result: { hosts: [], findings: [], flows: [f] } };
    expect(newPeers(ctx(baseline('active', [])), run)).toEqual([
      expect.objectContaining({
        rule: 'new-peer',
        deviceId: 'd1',
        details: expect.objectContaining({ peerRole: 'host:10.9.9.9' }),
      }),
    ]);
    expect(newPeers(ctx(baseline('active', ['peer|out:host:10.9.9.9'])), run)).toEqual([]);
    // Another address nobody classified is no peer the baseline knows, nor is a baseline learned with
    // the old shared role (it names no peer now, and reads without error).
    expect(newPeers(ctx(baseline('active', ['peer|out:host:10.9.9.8'])), run)).toHaveLength(1);
    expect(newPeers(ctx(baseline('active', ['peer|out:unknown-host'])), run)).toHaveLength(1);
    // Unanswered attempts are the port-scan rule's business.
    expect(
      newPeers(ctx(baseline('active', [])), {
        result: { hosts: [], findings: [], flows: [{ ...f, established: false }] },
      }),
    ).toEqual([]);
  });

  it('every flow rule is registered with a distinct id', () => {
    const ids = flowRules(emptyFlowRuleContext()).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'new-peer',
        'internet-connection',
        'lateral-medical',
        'new-listening-service',
        'dicom-unknown-ae',
        'hl7-unknown-receiver',
        'port-scan',
      ]),
    );
  });
});

describe('device-not-seen', () => {
  it('raises for active baselines silent longer than the threshold only', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const s = (id: string, lastSeen: string | null, state: 'learning' | 'active' = 'active') => ({
      deviceId: id,
      siteId: null,
      label: id,
      lastSeen,
      baselineState: state,
    });
    const got = devicesNotSeen(
      [
        s('a', '2026-02-27T12:00:00Z'),
        s('b', '2026-03-01T11:00:00Z'),
        s('c', '2026-02-01T00:00:00Z', 'learning'),
        s('d', null),
      ],
      now,
      24,
    );
    expect(got).toEqual([
      expect.objectContaining({
        rule: 'device-not-seen',
        deviceId: 'a',
        subject: 'not-seen',
        details: expect.objectContaining({ silentHours: 48 }),
      }),
    ]);
  });
});
