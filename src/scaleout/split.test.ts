/**
 * Splitting a flush into bounded messages: nothing lost or duplicated, every finding travels with its
 * host, conversations in their own messages, sizes bounded (real capture + fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import type { SourceResult } from '../discovery/host-observation.js';
import { splitResult } from './split.js';

const CAPTURE = new URL('../../test/fixtures/captures/01-dhcp-dns-mdns.pcap', import.meta.url).pathname;
const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

function check(result: SourceResult, maxBytes: number) {
  const parts = splitResult(result, maxBytes);
  const hosts = parts.flatMap((p) => (p.kind === 'hosts' ? p.hosts : []));
  const findings = parts.flatMap((p) => (p.kind === 'hosts' ? p.findings : []));
  const flows = parts.flatMap((p) => (p.kind === 'flows' ? p.flows : []));
  expect(hosts).toEqual(result.hosts);
  expect(new Set(findings)).toEqual(new Set(result.findings));
  expect(findings).toHaveLength(result.findings.length);
  expect(flows).toEqual(result.flows ?? []);
  for (const p of parts) {
    if (p.kind !== 'hosts') continue;
    const keys = new Set(p.hosts.flatMap((h) => [...h.macs, ...h.ips]));
    for (const f of p.findings) {
      const own = [f.host.mac, f.host.ip].some((k) => k && keys.has(k));
      const anywhere = result.hosts.some((h) =>
        [...h.macs, ...h.ips].some((k) => k === f.host.mac || k === f.host.ip),
      );
      if (anywhere) expect(own).toBe(true);
    }
    // Bounded, unless one host alone is larger.
    if (p.hosts.length > 1) expect(size(p)).toBeLessThanOrEqual(maxBytes);
  }
  return parts;
}

describe('splitResult', () => {
  it('splits a real capture into bounded messages, findings beside their hosts', async () => {
    const a = await analyzeCapture(CAPTURE, { file: '01.pcap' });
    expect(a.hosts.length).toBeGreaterThan(3);
    const whole = check(a, 1024 * 1024);
    expect(whole.filter((p) => p.kind === 'hosts')).toHaveLength(1);
    const small = check(a, 4096);
    expect(small.length).toBeGreaterThan(whole.length);
  });

  it('keeps every item exactly once for any result and bound', () => {
    const ip = fc.integer({ min: 1, max: 40 }).map((n) => `10.0.0.${n}`);
    const ev = { source: 'capture' as const, file: 'x', summary: 's' };
    const host = ip.map((i) => ({
      macs: [],
      ips: [i],
      hostnames: [],
      firstSeen: 't',
      lastSeen: 't',
      services: [],
      protocols: [],
      identity: {},
      hints: [{ kind: 'k', value: i.repeat(20), evidence: ev }],
    }));
    const finding = ip.map((i) => ({
      type: 'insecure-protocol' as const,
      host: { ip: i },
      subject: `telnet:${i}`,
      evidence: ev,
      details: {},
    }));
    const flow = fc.tuple(ip, ip).map(([c, s]) => ({
      client: c,
      server: s,
      port: 23,
      transport: 'tcp' as const,
      protocol: null,
      connections: 1,
      packets: 1,
      bytes: 1,
      firstSeen: 't',
      lastSeen: 't',
      evidence: ev,
    }));
    fc.assert(
      fc.property(
        fc.uniqueArray(host, { selector: (h) => h.ips[0], maxLength: 30 }),
        fc.array(finding, { maxLength: 30 }),
        fc.array(flow, { maxLength: 30 }),
        fc.integer({ min: 1024, max: 20_000 }),
        (hosts, findings, flows, max) => {
          check({ hosts, findings, flows }, max);
        },
      ),
      { numRuns: 200 },
    );
  });
});
