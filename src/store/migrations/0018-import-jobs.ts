/**
 * @module Capture-import jobs (`POST /captures/import`, `GET /imports/{id}`) kept in the database instead of
 * one API process's memory, so any API process behind a load balancer answers a poll, and a job whose
 * process stopped mid-import is found (its heartbeat stops) and reported failed. Finished jobs are deleted
 * an hour after they ended. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;
const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    // A random UUID (the job id the API returns).
    .addColumn('id', text, (c) => c.primaryKey())
    // capture | advisory
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('file_name', text, (c) => c.notNull())
    // `kind:id` of the actor that started it (who may see it, besides admins).
    .addColumn('owner', text, (c) => c.notNull())
    // running | done | failed
    .addColumn('state', text, (c) => c.notNull())
    // Uploads may pass 2 GiB: bigint, not PostgreSQL's 32-bit integer.
    .addColumn('bytes_total', bigint, (c) => c.notNull())
    .addColumn('bytes_done', bigint, (c) => c.notNull())
    .addColumn('packets', bigint, (c) => c.notNull())
    .addColumn('devices_found', integer, (c) => c.notNull())
    .addColumn('started_at', text, (c) => c.notNull())
    .addColumn('finished_at', text)
    // Written with the progress (and by a timer while the job runs): a running job whose heartbeat is
    // old lost its process.
    .addColumn('heartbeat_at', text, (c) => c.notNull())
    // JSON of CaptureImportResult.
    .addColumn('result', text)
    .addColumn('error', text)
    .execute();
  // The expiry sweep: finished jobs older than the TTL.
  await db.schema.createIndex('import_jobs_finished_at').on('import_jobs').column('finished_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
