/**
 * @module Tables for multi-site scale-out (issue 9): the health of every remote sensor as the ingest role
 * last heard it (one row per site and sensor), and the ids of the observation messages already applied,
 * written in the same transaction as what they carried, so a message delivered again changes nothing.
 * Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;
const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sensors')
    // `<site>/<sensor>`: the site comes from the subject the sensor may publish to.
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('site', text, (c) => c.notNull())
    .addColumn('sensor', text, (c) => c.notNull())
    .addColumn('version', text)
    .addColumn('source', text)
    .addColumn('started_at', text)
    .addColumn('last_seen', text, (c) => c.notNull())
    .addColumn('sensor_at', text)
    .addColumn('lag_ms', bigint, (c) => c.notNull())
    .addColumn('packets', bigint, (c) => c.notNull())
    .addColumn('capture_drops', bigint, (c) => c.notNull())
    .addColumn('spool_bytes', bigint, (c) => c.notNull())
    .addColumn('spool_dropped_low', bigint, (c) => c.notNull())
    .addColumn('spool_dropped_high', bigint, (c) => c.notNull())
    .addColumn('messages', bigint, (c) => c.notNull())
    .addColumn('silent', integer, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sensors_last_seen').on('sensors').column('last_seen').execute();

  await db.schema
    .createTable('sensor_messages')
    .addColumn('site', text, (c) => c.notNull())
    .addColumn('msg_id', text, (c) => c.notNull())
    .addColumn('stream_seq', bigint, (c) => c.notNull())
    .addColumn('applied_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('sensor_messages_pk', ['site', 'msg_id'])
    .execute();
  await db.schema.createIndex('sensor_messages_applied').on('sensor_messages').column('applied_at').execute();
}
