/**
 * @module Verification by a later import: a task is `verified` when an import shows the fix.
 *
 * - A vulnerability task: its (device, vulnerability) match no longer exists, or it is now `fixed` or
 *   `not-affected`, and the device's version differs from the one it ran when the task began (the
 *   `deviceVersion` of its create or re-open event). Without a version change (an identity edit, a
 *   revised advisory, a VEX statement) or on a retired device, the task keeps its state and gets a
 *   `match-lapsed` event instead.
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
import { assertAllSites, assertCan } from '../accounts/actor.js';
import type { QueueOptions } from '../risk/queue-service.js';
import {
  deviceStates,
  findingStates,
  getCampaign,
  latestSourceImport,
  matchStates,
  type TaskRow,
  taskEvents,
  tasksInStates,
  versionFacts,
} from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { type ExpiryReport, expireAcceptances } from './acceptance-service.js';
import { VERIFIABLE_STATES } from './task-states.js';
import { applyTransition, recordTaskChange, SYSTEM_ACTOR, withinTransaction } from './tasks-service.js';

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
  /**
   * Tasks whose match or device went away without evidence of a fix (an identity edit, a revised
   * advisory, a VEX statement, a retired device): they keep their state, with a `match-lapsed` event.
   */
  lapsed: {
    taskId: string;
    deviceId: string;
    vulnerability: string | null;
    reason: string;
    summary: string;
  }[];
}

/** The device's version when a task began tracking it (`deviceVersion` of its create event). */
interface BaselineVersion {
  firmware: string | null;
  software: string | null;
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
  if (deviceIds.length === 0) return { checked: 0, verified: [], lapsed: [] };
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
    const report: VerificationReport = { checked: tasks.length, verified: [], lapsed: [] };
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
      const events = VULN_GONE.has(reason) || reason === 'device-retired' ? await taskEvents(tx, t.id) : [];
      if (reason === 'device-retired' || (VULN_GONE.has(reason) && !versionChanged(events, d))) {
        // The match went away without the device's version moving: nothing shows a fix, so the work
        // stays owed and a person decides (close with a reason, or fix the inventory).
        await recordLapse(tx, actor, t, reason, d, events, now, report);
        continue;
      }
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

/** Match reasons that only count as a fix when the device's version changed since the task began. */
const VULN_GONE = new Set(['match-gone', 'match-fixed', 'match-not-affected']);

function baselineOf(events: readonly { action: string; details: string }[]): BaselineVersion | undefined {
  for (const e of [...events].reverse()) {
    if (e.action === 'match-lapsed') continue;
    const v = (JSON.parse(e.details) as { deviceVersion?: BaselineVersion }).deviceVersion;
    if (v) return v;
  }
  return undefined;
}

/**
 * Positive evidence of a fix: the device's firmware or software version differs from the one it ran
 * when the task began. A task without a recorded version (made before versions were recorded) has
 * no such evidence, so it is not verified on a vanished match alone.
 */
function versionChanged(
  events: readonly { action: string; details: string }[],
  d: { firmware_version: string | null; software_version: string | null } | undefined,
): boolean {
  const base = baselineOf(events);
  if (!base || !d) return false;
  const now = d.firmware_version ?? d.software_version;
  if (!now) return false;
  return d.firmware_version !== base.firmware || d.software_version !== base.software;
}

const LAPSE_TEXT: Record<string, string> = {
  'match-gone': 'no longer matched, but the device version did not change: not a verified fix',
  'match-fixed': 'now marked fixed, but the device version did not change: not a verified fix',
  'match-not-affected': 'now not affected (a VEX statement or advisory revision), not a verified fix',
  'device-retired': 'device retired or removed: the fix was never shown',
};

/** Records once (per reason and device version) that what a task tracks no longer applies. */
async function recordLapse(
  tx: DbHandle,
  actor: Actor,
  t: TaskRow,
  reason: string,
  d: { state: string; firmware_version: string | null; software_version: string | null } | undefined,
  events: readonly { action: string; details: string }[],
  now: Date,
  report: VerificationReport,
): Promise<void> {
  const subject = reason === 'device-retired' ? `device ${d?.state ?? 'removed'}` : `${t.vuln_key}`;
  const summary = `${subject} ${LAPSE_TEXT[reason]}`;
  const deviceVersion = { firmware: d?.firmware_version ?? null, software: d?.software_version ?? null };
  const last = [...events].reverse().find((e) => e.action === 'match-lapsed');
  const lastDetails = last
    ? (JSON.parse(last.details) as { reason?: string; deviceVersion?: BaselineVersion })
    : {};
  const already =
    lastDetails.reason === reason &&
    lastDetails.deviceVersion?.firmware === deviceVersion.firmware &&
    lastDetails.deviceVersion?.software === deviceVersion.software;
  if (!already)
    await recordTaskChange(tx, actor, t, {
      action: 'match-lapsed',
      from: t.state,
      to: t.state,
      at: now.toISOString(),
      details: { reason, summary, deviceVersion },
    });
  report.lapsed.push({ taskId: t.id, deviceId: t.device_id, vulnerability: t.vuln_key, reason, summary });
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

/**
 * `vigil tasks verify` / POST /tasks/verify: verification by the latest imports, then acceptance expiry
 * (`queue`: the SLA policy re-opened tasks may restart from).
 */
export async function runTaskMaintenance(
  vdb: DbHandle,
  actor: Actor,
  now: Date = new Date(),
  queue: QueueOptions = {},
): Promise<MaintenanceReport> {
  assertCan(actor, 'tasks:write');
  // Verification and expiry run over every site's tasks and acceptances (the scheduler does both as
  // Vigil): a site-limited token would move other sites' tasks in its name and read them in the report.
  assertAllSites(actor, 'Task verification and acceptance expiry');
  const verification = await verifyTasks(vdb, now, actor);
  const expiry = await expireAcceptances(vdb, now, actor, queue);
  return { verification, expiry };
}
