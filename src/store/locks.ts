/**
 * @module PostgreSQL advisory locks that serialise the few read-then-write steps Vigil has (identity
 * resolution, the match queue, alert de-duplication, the audit chain), held until the transaction ends.
 *
 * The order, always: **inventory → identity keys → alerts → audit**. The inventory lock has two modes:
 * - **Exclusive** (`takeLock(h, 'inventory')`, `lockInventory`): whole-inventory writers that read and
 *   rewrite many devices at once (CMMS import, merges, manual edits), and any transaction whose first lock
 *   is `alerts` or `audit` (an alert raiser, a login), exactly as before identity keys existed.
 * - **Shared, then keys** (`lockIdentityKeys`): observation ingest (`observeDeviceIn`, `applySourceResult`,
 *   the scale-out ingest batch). It takes the inventory lock in shared mode, then, in ONE statement, a lock
 *   on every identity key it may resolve, create or merge on, sorted by their hash: exclusive on the strong
 *   keys (MACs, serial number, UDI, asset tag); on the weak ones (IPs, hostnames) exclusive when the
 *   observation has no strong key (it may then stage a record on its IP, or be recognised by it) and
 *   shared otherwise (with a strong key, weak keys only suggest candidates: two devices that share a
 *   hostname, a DHCP-reused IP or an mDNS name, are not made to wait for each other). Two batches that
 *   share a key wait for each other, unless both hold it shared; two with disjoint keys run side by
 *   side. A transaction that already holds the shared inventory lock takes `alerts` and `audit` without
 *   the inventory lock (it keeps its shared one), so an ingest batch never asks to upgrade.
 *
 * Why no two devices for one identity: a device is only created, or given a key, by a transaction that
 * holds that key's lock (its observation's keys are all locked before it resolves any of them), or by
 * an exclusive holder of the inventory lock, which waits until no key holder is left (every key holder
 * holds the shared inventory lock first) and keeps new ones out until it commits. A strong key is only
 * ever held exclusively, so whoever resolves it next sees the committed device. A weak key decides
 * (matches or stages a record) only for an observation without strong keys, which holds it exclusively,
 * so it waits for every writer of that IP or hostname. What two observations with strong keys that share
 * a weak key can miss is only each other's new device in the `suggestions` of a staged record.
 *
 * Why no deadlock: every transaction takes the locks in the one order above. Taking a lock first takes
 * every lock before it (pg advisory locks are re-entrant within a transaction, so one already held costs
 * nothing), so an import that resolves devices and then audits, and an alert raiser that audits and then
 * touches the inventory, can never each hold what the other waits for. Key locks come in one statement,
 * in hash order, so two key sets overlap only in that order. The mode of the inventory lock is fixed by
 * the first lock a transaction takes (tracked per transaction below); asking for the exclusive one after
 * the shared one (an upgrade: `takeLock` refuses it with an error) or for more keys after `alerts`/`audit`
 * would break the order: no code path does, and the ingest batch
 * collects the keys of all its hosts before resolving any, and appends its audit entries at the end
 * (`deferAudit` in audit-log.ts), so it holds `audit` only for the append and the commit. Row locks on
 * rows two batches share without sharing a key (a device model, a conversation between their devices)
 * can still cross: PostgreSQL detects that and aborts one, which the ingest worker retries (none was seen
 * in the scale-out benchmark).
 * - **One exception, taken first.** The match role's lock (one match batch at a time across processes)
 *   is outside the order: ingest never takes it, so ingest never waits for a match batch, and a match
 *   batch takes it before anything else, then only the ordered locks, so no cycle can form.
 * - **Per schema.** The lock is keyed on the current schema as well (the two-key form), so two Vigil
 *   databases in different schemas of one PostgreSQL database (tests, staging beside production) never
 *   block each other. Identity keys use another first key (the schema's name with `:identity`), so a
 *   key's hash can never meet the fixed ids below.
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

/** What a transaction holds, so a second call costs nothing and the shared mode is kept. */
interface Held {
  inventory: 'shared' | 'exclusive' | null;
  /** Identity keys held, and whether exclusively. */
  keys: Map<string, boolean>;
}
const held = new WeakMap<object, Held>();
const heldBy = (h: DbHandle): Held => {
  const s = held.get(h.db) ?? { inventory: null, keys: new Map<string, boolean>() };
  held.set(h.db, s);
  return s;
};

/** Takes `name`, and every lock before it, for the rest of the transaction (PostgreSQL only). */
export async function takeLock(h: DbHandle, name: LockName): Promise<void> {
  if (h.dialect !== 'postgres') return;
  const state = heldBy(h);
  let names: readonly LockName[] = LOCK_ORDER.slice(0, LOCK_ORDER.indexOf(name) + 1);
  // A shared holder keeps its shared inventory lock (see the module comment: no upgrade).
  if (state.inventory === 'shared' && name !== 'inventory') names = names.filter((n) => n !== 'inventory');
  if (state.inventory === 'shared' && name === 'inventory')
    throw new Error('the exclusive inventory lock was asked for after the shared one (see store/locks.ts)');
  // One round trip: PostgreSQL evaluates a select list left to right, so the locks are taken in order.
  const calls = sql.join(
    names.map((n) => sql`pg_advisory_xact_lock(hashtext(current_schema()), ${sql.lit(LOCK_IDS[n])})`),
    sql`, `,
  );
  await sql`select ${calls}`.execute(h.db);
  if (names.includes('inventory')) state.inventory = 'exclusive';
}

/** An identity key to lock (`kind:value`, e.g. `mac:00:11:…`) and whether exclusively (see above). */
export interface IdentityKeyLock {
  key: string;
  exclusive: boolean;
}

/**
 * Observation ingest's locks (see above): the shared inventory lock, then every key in `keys`, in hash
 * order, in one statement (a key asked for in both modes is taken exclusively). Keys already held in the
 * mode asked cost nothing; an exclusive holder of the inventory lock needs no keys. PostgreSQL only.
 */
export async function lockIdentityKeys(h: DbHandle, keys: Iterable<IdentityKeyLock>): Promise<void> {
  if (h.dialect !== 'postgres') return;
  const state = heldBy(h);
  if (state.inventory === 'exclusive') return;
  if (state.inventory === null) {
    await sql`select pg_advisory_xact_lock_shared(hashtext(current_schema()), ${sql.lit(LOCK_IDS.inventory)})`.execute(
      h.db,
    );
    state.inventory = 'shared';
  }
  const wanted = new Map<string, boolean>();
  for (const { key, exclusive } of keys)
    if (!(state.keys.get(key) === true || (state.keys.has(key) && !exclusive)))
      wanted.set(key, exclusive || (wanted.get(key) ?? false));
  if (!wanted.size) return;
  // The subquery's rows come in hash order and the aggregates are evaluated row by row in that order;
  // each row takes one of the two locks.
  await sql`select count(case when x then pg_advisory_xact_lock(hashtext(current_schema() || ':identity'), k) end)
      + count(case when not x then pg_advisory_xact_lock_shared(hashtext(current_schema() || ':identity'), k) end)
    from (
      select hashtext(v) as k, bool_or(x) as x
      from unnest(${[...wanted.keys()]}::text[], ${[...wanted.values()]}::bool[]) as u(v, x)
      group by 1 order by 1
    ) as sorted`.execute(h.db);
  for (const [k, x] of wanted) state.keys.set(k, x);
}

/** The match role's lock (see above): call it first in the match batch's transaction. */
export async function takeMatchWorkerLock(h: DbHandle): Promise<void> {
  if (h.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(current_schema()), ${sql.lit(MATCH_WORKER_LOCK_ID)})`.execute(
    h.db,
  );
}
