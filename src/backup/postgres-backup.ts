/**
 * @module PostgreSQL copies with the server's own tools, `pg_dump` and `pg_restore` (custom format; the
 * PostgreSQL client package must be installed, its major version at least the server's). The dump reads
 * a snapshot exported by Vigil's own transaction, so the manifest's counts and audit head describe
 * exactly the rows in the file. The password goes to the tools in their environment (PGPASSWORD), never
 * on their command line, where `ps` would show it.
 */
import { execFile } from 'node:child_process';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { invalidInput, VigilError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { type DatabaseContents, readContents } from './contents.js';

/** The URL without its password, and the password for PGPASSWORD. */
function split(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password) env['PGPASSWORD'] = password;
  else delete env['PGPASSWORD'];
  return { dbname: u.toString(), env };
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(
          new VigilError(
            'configuration',
            `${tool} not found: install the PostgreSQL client tools (Debian: postgresql-client) of your server's major version or newer`,
          ),
        );
      const detail = (stderr || err.message).trim().split('\n').slice(0, 3).join(' ');
      reject(new VigilError('internal', `${tool} failed: ${detail}`));
    });
  });
}

/**
 * Dumps `schema` to `dest` and returns what the dump holds, both read in one snapshot (a REPEATABLE READ
 * transaction that exports it to pg_dump).
 */
export async function dumpPostgres(url: string, schema: string, dest: string): Promise<DatabaseContents> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const contents = await readContents({ db: kyselyOver(client), dialect: 'postgres' });
    const { dbname, env } = split(url);
    await run(
      'pg_dump',
      [
        '--format=custom',
        '--no-owner',
        '--no-privileges',
        `--schema=${schema}`,
        `--snapshot=${snapshot}`,
        `--file=${dest}`,
        `--dbname=${dbname}`,
      ],
      env,
    );
    await client.query('COMMIT');
    return contents;
  } finally {
    await client.end();
  }
}

/** The archive's table of contents (`pg_restore --list`): an error names the file when it is no dump. */
export async function listDump(file: string): Promise<string[]> {
  try {
    const out = await run('pg_restore', ['--list', file], process.env);
    return out.split('\n').filter((l) => l && !l.startsWith(';'));
  } catch (e) {
    if (e instanceof VigilError && e.code === 'configuration') throw e;
    throw invalidInput(`Backup ${file} is not a readable PostgreSQL dump: ${(e as Error).message}`);
  }
}

/**
 * Puts the dump back as `schema`: the live schema is first renamed to `aside` (kept, so nothing is lost
 * if the restore fails, and dropped by the operator once satisfied), then pg_restore runs in a single
 * transaction. On failure the half-made schema is dropped and the old one renamed back.
 */
export async function restorePostgres(
  url: string,
  schema: string,
  file: string,
  aside: string,
): Promise<void> {
  const toc = await listDump(file);
  const createsSchema = toc.some((l) => new RegExp(`\\bSCHEMA - ${schema}\\b`).test(l));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`ALTER SCHEMA ${quoteIdent(schema)} RENAME TO ${quoteIdent(aside)}`);
    try {
      if (!createsSchema) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      const { dbname, env } = split(url);
      await run(
        'pg_restore',
        [
          '--exit-on-error',
          '--single-transaction',
          '--no-owner',
          '--no-privileges',
          `--dbname=${dbname}`,
          file,
        ],
        env,
      );
    } catch (e) {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await client.query(`ALTER SCHEMA ${quoteIdent(aside)} RENAME TO ${quoteIdent(schema)}`);
      throw e;
    }
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Kysely over one connected client, so reads run inside the client's open transaction. */
function kyselyOver(client: pg.Client): Kysely<Database> {
  return new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: {
        connect: async () => ({ query: client.query.bind(client) as never, release: () => undefined }),
        end: async () => undefined,
      },
    }),
  });
}
