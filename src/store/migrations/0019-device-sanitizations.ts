/**
 * @module Records that a device's ePHI was sanitized (NIST SP 800-88 Rev. 1: clear, purge or destroy)
 * before its disposal or re-use: the evidence for HIPAA §164.310(d)(2)(i)–(ii). A device may hold
 * several (sanitized before re-use, and again at disposal). Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_sanitizations')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id'))
    // clear | purge | destroy
    .addColumn('method', text, (c) => c.notNull())
    // YYYY-MM-DD, the day the sanitization was done (not when it was recorded).
    .addColumn('performed_on', text, (c) => c.notNull())
    // The person who performed or verified it, as written on the certificate (free text, not an account).
    .addColumn('performed_by', text, (c) => c.notNull())
    // Certificate of sanitization, vendor work order, …
    .addColumn('reference', text)
    .addColumn('recorded_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_sanitizations_device')
    .on('device_sanitizations')
    .columns(['device_id', 'performed_on'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
