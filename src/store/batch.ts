/**
 * @module Splitting long lists for SQL: `IN (…)` lists and multi-row inserts stay under the bind
 * parameter limits (SQLite 32,766, PostgreSQL 65,535) whatever the size of an import, and bulk inserts
 * that send their rows as one JSON parameter.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { DbHandle } from './transaction.js';

/** Bind parameters one statement may use, with room to spare on both dialects. */
const MAX_PARAMS = 30_000;

export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs one query per chunk of keys (an `IN (…)` list within the parameter limits) and joins the rows. */
export async function selectInChunks<K, R>(
  keys: readonly K[],
  query: (part: K[]) => Promise<R[]>,
  size = 500,
): Promise<R[]> {
  const out: R[] = [];
  for (const part of chunks(keys, size)) if (part.length) out.push(...(await query(part)));
  return out;
}

/** Chunks of rows for a multi-row insert, sized by how many columns each row binds. */
export function rowChunks<T extends object>(rows: readonly T[]): T[][] {
  if (rows.length === 0) return [];
  const columns = Math.max(1, Object.keys(rows[0]!).length);
  return chunks(rows, Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / columns))));
}

/**
 * Inserts (or upserts) many rows. SQLite binds parameters in-process, so plain multi-row inserts are
 * fastest there. PostgreSQL gets the rows as one JSON parameter that `json_populate_recordset` unpacks:
 * binding a million separate parameters costs it far more than parsing one JSON text. Values must be
 * text, numbers or null (the schema's conventions).
 */
export async function bulkInsert(
  h: DbHandle,
  table: keyof Database & string,
  rows: readonly object[],
  upsert?: { conflict: readonly string[]; update: readonly string[] },
): Promise<void> {
  if (rows.length === 0) return;
  if (h.dialect === 'sqlite') {
    // Typed per table by the callers; here the builder only needs column names.
    const db = h.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    for (const part of rowChunks(rows)) {
      let q = db.insertInto(table).values(part as Record<string, unknown>[]);
      if (upsert) {
        q = q.onConflict((oc) =>
          oc
            .columns(upsert.conflict as string[])
            .doUpdateSet(Object.fromEntries(upsert.update.map((c) => [c, sql.ref(`excluded.${c}`)]))),
        );
      }
      await q.execute();
    }
    return;
  }
  const cols = sql.join(Object.keys(rows[0]!).map((c) => sql.ref(c)));
  const onConflict = upsert
    ? sql` on conflict (${sql.join(upsert.conflict.map((c) => sql.ref(c)))}) do update set ${sql.join(
        upsert.update.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`),
      )}`
    : sql``;
  for (const part of chunks(rows, 5000)) {
    const json = withoutNulEscapes(JSON.stringify(part));
    await sql`insert into ${sql.table(table)} (${cols}) select ${cols} from json_populate_recordset(null::${sql.table(table)}, ${json}::json)${onConflict}`.execute(
      h.db,
    );
  }
}

/**
 * PostgreSQL's text holds no U+0000, and `json_populate_recordset` refuses the `\u0000` escape that
 * JSON.stringify writes for it ("unsupported Unicode escape sequence"). Each becomes `\ufffd`, as the
 * driver does for plain parameters (text-without-nul.ts). An escaped backslash before "u0000" is text,
 * not an escape, hence the count of backslashes.
 */
export function withoutNulEscapes(json: string): string {
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}
