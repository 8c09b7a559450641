/**
 * @module Decodes a captured frame from the link layer through IP to TCP/UDP/ICMP, into one reused result
 * object, without allocating per packet (fragment reassembly aside). Link types: Ethernet with 802.1Q,
 * 802.1ad and stacked (QinQ) tags and 802.2 LLC/SNAP, Linux cooked v1 and v2, raw IP, BSD null and OpenBSD
 * loop, NFLOG.
 *
 * @see IEEE 802.3 §3.2 (MAC frame), IEEE 802.1Q §9.6 (VLAN tag), IEEE 802.2 / RFC 1042 (LLC, SNAP)
 * @see https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, LINKTYPE_LINUX_SLL2.html,
 *   LINKTYPE_NULL.html, LINKTYPE_LOOP.html, LINKTYPE_NFLOG.html
 * @see RFC 791 §3.1 (IPv4 header), RFC 8200 §3-4 (IPv6 header, extension headers), RFC 4302 §2 (AH),
 *   RFC 9293 §3.1 (TCP header), RFC 768 (UDP), RFC 792 / RFC 4443 (ICMP, ICMPv6)
 */
import type { CapturePacket } from '../capture/capture-packet.js';
import { LinkType } from '../capture/link-type.js';
import { DecodeStats } from './decode-stats.js';
import { DecodedPacket, IpProtocol } from './decoded-packet.js';
import { IpReassembler, type ReassemblyOptions } from './ip-reassembler.js';
import { readMac } from './mac-address.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  /** Pre-standard QinQ tag types still seen on some switches. */
  QINQ_OLD: 0x9100,
  QINQ_OLD2: 0x9200,
} as const;

/** Largest VLAN stack followed (the vlanIds array size). */
const MAX_VLAN_TAGS = 8;
/** Extension headers walked before giving up (a loop of them is malformed input, not a real packet). */
const MAX_IPV6_EXTENSIONS = 16;

export interface PacketDecoderOptions {
  /** Options for IP fragment reassembly, or false to count fragments and not reassemble. */
  reassembly?: ReassemblyOptions | false;
}

/**
 * Stateful only for fragment reassembly and counters. Use one decoder per capture stream:
 *
 * ```ts
 * const decoder = new PacketDecoder();
 * await capture.forEach((p) => {
 *   const d = decoder.decode(p);
 *   if (d.outcome === 'transport' && d.ipProtocol === IpProtocol.TCP) tracker.track(d, p.index, p.time);
 * });
 * ```
 */
export class PacketDecoder {
  /** The result object, reused for every packet. */
  readonly result = new DecodedPacket();
  readonly stats = new DecodeStats();
  readonly reassembler: IpReassembler | null;

  constructor(options: PacketDecoderOptions = {}) {
    this.reassembler = options.reassembly === false ? null : new IpReassembler(options.reassembly ?? {});
  }

  /** Decodes a packet from a capture reader. */
  decode(packet: CapturePacket): DecodedPacket {
    return this.decodeFrame(
      packet.linkType,
      packet.bytes,
      packet.dataOffset,
      packet.capturedLength,
      packet.timestampSec + packet.timestampNsec / 1e9,
    );
  }

  /**
   * Decodes `bytes[offset … offset+length)` as a frame of `linkType`. `time` (capture seconds) only matters
   * for fragment reassembly timeouts.
   */
  decodeFrame(linkType: number, bytes: Uint8Array, offset: number, length: number, time = 0): DecodedPacket {
    const d = this.result;
    d.reset(linkType);
    d.bytes = bytes;
    this.stats.packets++;
    const end = offset + length;
    let p: number;
    switch (linkType) {
      case LinkType.ETHERNET:
        p = this.ethernet(bytes, offset, end);
        break;
      case LinkType.LINUX_SLL:
        p = this.linuxSll(bytes, offset, end);
        break;
      case LinkType.LINUX_SLL2:
        p = this.linuxSll2(bytes, offset, end);
        break;
      case LinkType.RAW:
      case LinkType.RAW_DLT12:
      case LinkType.RAW_DLT14:
        p = this.rawIp(bytes, offset, end);
        break;
      case LinkType.IPV4:
        d.etherType = EtherType.IPV4;
        p = offset;
        break;
      case LinkType.IPV6:
        d.etherType = EtherType.IPV6;
        p = offset;
        break;
      case LinkType.NULL:
      case LinkType.LOOP:
        p = this.loopback(bytes, offset, end);
        break;
      case LinkType.NFLOG:
        return this.nflog(bytes, offset, end, time);
      default:
        return this.finish('unsupported', 'link type not decoded');
    }
    if (p < 0) return d;
    return this.network(bytes, p, end, time);
  }

  private network(bytes: Uint8Array, p: number, end: number, time: number): DecodedPacket {
    const t = this.result.etherType;
    if (t === EtherType.IPV4) return this.ipv4(bytes, p, end, time);
    if (t === EtherType.IPV6) return this.ipv6(bytes, p, end, time);
    return this.finish('link', t === EtherType.ARP ? 'arp' : 'not ip');
  }

  /** Sets the outcome, counts it, returns the result. */
  private finish(outcome: DecodedPacket['outcome'], reason: string): DecodedPacket {
    const d = this.result;
    d.outcome = outcome;
    d.reason = reason;
    this.stats.count(outcome, reason);
    if (d.truncated) this.stats.truncated++;
    return d;
  }

  /** Returns -1 after finishing the result when the frame ends early. */
  private fail(outcome: DecodedPacket['outcome'], reason: string): number {
    this.finish(outcome, reason);
    return -1;
  }

  /** @see IEEE 802.3 §3.2.6 Length/Type, IEEE 802.1Q §9.6, IEEE 802.2 LLC and RFC 1042 SNAP */
  private ethernet(b: Uint8Array, o: number, end: number): number {
    if (end - o < 14) return this.fail('malformed', 'ethernet header truncated');
    const d = this.result;
    d.dstMac = readMac(b, o);
    d.srcMac = readMac(b, o + 6);
    let type = (b[o + 12]! << 8) | b[o + 13]!;
    let p = o + 14;
    while (
      type === EtherType.VLAN ||
      type === EtherType.QINQ ||
      type === EtherType.QINQ_OLD ||
      type === EtherType.QINQ_OLD2
    ) {
      if (end - p < 4) return this.fail('malformed', 'vlan tag truncated');
      if (d.vlanCount === MAX_VLAN_TAGS) return this.fail('malformed', 'too many vlan tags');
      if (d.vlanCount === 0) this.stats.vlanTagged++;
      d.vlanIds[d.vlanCount++] = ((b[p]! << 8) | b[p + 1]!) & 0x0fff;
      type = (b[p + 2]! << 8) | b[p + 3]!;
      p += 4;
    }
    if (type <= 1500) return this.llc(b, p, end);
    d.etherType = type;
    return p;
  }

  /** An 802.3 frame: 802.2 LLC header, and a SNAP header carrying an EtherType when DSAP = SSAP = 0xAA. */
  private llc(b: Uint8Array, p: number, end: number): number {
    const d = this.result;
    d.llc = true;
    this.stats.llc++;
    if (end - p < 3) return this.fail('malformed', 'llc header truncated');
    d.llcSap = b[p]!;
    if (b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
      if (end - p < 8) return this.fail('malformed', 'snap header truncated');
      const oui = (b[p + 3]! << 16) | (b[p + 4]! << 8) | b[p + 5]!;
      const type = (b[p + 6]! << 8) | b[p + 7]!;
      // RFC 1042: OUI 0 means the protocol id is an EtherType (IP over SNAP); others are vendor protocols (CDP).
      if (oui === 0) {
        d.etherType = type;
        return p + 8;
      }
      return this.fail('link', 'llc snap');
    }
    return this.fail('link', 'llc');
  }

  /** @see https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html */
  private linuxSll(b: Uint8Array, o: number, end: number): number {
    if (end - o < 16) return this.fail('malformed', 'linux sll header truncated');
    // A 6-byte link-layer address is a MAC (ARPHRD_ETHER, but also loopback's all-zero one, as tshark shows).
    if (b[o + 4] === 0 && b[o + 5] === 6) this.result.srcMac = readMac(b, o + 6);
    return this.sllProtocol(b, (b[o + 14]! << 8) | b[o + 15]!, o + 16, end);
  }

  /** @see https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html */
  private linuxSll2(b: Uint8Array, o: number, end: number): number {
    if (end - o < 20) return this.fail('malformed', 'linux sll2 header truncated');
    if (b[o + 11] === 6) this.result.srcMac = readMac(b, o + 12);
    return this.sllProtocol(b, (b[o]! << 8) | b[o + 1]!, o + 20, end);
  }

  /** SLL protocol field: an EtherType, except 1 (Novell 802.3) and 4 (802.2 LLC follows). */
  private sllProtocol(b: Uint8Array, protocol: number, p: number, end: number): number {
    if (protocol === 4) return this.llc(b, p, end);
    if (protocol === 1) return this.fail('link', 'novell 802.3');
    this.result.etherType = protocol;
    return p;
  }

  private rawIp(b: Uint8Array, o: number, end: number): number {
    if (end - o < 1) return this.fail('malformed', 'raw ip packet empty');
    const version = b[o]! >> 4;
    if (version === 4) this.result.etherType = EtherType.IPV4;
    else if (version === 6) this.result.etherType = EtherType.IPV6;
    else return this.fail('malformed', 'raw ip version not 4 or 6');
    return o;
  }

  /**
   * BSD null (host byte order of the capturing machine) and OpenBSD loop (network byte order, but both are
   * seen in the wild): a 4-byte address family. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD),
   * 28 (FreeBSD, DragonFly), 30 (macOS, iOS) or 10 (Linux, rare here).
   * @see https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html
   */
  private loopback(b: Uint8Array, o: number, end: number): number {
    if (end - o < 4) return this.fail('malformed', 'loopback header truncated');
    // The family is small: whichever end holds the non-zero byte tells the byte order.
    const family = b[o] !== 0 ? b[o]! | (b[o + 1]! << 8) : (b[o + 2]! << 8) | b[o + 3]!;
    if (family === 2) this.result.etherType = EtherType.IPV4;
    else if (family === 24 || family === 28 || family === 30 || family === 10) {
      this.result.etherType = EtherType.IPV6;
    } else return this.fail('link', 'loopback family not ip');
    return o + 4;
  }

  /**
   * NFLOG: 4-byte header (family, version, resource id), then TLVs whose length and type are in host byte
   * order; type 9 (NFULA_PAYLOAD) holds the IP packet.
   * @see https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html
   */
  private nflog(b: Uint8Array, o: number, end: number, time: number): DecodedPacket {
    if (end - o < 4) return this.finish('malformed', 'nflog header truncated');
    const family = b[o]!;
    let p = o + 4;
    while (end - p >= 4) {
      let len = b[p]! | (b[p + 1]! << 8);
      let type = b[p + 2]! | (b[p + 3]! << 8);
      if (len < 4 || p + len > end) {
        // Written on a big-endian host.
        len = (b[p]! << 8) | b[p + 1]!;
        type = (b[p + 2]! << 8) | b[p + 3]!;
        if (len < 4 || p + len > end) break;
      }
      if ((type & 0x7fff) === 9) {
        this.result.etherType = family === 10 ? EtherType.IPV6 : EtherType.IPV4;
        return this.network(b, p + 4, p + len, time);
      }
      p += (len + 3) & ~3;
    }
    return this.finish('link', 'nflog without payload');
  }

  /** @see RFC 791 §3.1 Internet Header Format */
  private ipv4(b: Uint8Array, p: number, end: number, time: number): DecodedPacket {
    const d = this.result;
    if (end - p < 20) return this.finish('malformed', 'ipv4 header truncated');
    const vihl = b[p]!;
    if (vihl >> 4 !== 4) return this.finish('malformed', 'ipv4 version field not 4');
    const ihl = (vihl & 15) << 2;
    if (ihl < 20) return this.finish('malformed', 'ipv4 header length below 20');
    if (end - p < ihl) return this.finish('malformed', 'ipv4 options truncated');
    let total = (b[p + 2]! << 8) | b[p + 3]!;
    // 0 is what TCP segmentation offload leaves in captures taken on the sending host: use what is there.
    if (total === 0) total = end - p;
    else if (total < ihl) return this.finish('malformed', 'ipv4 total length below header length');
    this.stats.ipv4++;
    d.ipVersion = 4;
    d.ttl = b[p + 8]!;
    const protocol = b[p + 9]!;
    d.ipProtocol = protocol;
    const src = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
    const dst = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
    d.srcIp[0] = src;
    d.srcIp[1] = d.srcIp[2] = d.srcIp[3] = 0;
    d.dstIp[0] = dst;
    d.dstIp[1] = d.dstIp[2] = d.dstIp[3] = 0;
    const wireEnd = p + total;
    let ipEnd = wireEnd;
    // Shorter than its total length: cut by snaplen; longer: Ethernet padding, ignored.
    if (ipEnd > end) {
      ipEnd = end;
      d.truncated = true;
    }
    const flags = (b[p + 6]! << 8) | b[p + 7]!;
    const fragOffset = (flags & 0x1fff) << 3;
    if ((flags & 0x2000) !== 0 || fragOffset !== 0) {
      d.fragment = true;
      if (this.reassembler === null || d.truncated) return this.finish('fragment', '');
      const key = `4 ${src} ${dst} ${(b[p + 4]! << 8) | b[p + 5]!} ${protocol}`;
      const start = p + ihl;
      const whole = this.reassembler.add(
        key,
        fragOffset,
        (flags & 0x2000) !== 0,
        protocol,
        b,
        start,
        ipEnd - start,
        time,
      );
      if (whole === null) return this.finish('fragment', '');
      d.reassembled = true;
      d.bytes = whole;
      this.stats.reassembled++;
      return this.transport(protocol, whole, 0, whole.length, whole.length);
    }
    return this.transport(protocol, b, p + ihl, ipEnd, wireEnd);
  }

  /** @see RFC 8200 §3 IPv6 Header Format, §4 Extension Headers, §4.5 Fragment Header; RFC 4302 §2 (AH) */
  private ipv6(b: Uint8Array, p: number, end: number, time: number): DecodedPacket {
    const d = this.result;
    if (end - p < 40) return this.finish('malformed', 'ipv6 header truncated');
    if (b[p]! >> 4 !== 6) return this.finish('malformed', 'ipv6 version field not 6');
    this.stats.ipv6++;
    d.ipVersion = 6;
    const payloadLength = (b[p + 4]! << 8) | b[p + 5]!;
    let next = b[p + 6]!;
    d.ttl = b[p + 7]!;
    for (let i = 0; i < 4; i++) {
      const s = p + 8 + i * 4;
      d.srcIp[i] = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
      const t = s + 16;
      d.dstIp[i] = ((b[t]! << 24) | (b[t + 1]! << 16) | (b[t + 2]! << 8) | b[t + 3]!) >>> 0;
    }
    let q = p + 40;
    // Payload length 0: a jumbogram (hop-by-hop option) or offload artefact; take what was captured.
    const wireEnd = payloadLength === 0 ? end : q + payloadLength;
    let ipEnd = wireEnd;
    if (ipEnd > end) {
      ipEnd = end;
      d.truncated = true;
    }
    for (let i = 0; ; i++) {
      if (i === MAX_IPV6_EXTENSIONS) return this.finish('malformed', 'ipv6 extension header chain too long');
      if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
        // Hop-by-hop, Routing, Destination Options, Mobility, HIP, Shim6: length in 8-octet units, excluding the first.
        if (ipEnd - q < 8) return this.finish('malformed', 'ipv6 extension header truncated');
        const len = (b[q + 1]! + 1) << 3;
        if (ipEnd - q < len) return this.finish('malformed', 'ipv6 extension header truncated');
        next = b[q]!;
        q += len;
      } else if (next === 51) {
        // Authentication Header: length in 4-octet units, minus 2.
        if (ipEnd - q < 8) return this.finish('malformed', 'ipv6 authentication header truncated');
        const len = (b[q + 1]! + 2) << 2;
        if (ipEnd - q < len) return this.finish('malformed', 'ipv6 authentication header truncated');
        next = b[q]!;
        q += len;
      } else if (next === 44) {
        if (ipEnd - q < 8) return this.finish('malformed', 'ipv6 fragment header truncated');
        const fragNext = b[q]!;
        const offsetField = (b[q + 2]! << 8) | b[q + 3]!;
        const fragOffset = offsetField & 0xfff8;
        const more = (offsetField & 1) !== 0;
        const id = ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0;
        q += 8;
        if (fragOffset === 0 && !more) {
          // An atomic fragment (RFC 6946): not really fragmented.
          next = fragNext;
          continue;
        }
        d.fragment = true;
        d.ipProtocol = fragOffset === 0 ? fragNext : -1;
        if (this.reassembler === null || d.truncated) return this.finish('fragment', '');
        const key = `6 ${d.srcIp.join(',')} ${d.dstIp.join(',')} ${id}`;
        const whole = this.reassembler.add(key, fragOffset, more, fragNext, b, q, ipEnd - q, time);
        if (whole === null) return this.finish('fragment', '');
        d.reassembled = true;
        d.bytes = whole;
        this.stats.reassembled++;
        const protocol = this.reassembler.protocol;
        d.ipProtocol = protocol;
        return this.transport(protocol, whole, 0, whole.length, whole.length);
      } else {
        break;
      }
    }
    d.ipProtocol = next;
    return this.transport(next, b, q, ipEnd, wireEnd);
  }

  /**
   * `q` is the start of the upper-layer header; `ipEnd` the end of captured IP payload, `wireEnd` its end on
   * the wire (beyond `ipEnd` when the capture was truncated).
   * @see RFC 9293 §3.1, RFC 768, RFC 792, RFC 4443 §2.1
   */
  private transport(
    protocol: number,
    b: Uint8Array,
    q: number,
    ipEnd: number,
    wireEnd: number,
  ): DecodedPacket {
    const d = this.result;
    if (protocol === IpProtocol.TCP) {
      if (ipEnd - q < 20) return this.finish('malformed', 'tcp header truncated');
      const dataOffset = (b[q + 12]! >> 4) << 2;
      if (dataOffset < 20) return this.finish('malformed', 'tcp data offset below 20');
      if (wireEnd - q < dataOffset) return this.finish('malformed', 'tcp options beyond ip length');
      // Options cut by snaplen: the fixed header is enough for flow tracking (a SYN stays a SYN).
      if (ipEnd - q < dataOffset) d.truncated = true;
      this.stats.tcp++;
      d.srcPort = (b[q]! << 8) | b[q + 1]!;
      d.dstPort = (b[q + 2]! << 8) | b[q + 3]!;
      d.tcpSeq = ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0;
      d.tcpAck = ((b[q + 8]! << 24) | (b[q + 9]! << 16) | (b[q + 10]! << 8) | b[q + 11]!) >>> 0;
      d.tcpFlags = b[q + 13]!;
      d.tcpWindow = (b[q + 14]! << 8) | b[q + 15]!;
      d.payloadOffset = Math.min(q + dataOffset, ipEnd);
      d.payloadLength = ipEnd - d.payloadOffset;
      d.segmentLength = wireEnd - (q + dataOffset);
      return this.finish('transport', '');
    }
    if (protocol === IpProtocol.UDP) {
      if (ipEnd - q < 8) return this.finish('malformed', 'udp header truncated');
      const udpLength = (b[q + 4]! << 8) | b[q + 5]!;
      let udpEnd: number;
      if (udpLength === 0) udpEnd = wireEnd;
      else if (udpLength < 8) return this.finish('malformed', 'udp length below 8');
      else udpEnd = q + udpLength;
      this.stats.udp++;
      d.srcPort = (b[q]! << 8) | b[q + 1]!;
      d.dstPort = (b[q + 2]! << 8) | b[q + 3]!;
      d.payloadOffset = q + 8;
      d.payloadLength = Math.max(0, Math.min(udpEnd, ipEnd) - d.payloadOffset);
      d.segmentLength = Math.max(d.payloadLength, udpEnd - d.payloadOffset);
      return this.finish('transport', '');
    }
    if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) {
      if (ipEnd - q < 4) return this.finish('malformed', 'icmp header truncated');
      this.stats.icmp++;
      d.icmpType = b[q]!;
      d.icmpCode = b[q + 1]!;
      d.payloadOffset = q + 4;
      d.payloadLength = ipEnd - d.payloadOffset;
      d.segmentLength = wireEnd - d.payloadOffset;
      return this.finish('transport', '');
    }
    d.payloadOffset = q;
    d.payloadLength = Math.max(0, ipEnd - q);
    d.segmentLength = Math.max(d.payloadLength, wireEnd - q);
    return this.finish('network', '');
  }
}
