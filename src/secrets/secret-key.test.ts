/**
 * Where the sealing key comes from: VIGIL_SECRET_KEY wins, then the key file (configured, beside the
 * SQLite database, or ./vigil-data for PostgreSQL), created 0600 on first use and refused when others may
 * read it; an in-memory database gets a per-process key. Bad keys are configuration errors naming where.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyIdOf } from './secret-box.js';
import { fileKeyring, keyringFor } from './secret-key.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-key-'));
const posix = process.platform !== 'win32';

describe('secret key sources', () => {
  it('creates the key file 0600 on first sealing use only, and keeps it', () => {
    const file = join(tmp(), 'data', 'secret.key');
    const ring = fileKeyring(file);
    expect(ring.openingKeys().size).toBe(0);
    expect(existsSync(file)).toBe(false);
    const { id, key } = ring.current();
    expect(existsSync(file)).toBe(true);
    if (posix) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(key)).toBe(true);
    // Another process (a new keyring on the same file) reads the same key.
    expect(fileKeyring(file).current().id).toBe(id);
    expect([...fileKeyring(file).openingKeys().keys()]).toEqual([id]);
  });

  it.runIf(posix)('refuses a key file group or others can read', () => {
    const file = join(tmp(), 'secret.key');
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => fileKeyring(file).openingKeys()).toThrow(
      /can be read by group or others \(mode 644\): chmod 600/,
    );
  });

  it('refuses a key file that does not hold 32 base64 bytes', () => {
    const file = join(tmp(), 'secret.key');
    writeFileSync(file, 'not a key\n', { mode: 0o600 });
    expect(() => fileKeyring(file).current()).toThrow(
      expect.objectContaining({ code: 'configuration', message: expect.stringContaining(file) }),
    );
  });

  it('takes VIGIL_SECRET_KEY first, and VIGIL_SECRET_KEY_PREVIOUS as a second opening key', () => {
    const key = randomBytes(32);
    const old = randomBytes(32);
    const ring = keyringFor(
      { db: `sqlite:${join(tmp(), 'vigil.db')}`, secretKeyFile: '/nonexistent/never-created.key' },
      { VIGIL_SECRET_KEY: key.toString('base64'), VIGIL_SECRET_KEY_PREVIOUS: old.toString('base64') },
    );
    expect(ring.source).toBe('VIGIL_SECRET_KEY');
    expect(ring.current().id).toBe(keyIdOf(key));
    expect([...ring.openingKeys().keys()].sort()).toEqual([keyIdOf(key), keyIdOf(old)].sort());
  });

  it('puts the key file beside the SQLite database unless one is configured', () => {
    const dir = tmp();
    expect(keyringFor({ db: `sqlite:${join(dir, 'vigil.db')}` }, {}).source).toBe(
      `key file ${join(dir, 'secret.key')}`,
    );
    expect(keyringFor({ db: 'sqlite:x.db', secretKeyFile: join(dir, 'k') }, {}).source).toBe(
      `key file ${join(dir, 'k')}`,
    );
    expect(keyringFor({ db: 'postgres://vigil@db/vigil' }, {}).source).toBe(
      `key file ${resolve('vigil-data', 'secret.key')}`,
    );
    const memory = keyringFor({ db: 'sqlite::memory:' }, {});
    expect(memory.source).toMatch(/per-process/);
    expect(memory.current().id).toBe(memory.current().id);
  });

  it('refuses a VIGIL_SECRET_KEY that is not base64 of 32 bytes, without echoing it', () => {
    for (const bad of ['short', randomBytes(16).toString('base64'), `${randomBytes(32).toString('hex')}`]) {
      let err: unknown;
      try {
        keyringFor({ db: 'sqlite::memory:' }, { VIGIL_SECRET_KEY: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({
        code: 'configuration',
        message: expect.stringContaining('VIGIL_SECRET_KEY'),
      });
      expect((err as Error).message).not.toContain(bad);
    }
  });
});
