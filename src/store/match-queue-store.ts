/**
 * @module SQL for the match queue (migration 0017-match-queue): ingest appends the devices a batch changed
 * in the batch's own transaction; the match role claims the oldest rows, re-matches their devices and
 * deletes exactly the rows it claimed in the transaction that stored the matches, so a device queued
 * again meanwhile (a newer row) is matched again later and nothing is matched on stale data.
 */
import { bulkInsert, selectInChunks } from './batch.js';
import { newId } from './ids.js';
import { takeMatchWorkerLock } from './locks.js';
import type { DbHandle } from './transaction.js';

/** Queues devices for the match role (one row per device; repeats are collapsed when claimed). */
export async function enqueueMatches(h: DbHandle, deviceIds: readonly string[], at: string): Promise<number> {
  const ids = [...new Set(deviceIds)];
  await bulkInsert(
    h,
    'match_queue',
    ids.map((device_id) => ({ id: newId(), device_id, queued_at: at })),
  );
  return ids.length;
}

/**
 * Takes the match-queue lock for the rest of the transaction: two match processes never re-match the
 * same device at once (the second waits, then finds the rows gone). SQLite has one writer anyway.
 */
export async function lockMatchQueue(h: DbHandle): Promise<void> {
  await takeMatchWorkerLock(h);
}

/** The oldest `limit` rows: their ids (to delete after matching) and their distinct devices. */
export async function claimMatchQueue(
  h: DbHandle,
  limit: number,
): Promise<{ rowIds: string[]; deviceIds: string[] }> {
  const rows = await h.db
    .selectFrom('match_queue')
    .select(['id', 'device_id'])
    .orderBy('id')
    .limit(limit)
    .execute();
  return { rowIds: rows.map((r) => r.id), deviceIds: [...new Set(rows.map((r) => r.device_id))] };
}

export async function deleteMatchQueueRows(h: DbHandle, rowIds: readonly string[]): Promise<void> {
  await selectInChunks(rowIds, async (part) => {
    await h.db.deleteFrom('match_queue').where('id', 'in', part).execute();
    return [];
  });
}

/** Rows waiting (a device queued by several batches counts once per batch). */
export async function matchQueueDepth(h: DbHandle): Promise<number> {
  const r = await h.db
    .selectFrom('match_queue')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
