/**
 * @module The SLA a task gets when it re-opens after a risk acceptance (expired, revoked, or left by
 * hand): what was left of its own SLA when it got its due date, or, when nothing was left (a task made
 * for an item already overdue, say a KEV date long past) or it never had one, the SLA of its item's SSVC
 * decision under the hospital's policy, so a re-opened task always has time to act.
 */
import type { Actor } from '../accounts/actor.js';
import { DEFAULT_SLA, type DeployerDecision, slaSecondsOf } from '../risk/priority.js';
import { type QueueOptions, queueItemOf } from '../risk/queue-service.js';
import type { TaskRow } from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';

export interface RestartedSla {
  due: string | null;
  slaSeconds: number | null;
  /** `task`: the task's own remaining SLA; `decision`: its item's decision's SLA. */
  slaFrom: 'task' | 'decision';
  decision?: DeployerDecision;
}

/**
 * The due date of a task re-opening at `now`. `reader` reads the work queue for the decision: the
 * re-open is policy, not a disclosure, so the caller passes Vigil itself (SYSTEM_ACTOR), not the person
 * who revoked the acceptance (who may not hold `risk:read`).
 */
export async function restartedSla(
  tx: DbHandle,
  reader: Actor,
  task: Pick<TaskRow, 'device_id' | 'vuln_key' | 'finding_id' | 'sla_seconds'>,
  now: Date,
  queue: QueueOptions = {},
): Promise<RestartedSla> {
  const stored = task.sla_seconds === null ? null : Number(task.sla_seconds);
  const own = (seconds: number | null): RestartedSla => ({
    due: seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString(),
    slaSeconds: seconds,
    slaFrom: 'task',
  });
  if (stored !== null && stored > 0) return own(stored);
  const key = task.vuln_key
    ? { vulnerability: task.vuln_key }
    : task.finding_id
      ? { findingId: task.finding_id }
      : null;
  // An action task, or an item the queue no longer holds (fixed, resolved): nothing to decide from.
  const item = key
    ? await queueItemOf(tx, reader, { deviceId: task.device_id, ...key }, { ...queue, now })
    : undefined;
  if (!item) return own(stored);
  const seconds = slaSecondsOf(item.decision, queue.sla ?? DEFAULT_SLA);
  return {
    due: seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString(),
    slaSeconds: seconds,
    slaFrom: 'decision',
    decision: item.decision,
  };
}

/** What the re-open's history entry and audit entry say about the new due date. */
export function slaDetails(sla: RestartedSla): Record<string, unknown> {
  return {
    due: sla.due,
    slaSeconds: sla.slaSeconds,
    slaFrom: sla.slaFrom,
    ...(sla.decision ? { decision: sla.decision } : {}),
  };
}
