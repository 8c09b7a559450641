/**
 * @module Opens the one database Vigil uses, from a URL: `sqlite:PATH`, `sqlite::memory:` or
 * `postgres://…`. Dialect differences are settled here once: SQLite gets WAL, foreign keys and a busy
 * timeout; PostgreSQL bigint/numeric values come back as numbers instead of strings.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect } from 'kysely';
import type pg from 'pg';
import { VigilError } from '../errors.js';
import { withOwnSchemaIntrospection } from './own-schema-introspector.js';
import type { Database } from './schema.js';
import { cachingStatements } from './statement-cache.js';
import { textWithoutNul } from './text-without-nul.js';

export type DialectName = 'sqlite' | 'postgres';

export interface VigilDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** PostgreSQL: the schema Vigil's tables live in (`current_schema()`). */
  schema?: string;
  /** Where it is, with any password removed (safe to log). */
  description: string;
  /** SQLite: the database file's absolute path (absent in memory). For backups. */
  file?: string;
  /** PostgreSQL: the connection URL, password included: a function so it is never serialised or logged. */
  connectionUrl?: () => string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: use (and create) this schema instead of `public`; tests use one each. */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

const pgTypesOf = (driver: typeof pg) => ({
  getTypeParser(oid: number, format?: string) {
    // int8 (20) and numeric (1700) hold counts and sums; they fit a JS number in Vigil's ranges.
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return driver.types.getTypeParser(oid, format as 'text');
  },
});

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<VigilDatabase> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new VigilError(
    'configuration',
    `Unsupported database URL (use sqlite:PATH or postgres://…): ${redactUrl(url)}`,
  );
}

function openSqlite(path: string): VigilDatabase {
  const memory = path === ':memory:' || path === '';
  const file = memory ? ':memory:' : resolve(path);
  if (!memory) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let sqlite: SQLite.Database;
  try {
    if (!memory) ownerOnly(file);
    sqlite = new SQLite(file);
  } catch (e) {
    throw new VigilError('configuration', `Cannot open SQLite database ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // 64 MiB of page cache (the default is 2 MiB): large imports and match runs touch big indexes.
  sqlite.pragma('cache_size = -65536');
  const db = new Kysely<Database>({
    dialect: textWithoutNul(new SqliteDialect({ database: cachingStatements(sqlite) })),
    ...queryLog(),
  });
  return {
    db,
    dialect: 'sqlite',
    description: memory ? 'sqlite::memory:' : `sqlite:${file}`,
    ...(memory ? {} : { file }),
    close: () => db.destroy(),
  };
}

/**
 * The database holds password hashes, people's data and the audit log: owner-only, like secret.key.
 * SQLite creates -wal and -shm with the main file's mode, so creating that one 0600 covers all three;
 * files left broader by an older version are tightened when they are ours, else warned about.
 */
function ownerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (process.platform === 'win32') return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    let uid: number;
    try {
      ({ mode, uid } = statSync(f));
    } catch {
      continue; // -wal/-shm absent until first opened
    }
    if ((mode & 0o077) === 0) continue;
    if (uid === process.getuid?.()) {
      chmodSync(f, mode & 0o700);
    } else {
      process.emitWarning(
        `SQLite file ${f} is readable by others (mode ${(mode & 0o777).toString(8)}) and not owned by this user: restrict it to the owner (chmod 600)`,
      );
    }
  }
}

async function openPostgres(url: string, options: OpenOptions): Promise<VigilDatabase> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new VigilError('configuration', `Invalid PostgreSQL schema name: ${schema}`);
  }
  // Loaded here, not with this module: a SQLite installation never needs the driver (start-up time).
  const { default: driver } = await import('pg');
  if (schema) {
    const setup = new driver.Client({ connectionString: url });
    await connectOrExplain(setup, url);
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new driver.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: pgTypesOf(driver),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // Check the server answers now, so a wrong URL fails at start-up with a clear message.
  const client = await pool.connect().catch((e: Error) => {
    void pool.end();
    throw new VigilError('configuration', `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${e.message}`, {
      cause: e,
    });
  });
  const current = await client.query<{ s: string }>('select current_schema() as s');
  client.release();
  const db = new Kysely<Database>({
    dialect: withOwnSchemaIntrospection(textWithoutNul(new PostgresDialect({ pool }))),
    ...queryLog(),
  });
  return {
    db,
    dialect: 'postgres',
    schema: current.rows[0]?.s ?? 'public',
    description: redactUrl(url) + (schema ? ` (schema ${schema})` : ''),
    connectionUrl: () => url,
    close: () => db.destroy(),
  };
}

async function connectOrExplain(client: pg.Client, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (e) {
    throw new VigilError(
      'configuration',
      `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * A query parameter that may carry a secret or a server-side key path: the pg driver takes `password`,
 * `sslpassword`, `sslkey`, `sslcert` and `sslrootcert` from the query as well as from `user:pass@`.
 * Generous on purpose: a masked harmless value costs nothing, a shown password is a leak.
 */
const SECRET_PARAMETER = /pass|pwd|secret|token|key|cert|auth|credential/i;

/** Masks a database URL's password and its password-like query parameters so it can be logged or shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of new Set(u.searchParams.keys()))
      if (SECRET_PARAMETER.test(name)) u.searchParams.set(name, '***');
    return u.toString();
  } catch {
    // Not a WHATWG URL (e.g. a password with a bare '#'): mask by pattern, the query included.
    return url
      .replace(/:[^:@/]*@/, ':***@')
      .replace(/([?&;]([^=&;#]*)=)([^&;#]*)/g, (all, head: string, name: string) =>
        SECRET_PARAMETER.test(name) ? `${head}***` : all,
      );
  }
}

/** VIGIL_SQL_PROFILE=1 prints, at exit, the time spent per statement shape (a development aid). */
function queryLog(): { log?: (e: LogEvent) => void } {
  if (!process.env['VIGIL_SQL_PROFILE']) return {};
  const totals = new Map<string, { n: number; ms: number }>();
  process.once('exit', () => {
    const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [q, t] of rows)
      process.stderr.write(`${t.ms.toFixed(0).padStart(8)} ms ${String(t.n).padStart(7)}x  ${q}\n`);
  });
  return {
    log(e) {
      const key = e.query.sql
        .replace(/\s+/g, ' ')
        .replace(/(\?|\$\d+)(, (\?|\$\d+))+/g, '…')
        .slice(0, 160);
      const t = totals.get(key) ?? { n: 0, ms: 0 };
      t.n++;
      t.ms += e.queryDurationMillis;
      totals.set(key, t);
    },
  };
}
