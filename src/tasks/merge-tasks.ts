/**
 * @module When a merge folds two records' findings into one, each record may have brought its own live
 * task for it: two people working one exposure, and each task's verification racing the other's. The
 * same holds for a vulnerability both records were matched to, or a campaign that had a task on each. One is
 * kept (the one further along); the other hands over what it knew and is closed as superseded, with a
 * task event and an audit entry like any move.
 */
import type { Actor } from '../accounts/actor.js';
import { liveTasksFor, type TaskRow, updateTaskRow } from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import type { TaskState } from './task-states.js';
import { applyTransition, type CompensatingControl, recordTaskChange } from './tasks-service.js';

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
