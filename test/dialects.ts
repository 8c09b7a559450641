/**
 * Runs store tests on every dialect: SQLite always, PostgreSQL when VIGIL_TEST_PG holds a URL (CI sets
 * it). Each call to `freshDatabase` gets an empty, migrated database: a new in-memory SQLite file or a
 * new PostgreSQL schema, so test files can run in parallel without seeing each other. Parallel Vitest
 * workers also get a PostgreSQL database each (`workerDatabaseUrl`).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe } from 'vitest';
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
    if (opts.migrate !== false && (await cloneMigratedSchema(schema))) {
      return openDatabase(PG_URL!, { schema, poolSize: 4 });
    }
    vdb = await openDatabase(PG_URL!, { schema, poolSize: 4 });
  }
  // Kysely reads only this schema's catalogue (own-schema-introspector.ts): other files' drops cannot break it.
  if (opts.migrate !== false) await migrateToLatest(vdb);
  return vdb;
}

/**
 * A migrated PostgreSQL schema is made by replaying a `pg_dump` of one that the real migrations built:
 * running the 29 migrations through Kysely's migrator takes a second or two per schema on this machine
 * kind, and the suite makes hundreds of schemas. The dump
 * (structure and rows, `vigil_migrations` included, so the schema is at the latest migration) is made
 * once per content of the migrations and PostgreSQL server, kept in the temp directory, and shared by
 * every worker and test file. `migrate.test.ts` and the other tests of the migrations themselves use
 * `{ migrate: false }` and the migrator. Without `pg_dump` (postgresql-client) the migrator runs.
 */
const TEMPLATE_SCHEMA = 'vigil_test_template_schema';
let templateDump: Promise<string | undefined> | undefined;

async function cloneMigratedSchema(schema: string): Promise<boolean> {
  templateDump ??= loadTemplateDump().catch((e: Error) => {
    console.warn(`[vigil tests] migrating each PostgreSQL schema (no template: ${e.message.split('\n')[0]})`);
    return undefined;
  });
  const dump = await templateDump;
  if (!dump) return false;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(dump.replaceAll(TEMPLATE_SCHEMA, schema));
  } finally {
    await client.end();
  }
  return true;
}

async function loadTemplateDump(): Promise<string> {
  const store = resolve(import.meta.dirname, '../src/store');
  const hash = createHash('sha256');
  for (const f of [
    'migrate.ts',
    ...readdirSync(join(store, 'migrations'))
      .sort()
      .map((n) => `migrations/${n}`),
  ])
    hash.update(f).update(readFileSync(join(store, f)));
  const run = promisify(execFile);
  const { stdout: pgDumpVersion } = await run('pg_dump', ['--version']);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>('select version() as v');
    hash
      .update(pgDumpVersion)
      .update(rows[0]?.v ?? '')
      .update(BASE_PG_URL ?? ''); // not the worker's database: the dump does not depend on it
  } finally {
    await client.end();
  }
  const file = join(tmpdir(), `vigil-test-pg-template-${hash.digest('hex').slice(0, 16)}.sql`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // Not made yet (or by a worker at this moment: each writes a whole file and renames it).
  }
  const schema = `${TEMPLATE_SCHEMA}_${process.pid}`;
  const vdb = await openDatabase(PG_URL!, { schema, poolSize: 2 });
  try {
    await migrateToLatest(vdb);
  } finally {
    await vdb.close();
  }
  let dump: string;
  try {
    ({ stdout: dump } = await run(
      'pg_dump',
      [
        '--dbname',
        PG_URL!,
        '--schema',
        schema,
        '--inserts',
        '--no-owner',
        '--no-privileges',
        '--no-comments',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    ));
  } finally {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
  }
  // pg_dump writes psql meta-commands on recent versions (\restrict); the driver sends plain SQL.
  const text = dump
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n')
    .replaceAll(schema, TEMPLATE_SCHEMA);
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, text);
  renameSync(partial, file);
  return text;
}

/**
 * Drops the PostgreSQL schemas this test file made. Called after each test file by test/each-file.ts: a
 * hook registered here would run after the first file only, since test files of one worker share this
 * module (vitest.config.ts `isolate: false`).
 */
export async function dropTestSchemas(): Promise<void> {
  if (!PG_URL || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
}
