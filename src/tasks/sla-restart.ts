/**
 * @module The SLA a task gets when it re-opens after a risk acceptance (expired, revoked, or left by
 * hand): what was left of its own SLA when it got its due date, or, when nothing was left (a task made
 * for an item already overdue, say a KEV date long past) or it never had one, the SLA of its item's SSVC
 * decision under the hospital's policy, so a re-opened task always has time to act.
 */
import type { Actor } from '../accounts/actor.js';
import { DEFAULT_SLA, type DeployerDecision, slaSecondsOf } from '../risk/priority.js';
import { listQueue, type QueueOptions, queueItemOf } from '../risk/queue-service.js';
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
  decisions?: ItemDecisions,
): Promise<RestartedSla> {
  const stored = task.sla_seconds === null ? null : Number(task.sla_seconds);
  const restart = (seconds: number | null, decision?: DeployerDecision): RestartedSla => ({
    due: seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString(),
    slaSeconds: seconds,
    slaFrom: decision ? 'decision' : 'task',
    ...(decision ? { decision } : {}),
  });
  if (stored !== null && stored > 0) return restart(stored);
  const key = task.vuln_key
    ? { vulnerability: task.vuln_key }
    : task.finding_id
      ? { findingId: task.finding_id }
      : null;
  // An action task, or an item the queue no longer holds (fixed, resolved): nothing to decide from.
  const decision = !key
    ? undefined
    : decisions
      ? (decisions.get(itemKey(task.device_id, key.vulnerability ?? key.findingId!)) ?? undefined)
      : (await queueItemOf(tx, reader, { deviceId: task.device_id, ...key }, { ...queue, now }))?.decision;
  if (!decision) return restart(stored);
  return restart(slaSecondsOf(decision, queue.sla ?? DEFAULT_SLA), decision);
}

/** Queue decisions by device and vulnerability (or finding id), read once for many tasks. */
export type ItemDecisions = ReadonlyMap<string, DeployerDecision>;

const itemKey = (deviceId: string, key: string) => `${deviceId} ${key}`;

/**
 * The decisions of the items of the tasks that will need one (no SLA left), from one reading of the work
 * queue: an acceptance ending on a fleet re-opens thousands of tasks in one transaction, and reading the
 * queue per task costs a dozen queries each. Only those items are built. Undefined when fewer than a few
 * tasks need it (one device's reading is cheaper than the whole queue's ranking).
 */
export async function decisionsFor(
  tx: DbHandle,
  reader: Actor,
  tasks: readonly Pick<TaskRow, 'device_id' | 'vuln_key' | 'finding_id' | 'sla_seconds'>[],
  now: Date,
  queue: QueueOptions = {},
): Promise<ItemDecisions | undefined> {
  const wanted = new Set(
    tasks
      .filter((t) => (t.sla_seconds === null || Number(t.sla_seconds) <= 0) && (t.vuln_key || t.finding_id))
      .map((t) => itemKey(t.device_id, (t.vuln_key ?? t.finding_id)!)),
  );
  if (wanted.size < 4) return undefined;
  const items = await listQueue(
    tx,
    reader,
    {},
    {
      ...queue,
      now,
      leaveOut: (i) => !wanted.has(itemKey(i.deviceId, i.key)),
    },
  );
  return new Map(items.map((i) => [itemKey(i.deviceId, (i.vulnerability ?? i.findingId)!), i.decision]));
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
