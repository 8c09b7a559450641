/**
 * Runs store tests on every dialect: SQLite always, PostgreSQL when VIGIL_TEST_PG holds a URL (CI sets
 * it). Each call to `freshDatabase` gets an empty, migrated database: a new in-memory SQLite file or a
 * new PostgreSQL schema, so test files can run in parallel without seeing each other. Parallel Vitest
 * workers also get a PostgreSQL database each (`workerDatabaseUrl`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { openDatabase, type VigilDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';

/**
 * Each Vitest worker (VITEST_POOL_ID, 1…maxWorkers) uses a PostgreSQL database of its own,
 * `<database>_w<N>`, created on first use and kept for later runs, so parallel workers do not share one
 * catalogue (migrations, schema drops) or queue on each other's locks (Vigil's advisory locks are keyed
 * by schema as well since src/store/locks.ts, so they would not deadlock). A role that may not create
 * databases keeps using the URL's database.
 */
async function workerDatabaseUrl(base: string): Promise<string> {
  const worker = process.env['VITEST_POOL_ID'];
  const url = new URL(base);
  const name = `${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}_w${worker}`;
  if (!worker || !/^[a-z_][a-z0-9_]*$/.test(name)) return base;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '42501') return base; // insufficient_privilege: no CREATEDB
    // Another run created it meanwhile: duplicate_database, or the same race seen as a unique violation.
    if (code !== '42P04' && code !== '23505') throw e;
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

const BASE_PG_URL = process.env['VIGIL_TEST_PG'];
export const PG_URL = BASE_PG_URL ? await workerDatabaseUrl(BASE_PG_URL) : undefined;

export type TestDialect = 'sqlite' | 'postgres';

export const DIALECTS: TestDialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * A suite that only means something on PostgreSQL (its advisory locks, concurrent transactions): skipped,
 * with the warning below, without VIGIL_TEST_PG; with CI=true that is an error, so CI never skips it.
 */
export function describeOnPostgres(name: string, fn: () => void): void {
  if (!PG_URL && process.env['CI'] === 'true')
    throw new Error(`${name}: CI=true but VIGIL_TEST_PG is not set; this suite needs PostgreSQL`);
  describe.skipIf(!PG_URL)(name, fn);
}

let warned = false;
if (!PG_URL && !warned) {
  warned = true;
  console.warn(
    '[vigil tests] PostgreSQL tests SKIPPED: set VIGIL_TEST_PG=postgres://… to run them (CI does).',
  );
}

const schemas: string[] = [];

export async function freshDatabase(
  dialect: TestDialect,
  opts: { migrate?: boolean } = {},
): Promise<VigilDatabase> {
  let vdb: VigilDatabase;
  if (dialect === 'sqlite') {
    vdb = await openDatabase('sqlite::memory:');
  } else {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    vdb = await openDatabase(PG_URL!, { schema, poolSize: 4 });
  }
  if (opts.migrate !== false) {
    // Kysely's migrator lists tables across every schema (before migrating, and again after to report
    // the current one); when another test file drops its schema at that very moment PostgreSQL answers
    // 'schema "t_…" does not exist', or 'column "…" of relation "…" does not exist' when the table
    // went between reading the catalogue and asking for a column's sequence. Each migration runs in a
    // transaction and applied ones are recorded, so trying again is safe. Only those errors, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateToLatest(vdb);
        break;
      } catch (e) {
        const text = `${(e as Error).message} ${String((e as { cause?: unknown }).cause ?? '')}`;
        if (
          dialect !== 'postgres' ||
          attempt >= 4 ||
          !/(schema "t_[0-9a-f]+"|column "\w+" of relation "\w+") does not exist/.test(text)
        )
          throw e;
      }
    }
  }
  return vdb;
}

afterAll(async () => {
  if (!PG_URL || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
});
