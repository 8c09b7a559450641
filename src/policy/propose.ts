/**
 * @module A least-privilege policy proposed from observed conversations: flows grouped by zone and device
 * class on each side, port and transport, one allow rule per group, nothing that was not seen, never a
 * rule open on both sides. Internet flows and addresses no device owns are pinned to the hosts seen
 * (only the devices that need the internet get it) and flagged for review, as are risky services
 * (Telnet, FTP …); a device of unknown class is pinned to its addresses, since nothing says which
 * others are like it. Sides group devices by class (the default), by department, or by both
 * (`zones`); in the department groupings a device without a department is pinned to its addresses,
 * never widened to a whole zone. A TCP conversation the server only ever refused or left unanswered
 * (a scanner's probe of a closed port) is no need and proposes nothing; what a host that scanned the
 * network (a port-scan alert) did reach is pinned to its address and flagged, under the protocol the
 * port's other clients speak. Link-local, mDNS and LLMNR traffic stays on its link and proposes nothing. A rule
 * lists several clients and several servers only when each client reached each server. Pure and
 * deterministic: the same flows give the same policy.
 */

import { isFtpData } from '../discovery/host-observation.js';
import { plural } from '../format-count.js';
import { nonSegmentKind } from './non-segment-traffic.js';
import type { PolicyFlow } from './policy-flow.js';
import type { NetworkMap, ResolvedEndpoint } from './policy-inventory.js';
import { compareAddresses } from './policy-inventory.js';
import { INTERNET_ZONE, type Policy, type PolicyEndpoint, type PolicyRule } from './policy-model.js';
import { guidanceReason, type ProposalGuidance, proposalNotes } from './port-guidance.js';
import { riskyServiceOf } from './risky-services.js';

/** How a proposal groups the devices on each side of a rule. */
export const ZONINGS = ['class', 'department', 'class+department'] as const;
export type Zoning = (typeof ZONINGS)[number];

export interface ProposeOptions {
  name?: string;
  /** Default `class`. */
  zones?: Zoning;
  /** Site id the proposal is for (null: every site). */
  site?: string | null;
  /** Advisory port guidance and MDS2 declarations per server device (`port-guidance.ts`). */
  guidance?: ProposalGuidance;
  /**
   * Addresses that scanned the network (port-scan alerts): their rules are pinned to their own address,
   * never shared with the other devices of their class, and flagged for review.
   */
  scanners?: ReadonlySet<string>;
}

interface Group {
  from: ResolvedEndpoint;
  to: ResolvedEndpoint;
  fromHosts: Set<string> | null;
  toHosts: Set<string> | null;
  /** Server device ids, for the guidance that applies to them. */
  servers: Set<string>;
  /** Server addresses, pinned or not: whose other clients name a scanner's protocol. */
  serverIps: Set<string>;
  /** The client is an address that scanned the network. */
  scanner: boolean;
  port: number;
  transport: PolicyFlow['transport'];
  protocols: Map<string, number>;
  connections: number;
  flows: number;
  firstSeen: string;
  lastSeen: string;
  /** The flows folded in, to split the group when its clients did not all reach all its servers. */
  sightings: Sighting[];
}

/**
 * How a side is written in a rule. A device inside the network: zone and class. The internet, an
 * address without a device, or a device whose class is unknown: the addresses themselves, never a whole
 * zone or every unclassified device.
 */
function pinned(side: ResolvedEndpoint, other: ResolvedEndpoint, zones: Zoning): boolean {
  return (
    side.zone === INTERNET_ZONE ||
    other.zone === INTERNET_ZONE ||
    side.deviceId === null ||
    // A device of unknown class has no class to share: it gets what it reached, not every unclassified device.
    (zones !== 'department' && side.deviceClass === 'unknown') ||
    (zones !== 'class' && side.department === null)
  );
}

/** What names a device side besides its zone: its class and/or its department, as `zones` says. */
function naming(side: ResolvedEndpoint, zones: Zoning): { deviceClass?: string; department?: string } {
  if (side.deviceId === null) return {};
  return {
    ...(zones !== 'department' ? { deviceClass: side.deviceClass } : {}),
    ...(zones !== 'class' && side.department !== null ? { department: side.department } : {}),
  };
}

function sideKey(side: ResolvedEndpoint, pin: boolean, zones: Zoning): string {
  const n = naming(side, zones);
  // Class zoning keeps its historic keys (and so its rule order); departments add a part.
  const dept = zones === 'class' ? '' : `|${n.department?.toLowerCase() ?? ''}`;
  return pin ? `${side.zone}|#${n.deviceClass ?? ''}${dept}` : `${side.zone}|${n.deviceClass ?? ''}${dept}`;
}

/** A TCP conversation no connection of which the server ever accepted (no SYN-ACK): nothing needed it. */
export const refused = (f: PolicyFlow): boolean => f.transport === 'tcp' && f.established === false;

/** One flow as a group holds it: the flow and its two sides resolved. */
interface Sighting {
  f: PolicyFlow;
  from: ResolvedEndpoint;
  to: ResolvedEndpoint;
}

function newGroup(s: Sighting, pinFrom: boolean, pinTo: boolean, scanner: boolean): Group {
  return {
    from: s.from,
    to: s.to,
    fromHosts: pinFrom ? new Set() : null,
    toHosts: pinTo ? new Set() : null,
    servers: new Set(),
    serverIps: new Set(),
    scanner,
    port: s.f.transport === 'icmp' ? 0 : s.f.port,
    transport: s.f.transport,
    protocols: new Map(),
    connections: 0,
    flows: 0,
    firstSeen: s.f.firstSeen,
    lastSeen: s.f.lastSeen,
    sightings: [],
  };
}

function addSighting(g: Group, s: Sighting): void {
  const { f, from, to } = s;
  g.sightings.push(s);
  g.fromHosts?.add(from.ip);
  g.toHosts?.add(to.ip);
  g.serverIps.add(to.ip);
  if (to.deviceId !== null) g.servers.add(to.deviceId);
  if (f.protocol) g.protocols.set(f.protocol, (g.protocols.get(f.protocol) ?? 0) + f.connections);
  g.connections += f.connections;
  g.flows++;
  if (f.firstSeen < g.firstSeen) g.firstSeen = f.firstSeen;
  if (f.lastSeen > g.lastSeen) g.lastSeen = f.lastSeen;
}

/**
 * A rule listing several client and several server addresses allows every client to reach every
 * server: grouped so only when each one did. Otherwise the clients are grouped by the servers each
 * reached, one rule per set, so no rule allows a pair that was never seen.
 */
function splitByPairs(key: string, g: Group): [string, Group][] {
  if (!g.fromHosts || !g.toHosts || g.fromHosts.size < 2 || g.toHosts.size < 2) return [[key, g]];
  const reached = new Map<string, Set<string>>();
  for (const s of g.sightings) {
    let r = reached.get(s.from.ip);
    if (!r) {
      r = new Set();
      reached.set(s.from.ip, r);
    }
    r.add(s.to.ip);
  }
  if ([...reached.values()].every((r) => r.size === g.toHosts!.size)) return [[key, g]];
  const serverSet = (client: string) => [...reached.get(client)!].sort(compareAddresses).join(',');
  const parts = new Map<string, Group>();
  for (const s of g.sightings) {
    const k = `${key}>${serverSet(s.from.ip)}`;
    let part = parts.get(k);
    if (!part) {
      part = newGroup(s, true, true, g.scanner);
      parts.set(k, part);
    }
    addSighting(part, s);
  }
  return [...parts.entries()];
}

/** Per server address and service, and per service, the protocols the clients that are no scanner saw. */
interface ServiceLabels {
  byServer: Map<string, Map<string, number>>;
  byService: Map<string, Map<string, number>>;
}

function count(m: Map<string, Map<string, number>>, key: string, protocol: string, n: number): void {
  let c = m.get(key);
  if (!c) {
    c = new Map();
    m.set(key, c);
  }
  c.set(protocol, (c.get(protocol) ?? 0) + n);
}

const topProtocol = (counts: ReadonlyMap<string, number> | undefined): string | null =>
  [...(counts ?? new Map<string, number>()).entries()].sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  )[0]?.[0] ?? null;

/**
 * The protocol a rule names. A scanner's probe is often misnamed by the analyzer (a banner grab, a
 * half-spoken handshake), so its rule takes what the other clients of the same server and service were
 * seen speaking, else of the service on any server; only when no other client used it, its own label.
 */
function ruleProtocol(g: Group, labels: ServiceLabels): string | null {
  if (g.scanner) {
    const svc = `${g.port}/${g.transport}`;
    const byServer = new Map<string, number>();
    for (const ip of g.serverIps)
      for (const [p, n] of labels.byServer.get(`${ip}|${svc}`) ?? [])
        byServer.set(p, (byServer.get(p) ?? 0) + n);
    const other = topProtocol(byServer) ?? topProtocol(labels.byService.get(svc));
    if (other) return other;
  }
  return topProtocol(g.protocols);
}

export function proposePolicy(
  map: NetworkMap,
  flows: readonly PolicyFlow[],
  opts: ProposeOptions = {},
): Policy {
  const zones = opts.zones ?? 'class';
  const groups = new Map<string, Group>();
  const labels: ServiceLabels = { byServer: new Map(), byService: new Map() };
  for (const f of flows) {
    // A TCP or UDP flow without a port cannot be written as a firewall rule.
    if (f.transport !== 'icmp' && f.port === 0) continue;
    // Link-local, mDNS and LLMNR traffic stays on its link: no firewall between segments needs a rule for it.
    if (nonSegmentKind(f)) continue;
    if (refused(f)) continue;
    // An FTP data connection's port is ephemeral: the rule for its FTP session (21/tcp) covers it, with
    // the firewall's FTP helper relating it (simulate.ts, and the nftables and iptables exports).
    if (isFtpData(f)) continue;
    const from = map.resolve(f.client);
    const to = map.resolve(f.server);
    const port = f.transport === 'icmp' ? 0 : f.port;
    const scanner = opts.scanners?.has(f.client) ?? false;
    if (!scanner && f.protocol) {
      count(labels.byServer, `${to.ip}|${port}/${f.transport}`, f.protocol, f.connections);
      count(labels.byService, `${port}/${f.transport}`, f.protocol, f.connections);
    }
    const pinFrom = scanner || pinned(from, to, zones);
    const pinTo = pinned(to, from, zones);
    // A scanner's flows form groups of their own, so its address is never widened to its class's.
    const fromKey = `${sideKey(from, pinFrom, zones)}${scanner ? `|scan:${from.ip}` : ''}`;
    const key = `${fromKey}>${sideKey(to, pinTo, zones)}>${port}/${f.transport}`;
    const sighting = { f, from, to };
    let g = groups.get(key);
    if (!g) {
      g = newGroup(sighting, pinFrom, pinTo, scanner);
      groups.set(key, g);
    }
    addSighting(g, sighting);
  }

  const sorted = [...groups.entries()]
    .flatMap(([key, g]) => splitByPairs(key, g))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const rules: PolicyRule[] = sorted.map(([, g], i) => toRule(g, i + 1, opts.guidance, zones, labels));
  return {
    format: 'vigil-policy',
    formatVersion: 1,
    name: opts.name ?? 'proposed',
    site: opts.site ?? null,
    defaultAction: 'deny',
    ...(zones !== 'class' ? { zones } : {}),
    rules,
  };
}

function endpoint(side: ResolvedEndpoint, hosts: Set<string> | null, zones: Zoning): PolicyEndpoint {
  const e: PolicyEndpoint = { zone: side.zone, ...naming(side, zones) };
  if (hosts) e.hosts = [...hosts].sort(compareAddresses);
  return e;
}

function toRule(
  g: Group,
  n: number,
  guidance: ProposalGuidance | undefined,
  zones: Zoning,
  labels: ServiceLabels,
): PolicyRule {
  const protocol = ruleProtocol(g, labels);
  const from = endpoint(g.from, g.fromHosts, zones);
  const to = endpoint(g.to, g.toHosts, zones);
  const svc = g.transport === 'icmp' ? 'icmp' : `${g.port}/${g.transport}`;
  const side = (e: PolicyEndpoint) =>
    `${e.zone}${e.deviceClass ? ` ${e.deviceClass}` : ''}${e.department ? ` @${e.department}` : ''}`;
  const notes: string[] = [];
  const internet = from.zone === INTERNET_ZONE || to.zone === INTERNET_ZONE;
  if (internet) notes.push('internet traffic: confirm the device needs it');
  const risky =
    g.transport === 'icmp' ? undefined : riskyServiceOf({ port: g.port, transport: g.transport, protocol });
  if (risky) notes.push(`${risky.name} is a risky service: ${risky.action}`);
  if (g.from.deviceId === null && !internet) notes.push('client address belongs to no known device');
  if (g.scanner)
    notes.push(
      'the client scanned the network (port-scan alert): allow it only if it is a scanner of your own',
    );
  const clientKnown = g.from.deviceId !== null && !internet;
  const applied = proposalNotes(guidance, [...g.servers].sort(), g.port, g.transport, clientKnown);
  for (const a of applied) if (a.review) notes.push(guidanceReason(a));
  const full =
    `observed: ${side(from)} → ${side(to)} ${svc}${protocol ? ` ${protocol}` : ''}, ` +
    `${plural(g.connections, 'connection')} ${g.firstSeen} – ${g.lastSeen}` +
    (notes.length ? `; review: ${notes.join('; ')}` : '');
  // A rule's reason is at most 500 characters (policy-model.ts); the full guidance is in `guidance`.
  const reason = full.length > 500 ? `${full.slice(0, 499)}…` : full;
  return {
    id: `r${n}`,
    action: 'allow',
    from,
    to,
    port: g.port,
    transport: g.transport,
    protocol,
    reason,
    review: notes.length > 0,
    observed: { connections: g.connections, firstSeen: g.firstSeen, lastSeen: g.lastSeen },
    ...(applied.length ? { guidance: applied } : {}),
  };
}
