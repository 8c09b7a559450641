/**
 * Backups killed in the middle, for real: the built `vigil` binary (dist/, built by
 * test/global-setup.ts) in a child process, on a database large enough to be caught while it copies or
 * encrypts, killed with SIGKILL (as the OOM killer or a power cut would end it: no clean-up runs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export const VIGIL_BIN = resolve(import.meta.dirname, '../bin/vigil.js');

/** Files (not directories) under `dir`, relative to it, sorted. */
export const filesUnder = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[])
    .filter((n) => !lstatSync(join(dir, n)).isDirectory())
    .sort();

/**
 * A migrated Vigil SQLite database of about `mb` MB in a new temporary directory. The size is what gives
 * time to kill a backup of it mid-way: a table of random blobs, there for that only.
 */
export function bigDatabase(mb: number): string {
  const db = join(mkdtempSync(join(tmpdir(), 'vigil-killed-backup-')), 'vigil.db');
  execFileSync(process.execPath, [VIGIL_BIN, 'db', 'migrate'], {
    env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' },
  });
  const s = new Database(db);
  s.exec('CREATE TABLE size_only (b BLOB)');
  const add = s.prepare('INSERT INTO size_only VALUES (randomblob(1048576))');
  s.transaction(() => {
    for (let i = 0; i < mb; i++) add.run();
  })();
  s.close();
  return db;
}

/**
 * Runs `vigil ARGS` and kills it with SIGKILL as soon as `when` holds for the non-empty files under
 * `watch`; resolves with those files. Rejects when the command ended on its own (too fast to catch).
 */
export function killVigilWhen(
  args: string[],
  env: Record<string, string>,
  watch: string,
  when: (files: string[]) => boolean,
): Promise<string[]> {
  const child = spawn(process.execPath, [VIGIL_BIN, ...args], {
    env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...env },
    stdio: 'ignore',
  });
  return new Promise((ok, fail) => {
    let seen: string[] = [];
    const poll = setInterval(() => {
      try {
        seen = filesUnder(watch).filter((n) => statSync(join(watch, n)).size > 0);
      } catch {
        return; // not there yet, or a file went while listing
      }
      if (when(seen)) child.kill('SIGKILL');
    }, 2);
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') ok(seen);
      else fail(new Error(`vigil ${args.join(' ')} ended (${code}) before it could be killed`));
    });
  });
}
