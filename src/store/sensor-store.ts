/**
 * @module SQL for multi-site scale-out: sensor health rows (one per site and sensor, written by the
 * ingest role from heartbeats) and the applied-message ledger that makes a redelivered observation
 * message a no-op (checked and written in the transaction that applies the message).
 */
import { selectInChunks } from './batch.js';
import type { Bool, SensorMessageTable, SensorTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SensorRow = SensorTable;

/** Which of these `(site, msg_id)` pairs were applied already, as `site msg_id` strings. */
export async function appliedMessages(
  h: DbHandle,
  site: string,
  msgIds: readonly string[],
): Promise<Set<string>> {
  const rows = await selectInChunks([...new Set(msgIds)], (part) =>
    h.db
      .selectFrom('sensor_messages')
      .select('msg_id')
      .where('site', '=', site)
      .where('msg_id', 'in', part)
      .execute(),
  );
  return new Set(rows.map((r) => r.msg_id));
}

export async function recordAppliedMessages(h: DbHandle, rows: SensorMessageTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await h.db
      .insertInto('sensor_messages')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** Forgets ledger entries older than `before` (the stream no longer holds those messages). */
export async function pruneAppliedMessages(h: DbHandle, before: string): Promise<number> {
  const r = await h.db.deleteFrom('sensor_messages').where('applied_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function getSensor(h: DbHandle, id: string): Promise<SensorRow | undefined> {
  return h.db.selectFrom('sensors').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The sensor's row, locked until the transaction ends (PostgreSQL; SQLite writes one transaction at a
 * time), so that two ingest workers applying batches of one sensor at once do not both read the old row
 * and overwrite each other's counts. A first sighting inserts `blank` to have a row to lock.
 */
export async function lockSensor(h: DbHandle, blank: SensorRow): Promise<SensorRow> {
  await h.db
    .insertInto('sensors')
    .values(blank)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const q = h.db.selectFrom('sensors').selectAll().where('id', '=', blank.id);
  return (h.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirstOrThrow();
}

export async function upsertSensor(h: DbHandle, row: SensorRow): Promise<void> {
  const { id, created_at, ...rest } = row;
  await h.db
    .insertInto('sensors')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(rest))
    .execute();
}

export async function listSensorRows(h: DbHandle, opts: { site?: string } = {}): Promise<SensorRow[]> {
  let q = h.db.selectFrom('sensors').selectAll();
  if (opts.site) q = q.where('site', '=', opts.site);
  return q.orderBy('site').orderBy('sensor').execute();
}

export async function setSensorSilent(h: DbHandle, id: string, silent: Bool, at: string): Promise<void> {
  await h.db.updateTable('sensors').set({ silent, updated_at: at }).where('id', '=', id).execute();
}
