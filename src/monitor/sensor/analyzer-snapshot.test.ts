/**
 * The capture analyzer in slices (what a live sensor does): whatever the slicing, the slices add up to
 * what one pass over the whole capture reports, and idle hosts are forgotten once stored.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapturePacket } from '../../capture/capture-packet.js';
import { CaptureAnalyzer } from '../../discovery/capture-analyzer.js';
import type { FindingObservation, FlowSummary, SourceResult } from '../../discovery/host-observation.js';
import { fixturePackets, shifted } from './fixture-packets.js';

const FIXTURES = ['07-telnet-ftp-ssh-mqtt.pcap', '04-hl7-mllp.pcap'];
const packets = new Map<string, CapturePacket[]>();

beforeAll(async () => {
  for (const f of FIXTURES) packets.set(f, await fixturePackets(f));
});

function occurrences(findings: FindingObservation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) {
    const k = `${f.type}|${f.host.ip}|${f.subject}`;
    out[k] = (out[k] ?? 0) + (f.occurrences ?? 1);
  }
  return out;
}

function flowTotals(flows: FlowSummary[]): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const f of flows) {
    const k = `${f.client}|${f.server}|${f.port}|${f.transport}`;
    const t = out[k] ?? [0, 0, 0];
    out[k] = t;
    t[0] += f.connections;
    t[1] += f.packets;
    t[2] += f.bytes;
  }
  return out;
}

/** Latest state per host (by first IP) over all slices. */
function latestHosts(results: SourceResult[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of results)
    for (const h of r.hosts)
      out.set(
        h.ips[0] ?? h.macs[0]!,
        JSON.stringify({
          macs: h.macs,
          services: h.services.map((s) => [s.port, s.transport, s.protocol, s.product, s.encrypted]),
          protocols: h.protocols,
          lastSeen: h.lastSeen,
          identity: Object.keys(h.identity).sort(),
        }),
      );
  return out;
}

function oneShot(name: string): SourceResult {
  const a = new CaptureAnalyzer(name);
  for (const p of packets.get(name)!) a.packet(p);
  return a.finish();
}

function sliced(name: string, cuts: number[]): SourceResult[] {
  const a = new CaptureAnalyzer(name);
  const ps = packets.get(name)!;
  const out: SourceResult[] = [];
  const at = new Set(cuts);
  ps.forEach((p, i) => {
    if (at.has(i)) out.push(a.snapshot());
    a.packet(p);
  });
  out.push(a.snapshot({ final: true }));
  return out;
}

describe('CaptureAnalyzer.snapshot', () => {
  it.each(FIXTURES)('%s: slices add up to one pass, whatever the slicing (property)', (name) => {
    const whole = oneShot(name);
    expect(whole.findings.length + (whole.flows?.length ?? 0)).toBeGreaterThan(0);
    const n = packets.get(name)!.length;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 12 }), (cuts) => {
        const slices = sliced(name, cuts);
        const findings = slices.flatMap((s) => s.findings);
        expect(occurrences(findings)).toEqual(occurrences(whole.findings));
        const got = flowTotals(slices.flatMap((s) => s.flows ?? []));
        const want = flowTotals(whole.flows ?? []);
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
        for (const [k, [connections, packets, bytes]] of Object.entries(want)) {
          expect(got[k]![0]).toBe(connections);
          expect(got[k]![2]).toBe(bytes);
          // Known gap: the last ACKs of a connection closed just before a slice are settled by
          // FlowSummaries only at the end of its own run, so a slice boundary can miss them (no payload).
          expect(packets - got[k]![1]).toBeGreaterThanOrEqual(0);
          expect(packets - got[k]![1]).toBeLessThanOrEqual(2 * cuts.length);
        }
        expect(latestHosts(slices)).toEqual(latestHosts([whole]));
      }),
      { numRuns: 60 },
    );
  });

  it('hands out a host again only when something about it changed, findings only once', () => {
    const a = new CaptureAnalyzer('07');
    const ps = packets.get('07-telnet-ftp-ssh-mqtt.pcap')!;
    for (const p of ps) a.packet(p);
    const first = a.snapshot();
    expect(first.hosts.length).toBeGreaterThan(0);
    expect(first.findings.length).toBeGreaterThan(0);
    const second = a.snapshot();
    expect(second).toEqual({ hosts: [], findings: [], flows: [] });
    // After a slice that could not be stored, every host is handed out again.
    expect(a.snapshot({ all: true }).hosts.length).toBe(first.hosts.length);
  });

  it('is a copy: packets after it do not change what it returned', () => {
    const a = new CaptureAnalyzer('07');
    const ps = packets.get('07-telnet-ftp-ssh-mqtt.pcap')!;
    for (const p of ps.slice(0, 70)) a.packet(p);
    const s = a.snapshot();
    const before = JSON.stringify(s);
    for (const p of ps.slice(70)) a.packet(p);
    a.snapshot();
    expect(JSON.stringify(s)).toBe(before);
  });

  it('labels evidence with the current stream and the evidence source (live)', () => {
    const a = new CaptureAnalyzer('eth0', 'live');
    for (const p of packets.get('07-telnet-ftp-ssh-mqtt.pcap')!) a.packet(p);
    const s = a.snapshot({ final: true });
    expect(s.findings.every((f) => f.evidence.source === 'live' && f.evidence.file === 'eth0')).toBe(true);
    expect(s.flows?.every((f) => f.evidence.source === 'live')).toBe(true);
    a.nextStream('eth0#2');
    for (const p of packets.get('04-hl7-mllp.pcap')!) a.packet(p);
    const t = a.snapshot({ final: true });
    expect(t.findings.map((f) => f.evidence.file)).toContain('eth0#2');
  });
});

describe('CaptureAnalyzer.evictIdle', () => {
  it('forgets stored hosts that went quiet, and learns them again when they come back', () => {
    const a = new CaptureAnalyzer('07');
    const ps = packets.get('07-telnet-ftp-ssh-mqtt.pcap')!;
    for (const p of ps) a.packet(p);
    // Not stored yet: nothing may be forgotten, however old.
    expect(a.evictIdle(0)).toBe(0);
    const stored = a.snapshot();
    const held = a.hosts.size;
    // Two hours later one packet arrives: everything else has been idle for two hours.
    a.packet(shifted(ps[0]!, 7200));
    const forgotten = a.evictIdle(3600);
    expect(forgotten).toBeGreaterThan(0);
    expect(a.hosts.size).toBeLessThan(held);
    // A day later the same traffic again: the hosts come back with everything they showed before.
    for (const p of ps) a.packet(shifted(p, 86_400));
    const again = a.snapshot({ final: true });
    const services = (r: SourceResult) =>
      new Map(r.hosts.map((h) => [h.ips[0], h.services.map((s) => `${s.port}/${s.protocol}`).join(',')]));
    for (const [ip, svc] of services(stored)) expect(services(again).get(ip)).toBe(svc);
  });

  it('stays bounded when the network keeps changing (a week of hourly address churn)', () => {
    const a = new CaptureAnalyzer('churn');
    const ps = packets.get('04-hl7-mllp.pcap')!;
    let peak = 0;
    for (let hour = 0; hour < 24 * 7; hour++) {
      for (const p of ps) {
        const c = shifted(p, hour * 3600);
        // Each hour the hosts appear under new addresses (DHCP churn): rewrite the IPv4 source's last byte.
        c.bytes = c.bytes.slice();
        if (c.bytes[12] === 0x08 && c.bytes[13] === 0x00) c.bytes[29] = hour % 250;
        a.packet(c);
      }
      a.snapshot();
      a.evictIdle(1800);
      peak = Math.max(peak, a.hosts.size);
    }
    expect(peak).toBeLessThan(40);
  });
});
