/**
 * @module Task events Vigil gave up on (docs/tasks.md, "Dead task events"): list them and send them
 * again, the way alert dead letters are (monitor/alert-destinations-service.ts). A retry rebuilds the
 * message from the task as it now is but keeps the event's `id` and the delivery id, so a receiver that
 * got it after all drops the copy. Permissions are the alert dead letters' (`alerts:read`,
 * `alerts:write`: whoever manages destinations fixes the receiver and resends), plus `tasks:read`
 * because the list and the message show tasks. Destinations and their events are organisation-wide, so
 * an account limited to sites cannot see or resend them.
 */
import type { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { PageSchema, recordRetry, type SendOutcome, sendNow } from '../monitor/alert-destinations-service.js';
import type { MessageSender } from '../monitor/delivery/alert-sender.js';
import { type Destination, eventsOf, type WebhookDestination } from '../monitor/delivery/destination.js';
import { getDestinationRow } from '../store/alert-store.js';
import { getTaskDelivery, listTaskDeliveries, updateTaskDelivery } from '../store/task-delivery-store.js';
import type { DbHandle } from '../store/transaction.js';
import { createTaskEventSender } from './task-event-dispatcher.js';
import {
  buildTaskEventMessage,
  type TaskEventMessage,
  type TaskEventMessageOptions,
} from './task-event-message.js';

/** The TaskDeadLetter JSON contract (docs/tasks.md). */
export interface TaskDeadLetterView {
  /** The delivery's id (its X-Vigil-Delivery): what `retry` takes. */
  id: string;
  /** The event's id (the body's `id`), which receivers de-duplicate on. */
  eventId: string;
  type: string;
  /** The task, risk acceptance or campaign the event is about. */
  subjectId: string;
  destinationId: string;
  destination: string;
  attempts: number;
  lastError: string | null;
  occurredAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface TaskRetryOptions {
  senderFor?: (d: Destination) => MessageSender<TaskEventMessage>;
  /** `publicUrl` and the queue settings, as `vigil serve` builds messages with. */
  message?: TaskEventMessageOptions;
}

function assertMayRead(actor: Actor, write = false): void {
  assertCan(actor, write ? 'alerts:write' : 'alerts:read');
  assertCan(actor, 'tasks:read');
  assertAllSites(actor, 'Task event dead letters');
}

/** Dead task events, oldest first (the order their changes were made). */
export async function listTaskDeadLetters(
  h: DbHandle,
  actor: Actor,
  page: z.input<typeof PageSchema> = {},
): Promise<TaskDeadLetterView[]> {
  assertMayRead(actor);
  const p = parseInput(PageSchema, page, 'page');
  const rows = await listTaskDeliveries(h, { states: ['dead'], ...p });
  return rows.map((d) => ({
    id: d.id,
    eventId: d.event_id,
    type: d.type,
    subjectId: d.subject_id,
    destinationId: d.destination_id,
    destination: d.destination_name,
    attempts: Number(d.attempts),
    lastError: d.last_error,
    occurredAt: d.occurred_at,
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  }));
}

/**
 * Sends a dead task event again, once, now: delivered on success; otherwise it stays dead with the new
 * error. Audited as `task-delivery.retry`.
 */
export async function retryTaskDeadLetter(
  h: DbHandle,
  actor: Actor,
  deliveryId: string,
  opts: TaskRetryOptions = {},
): Promise<SendOutcome & { state: string; attempts: number }> {
  assertMayRead(actor, true);
  const d = await getTaskDelivery(h, deliveryId);
  if (!d) throw notFound(`Task event dead letter ${deliveryId}`);
  if (d.state !== 'dead') throw invalidInput(`Task event delivery ${deliveryId} is ${d.state}, not dead`);
  const dest = await getDestinationRow(h, d.destination_id);
  if (!dest) throw notFound(`Alert destination ${d.destination_id}`);
  // Taken off since (events: alerts only): sending it work orders now would surprise whoever did that.
  if (dest.kind !== 'webhook' || !eventsOf(JSON.parse(dest.config) as { events?: unknown }).includes('tasks'))
    throw invalidInput(`${dest.name} no longer takes task events: add tasks to its events to resend`);
  const message = await buildTaskEventMessage(h, d, opts.message);
  const make = opts.senderFor ?? ((x: Destination) => createTaskEventSender(x as WebhookDestination));
  const r = message
    ? await sendNow(h, dest, message, d.id, make)
    : { ok: false, error: `${d.subject_id} no longer exists`, attempted: false };
  return recordRetry(
    h,
    actor,
    d,
    { ...r, destination: dest.name },
    {
      update: updateTaskDelivery,
      target: 'task-delivery',
      summary: { eventId: d.event_id, type: d.type, subjectId: d.subject_id },
    },
  );
}

export interface RetryAllOutcome {
  delivered: number;
  failed: number;
  /** Left dead without trying: their destination had just failed. */
  skipped: number;
  results: (SendOutcome & { id: string; state: string; attempts?: number })[];
}

/**
 * Retries every dead task event, oldest first. Once a destination fails, its later letters are skipped:
 * a receiver still down would time out on each, and sending a later event before an earlier one
 * reorders the work order's history.
 */
export async function retryAllTaskDeadLetters(
  h: DbHandle,
  actor: Actor,
  opts: TaskRetryOptions = {},
): Promise<RetryAllOutcome> {
  assertMayRead(actor, true);
  // Every id first: a letter still failing stays dead and would be listed again.
  const letters: TaskDeadLetterView[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await listTaskDeadLetters(h, actor, { limit: 1000, offset });
    letters.push(...page);
    if (page.length < 1000) break;
  }
  const failing = new Set<string>();
  const out: RetryAllOutcome = { delivered: 0, failed: 0, skipped: 0, results: [] };
  for (const l of letters) {
    if (failing.has(l.destinationId)) {
      out.skipped++;
      out.results.push({ id: l.id, ok: false, destination: l.destination, state: 'dead', error: 'skipped' });
      continue;
    }
    const r = await retryTaskDeadLetter(h, actor, l.id, opts).catch((e: unknown) => ({
      ok: false,
      destination: l.destination,
      state: 'dead',
      error: e instanceof Error ? e.message : String(e),
    }));
    if (r.ok) out.delivered++;
    else {
      out.failed++;
      // Not when only what it was about is gone (nothing was sent): the receiver may well be up.
      if (!('attempts' in r) || r.attempts > l.attempts) failing.add(l.destinationId);
    }
    out.results.push({ id: l.id, ...r });
  }
  return out;
}
