/**
 * @module Tables for monitoring (issue 6): `communications` (who talks to whom, folded per client,
 * server, port, transport and protocol), `communication_sources` (which source files already added their
 * counts, so re-importing a file does not double them), and the learned communication baselines
 * (`baselines`, one per device or per model, and their `baseline_entries`). Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;
const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('communications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('site_id', text, (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('client_ip', text, (c) => c.notNull())
    .addColumn('server_ip', text, (c) => c.notNull())
    .addColumn('client_device_id', text, (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('server_device_id', text, (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('port', integer, (c) => c.notNull())
    .addColumn('transport', text, (c) => c.notNull())
    .addColumn('protocol', text)
    // '' when the protocol is unknown: a unique constraint treats NULLs as distinct on both dialects.
    .addColumn('protocol_key', text, (c) => c.notNull())
    .addColumn('connections', bigint, (c) => c.notNull())
    .addColumn('packets', bigint, (c) => c.notNull())
    .addColumn('bytes', bigint, (c) => c.notNull())
    .addColumn('established', integer)
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addUniqueConstraint('communications_key', [
      'client_ip',
      'server_ip',
      'port',
      'transport',
      'protocol_key',
    ])
    .execute();
  await db.schema
    .createIndex('communications_client_device')
    .on('communications')
    .column('client_device_id')
    .execute();
  await db.schema
    .createIndex('communications_server_device')
    .on('communications')
    .column('server_device_id')
    .execute();
  await db.schema.createIndex('communications_last_seen').on('communications').column('last_seen').execute();

  await db.schema
    .createTable('communication_sources')
    .addColumn('source_key', text, (c) => c.primaryKey())
    .addColumn('file', text, (c) => c.notNull())
    .addColumn('flows', integer, (c) => c.notNull())
    .addColumn('applied_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('baselines')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('scope', text, (c) => c.notNull())
    .addColumn('device_id', text, (c) => c.references('devices.id').onDelete('cascade'))
    .addColumn('model_id', text, (c) => c.references('device_models.id').onDelete('cascade'))
    // The device or model id: one baseline per subject.
    .addColumn('subject_key', text, (c) => c.notNull().unique())
    .addColumn('site_id', text, (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('window_days', integer, (c) => c.notNull())
    .addColumn('window_start', text, (c) => c.notNull())
    .addColumn('window_end', text, (c) => c.notNull())
    .addColumn('learned_at', text, (c) => c.notNull())
    .addColumn('learned_by', text, (c) => c.notNull())
    .addColumn('approved_by', text)
    .addColumn('approved_at', text)
    .addColumn('last_seen', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('baseline_entries')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('baseline_id', text, (c) => c.notNull().references('baselines.id').onDelete('cascade'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('effect', text, (c) => c.notNull())
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .addColumn('reason', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('baseline_entries_key', ['baseline_id', 'kind', 'value'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
