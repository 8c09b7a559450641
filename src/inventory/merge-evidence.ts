/**
 * @module What a merge moves besides identifiers and facts: the duplicate's findings, its remediation
 * tasks (one live task per finding, vulnerability or campaign), its alerts (then at the record's site, those
 * the merge made moot resolved: monitor/merge-alerts.ts), the services and protocols
 * sources saw it offer, what fingerprinting saw of it, its communications and baseline, its risk
 * acceptances and what people decided about it (merge-decisions.ts); task titles that named it are
 * renamed. Left on the
 * duplicate, the record it went into would list none of its open findings, and the next capture of the
 * device would file each of them again on that record. Runs inside the merge's transaction.
 */
import type { Actor } from '../accounts/actor.js';
import { findingKey } from '../discovery/finding-severity.js';
import { mergeProtocolDetails } from '../discovery/protocol-details.js';
import { moveDeviceAlerts } from '../monitor/alerts-service.js';
import type { EventBus } from '../monitor/event-bus.js';
import { type MergeAlertCounts, settleMergedAlerts } from '../monitor/merge-alerts.js';
import { type MergeTrafficCounts, moveDeviceTraffic } from '../monitor/merge-traffic.js';
import {
  deleteFinding,
  deleteProfileRows,
  type FindingRow,
  findingsByKey,
  findingsOfDevices,
  moveProfileRows,
  type ProtocolRow,
  protocolsOf,
  type ServiceRow,
  servicesOf,
  updateFinding,
  updateProtocol,
  updateService,
} from '../store/discovery-store.js';
import {
  deleteHints,
  deleteSuggestions,
  ownHints,
  ownSuggestions,
  upsertHints,
  upsertSuggestions,
} from '../store/fingerprint-store.js';
import { liveTasksFor, moveDeviceTasks, repointFindingTasks } from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import {
  type MergedTaskKey,
  mergedTaskKey,
  moveDeviceAcceptances,
  retitleMergedTasks,
  supersedeMergedFindingTasks,
  supersedeMergedTasks,
} from '../tasks/merge-tasks.js';
import { deviceLabels, labelIn, possibleDeviceLabels } from './device-label.js';
import { rescoreFindings } from './device-writer.js';
import { type MergeDecisionCounts, moveMergeDecisions } from './merge-decisions.js';

export interface MergeEvidenceCounts extends MergeTrafficCounts, MergeDecisionCounts, MergeAlertCounts {
  findingsMoved: number;
  findingsFolded: number;
  /** Tasks on the duplicate's findings. */
  tasksMoved: number;
  /** The duplicate's tasks on a vulnerability match (in a campaign or not). */
  vulnerabilityTasksMoved: number;
  /** The duplicate's campaign tasks without a vulnerability (an update to a version, a recall). */
  actionTasksMoved: number;
  /**
   * Live tasks closed because what they tracked (a folded finding, a vulnerability, a campaign) already
   * had one on the record after the move.
   */
  tasksSuperseded: number;
  alertsMoved: number;
  hintsMoved: number;
  /** Services and protocols the record did not have yet; those it had take the duplicate's sightings. */
  servicesMoved: number;
  protocolsMoved: number;
  /** Tasks whose title named the duplicate (or the record by a label it no longer has), renamed. */
  tasksRetitled: number;
  /** The duplicate's device-scoped risk acceptances, now the record's. */
  acceptancesMoved: number;
  /** Active acceptances of one vulnerability on both records: the one expiring sooner, revoked. */
  acceptancesSuperseded: number;
}

export async function moveMergeEvidence(
  tx: DbHandle,
  actor: Actor,
  fromId: string,
  toId: string,
  now: string,
  /** What people called the two records before the merge (device-label.ts): task titles name them. */
  labelsBefore: readonly string[] = [],
  /** The bus the alerts the merge resolves are published on (the process's unless given). */
  opts: { bus?: EventBus } = {},
): Promise<MergeEvidenceCounts> {
  const findings = await moveFindings(tx, fromId, toId, now);
  // Tasks on the duplicate's findings follow them (a folded one now names the target's finding).
  const tasksMoved = await moveDeviceTasks(tx, fromId, toId, 'finding', now);
  // A folded finding may now have a live task from each record: one carries on.
  const merge = { source: fromId, into: toId };
  let tasksSuperseded = await supersedeMergedFindingTasks(
    tx,
    actor,
    toId,
    findings.foldedInto,
    merge,
    new Date(now),
  );
  // Vulnerability and campaign tasks follow too: left on the duplicate, verification would close them
  // as verified (their device is gone) and the schedule and assignee with them. Where the record has its
  // own live task for the same vulnerability or campaign, one carries on.
  const keys = (await liveTasksFor(tx, { deviceIds: [fromId] }))
    .filter((t) => t.kind !== 'finding')
    .map(mergedTaskKey)
    .filter((k): k is MergedTaskKey => k !== null);
  const vulnerabilityTasksMoved = await moveDeviceTasks(tx, fromId, toId, 'vulnerability', now);
  const actionTasksMoved = await moveDeviceTasks(tx, fromId, toId, 'action', now);
  tasksSuperseded += await supersedeMergedTasks(tx, actor, toId, keys, merge, new Date(now));
  const alerts = await moveDeviceAlerts(tx, fromId, toId, now);
  const hintsMoved = await moveHints(tx, fromId, toId);
  await moveSuggestions(tx, fromId, toId);
  const servicesMoved = await moveServices(tx, fromId, toId);
  const protocolsMoved = await moveProtocols(tx, fromId, toId);
  const traffic = await moveDeviceTraffic(tx, fromId, toId, now);
  // With the traffic moved: the record's alerts at its site, and those the merge made moot resolved.
  const settled = await settleMergedAlerts(tx, actor, merge, now, opts.bus);
  // A task made on the record for a vulnerability the duplicate's acceptance covers starts risk-accepted.
  const acceptances = await moveDeviceAcceptances(tx, actor, merge, new Date(now));
  // The record has every identifier and fact it will have: its label as lists now show it.
  const label = labelIn(await deviceLabels(tx, [toId]), toId);
  const decisions = await moveMergeDecisions(tx, actor, fromId, toId, now, {
    before: labelsBefore,
    after: label,
  });
  const tasks = await tx.db
    .selectFrom('remediation_tasks')
    .selectAll()
    .where('device_id', '=', toId)
    .execute();
  // A title keeps the label its device had when the task was made, maybe not the one it had just now.
  const formerLabels = [...labelsBefore, ...(await possibleDeviceLabels(tx, [fromId, toId]))];
  const tasksRetitled = await retitleMergedTasks(tx, actor, tasks, formerLabels, label, merge, new Date(now));
  return {
    findingsMoved: findings.moved,
    findingsFolded: findings.folded,
    tasksMoved,
    vulnerabilityTasksMoved,
    actionTasksMoved,
    tasksSuperseded,
    alertsMoved: alerts.moved + alerts.folded,
    hintsMoved,
    servicesMoved,
    protocolsMoved,
    tasksRetitled,
    acceptancesMoved: acceptances.moved,
    acceptancesSuperseded: acceptances.superseded,
    ...traffic,
    ...settled,
    ...decisions,
  };
}

/**
 * Each finding takes the key it would have had on the target, so the next source that sees the device
 * updates it instead of filing it again. One the target already has becomes the target's, as if every
 * sighting had been on it; all of the target's findings are then scored for its criticality and ePHI.
 */
async function moveFindings(
  tx: DbHandle,
  fromId: string,
  toId: string,
  now: string,
): Promise<{ moved: number; folded: number; foldedInto: string[] }> {
  const theirs = await findingsOfDevices(tx, [fromId]);
  const keyOn = (f: FindingRow) => findingKey(f.type, toId, f.subject);
  const ours = await findingsByKey(tx, theirs.map(keyOn));
  let moved = 0;
  let folded = 0;
  const foldedInto: string[] = [];
  for (const f of theirs) {
    const key = keyOn(f);
    const o = ours.get(key);
    if (!o) {
      await updateFinding(tx, f.id, { device_id: toId, dedup_key: key, updated_at: now });
      moved++;
      continue;
    }
    const first = f.first_seen < o.first_seen ? f : o;
    const last = f.last_seen > o.last_seen ? f : o;
    await repointFindingTasks(tx, f.id, o.id);
    await deleteFinding(tx, f.id);
    await updateFinding(tx, o.id, {
      state: foldedState(o, f),
      occurrences: o.occurrences + f.occurrences,
      first_seen: first.first_seen,
      evidence: first.evidence,
      last_seen: last.last_seen,
      last_evidence: last.last_evidence,
      details: last.details,
      updated_at: now,
    });
    folded++;
    foldedInto.push(o.id);
  }
  if (theirs.length) await rescoreFindings(tx, [toId], now);
  return { moved, folded, foldedInto };
}

/**
 * A person's judgement that a finding is not real holds for the device whichever record it was made on.
 * The target's own state stands otherwise, except a resolved one the duplicate still saw open (or
 * acknowledged) afterwards:
 * the exposure outlived the resolution, as when a capture sees a resolved finding again.
 */
function foldedState(ours: FindingRow, theirs: FindingRow): string {
  if (ours.state === 'false-positive' || theirs.state === 'false-positive') return 'false-positive';
  // Acknowledged is still live (a person saw it, nothing fixed it): it reopens a resolution as open does.
  if (
    ours.state === 'resolved' &&
    (theirs.state === 'open' || theirs.state === 'acknowledged') &&
    theirs.last_seen > ours.last_seen
  )
    return theirs.state;
  return ours.state;
}

/**
 * Hints move the way a capture adds them (upsertHints): one the target has keeps the wider first/last-seen
 * window and the earlier sighting's evidence. Those past the target's cap stay on the duplicate, which
 * the target's listing still shows.
 */
async function moveHints(tx: DbHandle, fromId: string, toId: string): Promise<number> {
  const theirs = await ownHints(tx, fromId);
  if (!theirs.length) return 0;
  const keyOf = (r: { kind: string; value: string }) => `${r.kind}\u0000${r.value}`;
  const before = new Set((await ownHints(tx, toId)).map(keyOf));
  await upsertHints(
    tx,
    theirs.map((r) => ({ ...r, device_id: toId })),
  );
  const after = new Set((await ownHints(tx, toId)).map(keyOf));
  const taken = theirs.filter((r) => after.has(keyOf(r)));
  await deleteHints(tx, fromId, taken);
  return taken.filter((r) => !before.has(keyOf(r))).length;
}

/**
 * One suggestion per field: the duplicate's moves only where the target has none for that field or a
 * less confident one (a capture's suggestion replaces one the same way). The rest stay on the duplicate.
 */
async function moveSuggestions(tx: DbHandle, fromId: string, toId: string): Promise<void> {
  const theirs = await ownSuggestions(tx, fromId);
  if (!theirs.length) return;
  const ours = new Map((await ownSuggestions(tx, toId)).map((s) => [s.field, s]));
  const better = theirs.filter((s) => {
    const o = ours.get(s.field);
    return !o || o.confidence < s.confidence;
  });
  await upsertSuggestions(
    tx,
    better.map((s) => ({ ...s, device_id: toId })),
  );
  await deleteSuggestions(
    tx,
    better.map((s) => ({ deviceId: fromId, field: s.field })),
  );
}

/**
 * The duplicate's services become the record's, so its listing, policy checks and baselines see every
 * port the device listens on. One the record has too (same port and transport) is one row, as if both
 * sightings had been on the record: the wider first/last-seen window, the more specific product and
 * version, the latest sighting's evidence and what it saw (protocol, encryption, CPEs) where known.
 */
async function moveServices(tx: DbHandle, fromId: string, toId: string): Promise<number> {
  const theirs = await servicesOf(tx, [fromId]);
  if (!theirs.length) return 0;
  const keyOf = (r: ServiceRow) => `${r.port}/${r.transport}`;
  const ours = new Map((await servicesOf(tx, [toId])).map((r) => [keyOf(r), r]));
  const move: string[] = [];
  const drop: string[] = [];
  for (const t of theirs) {
    const o = ours.get(keyOf(t));
    if (!o) {
      move.push(t.id);
      continue;
    }
    await updateService(tx, o.id, foldService(o, t));
    drop.push(t.id);
  }
  await deleteProfileRows(tx, 'device_services', drop);
  await moveProfileRows(tx, 'device_services', move, toId);
  return move.length;
}

function foldService(ours: ServiceRow, theirs: ServiceRow): Partial<ServiceRow> {
  // Ties go to the record's own row.
  const [older, newer] = theirs.last_seen > ours.last_seen ? [ours, theirs] : [theirs, ours];
  const latest = <T>(pick: (r: ServiceRow) => T | null) => pick(newer) ?? pick(older);
  return {
    protocol: latest((r) => r.protocol),
    ...productAndVersion(older, newer),
    encrypted: latest((r) => r.encrypted),
    cpes: newer.cpes === '[]' ? older.cpes : newer.cpes,
    source: newer.source,
    evidence: newer.evidence,
    first_seen: [older.first_seen, newer.first_seen].sort()[0]!,
    last_seen: newer.last_seen,
  };
}

/**
 * `nginx` and `nginx 1.18`, or `2.4` and `2.4.41`, are one thing said more or less precisely: the longer
 * is kept. Two products that differ outright mean the software changed, so the later sighting's product
 * and version stand together (another product's version would be wrong for it). A version seen without
 * any product (the TLS version of a handshake) does not join the product the other sighting named.
 */
function productAndVersion(older: ServiceRow, newer: ServiceRow): Pick<ServiceRow, 'product' | 'version'> {
  if (older.product && newer.product && !sameThing(older.product, newer.product))
    return { product: newer.product, version: newer.version };
  if (!older.product !== !newer.product) {
    const named = older.product ? older : newer;
    return { product: named.product, version: named.version };
  }
  return {
    product: moreSpecific(older.product, newer.product),
    version: moreSpecific(older.version, newer.version),
  };
}

/** One thing said more or less precisely (`Apache` and `Apache httpd`); imports use it too. */
export const sameThing = (a: string, b: string) => {
  const [x, y] = [a.trim().toLowerCase(), b.trim().toLowerCase()];
  return x.startsWith(y) || y.startsWith(x);
};

/** The value that says more of the same thing; the newer when they differ outright or say as much. */
export function moreSpecific(older: string | null, newer: string | null): string | null {
  if (older === null || newer === null) return newer ?? older;
  if (sameThing(older, newer) && older.trim().length > newer.trim().length) return older;
  return newer;
}

/**
 * The duplicate's protocols become the record's; one the record has too keeps the wider first/last-seen
 * window and both sets of details (DICOM AE titles, HL7 applications …) unioned the way a capture adds
 * to them, the later sighting's single values winning.
 */
async function moveProtocols(tx: DbHandle, fromId: string, toId: string): Promise<number> {
  const theirs = await protocolsOf(tx, [fromId]);
  if (!theirs.length) return 0;
  const ours = new Map((await protocolsOf(tx, [toId])).map((r) => [r.protocol, r]));
  const move: string[] = [];
  const drop: string[] = [];
  for (const t of theirs) {
    const o = ours.get(t.protocol);
    if (!o) {
      move.push(t.id);
      continue;
    }
    const [older, newer]: [ProtocolRow, ProtocolRow] = t.last_seen > o.last_seen ? [o, t] : [t, o];
    const details = mergeProtocolDetails(
      JSON.parse(older.details) as Record<string, unknown>,
      JSON.parse(newer.details) as Record<string, unknown>,
    );
    await updateProtocol(tx, o.id, {
      details: JSON.stringify(details),
      source: newer.source,
      first_seen: [older.first_seen, newer.first_seen].sort()[0]!,
      last_seen: newer.last_seen,
    });
    drop.push(t.id);
  }
  await deleteProfileRows(tx, 'device_protocols', drop);
  await moveProfileRows(tx, 'device_protocols', move, toId);
  return move.length;
}
