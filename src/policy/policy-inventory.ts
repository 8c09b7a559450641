/**
 * @module What the policy needs to know about the network: devices (addresses, class, site) and segments
 * (CIDRs, zone), and how one address resolves to a zone and a device class. Pure: the service loads
 * these from the store.
 */
import { BlockList, isIP } from 'node:net';
import { canonicalIp } from '../inventory/identity.js';
import { isPublicIp } from '../risk/exposure.js';
import { INTERNET_ZONE, type PolicyEndpoint, UNKNOWN_ZONE } from './policy-model.js';

export interface PolicyDevice {
  id: string;
  /** Asset tag, hostname or first address: for people. */
  label: string;
  deviceClass: string;
  /** The device's department (inventory, free text); null when the inventory has none. */
  department?: string | null;
  siteId: string | null;
  ips: string[];
}

export interface PolicySegment {
  siteId: string;
  name: string;
  cidrs: string[];
  /** Segment zone; segments without one form a zone named after the segment. */
  zone: string | null;
}

export interface PolicyInventory {
  devices: PolicyDevice[];
  segments: PolicySegment[];
}

/** One side of a flow, placed in the network. */
export interface ResolvedEndpoint {
  ip: string;
  zone: string;
  /** The device's class, `unknown` for an address no device has. */
  deviceClass: string;
  /** The device's department; null for an address no device has or a device without one. */
  department: string | null;
  deviceId: string | null;
  siteId: string | null;
}

const family = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

function cidrParts(cidr: string): { net: string; len: number; family: 'ipv4' | 'ipv6' } | null {
  const m = /^(.+)\/(\d+)$/.exec(cidr);
  if (!m) return isIP(cidr) ? { net: cidr, len: isIP(cidr) === 4 ? 32 : 128, family: family(cidr) } : null;
  const v = isIP(m[1]!);
  if (v === 0) return null;
  return { net: m[1]!, len: Number(m[2]), family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether `ip` is `spec` (an address) or inside it (a CIDR block). */
export function addressMatches(ip: string, spec: string): boolean {
  const v = isIP(ip);
  const p = cidrParts(spec);
  if (v === 0 || !p || p.family !== family(ip)) return false;
  const list = new BlockList();
  list.addSubnet(p.net, p.len, p.family);
  return list.check(ip, p.family);
}

/** Departments are free text in the inventory: the same name in any case is the same department. */
export const sameDepartment = (a: string, b: string | null) =>
  b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();

export const segmentZone = (s: PolicySegment) => (s.zone ?? s.name).trim().toLowerCase();

/**
 * Resolves addresses to zones and devices. The most specific segment wins when segments overlap;
 * an address no segment holds is `internet` when globally routable, `unknown` otherwise.
 */
export class NetworkMap {
  private readonly byIp = new Map<string, PolicyDevice>();
  private readonly byId = new Map<string, PolicyDevice>();
  private readonly cache = new Map<string, ResolvedEndpoint>();
  private readonly nets: { zone: string; siteId: string; len: number; list: BlockList; fam: string }[];

  constructor(readonly inventory: PolicyInventory) {
    for (const d of inventory.devices) {
      this.byId.set(d.id, d);
      for (const ip of d.ips) this.byIp.set(canonicalIp(ip), d);
    }
    this.nets = [];
    for (const s of inventory.segments)
      for (const c of s.cidrs) {
        const p = cidrParts(c);
        if (!p) continue;
        const list = new BlockList();
        list.addSubnet(p.net, p.len, p.family);
        this.nets.push({ zone: segmentZone(s), siteId: s.siteId, len: p.len, list, fam: p.family });
      }
    // Longest prefix first, then by zone name, so overlapping segments resolve the same way every time.
    this.nets.sort((a, b) => b.len - a.len || a.zone.localeCompare(b.zone));
  }

  resolve(ipInput: string): ResolvedEndpoint {
    const ip = canonicalIp(ipInput);
    const hit = this.cache.get(ip);
    if (hit) return hit;
    const device = this.byIp.get(ip);
    const fam = family(ip);
    const net = isIP(ip)
      ? this.nets.find((n) => n.fam === fam && n.list.check(ip, fam as 'ipv4'))
      : undefined;
    const zone = net ? net.zone : isPublicIp(ip) ? INTERNET_ZONE : UNKNOWN_ZONE;
    const r: ResolvedEndpoint = {
      ip,
      zone,
      deviceClass: device?.deviceClass ?? 'unknown',
      department: device?.department ?? null,
      deviceId: device?.id ?? null,
      siteId: device?.siteId ?? net?.siteId ?? null,
    };
    this.cache.set(ip, r);
    return r;
  }

  device(id: string): PolicyDevice | undefined {
    return this.byId.get(id);
  }

  /**
   * Every address a rule side stands for, sorted: its hosts when it lists them, else the addresses of
   * the zone's devices of that class, else (no class) the zone's CIDR blocks. `any` when the side is
   * the whole internet.
   */
  addressesOf(e: PolicyEndpoint): string[] | 'any' {
    if (e.hosts) return [...new Set(e.hosts)].sort(compareAddresses);
    if (!e.deviceClass && !e.department) {
      if (e.zone === INTERNET_ZONE) return 'any';
      const cidrs = this.inventory.segments.filter((s) => segmentZone(s) === e.zone).flatMap((s) => s.cidrs);
      if (cidrs.length) return [...new Set(cidrs)].sort(compareAddresses);
    }
    const out = new Set<string>();
    for (const d of this.inventory.devices) {
      if (e.deviceClass && d.deviceClass !== e.deviceClass) continue;
      if (e.department && !sameDepartment(e.department, d.department ?? null)) continue;
      for (const ip of d.ips) if (this.resolve(ip).zone === e.zone) out.add(canonicalIp(ip));
    }
    return [...out].sort(compareAddresses);
  }
}

/** IPv4 before IPv6, then numerically, so exports are byte-for-byte stable. */
export function compareAddresses(a: string, b: string): number {
  const key = (s: string) => {
    const ip = s.split('/')[0]!;
    const len = s.includes('/') ? Number(s.split('/')[1]) : 999;
    if (isIP(ip) === 4)
      return `4${ip
        .split('.')
        .map((o) => o.padStart(3, '0'))
        .join('.')}/${String(len).padStart(3, '0')}`;
    return `6${expandIpv6(ip)}/${String(len).padStart(3, '0')}`;
  };
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function expandIpv6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}
