/**
 * @module PostgreSQL advisory locks that serialise the few read-then-write steps Vigil has (identity
 * resolution, the match queue, alert de-duplication, the audit chain), held until the transaction ends.
 *
 * Two rules keep them deadlock-free:
 * - **One order.** Taking a lock first takes every lock before it in `LOCK_ORDER` (pg advisory locks are
 *   re-entrant within a transaction, so one already held costs nothing). Any two transactions therefore
 *   wait for each other in the same order, whatever order the code asks in: an import that resolves
 *   devices and then audits, and an alert raiser that audits and then touches the inventory, can no
 *   longer each hold what the other waits for.
 * - **One exception, taken first.** The match role's lock (one match batch at a time across processes)
 *   is outside the order: ingest never takes it, so ingest never waits for a match batch, and a match
 *   batch takes it before anything else, then only the ordered locks, so no cycle can form.
 * - **Per schema.** The lock is keyed on the current schema as well (the two-key form), so two Vigil
 *   databases in different schemas of one PostgreSQL database (tests, staging beside production) never
 *   block each other.
 *
 * SQLite needs none of this: it runs one write transaction at a time.
 */
import { sql } from 'kysely';
import type { DbHandle } from './transaction.js';

/** The locks, in the order they are always taken. */
export const LOCK_ORDER = ['inventory', 'alerts', 'audit'] as const;
export type LockName = (typeof LOCK_ORDER)[number];

/** Arbitrary ids in PostgreSQL's advisory-lock space (the second key; the first is the schema). */
const LOCK_IDS: Record<LockName, number> = {
  inventory: 741_993_002,
  alerts: 741_993_007,
  audit: 741_993_001,
};

const MATCH_WORKER_LOCK_ID = 741_993_018;

/** Takes `name`, and every lock before it, for the rest of the transaction (PostgreSQL only). */
export async function takeLock(h: DbHandle, name: LockName): Promise<void> {
  if (h.dialect !== 'postgres') return;
  const ids = LOCK_ORDER.slice(0, LOCK_ORDER.indexOf(name) + 1).map((n) => LOCK_IDS[n]);
  // One round trip: PostgreSQL evaluates a select list left to right, so the locks are taken in order.
  const calls = sql.join(
    ids.map((id) => sql`pg_advisory_xact_lock(hashtext(current_schema()), ${sql.lit(id)})`),
    sql`, `,
  );
  await sql`select ${calls}`.execute(h.db);
}

/** The match role's lock (see above): call it first in the match batch's transaction. */
export async function takeMatchWorkerLock(h: DbHandle): Promise<void> {
  if (h.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(current_schema()), ${sql.lit(MATCH_WORKER_LOCK_ID)})`.execute(
    h.db,
  );
}
