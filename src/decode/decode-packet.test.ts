import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fixtureBytes,
  type PacketCopy,
  readAllPackets,
  type TsharkFrame,
  tsharkFrames,
} from '../../test/fixtures/captures/capture-fixtures.js';
import { LinkType } from '../capture/link-type.js';
import { PacketDecoder } from './decode-packet.js';
import { type DecodedPacket, IpProtocol } from './decoded-packet.js';

/** Every fixture: each link type, VLAN/QinQ, IPv6 extension headers, fragments, truncation. */
const FIXTURES = [
  '01-dhcp-dns-mdns.pcap',
  '04-hl7-mllp.pcap',
  '04-hl7-mllp-vlan30.pcap',
  '06-http-tls.pcapng',
  '07-telnet-ftp-ssh-mqtt.pcap',
  'dicom-ct-store.pcap',
  'nmap-legacy-host.pcap',
  'lo-fragments.pcap',
  'sll-http.pcap',
  'sll2-http.pcap',
  'null-le-v4.pcap',
  'null-be-v6.pcap',
  'loop-v6.pcap',
  'raw101-http.pcap',
  'raw229-http.pcap',
  'multi-linktype.pcapng',
  'zeek-q-in-q.pcap',
  'zeek-vlan-qinqinq.pcap',
  'zeek-linux_dlt_sll2.pcap',
  'zeek-linuxsll-arp.pcap',
  'zeek-nflog-http.pcap',
  'zeek-ipv6-fragmented-dns.pcap',
  'zeek-mdns.pcap',
  'zeek-cdp-v1.pcap',
  'zeek-rawip4-basic-auth.pcap',
  'zeek-truncated-header.pcap',
  'zeek-missing-syn.pcapng',
  'zeek-pcapng-multi-interface.pcapng',
];

async function decodeAll(name: string, sut = new PacketDecoder()) {
  const { packets } = await readAllPackets(fixtureBytes(name));
  const decoded = packets.map((p) =>
    snapshot(sut.decodeFrame(p.linkType, p.data, 0, p.capturedLength, time(p))),
  );
  return { packets, decoded, sut };
}

const time = (p: PacketCopy) => p.sec + p.nsec / 1e9;

/** A copy of the reused result's fields (the decoder overwrites it on the next packet). */
function snapshot(d: DecodedPacket) {
  return {
    outcome: d.outcome,
    reason: d.reason,
    srcMac: d.srcMacText(),
    dstMac: d.dstMacText(),
    vlans: d.vlans(),
    etherType: d.etherType,
    llc: d.llc,
    ipVersion: d.ipVersion,
    src: d.srcIpText(),
    dst: d.dstIpText(),
    ipProtocol: d.ipProtocol,
    fragment: d.fragment,
    reassembled: d.reassembled,
    srcPort: d.srcPort,
    dstPort: d.dstPort,
    seq: d.tcpSeq,
    ack: d.tcpAck,
    flags: d.tcpFlags,
    icmpType: d.icmpType,
    payload: d.payload().slice(),
    segmentLength: d.segmentLength,
    truncated: d.truncated,
  };
}
type Snapshot = ReturnType<typeof snapshot>;

/** Compares one decoded frame with tshark's view of it, layer by layer. */
function expectLikeTshark(d: Snapshot, t: TsharkFrame, linkType: number): void {
  const where = `frame ${t.number}`;
  if (linkType === LinkType.ETHERNET && t.ethSrc.length > 0) {
    expect([d.srcMac, d.dstMac], where).toEqual([t.ethSrc[0], t.ethDst[0]]);
    expect(d.vlans, where).toEqual(t.vlan);
  }
  if (linkType === LinkType.LINUX_SLL || linkType === LinkType.LINUX_SLL2) {
    expect(d.srcMac, where).toBe(t.sllSrc[0] ?? '');
  }
  const v4 = t.ipSrc.length > 0 && (t.ip6Src.length === 0 || d.ipVersion === 4);
  const v6 = t.ip6Src.length > 0 && !v4;
  if (v4) expect([d.ipVersion, d.src, d.dst], where).toEqual([4, t.ipSrc[0], t.ipDst[0]]);
  if (v6) expect([d.ipVersion, d.src, d.dst], where).toEqual([6, t.ip6Src[0], t.ip6Dst[0]]);
  if (!v4 && !v6) expect(d.ipVersion, where).toBe(0);
  const icmp = t.icmpType.length > 0 || t.icmp6Type.length > 0;
  if (icmp) {
    expect(d.outcome, where).toBe('transport');
    expect(d.icmpType, where).toBe(d.ipVersion === 4 ? t.icmpType[0] : t.icmp6Type[0]);
  } else if (t.tcpSrcPort.length > 0) {
    expect([d.outcome, d.ipProtocol], where).toEqual(['transport', IpProtocol.TCP]);
    expect([d.srcPort, d.dstPort, d.seq, d.ack, d.flags, d.segmentLength], where).toEqual([
      t.tcpSrcPort[0],
      t.tcpDstPort[0],
      t.tcpSeq[0],
      t.tcpAck[0],
      t.tcpFlags[0]! & 0xff,
      t.tcpLen[0],
    ]);
  } else if (t.udpSrcPort.length > 0) {
    expect([d.outcome, d.ipProtocol], where).toEqual(['transport', IpProtocol.UDP]);
    expect([d.srcPort, d.dstPort, d.segmentLength + 8], where).toEqual([
      t.udpSrcPort[0],
      t.udpDstPort[0],
      t.udpLength[0],
    ]);
  } else {
    // tshark saw no transport header: neither did we (a fragment, ARP, LLC, IGMP …).
    expect(['network', 'link', 'fragment'], where).toContain(d.outcome);
  }
}

describe('PacketDecoder against tshark', () => {
  it.each(FIXTURES)('%s: MACs, VLANs, addresses, ports, TCP sequence state and ICMP types', async (name) => {
    const frames = tsharkFrames(name);
    const { packets, decoded } = await decodeAll(name);
    expect(decoded.length).toBe(frames.length);
    decoded.forEach((d, i) => {
      expectLikeTshark(d, frames[i]!, packets[i]!.linkType);
    });
  });
});

describe('PacketDecoder link layers', () => {
  it('reads stacked VLAN tags outermost first (802.1ad / QinQ and triple tags)', async () => {
    const qinq = (await decodeAll('zeek-q-in-q.pcap')).decoded;
    expect(qinq.every((d) => d.vlans.length === 2)).toBe(true);
    const triple = (await decodeAll('zeek-vlan-qinqinq.pcap')).decoded;
    expect(triple[0]!.vlans).toEqual(tsharkFrames('zeek-vlan-qinqinq.pcap')[0]!.vlan);
    expect(triple[0]!.vlans.length).toBe(3);
  });

  it('takes the source MAC of Linux cooked captures from the SLL header', async () => {
    for (const name of ['sll-http.pcap', 'sll2-http.pcap']) {
      const { decoded } = await decodeAll(name);
      expect(decoded.every((d) => d.dstMac === '' && d.outcome === 'transport')).toBe(true);
    }
    const frames = tsharkFrames('zeek-linuxsll-arp.pcap');
    expect((await decodeAll('zeek-linuxsll-arp.pcap')).decoded.map((d) => d.srcMac)).toEqual(
      frames.map((t) => t.sllSrc[0]),
    );
    const arp = (await decodeAll('zeek-linuxsll-arp.pcap')).decoded;
    expect(arp.map((d) => `${d.outcome}/${d.reason}`)).toEqual(arp.map(() => 'link/arp'));
  });

  it('reads the address family of BSD null (both byte orders) and OpenBSD loop', async () => {
    const v4 = (await decodeAll('null-le-v4.pcap')).decoded;
    const v6 = (await decodeAll('null-be-v6.pcap')).decoded;
    const loop = (await decodeAll('loop-v6.pcap')).decoded;
    expect(new Set(v4.map((d) => d.ipVersion))).toEqual(new Set([4]));
    expect(new Set(v6.map((d) => d.ipVersion))).toEqual(new Set([6]));
    expect(new Set(loop.map((d) => d.ipVersion))).toEqual(new Set([6]));
    const sut = new PacketDecoder();
    const frame = Uint8Array.of(7, 0, 0, 0, 0x45);
    expect(sut.decodeFrame(LinkType.NULL, frame, 0, frame.length).reason).toBe('loopback family not ip');
  });

  it('counts 802.3 frames with LLC (CDP over SNAP) as link-layer only', async () => {
    const { decoded, sut } = await decodeAll('zeek-cdp-v1.pcap');
    expect(decoded.map((d) => [d.outcome, d.reason, d.llc])).toEqual([['link', 'llc snap', true]]);
    expect(sut.stats.llc).toBe(1);
  });

  it('finds the IP packet inside NFLOG TLVs', async () => {
    const { decoded } = await decodeAll('zeek-nflog-http.pcap');
    expect(decoded.filter((d) => d.outcome === 'transport').length).toBe(13);
  });

  it('says which link types it does not decode', () => {
    const sut = new PacketDecoder();
    const d = sut.decodeFrame(127, new Uint8Array(40), 0, 40);
    expect([d.outcome, d.reason]).toEqual(['unsupported', 'link type not decoded']);
    expect(sut.stats.reasons.get('link type not decoded')).toBe(1);
  });
});

describe('PacketDecoder IP layer', () => {
  it('reassembles fragmented IPv4 and IPv6 UDP datagrams (real loopback traffic)', async () => {
    const { decoded, sut } = await decodeAll('lo-fragments.pcap');
    expect(decoded.map((d) => d.outcome)).toEqual([
      'fragment',
      'fragment',
      'fragment',
      'transport',
      'transport',
      'fragment',
      'fragment',
      'fragment',
      'transport',
      'transport',
    ]);
    const sent = new Uint8Array(4096).map((_, i) => i & 255);
    for (const i of [3, 8]) {
      expect(decoded[i]!.reassembled).toBe(true);
      expect([decoded[i]!.ipProtocol, decoded[i]!.dstPort]).toEqual([IpProtocol.UDP, 9999]);
      expect(decoded[i]!.payload).toEqual(sent);
    }
    expect(sut.stats.reassembled).toBe(2);
    expect(sut.reassembler!.size).toBe(0);
  });

  it('counts fragments without reassembling them when reassembly is off', async () => {
    const { decoded, sut } = await decodeAll('lo-fragments.pcap', new PacketDecoder({ reassembly: false }));
    expect(decoded.filter((d) => d.outcome === 'fragment').length).toBe(8);
    expect(sut.stats.outcomes.fragment).toBe(8);
  });

  it('walks IPv6 extension headers to the upper layer (hop-by-hop in MLD, fragment headers)', async () => {
    const { decoded } = await decodeAll('01-dhcp-dns-mdns.pcap');
    const frames = tsharkFrames('01-dhcp-dns-mdns.pcap');
    const hopByHop = frames.filter((t) => t.ip6Next[0] === 0).map((t) => t.number - 1);
    expect(hopByHop.length).toBeGreaterThan(0);
    for (const i of hopByHop)
      expect([decoded[i]!.outcome, decoded[i]!.ipProtocol]).toEqual(['transport', 58]);
  });

  it('decodes a TCP header whose options the snaplen cut, flagging the packet truncated', async () => {
    const { decoded } = await decodeAll('zeek-truncated-header.pcap');
    expect(decoded[0]!.flags & 0x02).toBe(0x02);
    expect(decoded[0]!.truncated).toBe(true);
  });
});

describe('PacketDecoder on bad input', () => {
  it('reports every truncation of real frames as malformed or truncated, never throws', async () => {
    const sut = new PacketDecoder({ reassembly: false });
    for (const name of ['04-hl7-mllp-vlan30.pcap', 'sll2-http.pcap', 'zeek-mdns.pcap', 'zeek-q-in-q.pcap']) {
      const { packets } = await readAllPackets(fixtureBytes(name));
      for (const p of packets.slice(0, 12)) {
        for (let cut = 0; cut <= p.capturedLength; cut++) {
          const d = sut.decodeFrame(p.linkType, p.data, 0, cut);
          expect(d.payloadOffset + d.payloadLength).toBeLessThanOrEqual(cut);
          if (d.outcome === 'malformed') expect(d.reason).not.toBe('');
        }
      }
    }
    expect(sut.stats.outcomes.malformed).toBeGreaterThan(0);
    expect([...sut.stats.reasons.keys()]).toContain('ethernet header truncated');
  });

  it('survives random bytes on every link type (fast-check)', () => {
    const sut = new PacketDecoder();
    const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 127];
    fc.assert(
      fc.property(
        fc.constantFrom(...linkTypes),
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0x45, 0x60, 0x46, 0x4f),
        (linkType, tail, first) => {
          // Half the time make the network layer start plausible, so IP and transport code is reached.
          const bytes = Uint8Array.from(tail);
          const headerLength = { 0: 4, 1: 14, 108: 4, 113: 16, 276: 20 }[linkType as 0] ?? 0;
          if (bytes.length > headerLength && tail.length % 2 === 0) bytes[headerLength] = first;
          const d = sut.decodeFrame(linkType, bytes, 0, bytes.length, tail.length);
          expect(d.payloadOffset + d.payloadLength).toBeLessThanOrEqual(d.bytes.length);
          expect(d.payloadLength).toBeGreaterThanOrEqual(0);
          expect(d.vlanCount).toBeLessThanOrEqual(8);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('survives real frames with random byte flips (fast-check)', async () => {
    const frames = (await readAllPackets(fixtureBytes('01-dhcp-dns-mdns.pcap'))).packets.concat(
      (await readAllPackets(fixtureBytes('lo-fragments.pcap'))).packets,
    );
    const sut = new PacketDecoder();
    fc.assert(
      fc.property(
        fc.nat({ max: frames.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }),
        (which, flips) => {
          const p = frames[which]!;
          const bytes = p.data.slice();
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const d = sut.decodeFrame(p.linkType, bytes, 0, bytes.length, time(p));
          expect(d.payloadOffset + d.payloadLength).toBeLessThanOrEqual(d.bytes.length);
        },
      ),
      { numRuns: 3000 },
    );
    expect(sut.reassembler!.size).toBeLessThanOrEqual(256);
  });
});
