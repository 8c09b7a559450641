/**
 * @module Task events for ticketing systems and CMMS: the event names (a contract: receivers switch on
 * them), which of them a recorded task change is, and the outbox. `queueTaskEvents` runs inside the
 * transaction of the change, beside the task's history entry and audit entry, and writes one pending
 * `task_deliveries` row per event and webhook destination that takes task events; once the transaction
 * commits (never before, never after a rollback) it wakes the task event dispatcher
 * (tasks/task-event-dispatcher.ts), which sends them through the alert delivery queues. Nothing here
 * touches the network, so a receiver that is down never slows or fails a change.
 */

import { eventsOf } from '../monitor/delivery/destination.js';
import { processEventBus } from '../monitor/event-bus.js';
import { listDestinationRows } from '../store/alert-store.js';
import { newId } from '../store/ids.js';
import { insertTaskDeliveries, type TaskDeliveryRow } from '../store/task-delivery-store.js';
import { afterCommit, type DbHandle } from '../store/transaction.js';

/** Every event Vigil sends about tasks (docs/tasks.md lists what each means and carries). */
export const TASK_EVENT_TYPES = [
  'vigil.task.created',
  'vigil.task.state-changed',
  'vigil.task.rescheduled',
  'vigil.task.reassigned',
  'vigil.task.due-changed',
  'vigil.task.updated',
  'vigil.task.verified',
  'vigil.task.closed',
  'vigil.task.superseded',
  'vigil.risk-acceptance.created',
  'vigil.risk-acceptance.expired',
  'vigil.risk-acceptance.revoked',
  'vigil.campaign.created',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** A change as `recordTaskChange` writes it to the task's history. */
export interface RecordedTaskChange {
  action: string;
  from: string | null;
  to: string;
  details: Record<string, unknown>;
}

/** Fields of an `update` with an event of their own; the others are `vigil.task.updated`. */
const OWN_EVENT: Record<string, TaskEventType> = {
  assignee: 'vigil.task.reassigned',
  due: 'vigil.task.due-changed',
};

/**
 * The events one history entry is: one for a state move (the most specific name: verified, closed,
 * superseded, else state-changed), and for an edit one per kind of field changed (reassigned,
 * due-changed, updated), so a receiver that only follows assignees never parses the rest.
 */
export function taskEventTypes(change: RecordedTaskChange): TaskEventType[] {
  if (change.action === 'create') return ['vigil.task.created'];
  if (change.action === 'supersede') return ['vigil.task.superseded'];
  if (change.from !== change.to) {
    if (change.to === 'verified') return ['vigil.task.verified'];
    if (change.to === 'closed') return ['vigil.task.closed'];
    return ['vigil.task.state-changed'];
  }
  if (change.action === 'move') return ['vigil.task.rescheduled'];
  const after = change.details['after'];
  const fields = after && typeof after === 'object' ? Object.keys(after) : [];
  const types = new Set<TaskEventType>();
  for (const f of fields) types.add(OWN_EVENT[f] ?? 'vigil.task.updated');
  return types.size ? [...types] : ['vigil.task.updated'];
}

/** Destination ids that take task events, read once per transaction (a match run verifies many tasks). */
const takersByTransaction = new WeakMap<object, Promise<string[]>>();

async function taskEventTakers(tx: DbHandle): Promise<string[]> {
  let takers = takersByTransaction.get(tx.db);
  if (!takers) {
    takers = listDestinationRows(tx, { enabledOnly: true }).then((rows) =>
      rows
        .filter(
          (r) =>
            r.kind === 'webhook' && eventsOf(JSON.parse(r.config) as { events?: unknown }).includes('tasks'),
        )
        .map((r) => r.id),
    );
    takersByTransaction.set(tx.db, takers);
  }
  return takers;
}

export interface QueuedTaskEvent {
  type: TaskEventType;
  /** The task, risk acceptance or campaign. */
  subjectId: string;
  /** The task's history entry it comes from. */
  taskEventId?: string;
  occurredAt: string;
}

/**
 * Writes the outbox rows for these events in the caller's transaction, and wakes the dispatcher once it
 * commits. Costs one query per transaction when no destination takes task events.
 */
export async function queueTaskEvents(tx: DbHandle, events: readonly QueuedTaskEvent[]): Promise<void> {
  if (!events.length) return;
  const destinations = await taskEventTakers(tx);
  if (!destinations.length) return;
  const now = new Date().toISOString();
  const rows: TaskDeliveryRow[] = [];
  for (const e of events) {
    // One id per event, shared by its destinations: what receivers de-duplicate on.
    const eventId = newId();
    for (const destinationId of destinations)
      rows.push({
        id: newId(),
        event_id: eventId,
        type: e.type,
        subject_id: e.subjectId,
        task_event_id: e.taskEventId ?? null,
        destination_id: destinationId,
        occurred_at: e.occurredAt,
        state: 'pending',
        attempts: 0,
        last_error: null,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      });
  }
  await insertTaskDeliveries(tx, rows);
  afterCommit(tx, () => processEventBus().publish('task-events-queued', { deliveries: rows.length }));
}
