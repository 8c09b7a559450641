/**
 * @module Prepared statements kept per SQL text for Kysely's SQLite dialect. Kysely asks better-sqlite3 to
 * prepare every query it runs, and an import runs the same few hundred SQL texts thousands of times:
 * preparing was about a tenth of `vigil analyze`'s time. SQLite re-prepares a kept statement by itself
 * when the schema changes, so a migration between two uses is safe.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * `db` behind Kysely's `SqliteDatabase` interface, keeping up to `size` statements (least recently used
 * dropped first: queries with an `IN (?, ?, …)` list make a new text per list length). A kept statement is
 * never in use twice at once: Kysely runs one query at a time on its single SQLite connection.
 */
export function cachingStatements(db: SQLite.Database, size = 500): SqliteDatabase {
  const kept = new Map<string, SqliteStatement>();
  return {
    close: () => {
      kept.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let stmt = kept.get(sql);
      if (stmt) {
        // Map order is insertion order: re-inserting marks it the most recently used.
        kept.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (kept.size >= size) kept.delete(kept.keys().next().value!);
      }
      kept.set(sql, stmt);
      return stmt;
    },
  };
}
