/**
 * @module A database handle that domain code passes around, and the one way to run a transaction.
 * Mutations and their audit entries are written in the same transaction, so neither exists alone.
 */
import type { Kysely } from 'kysely';
import type { DialectName, VigilDatabase } from './database.js';
import type { Database } from './schema.js';

export interface DbHandle {
  db: Kysely<Database>;
  dialect: DialectName;
}

/**
 * Runs `fn` in a transaction. Called with a handle that is already a transaction, `fn` joins it: a
 * service that opens its own transaction can then be composed into a larger one (one commit or none).
 */
export async function transaction<T>(vdb: DbHandle, fn: (tx: DbHandle) => Promise<T>): Promise<T> {
  if (vdb.db.isTransaction) return fn(vdb);
  const committed: (() => void)[] = [];
  const result = await vdb.db.transaction().execute((trx) => {
    afterCommitHooks.set(trx, committed);
    return fn({ db: trx, dialect: vdb.dialect });
  });
  for (const hook of committed) {
    // The change is committed: what follows it (waking a sender) must not make it look failed.
    try {
      hook();
    } catch {}
  }
  return result;
}

/** The hooks of each open transaction, by its Kysely handle (the same object however it is passed on). */
const afterCommitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `hook` once the transaction `h` belongs to has committed, and never when it rolls back; at once
 * when `h` is not a transaction. For what must not happen before the change is durable (telling other
 * systems about it). The hook must be quick and not throw (a throw is ignored).
 */
export function afterCommit(h: DbHandle, hook: () => void): void {
  if (!h.db.isTransaction) {
    try {
      hook();
    } catch {}
    return;
  }
  const hooks = afterCommitHooks.get(h.db);
  // Every transaction is opened above; one that is not would silently drop the hook.
  if (!hooks) throw new Error('afterCommit: the transaction was not opened by transaction()');
  hooks.push(hook);
}

export type { VigilDatabase };
