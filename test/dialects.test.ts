/**
 * The PostgreSQL schema a test gets from `freshDatabase` is a replayed dump of a migrated one
 * (test/dialects.ts): it must be the schema the migrations make, object for object, or every PostgreSQL
 * test would test something else than what `vigil db migrate` builds.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { VigilDatabase } from '../src/store/database.js';
import { MIGRATIONS, migrateToLatest } from '../src/store/migrate.js';
import { describeOnPostgres, freshDatabase } from './dialects.js';

/** Columns, constraints, indexes, triggers and functions of the database's schema, named without it. */
async function catalogueOf(vdb: VigilDatabase): Promise<string[]> {
  const schema = vdb.schema!;
  const rows = await sql<{ line: string }>`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
           coalesce(column_default, '') as line
      from information_schema.columns where table_schema = ${schema}
    union all
    select 'constraint ' || rel.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
      from pg_constraint con join pg_class rel on rel.oid = con.conrelid
      join pg_namespace n on n.oid = rel.relnamespace where n.nspname = ${schema}
    union all
    select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = ${schema}
    union all
    select 'trigger ' || tgname || ' ' || pg_get_triggerdef(t.oid)
      from pg_trigger t join pg_class rel on rel.oid = t.tgrelid
      join pg_namespace n on n.oid = rel.relnamespace where n.nspname = ${schema} and not t.tgisinternal
    union all
    select 'function ' || p.proname || ' ' || pg_get_functiondef(p.oid)
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ${schema}
  `.execute(vdb.db);
  return rows.rows.map((r) => r.line.replaceAll(schema, 'SCHEMA')).sort();
}

describeOnPostgres('test databases on PostgreSQL', () => {
  it('a fresh schema is the one the migrations build, and is at the latest migration', async () => {
    const migrated = await freshDatabase('postgres', { migrate: false });
    const cloned = await freshDatabase('postgres');
    try {
      await migrateToLatest(migrated);
      const expected = await catalogueOf(migrated);
      expect(expected.length).toBeGreaterThan(500);
      expect(await catalogueOf(cloned)).toEqual(expected);
      const again = await migrateToLatest(cloned);
      expect(again.applied).toEqual([]);
      expect(again.current).toBe(Object.keys(MIGRATIONS).at(-1));
      // Rows the migrations insert come along too.
      for (const table of ['settings', 'vigil_migrations'] as const) {
        const count = async (v: VigilDatabase) =>
          (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(v.db)).rows[0]
            ?.n;
        expect(await count(cloned)).toBe(await count(migrated));
      }
    } finally {
      await migrated.close();
      await cloned.close();
    }
  });
});
