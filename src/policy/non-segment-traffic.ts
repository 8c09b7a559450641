/**
 * @module Traffic no segmentation rule is for: link-local (169.254.0.0/16, fe80::/10: it never leaves its
 * link, so no firewall between segments sees it, and its addresses mean nothing past the link), mDNS
 * (multicast DNS to 224.0.0.251 / ff02::fb on 5353/udp: service discovery within one link) and LLMNR
 * (Windows' link-local name resolution to 224.0.0.252 / ff02::1:3 on 5355/udp). Proposals leave it out
 * and count it; exports never write a link-local address. Pure.
 * @see RFC 3927 §2.1 (169.254/16), RFC 4291 §2.5.6 (fe80::/10), RFC 6762 §3 and §5 (mDNS, port 5353),
 * RFC 4795 §2 and §2.5 (LLMNR, port 5355, link-scope multicast)
 */
import { BlockList, isIP } from 'node:net';
import type { PolicyFlow } from './policy-flow.js';

/** Why a flow is left out of a proposal, as the answer and the audit entry count it. */
export type NonSegmentKind = 'linkLocal' | 'mdns' | 'llmnr';

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const MDNS_GROUPS = new BlockList();
MDNS_GROUPS.addAddress('224.0.0.251', 'ipv4');
MDNS_GROUPS.addAddress('ff02::fb', 'ipv6');

export const MDNS_PORT = 5353;

const LLMNR_GROUPS = new BlockList();
LLMNR_GROUPS.addAddress('224.0.0.252', 'ipv4');
LLMNR_GROUPS.addAddress('ff02::1:3', 'ipv6');

export const LLMNR_PORT = 5355;

const check = (list: BlockList, ip: string) => {
  const v = isIP(ip);
  return v !== 0 && list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
};

/** An IPv4 (169.254.0.0/16) or IPv6 (fe80::/10) link-local address, in any spelling. */
export const isLinkLocal = (ip: string): boolean => check(LINK_LOCAL, ip);

/**
 * `mdns` for multicast DNS: 5353/udp to the mDNS group, or a 5353/udp conversation the analyzer named
 * `mdns` (a unicast query or answer, RFC 6762 §5.5, §6); `llmnr` for 5355/udp to the LLMNR group, or a
 * UDP conversation the analyzer named `llmnr` (the responder's unicast answer, RFC 4795 §2.1.1, on the
 * querier's port); else `linkLocal` when either end is link-local; else null (a flow a rule may be
 * proposed for).
 */
export function nonSegmentKind(
  f: Pick<PolicyFlow, 'client' | 'server' | 'port' | 'transport' | 'protocol'>,
): NonSegmentKind | null {
  if (
    f.transport === 'udp' &&
    f.port === MDNS_PORT &&
    (check(MDNS_GROUPS, f.server) || f.protocol === 'mdns')
  )
    return 'mdns';
  if (
    f.transport === 'udp' &&
    ((f.port === LLMNR_PORT && check(LLMNR_GROUPS, f.server)) || f.protocol === 'llmnr')
  )
    return 'llmnr';
  if (isLinkLocal(f.client) || isLinkLocal(f.server)) return 'linkLocal';
  return null;
}

/** How many of the flows are link-local, mDNS or LLMNR: what a proposal left out. */
export function countNonSegment(flows: readonly PolicyFlow[]): Record<NonSegmentKind, number> {
  const out: Record<NonSegmentKind, number> = { linkLocal: 0, mdns: 0, llmnr: 0 };
  for (const f of flows) {
    const k = nonSegmentKind(f);
    if (k) out[k]++;
  }
  return out;
}
