/**
 * @module SQL for task events on their way to ticketing systems: the outbox rows a change writes in its
 * own transaction (one per event × destination), and what the task event dispatcher reads and records.
 */
import type { TaskDeliveryTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type TaskDeliveryRow = TaskDeliveryTable;

export async function insertTaskDeliveries(h: DbHandle, rows: readonly TaskDeliveryRow[]): Promise<void> {
  if (rows.length)
    await h.db
      .insertInto('task_deliveries')
      .values([...rows])
      .execute();
}

/** Pending deliveries to these destinations, oldest first (the order the changes were made). */
export async function pendingTaskDeliveries(
  h: DbHandle,
  destinationIds: readonly string[],
  limit: number,
): Promise<TaskDeliveryRow[]> {
  if (!destinationIds.length) return [];
  return h.db
    .selectFrom('task_deliveries')
    .selectAll()
    .where('state', '=', 'pending')
    .where('destination_id', 'in', [...destinationIds])
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function getTaskDelivery(h: DbHandle, id: string): Promise<TaskDeliveryRow | undefined> {
  return h.db.selectFrom('task_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateTaskDelivery(
  h: DbHandle,
  id: string,
  patch: Partial<Omit<TaskDeliveryRow, 'id'>>,
): Promise<void> {
  await h.db.updateTable('task_deliveries').set(patch).where('id', '=', id).execute();
}

/** Every delivery of task events, newest first (tests and the CLI's view of what was sent). */
export async function listTaskDeliveries(
  h: DbHandle,
  f: { states?: readonly string[]; subjectId?: string; limit?: number; offset?: number } = {},
): Promise<(TaskDeliveryRow & { destination_name: string })[]> {
  let q = h.db
    .selectFrom('task_deliveries as t')
    .innerJoin('alert_destinations as d', 'd.id', 't.destination_id')
    .selectAll('t')
    .select('d.name as destination_name');
  if (f.states?.length) q = q.where('t.state', 'in', [...f.states]);
  if (f.subjectId) q = q.where('t.subject_id', '=', f.subjectId);
  return q
    .orderBy('t.created_at')
    .orderBy('t.id')
    .limit(f.limit ?? 1000)
    .offset(f.offset ?? 0)
    .execute();
}

/** One entry of a task's history (what a task event is built from). */
export async function getTaskHistoryEntry(h: DbHandle, id: string) {
  return h.db.selectFrom('task_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What a ticket names a device by besides Vigil's label: its serial number. */
export async function serialNumberOf(h: DbHandle, deviceId: string): Promise<string | null> {
  const r = await h.db
    .selectFrom('devices')
    .select('serial_number')
    .where('id', '=', deviceId)
    .executeTakeFirst();
  return r?.serial_number ?? null;
}

export async function findingTypeOf(h: DbHandle, findingId: string): Promise<string | null> {
  const r = await h.db.selectFrom('findings').select('type').where('id', '=', findingId).executeTakeFirst();
  return r?.type ?? null;
}
