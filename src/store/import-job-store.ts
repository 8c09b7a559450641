/**
 * @module SQL for capture-import jobs (0018-import-jobs): rows in and out, the same on SQLite and
 * PostgreSQL. Who may see a job, when it is stale and how it maps to the API are decided in
 * `discovery/import-jobs.ts`. Timestamps are ISO-8601 text, so they compare as text.
 */
import type { ImportJobTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type ImportJobRow = ImportJobTable;

export interface ImportJobProgress {
  bytes_done: number;
  packets: number;
  devices_found: number;
  heartbeat_at: string;
}

export async function insertImportJobRow(h: DbHandle, row: ImportJobRow): Promise<void> {
  await h.db.insertInto('import_jobs').values(row).execute();
}

/** Progress and heartbeat of a job still running (a job already ended is left as it is). */
export async function updateImportJobProgress(h: DbHandle, id: string, p: ImportJobProgress): Promise<void> {
  await h.db.updateTable('import_jobs').set(p).where('id', '=', id).where('state', '=', 'running').execute();
}

/** The end of a job: its state, last figures, result or error, and when it finished. */
export async function finishImportJobRow(
  h: DbHandle,
  id: string,
  end: ImportJobProgress &
    Pick<ImportJobRow, 'state' | 'finished_at' | 'result' | 'error'> & { state: 'done' | 'failed' },
): Promise<void> {
  await h.db.updateTable('import_jobs').set(end).where('id', '=', id).execute();
}

export async function findImportJobRow(h: DbHandle, id: string): Promise<ImportJobRow | undefined> {
  const r = await h.db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  // PostgreSQL's bigint arrives as a number already (database.ts); SQLite's integers too. Be sure.
  return (
    r && {
      ...r,
      bytes_total: Number(r.bytes_total),
      bytes_done: Number(r.bytes_done),
      packets: Number(r.packets),
    }
  );
}

/** Deletes the jobs that finished before `before`; returns how many. */
export async function deleteImportJobsFinishedBefore(h: DbHandle, before: string): Promise<number> {
  const r = await h.db
    .deleteFrom('import_jobs')
    .where('finished_at', 'is not', null)
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Marks `running` jobs whose heartbeat is older than `heartbeatBefore` failed with `error`, finished at
 * `finishedAt`: their process stopped. `id` limits it to one job; `exceptIds` spares jobs the caller
 * knows to be alive (its own). Returns how many rows changed.
 */
export async function markStaleImportJobsFailed(
  h: DbHandle,
  opts: {
    heartbeatBefore: string;
    finishedAt: string;
    error: string;
    id?: string;
    exceptIds?: readonly string[];
  },
): Promise<number> {
  let q = h.db
    .updateTable('import_jobs')
    .set({ state: 'failed', finished_at: opts.finishedAt, error: opts.error })
    .where('state', '=', 'running')
    .where('heartbeat_at', '<', opts.heartbeatBefore);
  if (opts.id !== undefined) q = q.where('id', '=', opts.id);
  if (opts.exceptIds?.length) q = q.where('id', 'not in', [...opts.exceptIds]);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
