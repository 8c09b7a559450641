/**
 * Splitting a flush into bounded messages: nothing lost or duplicated, every finding travels with its
 * host, conversations in their own messages, sizes bounded (real capture + fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import type { SourceResult } from '../discovery/host-observation.js';
import { encodeObservation, OBSERVATION_LIMITS, type ObservationMessage } from './observation-schema.js';
import { splitHost, splitResult } from './split.js';

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

/** The real capture's result once more, as if seen at another site: MACs and IPs moved by `k`. */
function copy(r: SourceResult, k: number): SourceResult {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return JSON.parse(
    JSON.stringify(r)
      .replace(/\b(\d+)\.(\d+)\.(\d+)\.(\d+)\b/g, (_m, _a, _b, _c, d) => `10.${k >> 8}.${k & 255}.${d}`)
      .replace(
        /\b[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})\b/g,
        (_m, _d, e, f) => `0a:${hex(k >> 8)}:${hex(k & 255)}:00:${e}:${f}`,
      )
      .replace(/fe80::/g, `fe80::${(k + 1).toString(16)}:`),
  ) as SourceResult;
}

/** What the publisher does with each part: stamps it and validates it against the schema. */
function encodeParts(parts: ReturnType<typeof splitResult>): void {
  parts.forEach((p, i) => {
    const m = {
      schema: 'vigil.obs',
      v: 1,
      sensor: 's1',
      site: 'north',
      epoch: 1,
      seq: i,
      flush: 1,
      part: i,
      parts: parts.length + 1,
      at: '2026-11-29T10:00:00.000Z',
      ...p,
    } as ObservationMessage;
    expect(() => encodeObservation(m)).not.toThrow();
  });
}

describe('splitResult', () => {
  it('splits a flush over the schema caps (10,000 hosts a message) instead of failing', async () => {
    const a = await analyzeCapture(CAPTURE, { file: '01.pcap' });
    const one: SourceResult = { hosts: a.hosts, findings: a.findings, flows: a.flows ?? [] };
    const copies = Math.ceil((OBSERVATION_LIMITS.hostsPerMessage + 50) / a.hosts.length);
    const many = Array.from({ length: copies }, (_, k) => copy(one, k + 1));
    const big: SourceResult = {
      hosts: many.flatMap((r) => r.hosts),
      findings: many.flatMap((r) => r.findings),
      flows: many.flatMap((r) => r.flows ?? []),
    };
    expect(big.hosts.length).toBeGreaterThan(OBSERVATION_LIMITS.hostsPerMessage);
    // Sizes do not limit here (as with a large --max-message-bytes): only the list caps do.
    const parts = splitResult(big, 1 << 30);
    const hostParts = parts.filter((p) => p.kind === 'hosts');
    expect(hostParts.length).toBeGreaterThan(1);
    for (const p of hostParts) expect(p.hosts.length).toBeLessThanOrEqual(OBSERVATION_LIMITS.hostsPerMessage);
    expect(hostParts.flatMap((p) => p.hosts)).toEqual(big.hosts);
    expect(hostParts.flatMap((p) => p.findings)).toHaveLength(big.findings.length);
    encodeParts(parts);
    // The caps are parameters: small ones split the real capture the same way.
    const small = splitResult(one, 1 << 30, {
      hostsPerMessage: 2,
      findingsPerMessage: 3,
      flowsPerMessage: 2,
      host: OBSERVATION_LIMITS.host,
    });
    for (const p of small) {
      if (p.kind === 'hosts') {
        expect(p.hosts.length).toBeLessThanOrEqual(2);
        expect(p.findings.length).toBeLessThanOrEqual(3);
      } else expect(p.flows.length).toBeLessThanOrEqual(2);
    }
    expect(small.flatMap((p) => (p.kind === 'hosts' ? p.hosts : []))).toEqual(one.hosts);
    expect(small.flatMap((p) => (p.kind === 'flows' ? p.flows : []))).toEqual(one.flows);
  });

  it('sends a host over the per-host caps as several observations with its MACs', async () => {
    const a = await analyzeCapture(CAPTURE, { file: '01.pcap' });
    const real = a.hosts.find((h) => h.macs.length && h.ips.length)!;
    // The same host seen with 2,500 addresses (a router in front of a routed network).
    const ips = Array.from({ length: 2500 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    const router = { ...real, ips };
    const pieces = splitHost(router);
    expect(pieces).toHaveLength(3);
    for (const p of pieces) {
      expect(p.macs).toEqual(real.macs);
      expect(p.ips.length).toBeLessThanOrEqual(OBSERVATION_LIMITS.host.ips);
    }
    expect(pieces.flatMap((p) => p.ips)).toEqual(ips);
    expect(pieces[0]!.identity).toEqual(real.identity);
    expect(pieces[1]!.identity).toEqual({});
    const parts = splitResult({ hosts: [router], findings: [] });
    expect(parts.flatMap((p) => (p.kind === 'hosts' ? p.hosts : []))).toHaveLength(3);
    encodeParts(parts);
    expect(splitHost(real)).toEqual([real]);
  });

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
