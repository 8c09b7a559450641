/**
 * Link-local, mDNS and LLMNR traffic, on real packets: every UDP datagram and ICMPv6 message of Zeek's
 * trace dns/mdns.pcap as tshark lists them (test/fixtures/policy/mdns-link-local.tsv, see PROVENANCE.md),
 * as a Zeek conn.log would store them (multicast ends included), the unicast mDNS a capture of the
 * simulated LAN keeps (test/fixtures/captures/01-dhcp-dns-mdns.pcap), and the LLMNR queries of a real
 * Zeek dns.log (test/fixtures/policy/llmnr-zeek-dns.log).
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import { countNonSegment, isLinkLocal, nonSegmentKind } from './non-segment-traffic.js';
import { fromFlowSummary } from './policy-flow.js';
import { llmnrTraceFlows, mdnsTraceFlows } from './policy-test-fixtures.js';

describe('link-local and mDNS traffic', () => {
  it('knows link-local addresses in any spelling, and nothing else', () => {
    for (const ip of [
      '169.254.0.1',
      '169.254.255.254',
      'fe80::883c:d6ff:fee1:4dc4',
      'FE80:0:0:0:0:0:0:1',
      'febf::1',
    ])
      expect(isLinkLocal(ip), ip).toBe(true);
    for (const ip of [
      '169.253.255.255',
      '10.0.2.7',
      'fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4',
      'fec0::1',
      'ff02::fb',
      'x',
    ])
      expect(isLinkLocal(ip), ip).toBe(false);
  });

  it('names every packet of the mDNS trace: queries to the group are mDNS, the fe80:: MLD reports link-local', () => {
    const flows = mdnsTraceFlows();
    expect(flows.length).toBe(21);
    expect(countNonSegment(flows)).toEqual({ mdns: 18, linkLocal: 3, llmnr: 0 });
    expect(flows.filter((f) => nonSegmentKind(f) === 'linkLocal').map((f) => f.client)).toEqual([
      'fe80::883c:d6ff:fee1:4dc4',
      'fe80::883c:d6ff:fee1:4dc4',
      'fe80::883c:d6ff:fee1:4dc4',
    ]);
    // DNS on 53, or 5353 over TCP, is no mDNS.
    const query = flows[1]!;
    expect(nonSegmentKind({ ...query, port: 53, protocol: 'dns' })).toBeNull();
    expect(nonSegmentKind({ ...query, transport: 'tcp' })).toBeNull();
    expect(nonSegmentKind({ ...query, server: '10.0.2.8', protocol: null })).toBeNull();
  });

  it('names the LLMNR queries of a Zeek log LLMNR, from a routable or a link-local address', () => {
    const flows = llmnrTraceFlows();
    expect(flows.length).toBe(16);
    expect(countNonSegment(flows)).toEqual({ mdns: 0, linkLocal: 0, llmnr: 16 });
    expect(new Set(flows.map((f) => `${f.client} → ${f.server}`))).toEqual(
      new Set(['192.168.0.15 → 224.0.0.252', 'fe80::e874:5e35:c585:ef71 → ff02::1:3']),
    );
    const query = flows.find((f) => f.client === '192.168.0.15')!;
    // The responder's unicast answer comes back to the querier's port: the analyzer names it `llmnr`.
    expect(nonSegmentKind({ ...query, server: '192.168.0.20', port: 53856, protocol: 'llmnr' })).toBe(
      'llmnr',
    );
    // 5355 to a unicast address with no LLMNR label, DNS to the group's port over TCP, or 5353: not LLMNR.
    expect(nonSegmentKind({ ...query, server: '192.168.0.20', protocol: null })).toBeNull();
    expect(nonSegmentKind({ ...query, transport: 'tcp' })).toBeNull();
    expect(nonSegmentKind({ ...query, port: 5353 })).toBeNull();
  });

  it('names the unicast mDNS answers a capture keeps', async () => {
    const r = await analyzeCapture(
      new URL('../../test/fixtures/captures/01-dhcp-dns-mdns.pcap', import.meta.url).pathname,
      { file: '01-dhcp-dns-mdns.pcap' },
    );
    const flows = (r.flows ?? []).map(fromFlowSummary);
    const mdns = flows.filter((f) => f.port === 5353);
    expect(mdns.length).toBe(3);
    expect(mdns.map(nonSegmentKind)).toEqual(['mdns', 'mdns', 'mdns']);
    expect(flows.filter((f) => f.port !== 5353).map(nonSegmentKind)).toEqual(
      flows.filter((f) => f.port !== 5353).map(() => null),
    );
  });
});
