import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from './database.js';
import { cachingStatements } from './statement-cache.js';

/** A real in-memory SQLite whose `prepare` calls are counted. */
function counted() {
  const raw = new SQLite(':memory:');
  const prepared: string[] = [];
  const real = raw.prepare.bind(raw);
  raw.prepare = ((text: string) => {
    prepared.push(text);
    return real(text);
  }) as typeof raw.prepare;
  return { raw, prepared };
}

describe('cachingStatements', () => {
  let db: Kysely<{ t: { id: number; name: string } }> | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  it('prepares each SQL text once, however often Kysely runs it', async () => {
    const { raw, prepared } = counted();
    db = new Kysely({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
    await sql`create table t (id integer primary key, name text)`.execute(db);
    for (let i = 0; i < 50; i++)
      await db
        .insertInto('t')
        .values({ id: i, name: `n${i}` })
        .execute();
    for (let i = 0; i < 50; i++) {
      const row = await db.selectFrom('t').select('name').where('id', '=', i).executeTakeFirstOrThrow();
      expect(row.name).toBe(`n${i}`);
    }
    expect(prepared.filter((s) => s.startsWith('insert'))).toHaveLength(1);
    expect(prepared.filter((s) => s.startsWith('select'))).toHaveLength(1);
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const { raw, prepared } = counted();
    const cache = cachingStatements(raw, 2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    cache.prepare('select 1'); // now the most recently used
    cache.prepare('select 3'); // drops 'select 2'
    cache.prepare('select 1');
    cache.prepare('select 2');
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
    cache.close();
  });

  it('a kept statement follows a schema change made between two uses', async () => {
    const raw = new SQLite(':memory:');
    db = new Kysely({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
    await sql`create table t (id integer primary key)`.execute(db);
    await sql`insert into t (id) values (1)`.execute(db);
    const all = () => sql<Record<string, unknown>>`select * from t`.execute(db!);
    expect((await all()).rows).toEqual([{ id: 1 }]);
    // A migration adds a column: the statement kept for `select *` must see it, not the old column list.
    await sql`alter table t add column name text default 'pump'`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'pump' }]);
    await sql`drop table t`.execute(db);
    await expect(all()).rejects.toThrow(/no such table: t/);
  });

  it('is what openDatabase gives Kysely for SQLite', async () => {
    const spy = vi.spyOn(SQLite.prototype, 'prepare');
    const store = await openDatabase('sqlite::memory:');
    try {
      for (let i = 0; i < 3; i++) await sql`select ${i} as n`.execute(store.db);
      expect(spy.mock.calls.filter(([text]) => text === 'select ? as n')).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });

  it('closing closes the database', () => {
    const raw = new SQLite(':memory:');
    cachingStatements(raw).close();
    expect(raw.open).toBe(false);
  });
});
