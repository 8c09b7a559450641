/**
 * @module Splitting long lists for SQL: `IN (…)` lists and multi-row inserts stay under the bind
 * parameter limits (SQLite 32,766, PostgreSQL 65,535) whatever the size of an import.
 */

/** Bind parameters one statement may use, with room to spare on both dialects. */
const MAX_PARAMS = 30_000;

export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Chunks of rows for a multi-row insert, sized by how many columns each row binds. */
export function rowChunks<T extends object>(rows: readonly T[]): T[][] {
  if (rows.length === 0) return [];
  const columns = Math.max(1, Object.keys(rows[0]!).length);
  return chunks(rows, Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / columns))));
}
