/**
 * The MAC registry hint (`oui.vendor`) cites the packet that first showed the MAC: the host's first packet
 * in the capture (tshark `-Y "eth.src==MAC"`, shared captures 01 and 07, PROVENANCE.md), not the evidence
 * of some later service, and not nothing for a host that offers no service.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from './capture-analyzer.js';
import type { SourceResult } from './host-observation.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);

/** Per MAC, the earliest packet its hosts' hints cite (a device's IPv4 and link-local IPv6 sides are two
 * hosts here, each citing its own first packet; the device keeps the earliest sighting). */
function vendorPackets(r: SourceResult): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const h of r.hosts)
    for (const x of h.hints.filter((x) => x.kind === 'oui.vendor')) {
      const mac = h.macs[0]!;
      const p = x.evidence.packet;
      if (!(mac in out) || (p !== undefined && p < (out[mac] ?? Number.POSITIVE_INFINITY))) out[mac] = p;
    }
  return out;
}

describe('oui.vendor evidence', () => {
  it('07: the legacy host at frame 4 (its SYN-ACK), not its first service banner at 42', async () => {
    const r = await analyzeCapture(fixture('07-telnet-ftp-ssh-mqtt.pcap'), { file: '07.pcap' });
    expect(vendorPackets(r)).toMatchObject({ '00:a0:aa:5b:00:40': 4, '58:42:e4:10:00:60': 130 });
    const legacy = r.hosts.find((h) => h.ips.includes('10.20.0.40'))!;
    expect(legacy.hints.find((h) => h.kind === 'oui.vendor')!.evidence).toMatchObject({
      file: '07.pcap',
      packet: 4,
      time: legacy.firstSeen,
    });
  });

  it('01: DHCP clients at their first request (frames 1 and 5); hosts with no service at their first packet', async () => {
    const r = await analyzeCapture(fixture('01-dhcp-dns-mdns.pcap'), { file: '01.pcap' });
    expect(vendorPackets(r)).toEqual({
      '44:4b:5d:c7:21:01': 1, // GE CT, DHCP Discover from 0.0.0.0
      '00:0f:82:ec:60:23': 5, // Mortara ECG, DHCP Discover
      '58:42:e4:10:00:60': 29, // Baxter pump, mDNS query
      '00:a0:aa:5b:00:40': 105, // Spacelabs, ICMPv6 Router Solicitation, no service
      '00:09:5c:41:00:41': 111,
      '00:18:65:43:00:43': 117,
    });
  });
});
