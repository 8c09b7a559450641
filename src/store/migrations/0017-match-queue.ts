/**
 * @module The match queue (issue 9, scale-out): the devices an ingest batch changed, written in the batch's
 * transaction, for the `match` role to re-match later in batches (one row per device and batch; the
 * match role collapses repeats and deletes the rows it matched in the transaction that stored the
 * matches). The single-process paths (`vigil serve`, `vigil import`) still re-match at once and never
 * write here. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('match_queue')
    // Time-ordered (ids.ts newId): the oldest rows are matched first.
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull())
    .addColumn('queued_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('match_queue_device').on('match_queue').column('device_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
