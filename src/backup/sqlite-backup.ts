/**
 * @module SQLite copies through SQLite's online backup API (better-sqlite3's `backup()`): consistent while
 * `vigil serve` keeps writing (it copies a snapshot and restarts if a page changes under it), unlike
 * copying the file, which can catch a half-written transaction or miss the WAL. A restore goes the same
 * way in reverse, into the live file under SQLite's own locks, so a server that was left running reads
 * the restored data instead of writing on in an unlinked file.
 */
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { invalidInput } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { DbHandle } from '../store/transaction.js';

/**
 * Every remaining page in one step: copied in slices, a write by the server between two slices makes
 * SQLite start the copy again, and a busy server could keep it from ever finishing.
 */
const ALL_AT_ONCE = () => 0x7fffffff;

/** Copies the live database `source` into a new file `dest`, made a standalone file (no WAL). */
export async function copySqlite(source: string, dest: string): Promise<void> {
  await restoreSqlite(source, dest);
  // The copy carries the source's WAL flag; a backup is one self-contained file.
  const copy = new SQLite(dest);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/**
 * Opens a backup file read-only after SQLite's integrity check, and runs `fn` on it. A file that is
 * not SQLite, or whose pages are damaged, is an error naming the file and the first problems found.
 */
export async function withSqliteBackup<T>(file: string, fn: (h: DbHandle) => Promise<T>): Promise<T> {
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw invalidInput(`Backup ${file} cannot be opened: ${(e as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    let problems: string[];
    try {
      problems = (sqlite.pragma('integrity_check(5)') as { integrity_check: string }[]).map(
        (r) => r.integrity_check,
      );
    } catch (e) {
      throw invalidInput(`Backup ${file} is not a usable SQLite database: ${(e as Error).message}`);
    }
    if (problems.join() !== 'ok')
      throw invalidInput(`Backup ${file} failed SQLite's integrity check: ${problems.join('; ')}`);
    return await fn({ db, dialect: 'sqlite' });
  } finally {
    await db.destroy();
  }
}

/**
 * Writes the database `file` over `target` (page by page, under SQLite's locks): a backup over the live
 * database in a restore, the live database into a new file in a backup.
 */
export async function restoreSqlite(file: string, target: string): Promise<void> {
  const src = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    await src.backup(target, { progress: ALL_AT_ONCE });
  } finally {
    src.close();
  }
}
