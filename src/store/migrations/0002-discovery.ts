/**
 * @module What passive discovery and scanners add: the services each device offers, the application
 * protocols it speaks (with DICOM/HL7 details), findings with their evidence, and a record of every
 * source file imported.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_services')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('port', integer, (c) => c.notNull())
    .addColumn('transport', text, (c) => c.notNull())
    .addColumn('protocol', text)
    .addColumn('product', text)
    .addColumn('version', text)
    .addColumn('encrypted', integer)
    .addColumn('cpes', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addUniqueConstraint('device_services_device_port', ['device_id', 'port', 'transport'])
    .execute();

  await db.schema
    .createTable('device_protocols')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('protocol', text, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addUniqueConstraint('device_protocols_device_protocol', ['device_id', 'protocol'])
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('severity', text, (c) => c.notNull())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('subject', text, (c) => c.notNull())
    .addColumn('dedup_key', text, (c) => c.notNull().unique())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('last_evidence', text, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .addColumn('occurrences', integer, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('findings_device').on('findings').column('device_id').execute();
  await db.schema.createIndex('findings_type_state').on('findings').columns(['type', 'state']).execute();

  await db.schema
    .createTable('source_imports')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('file', text, (c) => c.notNull())
    .addColumn('sha256', text)
    .addColumn('size', integer)
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('stats', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('started_at', text, (c) => c.notNull())
    .addColumn('finished_at', text)
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
