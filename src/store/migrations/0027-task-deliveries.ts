/**
 * @module Task events sent to ticketing systems and CMMS (docs/tasks.md, "Sending tasks to a ticketing
 * system or CMMS"): one row per event × webhook destination, written in the transaction of the change
 * itself, so a change that rolls back leaves nothing to send and one that commits is never lost, even
 * when the process stops before sending. The row is the delivery record and the dead letter. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('task_deliveries')
    // The delivery's id: the webhook's X-Vigil-Delivery, the same on every attempt.
    .addColumn('id', text, (c) => c.primaryKey())
    // The event's id (the body's `id`): the same for every destination; receivers de-duplicate by it.
    .addColumn('event_id', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    // The task, risk acceptance or campaign the event is about; no foreign key, so the record of a
    // delivery outlives what it was about.
    .addColumn('subject_id', text, (c) => c.notNull())
    // The task's history entry the event comes from (null for acceptance and campaign events).
    .addColumn('task_event_id', text)
    .addColumn('destination_id', text, (c) =>
      c.notNull().references('alert_destinations.id').onDelete('cascade'),
    )
    .addColumn('occurred_at', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('attempts', integer, (c) => c.notNull())
    .addColumn('last_error', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addColumn('delivered_at', text)
    .addUniqueConstraint('task_deliveries_event_destination', ['event_id', 'destination_id'])
    .execute();
  await db.schema
    .createIndex('task_deliveries_state')
    .on('task_deliveries')
    .columns(['state', 'created_at', 'id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
