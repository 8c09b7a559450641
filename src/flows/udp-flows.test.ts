import { describe, expect, it } from 'vitest';
import { fixtureBytes, readAllPackets, tsharkFrames } from '../../test/fixtures/captures/capture-fixtures.js';
import { PacketDecoder } from '../decode/decode-packet.js';
import { type UdpFlow, UdpFlows } from './udp-flows.js';

async function trackUdp(name: string, options = {}) {
  const closed: [UdpFlow, string][] = [];
  const sut = new UdpFlows({ ...options, onClose: (flow, reason) => closed.push([flow, reason]) });
  const decoder = new PacketDecoder();
  const { packets } = await readAllPackets(fixtureBytes(name));
  for (const p of packets)
    sut.track(decoder.decodeFrame(p.linkType, p.data, 0, p.capturedLength), p.index, p.sec);
  sut.finish();
  return { sut, flows: closed.map(([f]) => f), closed };
}

describe('UdpFlows', () => {
  it('finds the UDP conversations tshark sees, servers on their service ports', async () => {
    const frames = tsharkFrames('01-dhcp-dns-mdns.pcap').filter(
      (f) => f.udpSrcPort.length > 0 && f.icmpType.length === 0 && f.icmp6Type.length === 0,
    );
    const key = (a: string, pa: number, b: string, pb: number) =>
      [`${a}|${pa}`, `${b}|${pb}`].sort().join(' ');
    const expected = new Set(
      frames.map((f) =>
        key(f.ipSrc[0] ?? f.ip6Src[0]!, f.udpSrcPort[0]!, f.ipDst[0] ?? f.ip6Dst[0]!, f.udpDstPort[0]!),
      ),
    );
    const { flows } = await trackUdp('01-dhcp-dns-mdns.pcap');
    expect(new Set(flows.map((f) => key(f.clientIp, f.clientPort, f.serverIp, f.serverPort)))).toEqual(
      expected,
    );
    expect(flows.reduce((n, f) => n + f.clientPackets + f.serverPackets, 0)).toBe(frames.length);
    const dns = flows.filter((f) => f.serverPort === 53);
    expect(dns.length).toBeGreaterThan(0);
    expect(dns.every((f) => f.serverIp === '10.20.0.1' && f.clientPackets > 0 && f.serverPackets > 0)).toBe(
      true,
    );
    const dhcp = flows.find((f) => f.serverPort === 67)!;
    expect(dhcp.clientPort).toBe(68);
  });

  it('expires idle flows by capture time and caps their number', async () => {
    const idle = await trackUdp('01-dhcp-dns-mdns.pcap', { idleTimeoutSec: 0.5 });
    expect(idle.closed.some(([, reason]) => reason === 'idle')).toBe(true);
    const capped = await trackUdp('01-dhcp-dns-mdns.pcap', { maxFlows: 2 });
    expect(capped.closed.some(([, reason]) => reason === 'evicted')).toBe(true);
    expect(capped.sut.size).toBe(0);
  });
});
