/**
 * @module One transaction around several domain calls that each open their own (`applySourceResult`,
 * the re-match it runs, placing devices in a site). Kysely refuses a transaction inside a transaction;
 * this handle wraps an open one so that `transaction(h, fn)` on it runs `fn` in the same transaction.
 * The ingest role uses it so a whole batch of observation messages and their ledger rows commit
 * together or not at all.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { type DbHandle, transaction } from '../store/transaction.js';

function joined(trx: Kysely<Database>): Kysely<Database> {
  const proxy: Kysely<Database> = new Proxy(trx, {
    get(target, prop) {
      if (prop === 'transaction')
        return () => ({
          execute: <T>(fn: (t: Kysely<Database>) => Promise<T>) => fn(proxy),
        });
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return proxy;
}

/** Runs `fn` in one transaction; nested `transaction()` calls on the handle it gets join it. */
export function batchTransaction<T>(h: DbHandle, fn: (tx: DbHandle) => Promise<T>): Promise<T> {
  return transaction(h, (tx) => fn({ db: joined(tx.db), dialect: tx.dialect }));
}
