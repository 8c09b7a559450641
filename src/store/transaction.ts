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
  return vdb.db.transaction().execute((trx) => fn({ db: trx, dialect: vdb.dialect }));
}

export type { VigilDatabase };
