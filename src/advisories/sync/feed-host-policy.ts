/**
 * @module Which hosts a feed may be fetched from. A subscription URL is typed by a person with
 * advisories:write, and the sync runs on the Vigil server: without a rule it could reach the server's own
 * loopback services, the hospital's internal network or a cloud metadata endpoint (SSRF). By default a feed
 * may reach only public addresses over https; the admin opens named internal mirrors with `feedAllowHosts`
 * (host names, addresses or CIDR ranges), which are also the only hosts plain http may reach.
 * The rule is applied to the address actually connected to (see `guardedLookup`), so a name that
 * resolves elsewhere at fetch time (DNS rebinding) or a redirect to an internal host is refused too.
 */

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Ranges refused unless allowed (IANA special-purpose registries; metadata services live in them). */
const RESTRICTED: readonly [net: string, prefix: number, what: string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'], // also Alibaba Cloud's metadata service, 100.100.100.200
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol'], // Oracle Cloud metadata is 192.0.0.192
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['fc00::', 7, 'private (unique local)'], // AWS's IPv6 metadata service is fd00:ec2::254
  ['ff00::', 8, 'multicast'],
];

const restricted = RESTRICTED.map(([net, prefix, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, isIP(net) === 6 ? 'ipv6' : 'ipv4');
  return { list, what };
});

/** The 16 bytes of an IPv6 address, or null when `ip` is not one. */
function ipv6Bytes(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  let text = ip.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const words = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64
 * 64:ff9b::/96, 6to4 2002::/16): connecting to it reaches that IPv4 host, so it is judged as that host.
 */
export function embeddedIpv4(ip: string): string | null {
  const b = ipv6Bytes(ip);
  if (!b) return null;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) return v4(12);
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** What kind of non-public address `ip` is ("loopback", "private" …), or null for a public one. */
export function restrictedRange(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) return 'not an IP';
  const inner = family === 6 ? embeddedIpv4(ip) : null;
  if (inner) return restrictedRange(inner);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const bare = ip.replace(/%.*$/, '');
  return restricted.find((r) => r.list.check(bare, type))?.what ?? null;
}

/** A host name as written in a URL or the allow list: lower case, no brackets, no trailing dot. */
function normalHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

type AllowEntry = { name: string } | { net: string; prefix: number; family: 'ipv4' | 'ipv6' };

function parseAllowEntry(entry: string): AllowEntry | string {
  const text = normalHost(entry.trim());
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) {
    if (slash >= 0 && HOST_NAME.test(address)) return `"${entry}" is not a CIDR range (e.g. 10.20.0.0/16)`;
    if (!HOST_NAME.test(text))
      return `"${entry}" is not a host name, address or CIDR range (no scheme, port or path)`;
    return { name: text };
  }
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max)) return `"${entry}" has a prefix length outside 0-${max}`;
  return { net: address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Why `entry` is not a valid feedAllowHosts entry, or null (for the configuration's zod schema). */
export function allowEntryProblem(entry: string): string | null {
  const parsed = parseAllowEntry(entry);
  return typeof parsed === 'string' ? parsed : null;
}

/** Raised (through the connection's lookup) when a feed would reach an address it may not. */
export class RefusedFeedAddress extends Error {
  readonly code = 'VIGIL_REFUSED_ADDRESS';
}

export class FeedHostPolicy {
  private readonly names = new Set<string>();
  private readonly nets = new BlockList();

  /** `allowHosts` as in the configuration (already validated there; a bad entry here is a bug). */
  constructor(readonly allowHosts: readonly string[] = []) {
    for (const entry of allowHosts) {
      const parsed = parseAllowEntry(entry);
      if (typeof parsed === 'string') throw new Error(`feedAllowHosts: ${parsed}`);
      if ('name' in parsed) this.names.add(parsed.name);
      else this.nets.addSubnet(parsed.net, parsed.prefix, parsed.family);
    }
  }

  private allowed(host: string, address: string): boolean {
    if (this.names.has(normalHost(host))) return true;
    const bare = address.replace(/%.*$/, '');
    const family = isIP(bare);
    if (family === 0) return false;
    if (this.nets.check(bare, family === 6 ? 'ipv6' : 'ipv4')) return true;
    const inner = family === 6 ? embeddedIpv4(bare) : null;
    return inner !== null && this.nets.check(inner, 'ipv4');
  }

  /** Why a request for `url` may not connect to `address`, or null when it may. */
  refusal(url: URL, address: string): string | null {
    const host = normalHost(url.hostname);
    if (this.allowed(host, address)) return null;
    if (url.protocol !== 'https:')
      return `plain ${url.protocol}// is allowed only to hosts in feedAllowHosts, and ${host} is not one`;
    const range = restrictedRange(address);
    if (!range) return null;
    const where = normalHost(address) === host ? host : `${host} (${address})`;
    return `${where} is a ${range} address; an admin can allow it with feedAllowHosts`;
  }

  /** The address in `url` when its host is an IP literal (no lookup happens for those), else null. */
  static literalAddress(url: URL): string | null {
    const host = normalHost(url.hostname);
    return isIP(host) ? host : null;
  }

  /**
   * A `lookup` for http(s).request: resolves as usual, then refuses the connection when any address of the
   * name is refused (so no address family fallback reaches the refused one).
   */
  guardedLookup(url: URL): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, options.all ? [] : '', 0);
        for (const a of addresses) {
          const why = this.refusal(url, a.address);
          if (why) return callback(new RefusedFeedAddress(why), options.all ? [] : '', 0);
        }
        const first = addresses[0];
        if (options.all) return callback(null, addresses);
        if (!first) return callback(new RefusedFeedAddress(`${hostname} has no address`), '', 0);
        callback(null, first.address, first.family);
      });
    };
  }

  /**
   * The subscription-time check: whether `url` may be subscribed to. An unresolvable name is accepted over
   * https (a mirror may not exist yet; every fetch checks again), refused over plain http unless listed.
   */
  async check(url: URL, resolve: ResolveAll = resolveAll): Promise<string | null> {
    const literal = FeedHostPolicy.literalAddress(url);
    if (literal) return this.refusal(url, literal);
    const host = normalHost(url.hostname);
    if (this.names.has(host)) return null;
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch (e) {
      if (url.protocol === 'https:') return null;
      return `plain ${url.protocol}// is allowed only to hosts in feedAllowHosts, and ${host} is not one (${(e as NodeJS.ErrnoException).code ?? 'cannot resolve it'})`;
    }
    for (const address of addresses) {
      const why = this.refusal(url, address);
      if (why) return why;
    }
    return null;
  }
}

export type ResolveAll = (host: string) => Promise<string[]>;

/** Every address of `host`, or a rejection; gives up after 5 s so a subscription never hangs on DNS. */
function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })),
      5000,
    );
    dnsLookup(host, { all: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(addresses.map((a) => a.address));
    });
  });
}
