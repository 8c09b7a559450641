/**
 * @module The result of decoding one frame down to the transport layer: addresses, ports, TCP sequence
 * state and where the payload lies. One instance is reused for every packet (see {@link DecodedPacket}).
 */
import { formatIp } from './ip-address.js';
import { formatMac } from './mac-address.js';

/**
 * How far decoding got:
 * - `transport`: TCP, UDP, ICMP or ICMPv6 header decoded; ports/types and payload are set.
 * - `network`: IP decoded, but the upper layer is one we do not parse (IGMP, ESP, GRE, SCTP …) or absent.
 * - `link`: a frame that carries no IP (ARP, LLDP, LLC/STP, CDP …): see `etherType`, `llc`.
 * - `fragment`: an IP fragment held for reassembly (or one that cannot be reassembled); nothing above IP yet.
 * - `malformed`: shorter than its headers or self-contradictory; `reason` says which header.
 * - `unsupported`: a link type (802.11, radiotap …) this decoder does not read.
 */
export type DecodeOutcome = 'transport' | 'network' | 'link' | 'fragment' | 'malformed' | 'unsupported';

/** TCP header flag bits (RFC 9293 §3.1), as in `tcpFlags`. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
} as const;

/**
 * **Reused**: {@link PacketDecoder} overwrites this object for every packet, and `bytes` may point into the
 * capture reader's buffer. Read what you need before decoding the next packet; copy what you keep. Fields
 * that a layer did not reach keep neutral values (0, -1, empty).
 *
 * Addresses are numbers: `srcIp`/`dstIp` hold IPv4 in word 0 and IPv6 in words 0-3 (big-endian words);
 * MACs are 48-bit numbers (-1 when the link layer has none). `srcIpText()` etc. format them (RFC 5952).
 */
export class DecodedPacket {
  outcome: DecodeOutcome = 'unsupported';
  /** Why the packet is `malformed`/`unsupported`, or what it is when `link`; a constant string. */
  reason = '';
  linkType = 0;

  // Link layer
  srcMac = -1;
  dstMac = -1;
  /** EtherType of the payload after any VLAN tags (0 for link types without one, e.g. raw IP). */
  etherType = 0;
  vlanCount = 0;
  /** VLAN ids, outermost first; only the first `vlanCount` entries are meaningful (see `vlans()`). */
  readonly vlanIds: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  /** An IEEE 802.3 frame with an 802.2 LLC header (no EtherType); `llcSap` is its DSAP. */
  llc = false;
  llcSap = -1;

  // Network layer
  ipVersion = 0;
  readonly srcIp = new Uint32Array(4);
  readonly dstIp = new Uint32Array(4);
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** Upper-layer protocol number (after IPv6 extension headers). */
  ipProtocol = -1;
  /** The packet is an IP fragment; after reassembly `reassembled` is set and the fields describe the datagram. */
  fragment = false;
  reassembled = false;

  // Transport layer
  srcPort = 0;
  dstPort = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpFlags = 0;
  tcpWindow = 0;
  icmpType = -1;
  icmpCode = -1;

  /** The buffer `payloadOffset` indexes: the packet's own bytes, or a reassembled datagram. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Transport payload (after the TCP/UDP header, after the first 4 bytes of ICMP). */
  payloadOffset = 0;
  /** Payload bytes present in `bytes`. */
  payloadLength = 0;
  /** Payload length on the wire per the IP/UDP length fields: larger than `payloadLength` when snaplen cut it. */
  segmentLength = 0;
  /** The capture cut this packet short of its IP length (snaplen). */
  truncated = false;

  /** VLAN ids, outermost first (a copy). */
  vlans(): number[] {
    return this.vlanIds.slice(0, this.vlanCount);
  }

  /** Innermost VLAN id, or -1 when untagged. */
  get vlan(): number {
    return this.vlanCount > 0 ? this.vlanIds[this.vlanCount - 1]! : -1;
  }

  srcIpText(): string {
    return formatIp(this.ipVersion, this.srcIp);
  }

  dstIpText(): string {
    return formatIp(this.ipVersion, this.dstIp);
  }

  srcMacText(): string {
    return formatMac(this.srcMac);
  }

  dstMacText(): string {
    return formatMac(this.dstMac);
  }

  /** The transport payload (a view, no copy; valid as long as `bytes`). */
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }

  /** Resets every field before a new packet (called by the decoder). */
  reset(linkType: number): void {
    this.outcome = 'unsupported';
    this.reason = '';
    this.linkType = linkType;
    this.srcMac = -1;
    this.dstMac = -1;
    this.etherType = 0;
    this.vlanCount = 0;
    this.llc = false;
    this.llcSap = -1;
    this.ipVersion = 0;
    this.ttl = 0;
    this.ipProtocol = -1;
    this.fragment = false;
    this.reassembled = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpFlags = 0;
    this.tcpWindow = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.segmentLength = 0;
    this.truncated = false;
  }
}
