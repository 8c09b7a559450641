/**
 * Databases for backup tests: SQLite in a file of its own (a backup copies a file, not `:memory:`) or a
 * fresh PostgreSQL schema, migrated, and closed after each test of the file that asks for them.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { openDatabase, type VigilDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { freshDatabase, type TestDialect } from './dialects.js';

/** Registers the closing hook; returns the function that opens a database for one test. */
export function backupTestDatabases(): (dialect: TestDialect) => Promise<VigilDatabase> {
  const open: VigilDatabase[] = [];
  afterEach(async () => {
    for (const vdb of open.splice(0)) await vdb.close();
  });
  return async (dialect) => {
    const vdb =
      dialect === 'sqlite'
        ? await openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'vigil-backup-db-')), 'vigil.db')}`)
        : await freshDatabase('postgres');
    if (dialect === 'sqlite') await migrateToLatest(vdb);
    open.push(vdb);
    return vdb;
  };
}

/**
 * The files in a backup directory, sorted, after checking that its workspace (`.vigil-work`, where
 * backups are made, encrypted and decrypted) holds nothing: no partial file, no plaintext copy.
 */
export function backupDirFiles(dir: string): string[] {
  const names = readdirSync(dir);
  if (names.includes('.vigil-work')) expect(readdirSync(join(dir, '.vigil-work'))).toEqual([]);
  return names.filter((n) => n !== '.vigil-work').sort();
}
