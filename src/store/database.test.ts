import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';

const posix = process.platform !== 'win32';
const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-db-mode-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const modeOf = (f: string) => statSync(f).mode & 0o777;

describe.runIf(posix)('SQLite file permissions', () => {
  it('creates the database, its -wal and -shm owner-only (0600)', async () => {
    const file = join(scratch(), 'vigil.db');
    const vdb = await openDatabase(`sqlite:${file}`);
    try {
      // A write makes SQLite create the WAL and shared-memory files.
      await sql`create table t (x integer)`.execute(vdb.db);
      await sql`insert into t values (1)`.execute(vdb.db);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
    } finally {
      await vdb.close();
    }
  });

  it('tightens an existing world-readable database file at open', async () => {
    const file = join(scratch(), 'vigil.db');
    writeFileSync(file, '', { mode: 0o644 });
    const vdb = await openDatabase(`sqlite:${file}`);
    try {
      await sql`create table t (x integer)`.execute(vdb.db);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
    } finally {
      await vdb.close();
    }
  });
});
