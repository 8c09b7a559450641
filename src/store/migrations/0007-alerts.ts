/**
 * @module Tables for alerts (issue 6): one row per de-duplicated alert with its state, counts and a
 * capped evidence list; the history of state changes and re-occurrences; the destinations alerts are
 * delivered to (syslog, webhook), with their secret in its own column that no listing reads; and one
 * delivery record per alert × destination, which is also the dead-letter record. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('rule', text, (c) => c.notNull())
    .addColumn('severity', text, (c) => c.notNull())
    .addColumn('title', text, (c) => c.notNull())
    // An alert outlives a retired or merged device record; its subject and evidence still say what happened.
    .addColumn('device_id', text, (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('site_id', text)
    // deviceId ?? siteId ?? '-': what de-duplication and the rate limit are counted per.
    .addColumn('scope', text, (c) => c.notNull())
    .addColumn('subject', text, (c) => c.notNull())
    .addColumn('dedupe_key', text, (c) => c.notNull().unique())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addColumn('count', integer, (c) => c.notNull())
    .addColumn('suppressed', integer, (c) => c.notNull())
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .addColumn('state_reason', text)
    .addColumn('state_by', text)
    .addColumn('state_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_state').on('alerts').columns(['state', 'last_seen']).execute();
  await db.schema.createIndex('alerts_rate').on('alerts').columns(['rule', 'scope', 'created_at']).execute();
  await db.schema.createIndex('alerts_device').on('alerts').column('device_id').execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('alert_id', text, (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('from_state', text)
    .addColumn('to_state', text, (c) => c.notNull())
    .addColumn('reason', text)
    .addColumn('details', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_events_alert').on('alert_events').columns(['alert_id', 'id']).execute();

  await db.schema
    .createTable('alert_destinations')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull().unique())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('config', text, (c) => c.notNull())
    .addColumn('secret', text)
    .addColumn('enabled', integer, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('alert_id', text, (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('destination_id', text, (c) =>
      c.notNull().references('alert_destinations.id').onDelete('cascade'),
    )
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('attempts', integer, (c) => c.notNull())
    .addColumn('last_error', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addColumn('delivered_at', text)
    .addUniqueConstraint('alert_deliveries_alert_destination', ['alert_id', 'destination_id'])
    .execute();
  await db.schema
    .createIndex('alert_deliveries_state')
    .on('alert_deliveries')
    .columns(['state', 'updated_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
