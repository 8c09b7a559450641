/**
 * @module The segmentation policy as people work it: propose a draft from stored communications (or given
 * flows), save a draft from a file, approve a draft (audited; it supersedes the approved one of its
 * scope), show, simulate flows and export. A scope is one site or every site; "the approved policy" of a
 * scope is its newest approved version.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { plural } from '../format-count.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { raiseAlerts } from '../monitor/alerts-service.js';
import type { DetectionRule } from '../monitor/rules/detection-rule.js';
import { policyViolationRule, policyViolations } from '../monitor/rules/policy-violation.js';
import { alertDetailsOf } from '../store/alert-store.js';
import { newId, nowIso } from '../store/ids.js';
import {
  allSegmentRows,
  approvedPolicy,
  identifiersByDevice,
  insertPolicy,
  listPolicies,
  nextPolicyVersion,
  type PolicyRow,
  policyById,
  policyDevices,
  policyScope,
  updatePolicy,
} from '../store/policy-store.js';
import { findSite } from '../store/site-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type ExportFormat, exportPolicy } from './export/index.js';
import { countNonSegment, nonSegmentKind } from './non-segment-traffic.js';
import { diffPolicies, type PolicyDiff } from './policy-diff.js';
import { fromCommunication, type PolicyFlow } from './policy-flow.js';
import { NetworkMap, type PolicyInventory } from './policy-inventory.js';
import { type Policy, type PolicyInput, PolicySchema } from './policy-model.js';
import { loadProposalGuidance } from './port-guidance.js';
import { proposePolicy, refused, ZONINGS } from './propose.js';
import { type SimulationReport, simulate } from './simulate.js';
import { devicesInScope, scopeCommunications, scopeSegments, segmentsInScope } from './site-scope.js';
import type { Mds2ServiceProvider } from './unnecessary-services.js';

export interface StoredPolicy {
  id: string;
  siteId: string | null;
  version: number;
  state: 'draft' | 'approved' | 'superseded';
  name: string;
  origin: string;
  ruleCount: number;
  /** Rules flagged for review (internet flows, risky services, unknown clients). */
  reviewCount: number;
  createdBy: string;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  supersededAt: string | null;
  policy: Policy;
}

function toStored(r: PolicyRow): StoredPolicy {
  const policy = PolicySchema.parse(JSON.parse(r.document));
  return {
    id: r.id,
    siteId: r.site_id,
    version: Number(r.version),
    state: r.state as StoredPolicy['state'],
    name: r.name,
    origin: r.origin,
    ruleCount: Number(r.rule_count),
    reviewCount: policy.rules.filter((x) => x.review).length,
    createdBy: r.created_by,
    createdAt: r.created_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    supersededAt: r.superseded_at,
    policy,
  };
}

/** Parses a policy document (file, API body), or throws invalid_input naming every bad field. */
export function parsePolicy(value: unknown, what = 'policy'): Policy {
  return parseInput(PolicySchema, value, what);
}

/** The site a request names (id or name), checked against the actor's site limits; null = every site. */
async function resolveScope(
  h: DbHandle,
  actor: Actor,
  site: string | null | undefined,
): Promise<string | null> {
  if (!site) return null;
  const row = await findSite(h, site);
  if (!row) throw notFound(`Site "${site}"`);
  if (actor.siteIds && !actor.siteIds.includes(row.id)) throw forbidden(`No access to site "${row.name}"`);
  return row.id;
}

/**
 * Devices (with addresses, class, site) and segments, for one site or every site; a site's devices
 * include those at no site with an address in its segments (`site-scope.ts`).
 */
export async function loadPolicyInventory(h: DbHandle, siteId: string | null): Promise<PolicyInventory> {
  return (await loadPolicyInventories(h, [siteId])).get(siteId)!;
}

/** `loadPolicyInventory` for several scopes, from one read of the devices, addresses and segments. */
async function loadPolicyInventories(
  h: DbHandle,
  siteIds: readonly (string | null)[],
): Promise<Map<string | null, PolicyInventory>> {
  const segmentRows = await allSegmentRows(h);
  const ips = await identifiersByDevice(h, 'ip');
  const rows = await policyDevices(h);
  // Named as every other list names them ("Spacelabs Healthcare (10.20.0.40)", not a bare address).
  const labels = await deviceLabels(
    h,
    rows.map((d) => d.id),
  );
  const out = new Map<string | null, PolicyInventory>();
  for (const siteId of siteIds) {
    const segments = segmentsInScope(segmentRows, siteId);
    out.set(siteId, {
      devices: devicesInScope(rows, ips, siteId, segments).map((d) => ({
        id: d.id,
        label: labelIn(labels, d.id),
        deviceClass: d.device_class,
        department: d.department?.trim() || null,
        siteId: d.site_id,
        ips: ips.get(d.id) ?? [],
      })),
      segments,
    });
  }
  return out;
}

async function storedFlows(h: DbHandle, siteId: string | null): Promise<PolicyFlow[]> {
  return (await scopeCommunications(h, siteId, await scopeSegments(h, siteId))).map(fromCommunication);
}

async function saveDraft(
  h: DbHandle,
  actor: Actor,
  siteId: string | null,
  policy: Policy,
  origin: 'proposed' | 'file' | 'api',
  summary: Record<string, unknown>,
): Promise<StoredPolicy> {
  return transaction(h, async (tx) => {
    const scope = policyScope(siteId);
    const row: PolicyRow = {
      id: newId(),
      scope,
      site_id: siteId,
      version: await nextPolicyVersion(tx, scope),
      state: 'draft',
      name: policy.name,
      origin,
      document: JSON.stringify({ ...policy, site: siteId }),
      rule_count: policy.rules.length,
      created_by: actor.name,
      created_at: nowIso(),
      approved_by: null,
      approved_at: null,
      superseded_at: null,
    };
    await insertPolicy(tx, row);
    await appendAudit(tx, {
      actor,
      action: origin === 'proposed' ? 'policy.propose' : 'policy.draft',
      target: { type: 'policy', id: row.id },
      summary: { site: siteId, version: row.version, rules: row.rule_count, origin, ...summary },
    });
    return toStored(row);
  });
}

export interface ProposeResult extends StoredPolicy {
  /** How many flows the proposal was made from. */
  flows: number;
  /** Of those, TCP conversations the server only ever refused or left unanswered: left out. */
  refused: number;
  /**
   * Of those, link-local conversations (169.254.0.0/16, fe80::/10), left out: they never cross a
   * firewall between segments (`non-segment-traffic.ts`).
   */
  linkLocal: number;
  /** Of those, mDNS (224.0.0.251 / ff02::fb, 5353/udp), left out: discovery within one link. */
  mdns: number;
  /** Of those, LLMNR (224.0.0.252 / ff02::1:3, 5355/udp), left out: name resolution within one link. */
  llmnr: number;
  /** What changes against the approved policy of the same scope (every rule added when there is none). */
  diff: PolicyDiff;
  /** The approved policy `diff` compares with; null when the scope has none yet. */
  approvedId: string | null;
  /** Advisory port guidance and MDS2 declarations the proposal applied, rule by rule. */
  guidance: AppliedGuidance[];
}

/** One piece of guidance on one proposed rule (the rule's `guidance[]`, with the rule's id and service). */
export interface AppliedGuidance {
  ruleId: string;
  port: number;
  transport: string;
  source: 'advisory' | 'mds2';
  advisoryId: string | null;
  path: string | null;
  action: string;
  sentence: string;
  review: boolean;
}

/**
 * Addresses that port-scan alerts name as the scanner (`details.scanner`), unless a person marked the
 * alert a false positive. The rule's id is written out rather than imported: the monitor depends on the
 * policy, not the other way round.
 */
async function scannerAddresses(h: DbHandle, siteId: string | null): Promise<Set<string>> {
  const details = await alertDetailsOf(h, 'port-scan', ['new', 'acknowledged', 'resolved'], siteId);
  return new Set(details.map((d) => d['scanner']).filter((s): s is string => typeof s === 'string'));
}

/** Proposes a least-privilege draft from the stored communications of the scope (or the given flows). */
export async function proposeDraft(
  h: DbHandle,
  actor: Actor,
  input: { site?: string | null; name?: string; zones?: string } = {},
  opts: { flows?: readonly PolicyFlow[]; mds2?: Mds2ServiceProvider } = {},
): Promise<ProposeResult> {
  assertCan(actor, 'policy:write');
  const zones = parseInput(z.enum(ZONINGS).default('class'), input.zones, 'zones');
  const siteId = await resolveScope(h, actor, input.site);
  if (!siteId) assertAllSites(actor, 'A policy for every site');
  const flows = opts.flows ?? (await storedFlows(h, siteId));
  const map = new NetworkMap(await loadPolicyInventory(h, siteId));
  const guidance = await loadProposalGuidance(h, siteId, opts.mds2 ? { mds2: opts.mds2 } : {});
  const scanners = await scannerAddresses(h, siteId);
  const policy = proposePolicy(map, flows, {
    name: input.name ?? 'proposed',
    site: siteId,
    guidance,
    zones,
    scanners,
  });
  const applied: AppliedGuidance[] = policy.rules.flatMap((r) =>
    (r.guidance ?? []).map((g) => ({ ruleId: r.id, port: r.port, transport: r.transport, ...g })),
  );
  const current = await approvedPolicy(h, policyScope(siteId));
  const diff = diffPolicies(current ? toStored(current).policy : null, policy);
  // Each flow left out is counted once: link-local, mDNS and LLMNR before refused.
  const { linkLocal, mdns, llmnr } = countNonSegment(flows);
  const refusedFlows = flows.filter((f) => refused(f) && !nonSegmentKind(f)).length;
  const stored = await saveDraft(h, actor, siteId, policy, 'proposed', {
    flows: flows.length,
    refused: refusedFlows,
    linkLocal,
    mdns,
    llmnr,
    added: diff.added.length,
    removed: diff.removed.length,
    guidance: applied.length,
    zones,
  });
  return {
    ...stored,
    flows: flows.length,
    refused: refusedFlows,
    linkLocal,
    mdns,
    llmnr,
    diff,
    approvedId: current?.id ?? null,
    guidance: applied,
  };
}

/** Saves a policy a person wrote or edited (a file or an API body) as a draft of its site's scope. */
export async function saveDraftPolicy(
  h: DbHandle,
  actor: Actor,
  document: unknown,
  origin: 'file' | 'api' = 'file',
): Promise<StoredPolicy> {
  assertCan(actor, 'policy:write');
  const policy = parsePolicy(document);
  const siteId = await resolveScope(h, actor, policy.site);
  if (!siteId) assertAllSites(actor, 'A policy for every site');
  return saveDraft(h, actor, siteId, policy, origin, {});
}

/** Approves a draft: it becomes the policy of its scope; the approved one before it is superseded. */
export async function approvePolicy(
  h: DbHandle,
  actor: Actor,
  id: string,
  opts: { acceptReview?: boolean } = {},
): Promise<StoredPolicy> {
  assertCan(actor, 'policy:write');
  return transaction(h, async (tx) => {
    const row = await policyById(tx, id);
    if (!row) throw notFound(`Policy ${id}`);
    if (row.site_id) await resolveScope(tx, actor, row.site_id);
    else assertAllSites(actor, 'A policy for every site');
    if (row.state !== 'draft') throw conflict(`Policy ${id} is ${row.state}; only a draft can be approved`);
    // A rule flagged for review (a scanner, the internet, Telnet, an advisory's port) is one the proposal
    // itself said a person must decide on: approving the draft as a whole must not open it unseen.
    const stored = toStored(row);
    const flagged = stored.policy.rules.filter((r) => r.review);
    if (flagged.length > 0 && !opts.acceptReview) {
      const shown = flagged.slice(0, 5).map((r) => `${r.id} ${r.port}/${r.transport}`);
      throw conflict(
        `Policy ${id} has ${plural(flagged.length, 'rule')} flagged for review (${shown.join(', ')}` +
          `${flagged.length > shown.length ? ', …' : ''}): remove the ones you do not want (edit the policy ` +
          'and save it as a new draft), or approve knowingly with --accept-review (API: acceptReview=true)',
      );
    }
    const now = nowIso();
    const previous = await approvedPolicy(tx, row.scope);
    if (previous) await updatePolicy(tx, previous.id, { state: 'superseded', superseded_at: now });
    await updatePolicy(tx, id, { state: 'approved', approved_by: actor.name, approved_at: now });
    await appendAudit(tx, {
      actor,
      action: 'policy.approve',
      target: { type: 'policy', id },
      summary: {
        site: row.site_id,
        version: Number(row.version),
        rules: Number(row.rule_count),
        reviewAccepted: flagged.map((r) => r.id),
        supersedes: previous?.id ?? null,
      },
    });
    return { ...stored, state: 'approved', approvedBy: actor.name, approvedAt: now };
  });
}

export interface PolicyOverview {
  /** The approved policy of the scope, if any. */
  approved: StoredPolicy | null;
  /** Every version of the scope, newest first, without documents. */
  versions: Omit<StoredPolicy, 'policy'>[];
}

export async function showPolicy(
  h: DbHandle,
  actor: Actor,
  input: { site?: string | null } = {},
): Promise<PolicyOverview> {
  assertCan(actor, 'policy:read');
  const siteId = await resolveScope(h, actor, input.site);
  const scope = policyScope(siteId);
  const approved = await approvedPolicy(h, scope);
  const versions = (await listPolicies(h, [scope])).map((r) => {
    const { policy: _, ...rest } = toStored(r);
    return rest;
  });
  return { approved: approved ? toStored(approved) : null, versions };
}

export async function getPolicy(h: DbHandle, actor: Actor, id: string): Promise<StoredPolicy> {
  assertCan(actor, 'policy:read');
  const row = await policyById(h, id);
  if (!row) throw notFound(`Policy ${id}`);
  if (row.site_id) await resolveScope(h, actor, row.site_id);
  return toStored(row);
}

/** The policy a read acts on: the one given, else the approved policy of the scope. */
async function policyFor(
  h: DbHandle,
  actor: Actor,
  input: { site?: string | null; policy?: unknown },
): Promise<{ policy: Policy; siteId: string | null; policyId: string | null }> {
  if (input.policy !== undefined) {
    const policy = parsePolicy(input.policy);
    const siteId = await resolveScope(h, actor, input.site ?? policy.site);
    return { policy, siteId, policyId: null };
  }
  const siteId = await resolveScope(h, actor, input.site);
  const row = await approvedPolicy(h, policyScope(siteId));
  if (!row)
    throw notFound(
      `An approved policy${siteId ? ' for this site' : ' for every site'} (propose one and approve it, or pass a policy file)`,
    );
  return { policy: toStored(row).policy, siteId, policyId: row.id };
}

export interface SimulateResult extends Omit<SimulationReport, 'decisions'> {
  policyId: string | null;
  decisions: {
    flow: string;
    client: string;
    server: string;
    port: number;
    transport: string;
    protocol: string | null;
    connections: number;
    decision: 'allowed' | 'blocked';
    ruleId: string | null;
    reason: string;
    clientZone: string;
    clientClass: string;
    clientDepartment: string | null;
    clientDeviceId: string | null;
    serverZone: string;
    serverClass: string;
    serverDepartment: string | null;
    serverDeviceId: string | null;
  }[];
}

/** Replays flows (given, else the scope's stored communications) against a policy (given, else the approved one). */
export async function simulatePolicy(
  h: DbHandle,
  actor: Actor,
  input: { site?: string | null; policy?: unknown } = {},
  opts: { flows?: readonly PolicyFlow[] } = {},
): Promise<SimulateResult> {
  assertCan(actor, 'policy:read');
  const { policy, siteId, policyId } = await policyFor(h, actor, input);
  const flows = opts.flows ?? (await storedFlows(h, siteId));
  const map = new NetworkMap(await loadPolicyInventory(h, siteId));
  const report = simulate(policy, map, flows);
  return {
    ...report,
    policyId,
    decisions: report.decisions.map((d) => ({
      flow: `${d.flow.client} → ${d.flow.server}${d.flow.transport === 'icmp' ? ' icmp' : ` ${d.flow.port}/${d.flow.transport}`}`,
      client: d.flow.client,
      server: d.flow.server,
      port: d.flow.port,
      transport: d.flow.transport,
      protocol: d.flow.protocol,
      connections: d.flow.connections,
      decision: d.decision,
      ruleId: d.ruleId,
      reason: d.reason,
      clientZone: d.client.zone,
      clientClass: d.client.deviceClass,
      clientDepartment: d.client.department,
      clientDeviceId: d.client.deviceId,
      serverZone: d.server.zone,
      serverClass: d.server.deviceClass,
      serverDepartment: d.server.department,
      serverDeviceId: d.server.deviceId,
    })),
  };
}

/** The policy (given, else the approved one) in a firewall format, addresses from the inventory. */
export async function exportPolicyText(
  h: DbHandle,
  actor: Actor,
  input: { format: ExportFormat; site?: string | null; policy?: unknown },
): Promise<string> {
  assertCan(actor, 'policy:read');
  const { policy, siteId } = await policyFor(h, actor, input);
  const map = new NetworkMap(await loadPolicyInventory(h, siteId));
  return exportPolicy(input.format, policy, map);
}

/**
 * The `policy-violation` detection rules of every approved policy, for a source run's rule list
 * (`processSourceRun`): the policy for every site judges every flow, each site's policy the flows with an
 * end at that site. None when no policy is approved.
 */
export async function approvedPolicyRules(h: DbHandle): Promise<DetectionRule[]> {
  // Newest version first within each scope: the first approved one met is the scope's approved policy.
  const approved = new Map<string, PolicyRow>();
  for (const r of await listPolicies(h))
    if (r.state === 'approved' && !approved.has(r.scope)) approved.set(r.scope, r);
  if (!approved.size) return [];
  const rows = [...approved.values()];
  const inventories = await loadPolicyInventories(
    h,
    rows.map((r) => r.site_id),
  );
  return rows.map((row) =>
    policyViolationRule({
      policy: toStored(row).policy,
      policyId: row.id,
      map: new NetworkMap(inventories.get(row.site_id)!),
      siteId: row.site_id,
    }),
  );
}

/** Raises `policy-violation` alerts for the stored communications the approved policy does not allow. */
export async function checkPolicyViolations(
  h: DbHandle,
  actor: Actor,
  input: { site?: string | null } = {},
  opts: { flows?: readonly PolicyFlow[]; now?: Date; rateLimit?: number } = {},
): Promise<{
  policyId: string | null;
  flows: number;
  violations: number;
  created: number;
  updated: number;
  suppressed: number;
}> {
  assertCan(actor, 'alerts:write');
  const { policy, siteId, policyId } = await policyFor(h, actor, input);
  const flows = opts.flows ?? (await storedFlows(h, siteId));
  const map = new NetworkMap(await loadPolicyInventory(h, siteId));
  const now = opts.now ?? new Date();
  // With a site, flows from a capture or log are judged only where they touch the site.
  const candidates = policyViolations({ policy, policyId, map, siteId }, flows, now.toISOString());
  const raised = await raiseAlerts(h, candidates, {
    now,
    actor: actor.name,
    ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
  });
  return {
    policyId,
    flows: flows.length,
    violations: candidates.length,
    created: raised.created,
    updated: raised.updated,
    suppressed: raised.suppressed,
  };
}

export type { PolicyInput };
