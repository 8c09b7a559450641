/**
 * @module Verification by a later import: a task is `verified` when what it tracks is gone.
 *
 * - A vulnerability task: its (device, vulnerability) match no longer exists (the matcher dropped it
 *   after a CMMS import, capture, scan or edit changed the device's version), or it is now `fixed` or
 *   `not-affected`; or the device was retired.
 * - A finding task: the finding is resolved or a false positive, or it is gone, or (for an applied task)
 *   the device was seen again after the fix was applied while the finding was not.
 *
 * Tasks in open, awaiting-manufacturer, scheduled, applied and risk-accepted are checked (the fix may
 * have been installed outside Vigil's plan: the import is the evidence either way). Each verification
 * records its evidence on the task and in its event ("match gone after cmms import of … at …,
 * firmware now 3.06.1804"), with an audit entry.
 *
 * The matcher's callers run `verifyTasksForDevices(h, deviceIds)` after a match run that re-matched
 * those devices, or `verifyTasks(h)` after a full or vulnerability-scoped run; `vigil tasks verify`
 * and POST /tasks/verify run `runTaskMaintenance` (verification and acceptance expiry).
 */
import type { Actor } from '../accounts/actor.js';
import { assertCan } from '../accounts/actor.js';
import {
  deviceStates,
  findingStates,
  getCampaign,
  latestSourceImport,
  matchStates,
  type TaskRow,
  tasksInStates,
  versionFacts,
} from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { type ExpiryReport, expireAcceptances } from './acceptance-service.js';
import { VERIFIABLE_STATES } from './task-states.js';
import { applyTransition, SYSTEM_ACTOR, withinTransaction } from './tasks-service.js';

export interface VerificationEvidence {
  method: 'import';
  /** match-gone | match-fixed | match-not-affected | device-retired | version-changed | finding-resolved | finding-gone | finding-not-seen */
  reason: string;
  summary: string;
  deviceVersion: { firmware: string | null; software: string | null };
  /** Where the current version came from: the source (cmms, capture, nmap, manual) and its reference. */
  versionSource: {
    field: string;
    value: string | null;
    source: string;
    sourceRef: string | null;
    at: string;
  } | null;
  checkedAt: string;
}

export interface VerificationReport {
  checked: number;
  verified: {
    taskId: string;
    deviceId: string;
    vulnerability: string | null;
    findingId: string | null;
    from: string;
    evidence: VerificationEvidence;
  }[];
}

/** Verification across every task in a verifiable state. */
export async function verifyTasks(
  vdb: DbHandle,
  now: Date = new Date(),
  actor: Actor = SYSTEM_ACTOR,
): Promise<VerificationReport> {
  return verifyScope(vdb, actor, undefined, now);
}

/**
 * Where a version fact came from, as a person reads it: a hand edit is not an import ("after manual
 * import of cli:root" read as if a file had been loaded).
 */
function factOrigin(source: string, ref: string | null): string {
  if (source === 'manual') return `manual edit${ref ? ` by ${ref}` : ''}`;
  return `${source} import${ref ? ` of ${ref}` : ''}`;
}

/** Verification of the tasks of these devices only (after the matcher re-matched them). */
export async function verifyTasksForDevices(
  vdb: DbHandle,
  deviceIds: readonly string[],
  now: Date = new Date(),
  actor: Actor = SYSTEM_ACTOR,
): Promise<VerificationReport> {
  if (deviceIds.length === 0) return { checked: 0, verified: [] };
  return verifyScope(vdb, actor, deviceIds, now);
}

async function verifyScope(
  vdb: DbHandle,
  actor: Actor,
  deviceIds: readonly string[] | undefined,
  now: Date,
): Promise<VerificationReport> {
  return withinTransaction(vdb, async (tx) => {
    const tasks = await tasksInStates(tx, VERIFIABLE_STATES, deviceIds);
    const report: VerificationReport = { checked: tasks.length, verified: [] };
    if (!tasks.length) return report;
    const ids = [...new Set(tasks.map((t) => t.device_id))];
    const vulnTasks = tasks.filter((t) => t.kind !== 'finding' && t.vuln_key);
    const matches = new Map(
      (await matchStates(tx, [...new Set(vulnTasks.map((t) => t.device_id))])).map((m) => [
        `${m.device_id}\u0000${m.vuln_key}`,
        m.status,
      ]),
    );
    const devices = new Map((await deviceStates(tx, ids)).map((d) => [d.id, d]));
    const facts = await versionFacts(tx, ids);
    const findingTasks = tasks.filter((t) => t.finding_id);
    const findings = new Map(
      (
        await findingStates(
          tx,
          findingTasks.map((t) => t.finding_id!),
        )
      ).map((f) => [f.id, f]),
    );
    const lastImport = await latestSourceImport(tx);
    const campaigns = new Map<string, { action: string; version: string | null }>();
    for (const cid of new Set(tasks.flatMap((t) => (t.campaign_id ? [t.campaign_id] : [])))) {
      const c = await getCampaign(tx, cid);
      if (c) campaigns.set(cid, c);
    }
    const checkedAt = now.toISOString();

    for (const t of tasks) {
      const d = devices.get(t.device_id);
      const reason = reasonOf(t, matches, findings, d, campaigns);
      if (!reason) continue;
      const fact = latestVersionFact(facts, t.device_id);
      const version = d?.firmware_version ?? d?.software_version ?? null;
      const versionWord = d?.firmware_version ? 'firmware' : 'software';
      const source = fact
        ? `${factOrigin(fact.source, fact.source_ref)} at ${fact.last_seen}`
        : lastImport
          ? `${lastImport.kind} import of ${lastImport.file} at ${lastImport.finished_at}`
          : `the inventory change at ${d?.updated_at ?? checkedAt}`;
      const what: Record<string, string> = {
        'match-gone': `match of ${t.vuln_key} gone`,
        'match-fixed': `${t.vuln_key} now fixed`,
        'match-not-affected': `${t.vuln_key} now not affected`,
        'device-retired': `device ${d?.state ?? 'removed'}`,
        'version-changed': 'device no longer runs the campaign version',
        'finding-resolved': `finding ${findings.get(t.finding_id ?? '')?.state ?? ''}`,
        'finding-gone': 'finding gone',
        'finding-not-seen': `finding not seen since the fix was applied (device last seen ${d?.last_seen})`,
      };
      const evidence: VerificationEvidence = {
        method: 'import',
        reason,
        summary: `${what[reason]} after ${source}${version ? `, ${versionWord} now ${version}` : ''}`,
        deviceVersion: { firmware: d?.firmware_version ?? null, software: d?.software_version ?? null },
        versionSource: fact
          ? {
              field: fact.field,
              value: fact.value,
              source: fact.source,
              sourceRef: fact.source_ref,
              at: fact.last_seen,
            }
          : null,
        checkedAt,
      };
      const from = t.state;
      await applyTransition(tx, actor, t, 'verified', { reason: evidence.summary }, 'verification', {
        now,
        patch: { verification: JSON.stringify(evidence), verified_at: checkedAt },
        details: { evidence },
      });
      report.verified.push({
        taskId: t.id,
        deviceId: t.device_id,
        vulnerability: t.vuln_key,
        findingId: t.finding_id,
        from,
        evidence,
      });
    }
    return report;
  });
}

function reasonOf(
  t: TaskRow,
  matches: Map<string, string>,
  findings: Map<string, { state: string; last_seen: string }>,
  d:
    | {
        state: string;
        last_seen: string | null;
        firmware_version: string | null;
        software_version: string | null;
      }
    | undefined,
  campaigns: Map<string, { action: string; version: string | null }>,
): string | null {
  if (!d || d.state === 'retired' || d.state === 'merged') return 'device-retired';
  if (t.kind === 'action' && !t.vuln_key) {
    // An update campaign without a vulnerability: done when the device no longer runs the campaign's version.
    const c = t.campaign_id ? campaigns.get(t.campaign_id) : undefined;
    if (
      c?.action === 'update' &&
      c.version &&
      d.firmware_version !== c.version &&
      d.software_version !== c.version
    )
      return 'version-changed';
    return null;
  }
  if (t.finding_id || t.kind === 'finding') {
    const f = t.finding_id ? findings.get(t.finding_id) : undefined;
    if (!f) return 'finding-gone';
    if (f.state === 'resolved' || f.state === 'false-positive') return 'finding-resolved';
    if (
      t.state === 'applied' &&
      t.applied_at &&
      d.last_seen &&
      d.last_seen > t.applied_at &&
      f.last_seen < t.applied_at
    )
      return 'finding-not-seen';
    return null;
  }
  if (!t.vuln_key) return null;
  const status = matches.get(`${t.device_id}\u0000${t.vuln_key}`);
  if (status === undefined) return 'match-gone';
  if (status === 'fixed') return 'match-fixed';
  if (status === 'not-affected') return 'match-not-affected';
  return null;
}

function latestVersionFact(facts: Awaited<ReturnType<typeof versionFacts>>, deviceId: string) {
  let best: (typeof facts)[number] | undefined;
  for (const f of facts) if (f.device_id === deviceId && (!best || f.last_seen > best.last_seen)) best = f;
  return best;
}

export interface MaintenanceReport {
  verification: VerificationReport;
  expiry: ExpiryReport;
}

/** `vigil tasks verify` / POST /tasks/verify: verification by the latest imports, then acceptance expiry. */
export async function runTaskMaintenance(
  vdb: DbHandle,
  actor: Actor,
  now: Date = new Date(),
): Promise<MaintenanceReport> {
  assertCan(actor, 'tasks:write');
  const verification = await verifyTasks(vdb, now, actor);
  const expiry = await expireAcceptances(vdb, now, actor);
  return { verification, expiry };
}
