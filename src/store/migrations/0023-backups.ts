/**
 * @module The history of Vigil's own backups (`vigil db backup`, the scheduled ones of `vigil serve`, the
 * safety copy a restore takes first): when, where, how big, the file's SHA-256 and whether it was
 * verified, or why it failed. The backup files and their manifests are the truth; this table is what
 * `vigil db backups`, `GET /system` and the scheduler read to say when the last good one was. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', text, (c) => c.primaryKey())
    // manual | scheduled | before-restore
    .addColumn('trigger', text, (c) => c.notNull())
    .addColumn('started_at', text, (c) => c.notNull())
    .addColumn('finished_at', text, (c) => c.notNull())
    // ok | failed
    .addColumn('status', text, (c) => c.notNull())
    // The backup file's absolute path (null when the backup failed before naming one).
    .addColumn('file', text)
    .addColumn('bytes', 'bigint')
    .addColumn('sha256', text)
    // The newest migration in the copy: which Vigil can restore it.
    .addColumn('schema_version', text)
    // The audit log's length and head hash in the copy: an anchor that later truncation cannot move.
    .addColumn('audit_entries', 'bigint')
    .addColumn('audit_head_hash', text)
    .addColumn('error', text)
    .addColumn('actor', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('backups_started').on('backups').column('started_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
