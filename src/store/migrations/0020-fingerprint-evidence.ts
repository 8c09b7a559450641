/**
 * @module What passive discovery learned about a device beyond its facts, for the person who identifies
 * and triages it. Forward-only.
 * - `device_hints`: what the device said about itself, as the fingerprint rules read it (DHCP vendor
 *   class and parameter list, User-Agent and Server, SSH/FTP/Telnet banners, certificate subjects, DICOM
 *   Manufacturer …; `discovery/fingerprint-hints.ts`), one row per kind and value with the first packet
 *   that showed it. Never a secret or patient data: hints hold none (that module's rule).
 * - `device_suggestions`: the best identity value per field whose confidence stayed under the import's
 *   fact threshold (a MAC prefix registered to a medical device maker, say).
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_hints')
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    // capture | scanner, and the file (base name) that first showed it
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('source_ref', text, (c) => c.notNull())
    // JSON Evidence of the first sighting: connection, packet, time
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('device_hints_pk', ['device_id', 'kind', 'value'])
    .execute();
  await db.schema
    .createTable('device_suggestions')
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id'))
    // manufacturer | model | deviceClass | softwareVersion | firmwareVersion | os | osVersion
    .addColumn('field', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
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
