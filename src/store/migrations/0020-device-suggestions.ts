/**
 * @module What fingerprinting suggests about a device without being sure enough to make it a fact: the
 * best value per identity field whose confidence stayed under the import's threshold (a MAC prefix
 * registered to a medical device maker, say). A person triaging a staged device sees them and may
 * declare the value; nothing else reads them. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_suggestions')
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id'))
    // manufacturer | model | deviceClass | softwareVersion | firmwareVersion | os | osVersion
    .addColumn('field', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    // capture | scanner: the kind of source, as for facts
    .addColumn('source', text, (c) => c.notNull())
    // The source file (base name)
    .addColumn('source_ref', text, (c) => c.notNull())
    // JSON Evidence: connection, packet, time and the rule that fired
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('device_suggestions_pk', ['device_id', 'field'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
