/**
 * @module The communication map: the stored communications folded into a graph of zones (or device
 * classes) and the internet, one directed edge per client group → server group with its protocols,
 * ports, flow count, volume and last time seen, and the approved policy's verdict on it. What the
 * dashboard's network map draws and `GET /api/v1/communications/map` answers.
 */
import { z } from 'zod';
import { type Actor, assertCan, can } from '../accounts/actor.js';
import { forbidden, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { fromCommunication } from '../policy/policy-flow.js';
import { NetworkMap, type ResolvedEndpoint } from '../policy/policy-inventory.js';
import { type Policy, PolicySchema } from '../policy/policy-model.js';
import { loadPolicyInventory } from '../policy/policy-service.js';
import { decideFlow } from '../policy/simulate.js';
import { communicationBatches, type StoredCommunication } from '../store/communication-store.js';
import { approvedPolicy, policyScope } from '../store/policy-store.js';
import { findSite } from '../store/site-store.js';
import type { DbHandle } from '../store/transaction.js';

export const MAP_GROUPINGS = ['zone', 'deviceClass'] as const;
export type MapGrouping = (typeof MAP_GROUPINGS)[number];

/** Edges beyond this many (the busiest kept) are left out and the map says `truncated`. */
export const MAP_EDGE_LIMIT = 500;

export interface MapNode {
  /** `zone:<name>`, `class:<device class>` or `external:internet`. */
  id: string;
  label: string;
  kind: 'zone' | 'deviceClass' | 'external';
  /** Inventory devices seen in this group's communications. */
  devices: number;
  /** Addresses seen in this group's communications (devices or not). */
  addresses: number;
}

export interface MapEdge {
  /** Node id of the side that opened the connections. */
  from: string;
  to: string;
  /** Application protocols recognised (`hl7`, `dicom` …; `icmp` for ICMP), sorted. */
  protocols: string[];
  /** Server ports (TCP and UDP), ascending. */
  ports: number[];
  /** Stored communications (client, server, port, transport, protocol) folded into this edge. */
  flows: number;
  connections: number;
  bytes: number;
  lastSeen: string;
  /**
   * With an approved policy (and `policy:read`): whether it allows every flow of the edge. Absent
   * without one.
   */
  allowedByPolicy?: boolean;
  /** With an approved policy: how many of the edge's flows it would block. */
  blockedFlows?: number;
}

export interface CommunicationMap {
  groupBy: MapGrouping;
  /** The site asked for (its id), or null for every site the caller may see. */
  siteId: string | null;
  since: string | null;
  /** The approved policy the verdicts come from, or null (none, or no `policy:read`). */
  policyId: string | null;
  nodes: MapNode[];
  edges: MapEdge[];
  /** Edges before the limit; `truncated` when some were left out. */
  totalEdges: number;
  truncated: boolean;
}

const MapQuery = z.strictObject({
  site: z.string().trim().min(1).max(200).optional(),
  groupBy: z.enum(MAP_GROUPINGS).default('zone'),
  since: z.string().datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(MAP_EDGE_LIMIT),
});
export type MapQueryInput = z.input<typeof MapQuery>;

const EXTERNAL = 'external:internet';

function nodeOf(r: ResolvedEndpoint, groupBy: MapGrouping): Omit<MapNode, 'devices' | 'addresses'> {
  if (r.zone === 'internet') return { id: EXTERNAL, label: 'internet', kind: 'external' };
  return groupBy === 'zone'
    ? { id: `zone:${r.zone}`, label: r.zone, kind: 'zone' }
    : { id: `class:${r.deviceClass}`, label: r.deviceClass, kind: 'deviceClass' };
}

/**
 * Whether a communication belongs to one of `siteIds`: stored with that site, or either end is a device
 * of it or an address in one of its segments (communications are often stored without a site when the
 * capture named no device; their ends still place them).
 */
function atSites(c: StoredCommunication, map: NetworkMap, siteIds: readonly string[]): boolean {
  const at = (id: string | null) => id !== null && siteIds.includes(id);
  return at(c.siteId) || at(map.resolve(c.clientIp).siteId) || at(map.resolve(c.serverIp).siteId);
}

/**
 * The approved policy that governs the scope: the site's own, else the one for every site (which covers
 * every site that has none of its own); null when neither exists.
 */
async function approvedOf(
  h: DbHandle,
  siteId: string | null,
): Promise<{ id: string; policy: Policy } | null> {
  const row =
    (siteId ? await approvedPolicy(h, policyScope(siteId)) : undefined) ??
    (await approvedPolicy(h, policyScope(null)));
  return row ? { id: row.id, policy: PolicySchema.parse(JSON.parse(row.document)) } : null;
}

/**
 * The communication map of a site (or every site the actor may see) since a time, grouped by zone or
 * device class; the busiest `limit` edges (by flows, then bytes).
 */
export async function communicationMap(
  h: DbHandle,
  actor: Actor,
  input: MapQueryInput = {},
): Promise<CommunicationMap> {
  assertCan(actor, 'monitor:read');
  const q = parseInput(MapQuery, input, 'map query');
  let siteId: string | null = null;
  if (q.site) {
    const site = await findSite(h, q.site);
    if (!site) throw notFound(`Site "${q.site}"`);
    if (actor.siteIds && !actor.siteIds.includes(site.id))
      throw forbidden(`No access to site "${site.name}"`);
    siteId = site.id;
  }
  // Every device and segment places addresses, so a peer at another site still lands in its zone.
  const map = new NetworkMap(await loadPolicyInventory(h, null));
  // A site-limited account sees the communications of its sites only (none without a site, like devices).
  const scope = siteId ? [siteId] : actor.siteIds;
  // The verdict is policy data: only for those who may read policies.
  const approved = can(actor, 'policy:read') ? await approvedOf(h, siteId) : null;

  const nodes = new Map<
    string,
    Omit<MapNode, 'devices' | 'addresses'> & { d: Set<string>; a: Set<string> }
  >();
  const place = (ip: string, deviceId: string | null) => {
    const r = map.resolve(ip);
    const base = nodeOf(r, q.groupBy);
    let n = nodes.get(base.id);
    if (!n) {
      n = { ...base, d: new Set(), a: new Set() };
      nodes.set(base.id, n);
    }
    const device = r.deviceId ?? deviceId;
    if (device) n.d.add(device);
    n.a.add(r.ip);
    return base.id;
  };

  type Acc = Omit<MapEdge, 'protocols' | 'ports'> & { protocols: Set<string>; ports: Set<number> };
  const edges = new Map<string, Acc>();
  const fold = (c: StoredCommunication): void => {
    const from = place(c.clientIp, c.clientDeviceId);
    const to = place(c.serverIp, c.serverDeviceId);
    const key = `${from}\u0000${to}`;
    let e = edges.get(key);
    if (!e) {
      e = {
        from,
        to,
        protocols: new Set(),
        ports: new Set(),
        flows: 0,
        connections: 0,
        bytes: 0,
        lastSeen: '',
      };
      if (approved) {
        e.allowedByPolicy = true;
        e.blockedFlows = 0;
      }
      edges.set(key, e);
    }
    if (c.protocol) e.protocols.add(c.protocol);
    else if (c.transport === 'icmp') e.protocols.add('icmp');
    if (c.transport !== 'icmp' && c.port > 0) e.ports.add(c.port);
    e.flows++;
    e.connections += c.connections;
    e.bytes += c.bytes;
    if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
    if (approved && decideFlow(approved.policy, map, fromCommunication(c)).decision === 'blocked') {
      e.allowedByPolicy = false;
      e.blockedFlows = (e.blockedFlows ?? 0) + 1;
    }
  };
  // Folded a batch at a time: memory holds the graph, not every stored conversation.
  for await (const batch of communicationBatches(h, q.since ? { since: q.since } : {}))
    for (const c of batch) {
      if (scope && !atSites(c, map, scope)) continue;
      fold(c);
    }

  const all = [...edges.values()].sort(
    (a, b) =>
      b.flows - a.flows || b.bytes - a.bytes || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
  );
  const kept = all.slice(0, q.limit).map(
    (e): MapEdge => ({
      ...e,
      protocols: [...e.protocols].sort(),
      ports: [...e.ports].sort((a, b) => a - b),
    }),
  );
  const used = new Set(kept.flatMap((e) => [e.from, e.to]));
  return {
    groupBy: q.groupBy,
    siteId,
    since: q.since ?? null,
    policyId: approved?.id ?? null,
    nodes: [...nodes.values()]
      .filter((n) => used.has(n.id))
      .map(({ d, a, ...n }) => ({ ...n, devices: d.size, addresses: a.size }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label)),
    edges: kept,
    totalEdges: all.length,
    truncated: all.length > kept.length,
  };
}
