/**
 * @module Counters the packet decoder keeps: how far packets decoded, and why the malformed ones failed.
 */
import type { DecodeOutcome } from './decoded-packet.js';

export class DecodeStats {
  packets = 0;
  readonly outcomes: Record<DecodeOutcome, number> = {
    transport: 0,
    network: 0,
    link: 0,
    fragment: 0,
    malformed: 0,
    unsupported: 0,
  };
  ipv4 = 0;
  ipv6 = 0;
  tcp = 0;
  udp = 0;
  icmp = 0;
  /** Frames with at least one VLAN tag. */
  vlanTagged = 0;
  /** IEEE 802.3 frames with an LLC header (STP, CDP, NetBIOS …). */
  llc = 0;
  /** Packets cut short by the capture snaplen (decoded as far as they go). */
  truncated = 0;
  /** Datagrams rebuilt from fragments. */
  reassembled = 0;
  /** Count per `reason` of malformed and unsupported packets. */
  readonly reasons = new Map<string, number>();

  count(outcome: DecodeOutcome, reason: string): void {
    // A switch over the literal keeps each increment a fixed-property store on the hot path.
    const o = this.outcomes;
    switch (outcome) {
      case 'transport':
        o.transport++;
        return;
      case 'network':
        o.network++;
        return;
      case 'link':
        o.link++;
        return;
      case 'fragment':
        o.fragment++;
        return;
      case 'malformed':
        o.malformed++;
        break;
      case 'unsupported':
        o.unsupported++;
        break;
    }
    if (reason !== '') this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
}
