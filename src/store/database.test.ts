import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, redactUrl } from './database.js';

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

describe('redactUrl', () => {
  it('masks the password in user:pass@ and in every password-like query parameter the pg driver reads', () => {
    expect(
      redactUrl(
        'postgres://vigil:UserPw@db.hospital.local:5432/vigil?password=S3cretPw&sslpassword=KeyPass&sslmode=verify-full&sslkey=/etc/vigil/client.key&sslcert=/etc/vigil/client.crt&sslrootcert=/etc/vigil/ca.pem&application_name=vigil',
      ),
    ).toBe(
      'postgres://vigil:***@db.hospital.local:5432/vigil?password=***&sslpassword=***&sslmode=verify-full&sslkey=***&sslcert=***&sslrootcert=***&application_name=vigil',
    );
    // Generous: anything named like a secret, in any case.
    expect(redactUrl('postgres://h/db?PassWord=a&api_token=b&client_secret=c')).toBe(
      'postgres://h/db?PassWord=***&api_token=***&client_secret=***',
    );
    expect(redactUrl('sqlite:./vigil-data/vigil.db')).toBe('sqlite:./vigil-data/vigil.db');
  });

  it('masks the query of a URL that is not a WHATWG URL too', () => {
    const odd = 'postgres://vigil:p@ss@h:99999/db?password=S3cretPw&sslmode=require';
    expect(redactUrl(odd)).not.toContain('S3cretPw');
    expect(redactUrl(odd)).toContain('sslmode=require');
  });

  it('never shows a password-like parameter value, whatever it holds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('password', 'sslpassword', 'sslkey', 'sslcert', 'sslrootcert', 'PASSWORD'),
        fc.string({ minLength: 6, unit: 'grapheme-ascii' }).filter((v) => /^[A-Za-z0-9]+$/.test(v)),
        fc.boolean(),
        (name, value, first) => {
          const secret = `Q${value}`; // no Q elsewhere in the URL
          const query = first ? `${name}=${secret}&sslmode=disable` : `sslmode=disable&${name}=${secret}`;
          const shown = redactUrl(`postgres://vigil@127.0.0.1:5432/vigil?${query}`);
          expect(shown).not.toContain(secret);
          expect(shown).toContain('sslmode=disable');
        },
      ),
    );
  });
});

describe('PostgreSQL connection errors', () => {
  // Port 1 on loopback refuses at once: the error names the server without its password.
  for (const schema of [undefined, 'vigil_test']) {
    it(`do not show a password given in the query${schema ? ' (with a schema)' : ''}`, async () => {
      const url = 'postgres://vigil@127.0.0.1:1/vigil?password=S3cretPw&sslpassword=KeyPass';
      const err = await openDatabase(url, schema ? { schema } : {}).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(
        /^Cannot connect to PostgreSQL at postgres:\/\/vigil@127\.0\.0\.1:1\/vigil/,
      );
      expect(err?.message).not.toContain('S3cretPw');
      expect(err?.message).not.toContain('KeyPass');
    });
  }
});
