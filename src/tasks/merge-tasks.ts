/**
 * @module When a merge folds two records' findings into one, each record may have brought its own live
 * task for it: two people working one exposure, and each task's verification racing the other's. The
 * same holds for a vulnerability both records were matched to, or a campaign that had a task on each. One is
 * kept (the one further along); the other hands over what it knew and is closed as superseded, with a
 * task event and an audit entry like any move.
 */
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import {
  type AcceptanceRow,
  deviceAcceptances,
  liveTasksFor,
  type TaskRow,
  tasksInStates,
  updateAcceptance,
  updateTaskRow,
} from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { ACCEPTABLE_STATES, type TaskState } from './task-states.js';
import {
  acceptanceControls,
  applyTransition,
  type CompensatingControl,
  recordTaskChange,
} from './tasks-service.js';

/** How far work on a task has got: a fix installed, a window booked, a decision made, or nothing yet. */
const PROGRESS: Partial<Record<TaskState, number>> = {
  applied: 3,
  scheduled: 2,
  'awaiting-manufacturer': 1,
  'risk-accepted': 1,
  open: 0,
};

/** Further along first: by state, then having an assignee; else the older task (it has the history). */
export function byProgress(a: TaskRow, b: TaskRow): number {
  const score = (t: TaskRow) => (PROGRESS[t.state as TaskState] ?? 0) * 2 + (t.assignee ? 1 : 0);
  return score(b) - score(a) || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

/**
 * What makes two live tasks of one device the same work: the finding, the vulnerability (whichever
 * campaign holds the task), or the campaign of an action without a vulnerability. The same keys refuse
 * a second live task when one is created (createTask, createCampaign).
 */
export type MergedTaskKey =
  | { findingId: string }
  | { vulnKey: string }
  | { campaignId: string; kind: 'action' };

/** The key of a task that tracks something, if any. */
export function mergedTaskKey(t: TaskRow): MergedTaskKey | null {
  if (t.finding_id) return { findingId: t.finding_id };
  if (t.vuln_key) return { vulnKey: t.vuln_key };
  if (t.kind === 'action' && t.campaign_id) return { campaignId: t.campaign_id, kind: 'action' };
  return null;
}

/**
 * Keeps one live task per finding of `findingIds` on the device. The others give the kept task what it
 * lacks (assignee, department contacted, fix, due date) and their compensating controls, then are closed
 * with a reason naming the kept task and the merge. Returns how many were closed.
 */
export async function supersedeMergedFindingTasks(
  tx: DbHandle,
  actor: Actor,
  deviceId: string,
  findingIds: readonly string[],
  merge: { source: string; into: string },
  now: Date,
): Promise<number> {
  return supersedeMergedTasks(
    tx,
    actor,
    deviceId,
    findingIds.map((findingId) => ({ findingId })),
    merge,
    now,
  );
}

/** As `supersedeMergedFindingTasks`, for any of the keys (vulnerability and campaign tasks too). */
export async function supersedeMergedTasks(
  tx: DbHandle,
  actor: Actor,
  deviceId: string,
  keys: readonly MergedTaskKey[],
  merge: { source: string; into: string },
  now: Date,
): Promise<number> {
  let closed = 0;
  const unique = new Map(keys.map((k) => [JSON.stringify(k), k]));
  for (const key of unique.values()) {
    const live = await liveTasksFor(tx, { deviceIds: [deviceId], ...key });
    if (live.length < 2) continue;
    const [keep, ...others] = [...live].sort(byProgress);
    for (const other of others) {
      await takeOver(tx, actor, keep!, other, now);
      await applyTransition(
        tx,
        actor,
        other,
        'closed',
        { reason: `superseded by task ${keep!.id}: device ${merge.source} was merged into ${merge.into}` },
        'user',
        { now, action: 'supersede', details: { supersededBy: keep!.id, merge } },
      );
      closed++;
    }
  }
  return closed;
}

/** What the superseded task knew that the kept one does not, written as an `update` of the kept task. */
async function takeOver(tx: DbHandle, actor: Actor, keep: TaskRow, other: TaskRow, now: Date): Promise<void> {
  const patch: Partial<TaskRow> = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const fill = <K extends 'assignee' | 'department_contacted' | 'fix' | 'due_at' | 'campaign_id'>(
    col: K,
    name: string,
  ) => {
    if (keep[col] !== null || other[col] === null) return;
    patch[col] = other[col];
    before[name] = null;
    after[name] = other[col];
  };
  fill('assignee', 'assignee');
  fill('department_contacted', 'departmentContacted');
  fill('fix', 'fix');
  fill('due_at', 'due');
  if (patch.due_at) patch.sla_seconds = other.sla_seconds;
  // A vulnerability task in a campaign is the device's part of it: the campaign keeps counting the device.
  fill('campaign_id', 'campaignId');

  // A control that came with a risk acceptance belongs to that acceptance's task; the rest carry over.
  const mine = JSON.parse(keep.controls) as CompensatingControl[];
  const same = (a: CompensatingControl, b: CompensatingControl) =>
    a.control === b.control && a.note === b.note;
  const extra = (JSON.parse(other.controls) as CompensatingControl[]).filter(
    (c) => !c.acceptanceId && !mine.some((m) => same(m, c)),
  );
  if (extra.length) {
    const next = [...mine, ...extra];
    patch.controls = JSON.stringify(next);
    before['controls'] = mine.map((c) => c.control);
    after['controls'] = next.map((c) => c.control);
  }
  if (!Object.keys(patch).length) return;
  const at = now.toISOString();
  patch.updated_at = at;
  await updateTaskRow(tx, keep.id, patch);
  await recordTaskChange(tx, actor, keep, {
    action: 'update',
    from: keep.state,
    to: keep.state,
    at,
    details: { before, after, takenFrom: other.id },
  });
  Object.assign(keep, patch);
}

/**
 * A task's title names its device the way it was built: `CVE-… on LABEL` (createTask) or
 * `Campaign title: LABEL` (a campaign's task), LABEL as it was then. After a merge the duplicate's label
 * names a record nobody works on (and the record's own label may have changed, when it took the
 * duplicate's asset tag): each title that ends in one of `oldLabels` (any label either record could have
 * had, device-label.ts possibleDeviceLabels) in those forms takes the record's label. A title a person
 * wrote otherwise stays theirs. Recorded as an `update` of the task (event and audit) like an edit by hand.
 * Returns how many were retitled.
 */
export async function retitleMergedTasks(
  tx: DbHandle,
  actor: Actor,
  tasks: readonly TaskRow[],
  oldLabels: readonly string[],
  label: string,
  merge: { source: string; into: string },
  now: Date,
): Promise<number> {
  const at = now.toISOString();
  let retitled = 0;
  for (const t of tasks) {
    const title = retitledTitle(t.title, oldLabels, label);
    if (title === t.title) continue;
    await updateTaskRow(tx, t.id, { title, updated_at: at });
    await recordTaskChange(tx, actor, t, {
      action: 'update',
      from: t.state,
      to: t.state,
      at,
      details: { before: { title: t.title }, after: { title }, merge },
    });
    retitled++;
  }
  return retitled;
}

/**
 * The title with a trailing old label (after " on " or ": ") replaced by `label`; else unchanged. The
 * longest label that fits goes, so "… on GE Vivid (us-3)" is not read as ending in a shorter label.
 */
export function retitledTitle(title: string, oldLabels: readonly string[], label: string): string {
  for (const old of [...oldLabels].sort((a, b) => b.length - a.length)) {
    if (old === label) continue;
    for (const sep of [' on ', ': ']) {
      if (title.endsWith(`${sep}${old}`)) return `${title.slice(0, -old.length)}${label}`;
    }
  }
  return title;
}

/**
 * The duplicate's device-scoped risk acceptances become the record's (a decision on the device, whichever
 * record it was made on), so the record's listing names them and a task made on the record later for that
 * vulnerability starts risk-accepted. Ended ones move too, as the record's history. Where both records have
 * an active acceptance of one vulnerability, the one expiring later stands: both were approved for this
 * device, and the later expiry is the longer an approver judged the risk acceptable (ties: the record's).
 * The other is revoked with a reason naming the one kept and the merge; its risk-accepted tasks stay
 * risk-accepted, under the acceptance kept, with its controls instead, so nothing re-opens work a standing
 * decision covers. The record's live tasks an acceptance it took now covers become risk-accepted.
 */
export async function moveDeviceAcceptances(
  tx: DbHandle,
  actor: Actor,
  merge: { source: string; into: string },
  now: Date,
): Promise<{ moved: number; superseded: number }> {
  const all = await deviceAcceptances(tx, [merge.source, merge.into]);
  const ours = new Map(
    all.filter((a) => a.device_id === merge.into && a.state === 'active').map((a) => [a.vuln_key, a]),
  );
  let moved = 0;
  let superseded = 0;
  for (const a of all.filter((x) => x.device_id === merge.source)) {
    const o = a.state === 'active' ? ours.get(a.vuln_key) : undefined;
    const [keep, drop] = o && o.expires_at >= a.expires_at ? [o, a] : [a, o];
    if (keep === a) {
      await updateAcceptance(tx, a.id, { device_id: merge.into });
      moved++;
      if (a.state === 'active') await acceptRecordTasks(tx, actor, a, merge, now);
    }
    if (!drop) continue;
    await supersedeAcceptance(tx, actor, drop, keep, merge, now);
    if (drop === a) await updateAcceptance(tx, a.id, { device_id: merge.into });
    else ours.set(keep.vuln_key, keep);
    superseded++;
  }
  return { moved, superseded };
}

/**
 * The record's live tasks of the vulnerability that no acceptance holds move to risk-accepted under the
 * acceptance it took over, as `tasks accept` moves those in its scope when it is made.
 */
async function acceptRecordTasks(
  tx: DbHandle,
  actor: Actor,
  a: AcceptanceRow,
  merge: { source: string; into: string },
  now: Date,
): Promise<void> {
  const live = (await tasksInStates(tx, ACCEPTABLE_STATES)).filter(
    (t) => t.device_id === merge.into && t.vuln_key === a.vuln_key && t.acceptance_id === null,
  );
  const added = acceptanceControls(a);
  for (const t of live) {
    const controls = [...(JSON.parse(t.controls) as CompensatingControl[]), ...added];
    await applyTransition(tx, actor, t, 'risk-accepted', {}, 'acceptance', {
      now,
      patch: { acceptance_id: a.id, controls: JSON.stringify(controls) },
      details: { acceptanceId: a.id, decision: a.decision, expires: a.expires_at, merge },
    });
  }
}

/** Revokes `drop` in favour of `keep` (same device and vulnerability); its tasks go under `keep`. */
async function supersedeAcceptance(
  tx: DbHandle,
  actor: Actor,
  drop: AcceptanceRow,
  keep: AcceptanceRow,
  merge: { source: string; into: string },
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const reason = `superseded by risk acceptance ${keep.id} (expires ${keep.expires_at}): device ${merge.source} was merged into ${merge.into}`;
  await updateAcceptance(tx, drop.id, { state: 'revoked', ended_at: at });
  const tasks = (await tasksInStates(tx, ['risk-accepted'])).filter((t) => t.acceptance_id === drop.id);
  const added = acceptanceControls(keep);
  for (const t of tasks) {
    const controls = [
      ...(JSON.parse(t.controls) as CompensatingControl[]).filter((c) => c.acceptanceId !== drop.id),
      ...added,
    ];
    await updateTaskRow(tx, t.id, {
      acceptance_id: keep.id,
      controls: JSON.stringify(controls),
      updated_at: at,
    });
    await recordTaskChange(tx, actor, t, {
      action: 'update',
      from: t.state,
      to: t.state,
      at,
      details: { before: { acceptanceId: drop.id }, after: { acceptanceId: keep.id }, merge },
    });
  }
  await appendAudit(tx, {
    actor,
    action: 'tasks.risk-acceptance-revoke',
    target: { type: 'risk-acceptance', id: drop.id },
    summary: {
      vulnerability: drop.vuln_key,
      scope: drop.scope,
      expires: drop.expires_at,
      reason,
      supersededBy: keep.id,
      merge,
      before: { state: 'active' },
      after: { state: 'revoked' },
      tasksReopened: 0,
      tasksMoved: tasks.length,
    },
  });
}
