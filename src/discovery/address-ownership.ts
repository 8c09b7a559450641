/**
 * @module Which source addresses of a frame's source MAC are that MAC's own. The source MAC is the last
 * hop's: a host's for the packets it sends, a router's (firewall's, NAT's) for every packet it forwards
 * from other networks. So a MAC owns the addresses it sends from only while they could be one host's: all
 * IPv4 ones in one /24, all IPv6 ones in one /64 (a multi-homed device's aliases sit on one subnet; a
 * router forwards for many). Some addresses are the MAC's own whatever else it carries: link-local ones are
 * never forwarded (RFC 3927 §2.7, RFC 4291 §2.5.6), and an IPv6 interface identifier made from the MAC
 * (modified EUI-64, RFC 4291 §2.5.1 and appendix A) names it.
 */
import { ipv6Groups } from '../inventory/identity.js';

/** 169.254.0.0/16 or fe80::/10: valid on the link only, so the sending MAC is the address's owner. */
export function isLinkLocal(ip: string): boolean {
  return ip.startsWith('169.254.') || /^fe[89ab]/i.test(ip);
}

/** The network a host's own addresses share, as far as a capture can tell: the /24 of IPv4, the /64 of IPv6. */
export function networkOf(ip: string): string {
  if (!ip.includes(':')) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  const g = ipv6Groups(ip);
  return `${g
    .slice(0, 4)
    .map((n) => n.toString(16))
    .join(':')}::/64`;
}

/** The IPv6 address's interface identifier is this MAC's modified EUI-64 (SLAAC without privacy addresses). */
export function isEui64Of(ip: string, mac: string): boolean {
  if (!ip.includes(':')) return false;
  const g = ipv6Groups(ip);
  const m = mac.split(':').map((h) => Number.parseInt(h, 16));
  if (g.length !== 8 || m.length !== 6) return false;
  const [m0, m1, m2, m3, m4, m5] = m as [number, number, number, number, number, number];
  return (
    g[4] === (((m0 ^ 2) << 8) | m1) &&
    g[5] === ((m2 << 8) | 0xff) &&
    g[6] === (0xfe00 | m3) &&
    g[7] === ((m4 << 8) | m5)
  );
}

/** Source addresses of one MAC in more than one network of a family: the MAC forwards, they are not its own. */
export function spansNetworks(ips: Iterable<string>): boolean {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const ip of ips) (ip.includes(':') ? v6 : v4).add(networkOf(ip));
  return v4.size > 1 || v6.size > 1;
}
